/* lib/alloc internals shared by heap.c (the mechanism, silent) and alloc.c
 * (the public API, which counts and prints failures). */
#ifndef NFOS_ALLOC_PRIV_H
#define NFOS_ALLOC_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <nfos/alloc.h>
#include <nfos/compiler.h>

#define ALLOC_SLAB_ORDER    2 /* 16 KiB slabs: 7 objects of 2048 bytes */
#define ALLOC_SLAB_BYTES    (NFOS_PAGE_SIZE << ALLOC_SLAB_ORDER)
#define ALLOC_SLAB_MAX_OBJS (ALLOC_SLAB_BYTES / ALLOC_SMALL_MIN)
#define ALLOC_SLAB_MAGIC    0x51ab0a11u
#define ALLOC_MIN_SHIFT     4 /* log2(ALLOC_SMALL_MIN) */

/* Heads a slab, at the start of its 16 KiB block. Object i of a class of
 * size C sits at offset first + i * C with first a multiple of C, so objects
 * are aligned to their size (memalign relies on that). */
struct alloc_slab {
    uint32_t magic;
    uint8_t cls;    /* object size is ALLOC_SMALL_MIN << cls */
    uint8_t shift;  /* log2 of the object size */
    uint16_t first; /* offset of object 0 */
    uint16_t nr_objs;
    uint16_t nr_free;
    uint16_t bump;           /* objects from bump on were never handed out */
    struct alloc_slab *self; /* == this: with magic, tells a slab header
                              * from user data at the start of a block */
    void *free_list;         /* freed objects, linked by their first word */
    struct alloc_slab *next; /* in heap->partial[cls] while not full */
    struct alloc_slab *prev;
    uint64_t live[ALLOC_SLAB_MAX_OBJS / 64]; /* bit per handed-out object */
};

_Static_assert(ALLOC_SMALL_MIN == 1 << ALLOC_MIN_SHIFT, "shift of min");
_Static_assert(ALLOC_SLAB_MAX_OBJS <= UINT16_MAX, "slab counts are 16-bit");
_Static_assert(sizeof(struct alloc_slab) < ALLOC_SMALL_MAX,
               "the largest class must fit after the header");
_Static_assert((ALLOC_SMALL_MIN << (ALLOC_NR_CLASSES - 1)) == ALLOC_SMALL_MAX,
               "classes are the powers of two from min to max");

/* heap.c: never prints, never touches the counters of failures. */
int heap_add_region(struct alloc_heap *h, void *base, size_t len);
/* align is 0 or a power of two; returns NULL when no memory fits. */
void *heap_alloc(struct alloc_heap *h, size_t size, size_t align);
/* As heap_alloc, the size bytes zeroed: all of them, or with h->zeroed only
 * those below the mark of their region (pgalloc_untouched) before the
 * allocation, the rest having never been written. */
void *heap_alloc_zeroed(struct alloc_heap *h, size_t size, size_t align);
/* 0, or -EINVAL when p is not a live allocation of h (nothing changes). */
int heap_release(struct alloc_heap *h, void *p);
/* The usable size at p, 0 when p is not a live allocation of h. */
size_t heap_usable(const struct alloc_heap *h, const void *p);
/* What heap_alloc(h, size, 0) would grant, 0 when size is too large. */
size_t heap_granted(size_t size);
/* The largest whole-page block heap_alloc(h, size, align) grants now. */
size_t heap_largest(const struct alloc_heap *h, size_t align);
size_t heap_free_bytes(const struct alloc_heap *h);
size_t heap_total_bytes(const struct alloc_heap *h);

#endif /* NFOS_ALLOC_PRIV_H */
