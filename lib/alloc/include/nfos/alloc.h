/* alloc: malloc and friends over pgalloc, for the default heap (all the
 * platform's RAM regions) and for heaps over regions callers hand in.
 *
 * Contract for every function here: slow path. No locks and no interrupt
 * safety: one core at a time (use lib/pool on the fast path). Failures
 * return NULL or a negative errno and print exactly one line to stderr
 * ("alloc: out of memory: malloc(N) failed, F bytes free in R region(s)");
 * the heap stays consistent, later calls work and frees recover memory.
 *
 * Sizes up to ALLOC_SMALL_MAX come from power-of-two size classes carved
 * from 16 KiB slabs; larger ones are page runs with no header (pgalloc
 * records their length): a 9 KiB malloc costs three pages, and its address
 * is aligned to the power of two of pages above its size (four here) when
 * a free block that size exists, else only to what was asked (a page, or
 * memalign's alignment): a large run needs room, not a block twice its
 * size. */
#ifndef NFOS_ALLOC_H
#define NFOS_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef CONFIG_LIBALLOC_MAX_REGIONS
#define ALLOC_HEAP_MAX_REGIONS CONFIG_LIBALLOC_MAX_REGIONS
#else
#define ALLOC_HEAP_MAX_REGIONS 16
#endif

#define ALLOC_SMALL_MIN  16          /* every pointer is aligned to this */
#define ALLOC_SMALL_MAX  2048        /* larger requests take whole pages */
#define ALLOC_NR_CLASSES 8           /* 16, 32, ..., 2048 */
#define ALLOC_REGION_MIN (64 * 1024) /* smaller regions are not used */

struct pgalloc;
struct alloc_slab;

struct alloc_stats {
    size_t in_use_bytes;       /* granted to live allocations (size classes
                                * and whole blocks, so >= what was asked) */
    size_t free_bytes;         /* pages the heap can still hand out */
    size_t total_bytes;        /* pages the heap manages in all */
    size_t nr_allocs;          /* live allocations */
    uint64_t nr_failures;      /* failed malloc/calloc/realloc/memalign */
    uint64_t nr_invalid_frees; /* refused frees and reallocs */
    unsigned nr_regions;
};

/* A heap. Embed it and treat the fields as private. */
struct alloc_heap {
    struct pgalloc *region[ALLOC_HEAP_MAX_REGIONS];
    unsigned nr_regions;
    struct alloc_slab *partial[ALLOC_NR_CLASSES]; /* slabs with room */
    size_t in_use_bytes;
    size_t nr_allocs;
    uint64_t nr_failures;
    uint64_t nr_invalid_frees;
    bool zeroed; /* regions read as zero when added, where not yet handed out */
};

/* --- The default heap ------------------------------------------------ */

/* Builds the default heap from plat_mem_regions(): one page allocator per
 * region of at least ALLOC_REGION_MIN bytes, up to ALLOC_HEAP_MAX_REGIONS
 * (CONFIG_LIBALLOC_MAX_REGIONS; extra regions are reported and ignored).
 * O(1) in the size of RAM. Boot path, called once. Returns 0, or -ENOMEM
 * (with one printed line) when no region is usable. */
int alloc_init(void);

/* C semantics: malloc(0) returns a unique pointer; free(NULL) does nothing;
 * calloc checks n * size for overflow and zeroes (as alloc_memalign_zeroed
 * does: page runs only where used before); realloc(NULL, n) is
 * malloc, realloc(p, 0) frees p and returns NULL, a failed realloc leaves p
 * untouched, shrinking never fails. Pointers are 16-byte aligned.
 * Freeing a pointer this heap did not hand out, or twice, is refused,
 * counted (nr_invalid_frees) and printed; it never corrupts the heap (a
 * forged slab header in user data could fool the check, nothing else). */
void *alloc_malloc(size_t size);
void alloc_free(void *p);
void *alloc_calloc(size_t n, size_t size);
void *alloc_realloc(void *p, size_t size);

/* Stores in *out a block of size bytes aligned to align. align must be a
 * power of two and a multiple of sizeof(void *); any such alignment up to
 * the largest buddy block (4 GiB) really holds. Returns 0, -EINVAL for a
 * bad alignment (nothing printed, *out untouched) or -ENOMEM (one line). */
int alloc_memalign(void **out, size_t align, size_t size);

/* As alloc_memalign, the size bytes at *out zeroed. Where the platform's
 * RAM reads as zero at boot (plat_mem_zeroed), page runs are zeroed only
 * where the heap handed them out before: memory never used since boot is
 * not written at all, so its pages cost nothing until the caller touches
 * them. For large, mostly untouched blocks (mmap, DPDK's memory); sizes
 * up to ALLOC_SMALL_MAX are zeroed whole. */
int alloc_memalign_zeroed(void **out, size_t align, size_t size);

/* Bytes usable at p (its size class or block), 0 for a foreign pointer. */
size_t alloc_usable_size(const void *p);

/* The largest size alloc_memalign(align, size) would grant now as one
 * block of whole pages (so that a failure can say what would fit): every
 * size up to it, in pages, would succeed; 0 when none would or align is
 * bad. free_bytes of alloc_stats is the sum, this its largest piece. */
size_t alloc_largest(size_t align);

/* Fills *st for the default heap. */
void alloc_stats(struct alloc_stats *st);

/* --- Explicit heaps ----------------------------------------------------- */

/* Makes h a heap over [base, base + len) (e.g. a region kept for packet
 * buffers). The heap's bookkeeping lives inside the region; h itself may be
 * anywhere. O(1). Returns 0, or -EINVAL when len < ALLOC_REGION_MIN. */
int alloc_heap_init(struct alloc_heap *h, void *base, size_t len);

/* Adds another region to h: 0, -EINVAL (too small) or -ENOSPC (h already
 * has ALLOC_HEAP_MAX_REGIONS). */
int alloc_heap_add_region(struct alloc_heap *h, void *base, size_t len);

/* The caller's promise that every region of h read as zero when it was
 * added (fresh anonymous memory, RAM untouched since boot), as the
 * platform's do for the default heap: alloc_heap_memalign_zeroed then
 * leaves alone what h never handed out. Any time, for regions added before
 * and after. */
void alloc_heap_declare_zeroed(struct alloc_heap *h);

/* As alloc_malloc, alloc_free, alloc_realloc, alloc_memalign,
 * alloc_memalign_zeroed, alloc_largest and alloc_stats, on heap h. */
void *alloc_heap_malloc(struct alloc_heap *h, size_t size);
void alloc_heap_free(struct alloc_heap *h, void *p);
void *alloc_heap_realloc(struct alloc_heap *h, void *p, size_t size);
int alloc_heap_memalign(struct alloc_heap *h, void **out, size_t align, size_t size);
int alloc_heap_memalign_zeroed(struct alloc_heap *h, void **out, size_t align, size_t size);
size_t alloc_heap_largest(const struct alloc_heap *h, size_t align);
void alloc_heap_stats(const struct alloc_heap *h, struct alloc_stats *st);

#endif /* NFOS_ALLOC_H */
