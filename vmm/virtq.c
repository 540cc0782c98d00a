/* Split virtqueues, device side (virtio 1.x, 2.7): the descriptor table,
 * the driver's avail ring and nfvm's used ring, all little-endian guest
 * memory. Indexes are free-running 16-bit counters. */
#include <string.h>
#include "virtq.h"

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

static uint16_t ld16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}

int nfvm_vq_enable(struct nfvm_vq *q, const struct nfvm_mem *m)
{
    uint64_t n = q->size;

    if (!n || n > NFVM_VQ_SIZE_MAX || (q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
        return -1;
    q->desc = nfvm_gpa(m, q->desc_gpa, 16 * n);
    q->avail = nfvm_gpa(m, q->avail_gpa, 6 + 2 * n);
    q->used = nfvm_gpa(m, q->used_gpa, 6 + 8 * n);
    if (!q->desc || !q->avail || !q->used)
        return -1;
    q->last_avail = q->used_idx = 0;
    q->ready = true;
    return 0;
}

void nfvm_vq_reset(struct nfvm_vq *q)
{
    uint64_t bad = q->bad;

    memset(q, 0, sizeof(*q));
    q->bad = bad;
}

bool nfvm_vq_has_avail(const struct nfvm_vq *q)
{
    return q->ready && ld16(q->avail + 2) != q->last_avail;
}

void nfvm_vq_push(struct nfvm_vq *q, uint16_t head, uint32_t len)
{
    uint16_t idx = q->used_idx++;
    uint8_t *e = q->used + 4 + 8 * (size_t)(idx % q->size);
    uint32_t id = head;

    memcpy(e, &id, 4);
    memcpy(e + 4, &len, 4);
    __atomic_store_n((uint16_t *)(void *)(q->used + 2), (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

int nfvm_vq_pop(struct nfvm_vq *q, const struct nfvm_mem *m, struct nfvm_chain *c)
{
    uint16_t i;
    struct desc d;

    if (!nfvm_vq_has_avail(q))
        return 0;
    memcpy(&c->head, q->avail + 4 + 2 * (size_t)(q->last_avail % q->size), 2);
    q->last_avail++;
    c->n = 0;
    if (c->head >= q->size)
        goto bad;
    for (i = c->head;; i = d.next) {
        memcpy(&d, q->desc + 16 * (size_t)i, sizeof(d));
        if (c->n == NFVM_VQ_SEGS_MAX || (d.flags & VIRTQ_DESC_F_INDIRECT) ||
            !(c->seg[c->n].p = nfvm_gpa(m, d.addr, d.len)))
            goto bad;
        c->seg[c->n].len = d.len;
        c->seg[c->n].write = d.flags & VIRTQ_DESC_F_WRITE;
        c->n++;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 1;
        if (d.next >= q->size)
            goto bad;
    }
bad:
    q->bad++;
    if (c->head < q->size)
        nfvm_vq_push(q, c->head, 0);
    return -1;
}
