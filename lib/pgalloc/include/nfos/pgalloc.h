/* pgalloc: a buddy page allocator over one memory region with O(1) set-up.
 * Blocks of 2^order pages aligned to their size in address terms, and runs
 * of any number of pages. Not thread- or interrupt-safe: one owner at a
 * time, the caller serialises. Memory is neither cleared nor touched beyond
 * one metadata byte per page and a list node in each free block. */
#ifndef NFOS_PGALLOC_H
#define NFOS_PGALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfos/compiler.h>

/* Largest block: 2^20 pages (4 GiB). Larger regions work; their blocks just
 * never merge beyond this order. */
#define PGALLOC_MAX_ORDER 20

struct pgalloc_node;

/* One region's allocator. Callers embed it (it needs no memory of its own
 * besides the region) but must treat every field as private. */
struct pgalloc {
    struct pgalloc_node *free[PGALLOC_MAX_ORDER + 1]; /* free lists */
    uint32_t nonempty;                                /* bit k set: free[k] is not empty */
    uintptr_t start_pfn;                              /* first usable page frame (address >> 12) */
    uintptr_t end_pfn;                                /* one past the last usable page frame */
    uintptr_t frontier;   /* frames at or above it are not handed out now */
    uintptr_t high;       /* frames at or above it were never handed out */
    uint8_t *meta;        /* one byte per usable page, valid below frontier */
    size_t listed_pages;  /* pages sitting on the free lists */
    size_t invalid_frees; /* frees refused */
};

/* Takes over [base, base + len), trimmed inward to whole pages. The last
 * 1/4097 of the region holds per-page metadata. Only *pa is written; no page
 * of the region is touched, so the cost is the same for 8 MiB and 64 GiB
 * (pages and their metadata are touched as the blocks are first handed out).
 * Returns 0, or -EINVAL when fewer than two whole pages remain (one for data,
 * one for metadata). Slow path; never prints. */
int pgalloc_init(struct pgalloc *pa, uintptr_t base, size_t len);

/* Returns 2^order contiguous pages whose address is a multiple of
 * 2^order * NFOS_PAGE_SIZE, or NULL when no such block is free or when order
 * exceeds PGALLOC_MAX_ORDER. O(log n), plus zeroing a metadata byte per page
 * the first time a page is handed out; never prints (the caller decides
 * whether exhaustion deserves a message). */
void *pgalloc_alloc(struct pgalloc *pa, unsigned order);

/* Gives back a block from pgalloc_alloc(pa, order). Coalesces with its buddy
 * and lowers the frontier when it can, so freeing everything restores the
 * state right after pgalloc_init. O(log n); never prints.
 * Invalid frees are refused silently and counted (pgalloc_invalid_frees):
 * a pointer outside the region, not page aligned, not the start of a live
 * block, freed with another order than it was allocated with, the start of
 * a run from pgalloc_alloc_pages, or already free. All of these are
 * detected; nothing is corrupted. */
void pgalloc_free(struct pgalloc *pa, void *p, unsigned order);

/* Returns npages contiguous pages (1 .. 2^PGALLOC_MAX_ORDER) starting at an
 * address aligned to 2^align_order pages, or NULL. Where a free block of
 * 2^max(ceil(log2(npages)), align_order) pages exists the run starts it
 * (aligned to that size); else it is carved from never-used memory with
 * only the alignment asked for. Unlike a block, a run wastes no pages: the
 * block is trimmed to npages and the rest goes back at once. O(log n);
 * never prints. */
void *pgalloc_alloc_pages(struct pgalloc *pa, size_t npages, unsigned align_order);

/* The largest npages for which pgalloc_alloc_pages(pa, npages, align_order)
 * would succeed now (every smaller count would too); 0 when none would.
 * O(1); never prints. For messages that say what would fit. */
size_t pgalloc_largest_run(const struct pgalloc *pa, unsigned align_order);

/* Gives back the run or block that starts at p (its length is recorded).
 * Invalid frees are refused and counted as for pgalloc_free. O(log n). */
void pgalloc_free_pages(struct pgalloc *pa, void *p);

/* Pages in the live run or block that starts at p; 0 when p does not start
 * one (interior pointers, free memory, foreign pointers). O(log n). */
size_t pgalloc_run_pages(const struct pgalloc *pa, const void *p);

/* Bytes not allocated (free lists plus never-touched memory). O(1). */
size_t pgalloc_free_bytes(const struct pgalloc *pa);

/* Bytes the allocator can hand out in all (region minus trim and metadata). */
size_t pgalloc_total_bytes(const struct pgalloc *pa);

/* True when p lies in the allocatable part of the region. O(1). */
bool pgalloc_contains(const struct pgalloc *pa, const void *p);

/* The address from which every page of the allocatable part was never
 * handed out (nor written by pgalloc) since pgalloc_init: those pages hold
 * whatever the region held then. It only rises, as allocations first reach
 * higher; frees never lower it. Read it before an allocation to learn which
 * part of the block returned is untouched (e.g. still zero from boot). O(1). */
uintptr_t pgalloc_untouched(const struct pgalloc *pa);

/* Number of pgalloc_free calls refused as invalid since init. */
size_t pgalloc_invalid_frees(const struct pgalloc *pa);

#endif /* NFOS_PGALLOC_H */
