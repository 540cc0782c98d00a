/* The fake virtio device of fake_device.h. It checks what a real device
 * would rely on (descriptor flags, chain lengths, ring indices) with
 * Criterion asserts, so a driver-side bug fails the test that caused it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <nfos/plat/idle.h>
#include "fake_device.h"

static struct fake_dev *fake_of(struct virtio_dev *vdev)
{
    return nfos_container_of(vdev, struct fake_dev, vdev);
}

static int fake_reset(struct virtio_dev *vdev)
{
    struct fake_dev *f = fake_of(vdev);

    f->status = 0;
    f->resets++;
    return 0;
}

static uint8_t fake_get_status(struct virtio_dev *vdev)
{
    return fake_of(vdev)->status;
}

static void fake_set_status(struct virtio_dev *vdev, uint8_t status)
{
    struct fake_dev *f = fake_of(vdev);

    if (f->refuse_features_ok)
        status &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    f->status = status;
}

static uint64_t fake_get_features(struct virtio_dev *vdev)
{
    return fake_of(vdev)->dev_features;
}

static int fake_set_features(struct virtio_dev *vdev, uint64_t features)
{
    struct fake_dev *f = fake_of(vdev);

    cr_assert_eq(features & ~f->dev_features, 0, "driver accepted a feature never offered");
    f->drv_features = features;
    return f->set_features_err;
}

static void fake_read_config(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
    struct fake_dev *f = fake_of(vdev);

    cr_assert(len == 1 || len == 2 || len == 4 || len == 8);
    cr_assert_eq(off % len, 0, "config read at %u of %u bytes is not naturally aligned", off, len);
    cr_assert_leq(off + len, sizeof(f->config));
    if (f->nr_widths < 16)
        f->widths[f->nr_widths++] = len;
    memcpy(buf, f->config + off, len);
}

static uint32_t fake_generation(struct virtio_dev *vdev)
{
    struct fake_dev *f = fake_of(vdev);

    if (f->gen_bumps) {
        f->gen_bumps--;
        f->generation++;
    }
    return f->generation;
}

static uint16_t fake_queue_max_size(struct virtio_dev *vdev, uint16_t idx)
{
    return idx < FAKE_QUEUES ? fake_of(vdev)->max_size[idx] : 0;
}

static void fake_notify(struct virtqueue *vq)
{
    struct fake_dev *f = vq->t.transport_priv;

    f->kicks[vq->t.index]++;
    if (f->on_kick)
        f->on_kick(f, vq->t.index);
}

static int fake_queue_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
    struct fake_dev *f = fake_of(vdev);
    struct fake_ring *r = &f->ring[vq->t.index];

    cr_assert_lt(vq->t.index, FAKE_QUEUES);
    cr_assert(NFOS_IS_POW2(vq->t.size));
    cr_assert_leq(vq->t.size, f->max_size[vq->t.index]);
    memset(r, 0, sizeof(*r));
    r->desc = (struct virtq_desc *)(uintptr_t)vq->t.desc_addr;
    r->avail = (struct virtq_avail *)(uintptr_t)vq->t.avail_addr;
    r->used = (struct virtq_used *)(uintptr_t)vq->t.used_addr;
    r->size = vq->t.size;
    f->vq[vq->t.index] = vq;
    vq->t.notify = fake_notify;
    vq->t.transport_priv = f;
    return 0;
}

static int fake_driver_ok(struct virtio_dev *vdev)
{
    struct fake_dev *f = fake_of(vdev);

    f->driver_oks++;
    return f->driver_ok_err;
}

static int fake_queue_wait_fd(struct virtio_dev *vdev, uint16_t idx)
{
    return idx < FAKE_QUEUES ? fake_of(vdev)->wait_fd[idx] : -1;
}

struct fake_watch fake_watches[FAKE_QUEUES];
unsigned fake_nr_watches;

int plat_idle_watch(int fd, unsigned flags, void (*arm)(void *ctx, int on), void *ctx)
{
    plat_idle_unwatch(fd); /* as the platform's: one watch per fd */
    cr_assert_lt(fake_nr_watches, FAKE_QUEUES, "more watches than queues");
    fake_watches[fake_nr_watches++] = (struct fake_watch){ fd, flags, arm, ctx };
    return 0;
}

void plat_idle_unwatch(int fd)
{
    unsigned i = 0;

    while (i < fake_nr_watches) {
        if (fake_watches[i].fd == fd)
            fake_watches[i] = fake_watches[--fake_nr_watches];
        else
            i++;
    }
}

static const struct virtio_transport_ops fake_ops = {
    .name = "fake",
    .reset = fake_reset,
    .get_status = fake_get_status,
    .set_status = fake_set_status,
    .get_features = fake_get_features,
    .set_features = fake_set_features,
    .read_config = fake_read_config,
    .config_generation = fake_generation,
    .queue_max_size = fake_queue_max_size,
    .queue_enable = fake_queue_enable,
    .driver_ok = fake_driver_ok,
    .queue_wait_fd = fake_queue_wait_fd,
};

void fake_init(struct fake_dev *f, uint32_t device_id, uint64_t features)
{
    unsigned q;

    memset(f, 0, sizeof(*f));
    f->vdev.ops = &fake_ops;
    f->vdev.device_id = device_id;
    snprintf(f->vdev.name, sizeof(f->vdev.name), "fake0");
    f->dev_features = features;
    for (q = 0; q < FAKE_QUEUES; q++) {
        f->max_size[q] = 256;
        f->wait_fd[q] = -1;
    }
    f->status = 0x55; /* garbage until the core resets it */
}

bool fake_pop(struct fake_dev *f, unsigned q, struct fake_chain *c)
{
    struct fake_ring *r = &f->ring[q];
    uint16_t idx = __atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE);
    uint16_t id;
    bool writable = false;

    if (r->last_avail == idx)
        return false;
    cr_assert_leq((uint16_t)(idx - r->last_avail), r->size, "avail.idx ran ahead of the ring");
    memset(c, 0, sizeof(*c));
    c->head = id = r->avail->ring[r->last_avail++ & (r->size - 1)];
    for (;;) {
        const struct virtq_desc *d;

        cr_assert_lt(id, r->size, "descriptor %u out of the ring", id);
        cr_assert_lt(c->ndesc, r->size, "descriptor chain loops");
        d = &r->desc[id];
        c->ndesc++;
        if (d->flags & VIRTQ_DESC_F_WRITE) {
            if (!writable)
                c->in_buf = (void *)(uintptr_t)d->addr;
            writable = true;
            c->in_len += d->len;
        } else {
            cr_assert(!writable, "readable descriptor after a writable one");
            c->out_len += d->len;
        }
        if (!(d->flags & VIRTQ_DESC_F_NEXT))
            break;
        id = d->next;
    }
    return true;
}

void fake_push(struct fake_dev *f, unsigned q, uint32_t id, uint32_t len)
{
    struct fake_ring *r = &f->ring[q];
    struct virtq_used_elem *e = &r->used->ring[r->used_idx++ & (r->size - 1)];

    e->id = id;
    e->len = len;
}

void fake_flush(struct fake_dev *f, unsigned q)
{
    struct fake_ring *r = &f->ring[q];
    uint16_t old = r->used->idx, now = r->used_idx;
    bool event_idx = (f->drv_features >> VIRTIO_F_RING_EVENT_IDX) & 1;

    __atomic_store_n(&r->used->idx, now, __ATOMIC_RELEASE);
    if (old == now)
        return;
    if (event_idx ? virtq_need_event(r->avail->ring[r->size], now, old)
                  : !(r->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT))
        r->interrupts++;
}

void fake_set_avail_event(struct fake_dev *f, unsigned q, uint16_t event)
{
    struct fake_ring *r = &f->ring[q];

    *(uint16_t *)&r->used->ring[r->size] = event;
}

void fake_set_no_notify(struct fake_dev *f, unsigned q, bool no_notify)
{
    f->ring[q].used->flags = no_notify ? VIRTQ_USED_F_NO_NOTIFY : 0;
}
