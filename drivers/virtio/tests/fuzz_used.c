/* libFuzzer harness for the split ring's used-ring handling (make fuzz):
 * the driver side of drivers/virtio (virtqueue.h, virtqueue.c) against a
 * device that writes whatever the input says into the used ring, checked
 * against a model of which chains are in flight. Byte 0 sizes the ring
 * (1 to 256 entries) and sets EVENT_IDX (0x80) and IN_ORDER (0x40); then
 * each 6 bytes are an operation, op % 8:
 *
 *   0, 1: add a device-writable (rx) / readable (tx) buffer, length from a
 *   2: add a chain of 1 + a % 4 readable and b % 4 writable buffers
 *   3: publish (the device may read avail.idx)
 *   4: the device pops what was published and writes a used entry: id a
 *      popped head (a & 1) or 32 raw bits, length in range or raw (b & 1)
 *   5: the device writes used.idx: raw, or at most what it wrote ahead
 *   6: the device scribbles used.flags and avail_event
 *   7: the driver takes up to 1 + b % 64 used entries (without lengths
 *      when a & 1: tx's way, which with IN_ORDER reads the newest entry)
 *
 * Checked: every cookie comes back at most once and only while its chain
 * is in flight, with a length no larger than its writable bytes; the ring's
 * in_flight and free count match the model after every operation; the free
 * list holds nr_free distinct descriptors (with IN_ORDER: consecutive in
 * ring order, right after the chains in flight); at the end virtq_detach_unused
 * gives back exactly the chains still in flight and the ring is whole. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/virtio_transport.h>

#include "fuzz_check.h"

#define MAXQ   256
#define TOKENS 4096

static uint16_t max_size;

static uint16_t t_max(struct virtio_dev *vdev, uint16_t idx)
{
    return idx == 0 ? max_size : 0;
}

static void t_notify(struct virtqueue *vq)
{
}

static int t_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
    vq->t.notify = t_notify;
    return 0;
}

static const struct virtio_transport_ops ops = { .name = "fuzz",
                                                 .queue_max_size = t_max,
                                                 .queue_enable = t_enable };

/* The model: per token (a cookie), in flight or not and its in_len. */
static struct {
    bool in_flight;
    uint32_t in_len;
    uint16_t ndesc;
} tok[TOKENS];
static char cookies[TOKENS];
static unsigned next_tok, model_in_flight, model_desc;

static unsigned tok_of(void *cookie)
{
    CHECK((char *)cookie >= cookies && (char *)cookie < cookies + TOKENS, "foreign cookie %p",
          cookie);
    return (unsigned)((char *)cookie - cookies);
}

static void add(struct virtqueue *vq, const uint8_t *r)
{
    static uint8_t buf[64];
    struct virtq_sg sg[8];
    unsigned nout = r[0] % 8 == 1 ? 1 : 0, nin = r[0] % 8 == 0 ? 1 : 0, i, t = next_tok;
    uint32_t in_len = 0;
    int rc;

    if (t == TOKENS)
        return;
    if (r[0] % 8 == 2) {
        nout = 1 + r[1] % 4;
        nin = r[2] % 4;
    }
    for (i = 0; i < nout + nin; i++) {
        sg[i].addr = (uintptr_t)buf;
        sg[i].len = 1 + (uint32_t)(r[1 + i % 4] % 64);
        if (i >= nout)
            in_len += sg[i].len;
    }
    if (nout + nin == 1)
        rc = virtq_add_buf(vq, sg[0].addr, sg[0].len, nin == 1, &cookies[t]);
    else
        rc = virtq_add_chain(vq, sg, nout, nin, &cookies[t]);
    if (rc == -ENOSPC) {
        CHECK(virtq_nr_free(vq) < nout + nin, "-ENOSPC with %u free", virtq_nr_free(vq));
        return;
    }
    CHECK(rc == 0, "add: %d", rc);
    tok[t].in_flight = true;
    tok[t].in_len = in_len;
    tok[t].ndesc = (uint16_t)(nout + nin);
    next_tok++;
    model_in_flight++;
    model_desc += nout + nin;
}

/* The device side: what it popped, where it writes next. */
static uint16_t dev_last_avail, dev_used_idx, popped[MAXQ];
static unsigned npopped;

static void device_entry(struct virtqueue *vq, const uint8_t *r)
{
    struct virtq_used_elem *e;
    uint32_t raw =
        (uint32_t)r[2] | (uint32_t)r[3] << 8 | (uint32_t)r[4] << 16 | (uint32_t)r[5] << 24;

    while (dev_last_avail != vq->published && npopped < MAXQ)
        popped[npopped++] = vq->avail->ring[dev_last_avail++ & vq->mask];
    e = &vq->used->ring[dev_used_idx++ & vq->mask];
    e->id = r[1] & 1 && npopped ? popped[raw % npopped] : raw;
    e->len = r[1] & 2 ? raw : raw % 200;
    if (r[1] & 4) /* publish it */
        __atomic_store_n(&vq->used->idx, dev_used_idx, __ATOMIC_RELEASE);
}

static void take(struct virtqueue *vq, unsigned n, bool no_lens)
{
    void *c[64];
    uint32_t len[64] = { 0 };
    unsigned got = virtq_get_used_burst(vq, c, no_lens ? NULL : len, n), i;

    CHECK(got <= n, "%u of %u", got, n);
    for (i = 0; i < got; i++) {
        unsigned t = tok_of(c[i]);

        CHECK(tok[t].in_flight, "cookie %u returned while not in flight", t);
        CHECK(len[i] <= tok[t].in_len, "length %u over the %u writable bytes", len[i],
              tok[t].in_len);
        tok[t].in_flight = false;
        model_in_flight--;
        model_desc -= tok[t].ndesc;
    }
}

static void check_ring(struct virtqueue *vq, uint16_t size)
{
    static bool seen[MAXQ];
    uint16_t d = vq->free_head, i;

    CHECK(vq->in_flight == model_in_flight, "in_flight %u, model %u", vq->in_flight,
          model_in_flight);
    CHECK(vq->nr_free + model_desc == size, "free %u + in flight %u != %u", vq->nr_free, model_desc,
          size);
    memset(seen, 0, sizeof(seen));
    if (vq->in_order && vq->nr_free)
        CHECK(vq->free_head == ((vq->used_head + model_desc) & vq->mask),
              "IN_ORDER: free list starts at %u, not after the %u descriptors in flight from %u",
              vq->free_head, model_desc, vq->used_head);
    for (i = 0; i < vq->nr_free; i++) {
        CHECK(d < size && !seen[d], "free list broken at %u (descriptor %u)", i, d);
        seen[d] = true;
        if (vq->in_order && i + 1 < vq->nr_free)
            CHECK(vq->slot[d].next == ((d + 1) & vq->mask),
                  "IN_ORDER: free list out of ring order at descriptor %u", d);
        d = vq->slot[d].next;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct virtio_dev vdev = { .ops = &ops, .name = "fuzz" };
    struct virtqueue *vq;
    uint16_t qsize;
    size_t at;
    void *c;

    if (size < 1)
        return 0;
    max_size = qsize = (uint16_t)(1u << (data[0] % 9));
    vdev.features = (data[0] & 0x80 ? 1ULL << VIRTIO_F_RING_EVENT_IDX : 0) |
                    (data[0] & 0x40 ? 1ULL << VIRTIO_F_IN_ORDER : 0);
    CHECK(virtq_create(&vdev, 0, qsize, &vq) == 0, "create");
    memset(tok, 0, sizeof(tok));
    next_tok = model_in_flight = model_desc = 0;
    dev_last_avail = dev_used_idx = 0;
    npopped = 0;
    for (at = 1; at + 6 <= size; at += 6) {
        const uint8_t *r = data + at;
        uint16_t idx = (uint16_t)(r[2] | r[3] << 8);

        switch (r[0] % 8) {
        case 0:
        case 1:
        case 2:
            add(vq, r);
            break;
        case 3:
            virtq_publish(vq);
            break;
        case 4:
            device_entry(vq, r);
            break;
        case 5:
            __atomic_store_n(&vq->used->idx, r[1] & 1 ? idx : dev_used_idx, __ATOMIC_RELEASE);
            break;
        case 6:
            vq->used->flags = idx;
            *vq->avail_event = (uint16_t)(r[4] | r[5] << 8);
            break;
        case 7:
            take(vq, 1 + r[2] % 64, r[1] & 1);
            break;
        }
        check_ring(vq, qsize);
    }
    while ((c = virtq_detach_unused(vq))) {
        unsigned t = tok_of(c);

        CHECK(tok[t].in_flight, "detached cookie %u not in flight", t);
        tok[t].in_flight = false;
        model_in_flight--;
        model_desc -= tok[t].ndesc;
    }
    CHECK(model_in_flight == 0 && vq->in_flight == 0 && vq->nr_free == qsize,
          "after detach: model %u, ring %u in flight, %u free", model_in_flight, vq->in_flight,
          vq->nr_free);
    check_ring(vq, qsize);
    virtq_destroy(vq);
    return 0;
}
