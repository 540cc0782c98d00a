/* virtqueue: split virtqueues (virtio 1.x, 2.7), the driver side, with
 * the fast path inline. Drivers reach it through nfos/virtio.h; the ring
 * code is drivers/virtio/virtqueue.c. */
#ifndef NFOS_VIRTQUEUE_H
#define NFOS_VIRTQUEUE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/assert.h>
#include <nfos/compiler.h>
#include <nfos/virtio_types.h>

/* --- Split virtqueues (virtio 1.x, 2.7), the driver side ---------------
 *
 * One block of ring memory from lib/alloc, zeroed, device address = virtual
 * address (kvm's identity map; on linuxu the vhost-user memory table maps
 * the process's addresses 1:1):
 *
 *   | desc[size] (16 B each) | avail: flags idx ring[size] used_event | pad |
 *   | used: flags idx ring[size] (8 B each) avail_event |
 *
 * avail starts right after desc (a multiple of 64 B), used on its own
 * cache line. The driver never wants interrupts: avail.flags has
 * NO_INTERRUPT, and with EVENT_IDX used_event is kept half the index space
 * ahead of anything the device can reach.
 *
 * Descriptor bookkeeping is driver-private (struct virtq_slot): what the
 * device writes into the shared rings (used ids and lengths) is checked,
 * counted when wrong, and never followed blindly.
 *
 * Free descriptors form a list through slot.next, taken at free_head and
 * given back at free_tail in the order chains come back. It starts in ring
 * order (0, 1, ... size - 1, each slot.next its successor), so a device
 * that completes in order gets descriptor i for avail slot i, and with
 * VIRTIO_F_IN_ORDER (virtio 1.1, 2.7.9) it stays so by construction: the
 * chains in flight are one run of the ring from used_head, every chain's
 * descriptors consecutive, and completing them is a walk along that run
 * (virtq__get_used_in_order) that leaves slot.next alone.
 *
 * One core per queue, no locks. Adds stay invisible to the device until
 * virtq_publish(), which kicks only when the device asked for it. */

#define VIRTQ_DESC_F_NEXT          1
#define VIRTQ_DESC_F_WRITE         2
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

#define VIRTQ_SIZE_DEFAULT 256
/* Sizes are capped here: used_event stays unreachable only while the ring
 * is much smaller than half the 16-bit index space. */
#define VIRTQ_SIZE_MAX 4096
/* No bad used.idx seen yet (beyond any 16-bit index). */
#define VIRTQ_NO_BAD_IDX 0x10000u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[]; /* size entries, then used_event */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* size entries, then avail_event */
};

/* One buffer of a chain for virtq_add_chain. */
struct virtq_sg {
    uint64_t addr;
    uint32_t len;
};

/* Per descriptor, driver-private. */
struct virtq_slot {
    void *cookie;    /* chain head in flight: the caller's cookie, else NULL */
    uint32_t in_len; /* head: bytes the device may write into the chain */
    uint16_t next;   /* next descriptor of the chain, or of the free list */
    uint16_t ndesc;  /* head: descriptors in the chain */
};

struct virtq_stats {
    uint64_t kicks;        /* notifications sent */
    uint64_t bad_used_id;  /* used entries naming no chain in flight (skipped) */
    uint64_t bad_used_len; /* used lengths over the chain's writable bytes (reported as 0) */
    uint64_t bad_used_idx; /* used.idx values seen beyond the chains in flight (each once) */
};

struct virtqueue {
    /* Line 0, hot: everything add, publish and get_used touch. */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    struct virtq_slot *slot;
    volatile uint16_t *avail_event; /* in used, written by the device */
    uint16_t mask;                  /* size - 1 */
    uint16_t avail_idx;             /* next avail.ring position (not yet published) */
    uint16_t published;             /* avail.idx as last published */
    uint16_t last_used;             /* next used.ring entry to read */
    uint16_t free_head;             /* first free descriptor */
    uint16_t free_tail;             /* last free descriptor */
    uint16_t nr_free;               /* free descriptors */
    uint16_t in_flight;             /* chains the device owns (published or not) */
    uint16_t used_head;             /* IN_ORDER: the head of the oldest chain in flight */
    bool in_order;                  /* VIRTIO_F_IN_ORDER negotiated */
    /* Line 1: publish's notification state and the counters. */
    uint16_t used_event_base __nfos_cache_aligned; /* avail idx when used_event last moved */
    bool event_idx;
    uint16_t *used_event;  /* in avail, written by us (rarely: see virtq_publish) */
    uint32_t bad_idx_last; /* the last bad used.idx counted, or VIRTQ_NO_BAD_IDX */
    struct virtq_stats stats;
    /* Cold, and on a kick: the transport's view of the ring. */
    struct virtqueue_transport t;
    struct virtio_dev *vdev;
    void *ring_mem;
} __nfos_cache_aligned;

_Static_assert(offsetof(struct virtqueue, in_order) + sizeof(bool) <= NFOS_CACHE_LINE,
               "the ring state add, publish and get_used touch fits line 0");
_Static_assert(offsetof(struct virtqueue, used_event_base) == NFOS_CACHE_LINE &&
                   offsetof(struct virtqueue, stats) + sizeof(struct virtq_stats) <=
                       2 * NFOS_CACHE_LINE,
               "publish's event state and the counters fill line 1");

/* Where each part of a split ring of size entries sits in its block. */
struct virtq_layout {
    size_t avail_off, used_off, total;
};
void virtq_layout(uint16_t size, struct virtq_layout *l);

/* Allocates queue index of vdev with size entries (0: VIRTQ_SIZE_DEFAULT),
 * capped at the device's maximum and VIRTQ_SIZE_MAX and rounded down to a
 * power of two, and hands it to the transport (queue_enable). Call after
 * virtio_negotiate (EVENT_IDX is read from vdev->features) and before
 * virtio_driver_ok. Slow path. 0, -ENOENT (no such queue), -EINVAL (size
 * not a power of two), -ENOMEM, or the transport's error. */
int virtq_create(struct virtio_dev *vdev, uint16_t index, uint16_t size, struct virtqueue **out);

/* Frees a queue. The device must no longer use it (reset, or never
 * enabled); buffers still in it are the caller's (virtq_detach_unused). */
void virtq_destroy(struct virtqueue *vq);

/* One cookie of a chain still in the ring (published or not), taken back
 * from it, or NULL when none is left. Only while the device is stopped. */
void *virtq_detach_unused(struct virtqueue *vq);

/* Back to a fresh, empty ring (indices 0) before the device ever ran:
 * for a driver that sets a queue up again before DRIVER_OK. 0, or -EBUSY
 * while chains are in it (detach them first). */
int virtq_rewind(struct virtqueue *vq);

/* The fast path, inline. */

static inline uint16_t virtq_nr_free(const struct virtqueue *vq)
{
    return vq->nr_free;
}

/* Takes n chained free descriptors; returns the head. n <= nr_free. */
static inline uint16_t virtq__take(struct virtqueue *vq, void *cookie, uint32_t in_len, uint16_t n)
{
    uint16_t head = vq->free_head, last = head, i, *slot_in_avail;
    struct virtq_slot *s = &vq->slot[head];

    NFOS_ASSERT(n >= 1 && n <= vq->nr_free);
    NFOS_ASSERT(cookie != NULL); /* NULL marks a slot not in flight */
    for (i = 1; i < n; i++)
        last = vq->slot[last].next;
    vq->free_head = vq->slot[last].next;
    vq->nr_free -= n;
    s->cookie = cookie;
    s->in_len = in_len;
    s->ndesc = n;
    vq->in_flight++;
    slot_in_avail = &vq->avail->ring[vq->avail_idx++ & vq->mask];
    /* With descriptors reused in order, the entry usually holds head
     * already: leaving it alone keeps the line shared with the device
     * instead of taking it away (as DPDK's fixed avail ring does). */
    if (*slot_in_avail != head)
        *slot_in_avail = head;
    return head;
}

/* Puts the chain at head at the end of the free list: descriptors are
 * reused in the order they come back, so with a device that completes in
 * order descriptor i serves avail slot i and the device reads the table
 * sequentially. */
static inline void virtq__give_back(struct virtqueue *vq, uint16_t head)
{
    struct virtq_slot *s = &vq->slot[head];
    uint16_t last = head, i;

    for (i = 1; i < s->ndesc; i++)
        last = vq->slot[last].next;
    if (vq->nr_free)
        vq->slot[vq->free_tail].next = head;
    else
        vq->free_head = head;
    vq->free_tail = last;
    vq->nr_free += s->ndesc;
    vq->in_flight--;
    s->cookie = NULL;
}

/* A run of one-descriptor adds with the ring state in registers: a
 * driver's burst loop of single adds would reload and store the free
 * list, the counts and the avail index on every buffer, since the compiler
 * cannot tell the descriptor and slot stores from vq's fields; here they
 * live in the caller's local struct until virtq_batch_end. Nothing else
 * may touch the queue between begin and end (end, then begin again, around
 * a virtq_add_chain). */
struct virtq_batch {
    struct virtq_desc *desc;
    struct virtq_slot *slot;
    uint16_t *ring; /* avail.ring */
    uint16_t mask, head, avail_idx;
    uint16_t end; /* avail_idx once every free descriptor is taken */
};

static __nfos_always_inline void virtq_batch_begin(const struct virtqueue *vq,
                                                   struct virtq_batch *b)
{
    b->desc = vq->desc;
    b->slot = vq->slot;
    b->ring = vq->avail->ring;
    b->mask = vq->mask;
    b->head = vq->free_head;
    b->avail_idx = vq->avail_idx;
    b->end = (uint16_t)(vq->avail_idx + vq->nr_free);
}

/* virtq_add_buf within a batch: 0, or -ENOSPC when no descriptor is free.
 * One counter: each add takes one descriptor and one avail slot. */
static __nfos_always_inline int virtq_batch_add(struct virtq_batch *b, uint64_t addr, uint32_t len,
                                                bool device_writes, void *cookie)
{
    uint16_t head = b->head, *in_avail;
    struct virtq_slot *s = &b->slot[head];
    struct virtq_desc *d = &b->desc[head];

    if (unlikely(b->avail_idx == b->end))
        return -ENOSPC;
    NFOS_ASSERT(cookie != NULL);
    b->head = s->next;
    s->cookie = cookie;
    s->in_len = device_writes ? len : 0;
    s->ndesc = 1;
    in_avail = &b->ring[b->avail_idx++ & b->mask];
    if (*in_avail != head) /* as in virtq__take */
        *in_avail = head;
    d->addr = addr;
    d->len = len;
    d->flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
    return 0;
}

static __nfos_always_inline void virtq_batch_end(struct virtqueue *vq, const struct virtq_batch *b)
{
    uint16_t added = (uint16_t)(b->avail_idx - vq->avail_idx);

    vq->free_head = b->head;
    vq->nr_free = (uint16_t)(vq->nr_free - added);
    vq->in_flight = (uint16_t)(vq->in_flight + added);
    vq->avail_idx = b->avail_idx;
}

/* Adds one buffer as a one-descriptor chain, device-writable (rx) when
 * device_writes, else device-readable (tx). cookie (not NULL) comes back
 * from virtq_get_used. 0, or -ENOSPC when no descriptor is free. A batch
 * of one: a burst of them is virtq_batch_add's. */
static inline int virtq_add_buf(struct virtqueue *vq, uint64_t addr, uint32_t len,
                                bool device_writes, void *cookie)
{
    struct virtq_batch b;
    int err;

    virtq_batch_begin(vq, &b);
    err = virtq_batch_add(&b, addr, len, device_writes, cookie);
    virtq_batch_end(vq, &b);
    return err;
}

/* Adds a chain of nout device-readable buffers then nin device-writable
 * ones (sg[0 .. nout + nin)). 0, -ENOSPC (too few free descriptors) or
 * -EINVAL (empty chain). */
static inline int virtq_add_chain(struct virtqueue *vq, const struct virtq_sg *sg, unsigned nout,
                                  unsigned nin, void *cookie)
{
    unsigned n = nout + nin, i;
    uint32_t in_len = 0;
    uint16_t id;

    if (unlikely(n == 0))
        return -EINVAL;
    if (unlikely(n > vq->nr_free))
        return -ENOSPC;
    for (i = nout; i < n; i++)
        in_len += sg[i].len;
    id = virtq__take(vq, cookie, in_len, (uint16_t)n);
    for (i = 0; i < n; i++) {
        struct virtq_desc *d = &vq->desc[id];

        d->addr = sg[i].addr;
        d->len = sg[i].len;
        d->flags =
            (uint16_t)((i >= nout ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        d->next = vq->slot[id].next;
        id = vq->slot[id].next;
    }
    return 0;
}

/* virtio 1.x 2.7.7.2: has new_idx passed event since old_idx? */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Kicks the device whether or not it asked (counted with the others). */
static inline void virtq_notify(struct virtqueue *vq)
{
    vq->stats.kicks++;
    vq->t.notify(vq);
}

/* For an idle wait: on, the device interrupts (its call) at the next used
 * entry; off, poll mode again (virtq_init's). The caller polls once more
 * after arming: an entry the device added before is not announced. */
static inline void virtq_interrupts(struct virtqueue *vq, bool on)
{
    uint16_t flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;

    if (vq->event_idx) {
        /* Moved so that virtq_publish leaves used_event alone for 0x4000
         * more entries: an armed ring stays armed while the caller polls. */
        vq->used_event_base = vq->avail_idx;
        __atomic_store_n(vq->used_event, on ? vq->last_used : (uint16_t)(vq->avail_idx + 0x8000),
                         __ATOMIC_RELAXED);
    }
    __atomic_store_n(&vq->avail->flags, flags, __ATOMIC_RELAXED);
    /* Before the caller's next poll reads used.idx. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Makes every add since the last publish visible to the device and kicks
 * it if it asked to be (EVENT_IDX: avail_event crossed; else NO_NOTIFY
 * clear). One full fence per call with something to publish. */
static inline void virtq_publish(struct virtqueue *vq)
{
    uint16_t old = vq->published, now = vq->avail_idx;
    bool kick;

    if (old == now)
        return;
    /* used_event half the index space ahead: no used index the device can
     * reach before the next move crosses it (see VIRTQ_SIZE_MAX). */
    if (vq->event_idx && unlikely((uint16_t)(now - vq->used_event_base) >= 0x4000)) {
        vq->used_event_base = now;
        __atomic_store_n(vq->used_event, (uint16_t)(now + 0x8000), __ATOMIC_RELAXED);
    }
    __atomic_store_n(&vq->avail->idx, now, __ATOMIC_RELEASE);
    vq->published = now;
    /* The device may be reading avail.idx while we read its wish: store,
     * then load, in that order (a locked op on x86). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (vq->event_idx)
        kick = virtq_need_event(*vq->avail_event, now, old);
    else
        kick = !(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED) & VIRTQ_USED_F_NO_NOTIFY);
    if (kick)
        virtq_notify(vq);
}

/* A finished chain's cookie (and, with lens, the length the device wrote,
 * 0 when over the chain's writable bytes: counted) at position got; the
 * slot no longer in flight. */
static __nfos_always_inline void virtq__hand_back(struct virtqueue *vq, struct virtq_slot *s,
                                                  uint32_t len, void **cookies, uint32_t *lens,
                                                  unsigned got)
{
    if (lens) {
        if (unlikely(len > s->in_len)) {
            if (s->in_len)
                vq->stats.bad_used_len++;
            len = 0;
        }
        lens[got] = len;
    }
    cookies[got] = s->cookie;
    s->cookie = NULL;
}

/* With VIRTIO_F_IN_ORDER: a used entry stands for its chain and for every
 * chain added before it (a device may write one entry for a batch), so the
 * chains from used_head through the entry's id are done, walked along the
 * ring. Without lengths (lens NULL) only the newest entry is read: one
 * line of the used ring a poll, where reading every entry would pull one
 * line per eight chains from the device's core. A chain the device
 * skipped has length 0 (it did not say). An id out of the ring or naming
 * no chain in flight is counted and its entry skipped, as without
 * IN_ORDER; a device that completes out of order then only finishes
 * chains early, the driver's view of the ring stays whole. */
static __nfos_always_inline unsigned virtq__get_used_in_order(struct virtqueue *vq, void **cookies,
                                                              uint32_t *lens, unsigned n,
                                                              uint16_t used_idx)
{
    const struct virtq_used_elem *ring = vq->used->ring;
    struct virtq_slot *slot = vq->slot;
    uint16_t last = vq->last_used, mask = vq->mask, head = vq->used_head;
    uint16_t nr_free = vq->nr_free, in_flight = vq->in_flight;
    unsigned got = 0;

    while (got < n && last != used_idx) {
        uint16_t at = lens ? last : (uint16_t)(used_idx - 1);
        const struct virtq_used_elem *e = &ring[at & mask];
        uint32_t id = e->id, len = e->len;
        struct virtq_slot *s;

        if (unlikely(id > mask || !slot[id].cookie)) {
            vq->stats.bad_used_id++;
            last = (uint16_t)(at + 1);
            continue;
        }
        /* The chains before id, oldest first (for tx, all but the
         * newest): an id in flight is on the way, the run from used_head
         * holding every chain in flight. */
        if (head != id) {
            for (; head != id && got < n; got++) {
                s = &slot[head];
                NFOS_ASSERT(in_flight && s->cookie);
                virtq__hand_back(vq, s, 0, cookies, lens, got);
                nr_free += s->ndesc;
                in_flight--;
                head = (uint16_t)((head + s->ndesc) & mask);
            }
            if (got == n) {
                /* The rest at the next call, from this entry (the ones
                 * before it stand for chains done now: used.idx's check
                 * counts entries against chains in flight). */
                last = at;
                break;
            }
        }
        s = &slot[id];
        virtq__hand_back(vq, s, len, cookies, lens, got++);
        nr_free += s->ndesc;
        in_flight--;
        head = (uint16_t)((id + s->ndesc) & mask);
        last = (uint16_t)(at + 1);
    }
    if (got) {
        /* Back at the end of the free list, in ring order: slot.next
         * already links each to its successor. */
        if (!vq->nr_free)
            vq->free_head = vq->used_head;
        vq->free_tail = (uint16_t)((head - 1) & mask);
        vq->used_head = head;
        vq->nr_free = nr_free;
        vq->in_flight = in_flight;
    }
    vq->last_used = last;
    return got;
}

/* Takes up to n finished chains off the used ring: their cookies into
 * cookies[] and the bytes the device wrote into lens[] (0 for chains
 * without writable buffers); lens NULL when the caller needs no lengths
 * (tx), which with IN_ORDER reads only the newest used entry. Reads
 * used.idx once. Entries the device got wrong are counted in vq->stats and
 * skipped (bad id: out of the ring, or naming a chain not in flight, e.g.
 * one already returned) or reported with length 0 (length over the
 * writable bytes); a used.idx beyond what is in flight makes the whole
 * poll return nothing. Each check is one compare on a value already loaded
 * (as DPDK's virtio PMD checks id >= num and len > buffer). Returns the
 * count. */
static __nfos_always_inline unsigned virtq_get_used_burst(struct virtqueue *vq, void **cookies,
                                                          uint32_t *lens, unsigned n)
{
    /* The ring state lives in locals for the loop and is stored once: the
     * compiler cannot tell the stores below from vq's fields. */
    const struct virtq_used_elem *ring = vq->used->ring;
    struct virtq_slot *slot = vq->slot;
    uint16_t used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
    uint16_t last = vq->last_used, mask = vq->mask;
    uint16_t tail = vq->free_tail, nr_free = vq->nr_free, done = 0;
    unsigned got = 0;

    if (unlikely((uint16_t)(used_idx - last) > vq->in_flight)) {
        /* More than we gave it: believe none of the new entries. A device
         * stuck there is counted once, not once per poll. */
        if (used_idx != vq->bad_idx_last) {
            vq->bad_idx_last = used_idx;
            vq->stats.bad_used_idx++;
        }
        return 0;
    }
    if (vq->in_order)
        return virtq__get_used_in_order(vq, cookies, lens, n, used_idx);
    while (got < n && last != used_idx) {
        const struct virtq_used_elem *e = &ring[last++ & mask];
        uint32_t id = e->id, len = e->len;
        struct virtq_slot *s;
        uint16_t end, i;

        if (unlikely(id > mask || !slot[id].cookie)) {
            vq->stats.bad_used_id++;
            continue;
        }
        s = &slot[id];
        virtq__hand_back(vq, s, len, cookies, lens, got++);
        /* The chain goes to the end of the free list (virtq__give_back). */
        for (end = (uint16_t)id, i = 1; i < s->ndesc; i++)
            end = slot[end].next;
        if (nr_free)
            slot[tail].next = (uint16_t)id;
        else
            vq->free_head = (uint16_t)id;
        tail = end;
        nr_free += s->ndesc;
        done++;
    }
    vq->last_used = last;
    vq->free_tail = tail;
    vq->nr_free = nr_free;
    vq->in_flight -= done;
    return got;
}

/* One finished chain's cookie (and written length), or NULL. */
static inline void *virtq_get_used(struct virtqueue *vq, uint32_t *len)
{
    void *cookie;

    return virtq_get_used_burst(vq, &cookie, len, 1) ? cookie : NULL;
}

#endif /* NFOS_VIRTQUEUE_H */
