/* The device side of a virtio 1.x split virtqueue over guest memory: take
 * a descriptor chain the driver made available, give it back as used.
 * The rings are checked against guest RAM once when the queue is enabled;
 * every descriptor's buffer on each use. No locking: one thread at a time. */
#ifndef NFVM_VIRTQ_H
#define NFVM_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "nfvm.h"

#define NFVM_VQ_SIZE_MAX 256
#define NFVM_VQ_SEGS_MAX 16 /* descriptors per chain nfvm follows */

struct nfvm_vq {
    uint16_t size;
    bool ready;
    uint16_t last_avail;
    uint16_t used_idx; /* nfvm's own count: the ring's copy is never read back */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Host views of the rings, set by nfvm_vq_enable(). */
    uint8_t *desc, *avail, *used;
    uint64_t bad; /* chains refused: out of RAM, too long, looping */
};

struct nfvm_chain {
    uint16_t head;
    unsigned n;
    struct {
        uint8_t *p;
        uint32_t len;
        bool write; /* device-writable */
    } seg[NFVM_VQ_SEGS_MAX];
};

/* Checks the rings lie in guest RAM and makes the queue ready; -1 if not. */
int nfvm_vq_enable(struct nfvm_vq *q, const struct nfvm_mem *m);
void nfvm_vq_reset(struct nfvm_vq *q);
/* True when the driver has made a chain available that nfvm has not taken. */
bool nfvm_vq_has_avail(const struct nfvm_vq *q);
/* Takes the next available chain: 1, 0 when none, -1 when it is malformed
 * (it is then given back used with length 0 and counted in q->bad). */
int nfvm_vq_pop(struct nfvm_vq *q, const struct nfvm_mem *m, struct nfvm_chain *c);
/* Gives a chain back with len bytes written into it. */
void nfvm_vq_push(struct nfvm_vq *q, uint16_t head, uint32_t len);

#endif /* NFVM_VIRTQ_H */
