/* Split virtqueues: ring memory, set-up and teardown. The fast path (add,
 * publish, get_used) is inline in nfos/virtio.h. */
#include <errno.h>
#include <string.h>
#include <nfos/alloc.h>
#include <nfos/virtio_transport.h>

void virtq_layout(uint16_t size, struct virtq_layout *l)
{
    size_t avail_len = 4 + 2 * (size_t)size + 2; /* flags, idx, ring, used_event */
    size_t used_len = 4 + 8 * (size_t)size + 2;  /* flags, idx, ring, avail_event */

    l->avail_off = 16 * (size_t)size;
    l->used_off = NFOS_ALIGN_UP(l->avail_off + avail_len, (size_t)NFOS_CACHE_LINE);
    l->total = NFOS_ALIGN_UP(l->used_off + used_len, (size_t)NFOS_CACHE_LINE);
}

static uint16_t pow2_floor(uint16_t n)
{
    uint16_t p = 1;

    while ((uint16_t)(p << 1) && (uint16_t)(p << 1) <= n)
        p = (uint16_t)(p << 1);
    return p;
}

/* The ring as fresh: zeroed memory, all descriptors free, indices 0. */
static void virtq_init(struct virtqueue *vq, void *mem, struct virtq_slot *slot, uint16_t size,
                       bool event_idx, bool in_order)
{
    struct virtq_layout l;
    uint16_t i;

    virtq_layout(size, &l);
    memset(mem, 0, l.total);
    memset(slot, 0, sizeof(*slot) * size);
    vq->avail_idx = vq->published = vq->last_used = 0;
    vq->free_head = vq->in_flight = vq->used_event_base = vq->used_head = 0;
    vq->bad_idx_last = VIRTQ_NO_BAD_IDX;
    vq->desc = mem;
    vq->avail = (struct virtq_avail *)((char *)mem + l.avail_off);
    vq->used = (struct virtq_used *)((char *)mem + l.used_off);
    vq->slot = slot;
    vq->used_event = &vq->avail->ring[size];
    vq->avail_event = (volatile uint16_t *)&vq->used->ring[size];
    vq->mask = (uint16_t)(size - 1);
    vq->nr_free = size;
    vq->event_idx = event_idx;
    vq->in_order = in_order;
    /* The free list in ring order, each slot.next its successor (the last
     * one's 0, from the memset): what IN_ORDER's walk relies on. */
    for (i = 0; i + 1 < size; i++)
        slot[i].next = (uint16_t)(i + 1);
    vq->free_tail = (uint16_t)(size - 1);
    /* Poll mode: never interrupt us. The flag is a hint without EVENT_IDX;
     * with it, used_event is what counts. */
    vq->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    *vq->used_event = 0x8000;
    vq->t.size = size;
    vq->t.desc_addr = (uint64_t)(uintptr_t)vq->desc;
    vq->t.avail_addr = (uint64_t)(uintptr_t)vq->avail;
    vq->t.used_addr = (uint64_t)(uintptr_t)vq->used;
}

int virtq_create(struct virtio_dev *vdev, uint16_t index, uint16_t size, struct virtqueue **out)
{
    uint16_t max = vdev->ops->queue_max_size(vdev, index);
    struct virtqueue *vq;
    struct virtq_layout l;
    void *slot;
    int err;

    if (max == 0)
        return -ENOENT;
    if (size == 0)
        size = VIRTQ_SIZE_DEFAULT;
    if (!NFOS_IS_POW2(size))
        return -EINVAL;
    size = NFOS_MIN(size, pow2_floor(NFOS_MIN(max, (uint16_t)VIRTQ_SIZE_MAX)));
    virtq_layout(size, &l);
    if ((err = alloc_memalign((void **)&vq, NFOS_CACHE_LINE, sizeof(*vq))))
        return err;
    memset(vq, 0, sizeof(*vq));
    if ((err = alloc_memalign(&vq->ring_mem, NFOS_PAGE_SIZE, l.total)))
        goto err_vq;
    if ((err = alloc_memalign(&slot, NFOS_CACHE_LINE, sizeof(struct virtq_slot) * size)))
        goto err_ring;
    vq->vdev = vdev;
    vq->t.index = index;
    virtq_init(vq, vq->ring_mem, slot, size, virtio_has(vdev, VIRTIO_F_RING_EVENT_IDX),
               virtio_has(vdev, VIRTIO_F_IN_ORDER));
    if ((err = vdev->ops->queue_enable(vdev, vq)))
        goto err_slot;
    *out = vq;
    return 0;

err_slot:
    alloc_free(slot);
err_ring:
    alloc_free(vq->ring_mem);
err_vq:
    alloc_free(vq);
    return err;
}

void virtq_destroy(struct virtqueue *vq)
{
    alloc_free(vq->slot);
    alloc_free(vq->ring_mem);
    alloc_free(vq);
}

void *virtq_detach_unused(struct virtqueue *vq)
{
    uint16_t id;

    if (vq->in_order) {
        /* The oldest first, keeping the ring order of the free list. */
        void *cookie = vq->slot[vq->used_head].cookie;

        if (!vq->in_flight)
            return NULL;
        NFOS_ASSERT(cookie);
        id = vq->used_head;
        vq->used_head = (uint16_t)((id + vq->slot[id].ndesc) & vq->mask);
        virtq__give_back(vq, id);
        return cookie;
    }

    for (id = 0; id <= vq->mask; id++) {
        void *cookie = vq->slot[id].cookie;

        if (cookie) {
            virtq__give_back(vq, id);
            return cookie;
        }
    }
    return NULL;
}

int virtq_rewind(struct virtqueue *vq)
{
    if (vq->in_flight)
        return -EBUSY;
    virtq_init(vq, vq->ring_mem, vq->slot, vq->t.size, vq->event_idx, vq->in_order);
    return 0;
}
