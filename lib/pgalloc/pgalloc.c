/* Buddy page allocator with a frontier: set-up touches no memory, pages and
 * their metadata are touched only when first handed out. No locking, no
 * printing, no per-CPU caches: callers serialise and report.
 *
 * Region layout (page frame numbers, pfn = address >> 12):
 *
 *   base                                                            base + len
 *   | trim |<--------------- usable: U pages -------------->|<- M pages ->| trim |
 *          | blocks: allocated or on | not handed out | never |  meta[U]    |
 *          | the free lists          | now            | used  |  1 B / page |
 *          ^ start_pfn               ^ frontier       ^ high  ^ end_pfn
 *
 *   M = ceil((U + M) / 4097): one metadata byte per usable page, at the end
 *   so that the start keeps whatever large alignment the region has.
 *
 * Invariants:
 *  1. [start_pfn, frontier) is tiled by blocks; a block of order k starts at
 *     a pfn that is a multiple of 2^k (natural alignment in address terms),
 *     so a block's buddy is pfn ^ 2^k. Nothing at or above the frontier is
 *     on a free list or trusted in meta[].
 *  2. meta[] below the frontier: the first and last page of a free block say
 *     FREE | order (one byte when order is 0); the first page of a live
 *     block says ALLOC | order (| RUN, see 5); no other byte has ALLOC set.
 *     Other bytes are stale and never read: we only read the head of a
 *     buddy (a block head, by 1.), the last page below the frontier (a
 *     block's last page) and the page right after a live block (a head).
 *  3. free[k] holds the free blocks of order k, doubly linked through nodes
 *     stored in the blocks' first page; bit k of nonempty says free[k] != NULL.
 *  4. A free block never ends at the frontier: it would have been absorbed
 *     by lowering the frontier. Hence freeing everything gives frontier ==
 *     start_pfn and empty lists, the state pgalloc_init leaves.
 *  5. A run of N pages (pgalloc_alloc_pages) is consecutive live blocks,
 *     each the largest naturally aligned block that fits where it starts
 *     (from a start aligned to 2^k these are N's binary digits, largest
 *     first); all but the first say ALLOC | RUN, so a run's length can be
 *     read back, and a plain block is one whose successor is not ALLOC | RUN.
 *  6. high is the highest the frontier ever was. pgalloc writes list nodes
 *     only into blocks below the frontier and meta[] only from end_pfn on, so
 *     nothing at or above high was written since init, by pgalloc or by a
 *     caller (pgalloc_untouched). Lowering the frontier leaves high alone:
 *     the pages it gives back were used.
 * Moving the frontier up zeroes meta[] for the pages it passes (1/4096 of
 * what the caller is about to use) so that stale bytes can never read ALLOC. */
#include <errno.h>
#include <string.h>

#include <nfos/pgalloc.h>

#define META_FREE  0x80
#define META_ALLOC 0x40
#define META_RUN   0x20 /* with ALLOC: this block continues a run */
#define META_ORDER 0x1f

_Static_assert(PGALLOC_MAX_ORDER <= META_ORDER, "order must fit in meta");
_Static_assert(PGALLOC_MAX_ORDER < 32, "nonempty is a 32-bit mask");

struct pgalloc_node {
    struct pgalloc_node *next;
    struct pgalloc_node *prev;
};

static inline struct pgalloc_node *pfn_node(uintptr_t pfn)
{
    return (struct pgalloc_node *)(pfn << NFOS_PAGE_SHIFT);
}

static inline uintptr_t node_pfn(const void *p)
{
    return (uintptr_t)p >> NFOS_PAGE_SHIFT;
}

static inline uint8_t *meta_of(const struct pgalloc *pa, uintptr_t pfn)
{
    return &pa->meta[pfn - pa->start_pfn];
}

static void list_push(struct pgalloc *pa, uintptr_t pfn, unsigned order)
{
    struct pgalloc_node *n = pfn_node(pfn);
    uintptr_t pages = (uintptr_t)1 << order;

    n->prev = NULL;
    n->next = pa->free[order];
    if (n->next)
        n->next->prev = n;
    pa->free[order] = n;
    pa->nonempty |= 1u << order;
    pa->listed_pages += pages;
    *meta_of(pa, pfn) = META_FREE | order;
    *meta_of(pa, pfn + pages - 1) = META_FREE | order;
}

static void list_remove(struct pgalloc *pa, struct pgalloc_node *n, unsigned order)
{
    if (n->prev)
        n->prev->next = n->next;
    else
        pa->free[order] = n->next;
    if (n->next)
        n->next->prev = n->prev;
    if (!pa->free[order])
        pa->nonempty &= ~(1u << order);
    pa->listed_pages -= (uintptr_t)1 << order;
}

static void *mark_alloc(struct pgalloc *pa, uintptr_t pfn, unsigned order)
{
    *meta_of(pa, pfn + ((uintptr_t)1 << order) - 1) = 0; /* tail first: */
    *meta_of(pa, pfn) = META_ALLOC | order;              /* order 0 has head == tail */
    return pfn_node(pfn);
}

int pgalloc_init(struct pgalloc *pa, uintptr_t base, size_t len)
{
    uintptr_t first, last, pages, meta_pages;
    unsigned k;

    if (base + len < base)
        return -EINVAL;
    first = NFOS_ALIGN_UP(base, NFOS_PAGE_SIZE) >> NFOS_PAGE_SHIFT;
    last = NFOS_ALIGN_DOWN(base + len, NFOS_PAGE_SIZE) >> NFOS_PAGE_SHIFT;
    if (first == 0)
        first = 1; /* pfn 0 would be a NULL block */
    if (last <= first || last - first < 2)
        return -EINVAL;
    pages = last - first;
    meta_pages = (pages + 4096) / 4097;

    for (k = 0; k <= PGALLOC_MAX_ORDER; k++)
        pa->free[k] = NULL;
    pa->nonempty = 0;
    pa->start_pfn = first;
    pa->end_pfn = last - meta_pages;
    pa->frontier = first;
    pa->high = first;
    pa->meta = (uint8_t *)(pa->end_pfn << NFOS_PAGE_SHIFT);
    pa->listed_pages = 0;
    pa->invalid_frees = 0;
    return 0;
}

/* Largest order a block starting at pfn may have without passing limit. */
static unsigned gap_order(uintptr_t pfn, uintptr_t limit)
{
    unsigned k = PGALLOC_MAX_ORDER;

    if (pfn & (((uintptr_t)1 << k) - 1))
        k = (unsigned)__builtin_ctzl(pfn);
    while (pfn + ((uintptr_t)1 << k) > limit)
        k--;
    return k;
}

/* Where `pages` of never-used memory aligned to 2^order start, with the
 * frontier moved past them and the pages skipped to reach the alignment on
 * the free lists; 0 when they do not fit. */
static uintptr_t frontier_take(struct pgalloc *pa, uintptr_t pages, unsigned order)
{
    uintptr_t at = NFOS_ALIGN_UP(pa->frontier, (uintptr_t)1 << order);
    uintptr_t pfn;

    if (at < pa->frontier || at > pa->end_pfn || pa->end_pfn - at < pages)
        return 0;
    memset(meta_of(pa, pa->frontier), 0, at + pages - pa->frontier);
    for (pfn = pa->frontier; pfn < at;) {
        unsigned k = gap_order(pfn, at);

        list_push(pa, pfn, k);
        pfn += (uintptr_t)1 << k;
    }
    pa->frontier = at + pages;
    pa->high = NFOS_MAX(pa->high, pa->frontier);
    return at;
}

/* Takes a naturally aligned block from never-used memory. */
static void *carve(struct pgalloc *pa, unsigned order)
{
    uintptr_t at = frontier_take(pa, (uintptr_t)1 << order, order);

    return at ? mark_alloc(pa, at, order) : NULL;
}

void *pgalloc_alloc(struct pgalloc *pa, unsigned order)
{
    struct pgalloc_node *n;
    uintptr_t pfn;
    uint32_t avail;
    unsigned k;

    if (order > PGALLOC_MAX_ORDER)
        return NULL;
    avail = pa->nonempty >> order;
    if (!avail)
        return carve(pa, order);

    /* Smallest listed block that fits; split off upper halves. */
    k = order + (unsigned)__builtin_ctz(avail);
    n = pa->free[k];
    list_remove(pa, n, k);
    pfn = node_pfn(n);
    while (k > order) {
        k--;
        list_push(pa, pfn + ((uintptr_t)1 << k), k);
    }
    return mark_alloc(pa, pfn, order);
}

/* The frontier just came down: take back the free blocks now below it. */
static void frontier_lower(struct pgalloc *pa)
{
    while (pa->frontier > pa->start_pfn) {
        uint8_t m = *meta_of(pa, pa->frontier - 1);
        unsigned k = m & META_ORDER;

        if (!(m & META_FREE))
            break;
        pa->frontier -= (uintptr_t)1 << k;
        list_remove(pa, pfn_node(pa->frontier), k);
    }
}

/* Frees the live block at pfn: merges it with free buddies, then lowers the
 * frontier or lists it. The caller has validated it. */
static void release(struct pgalloc *pa, uintptr_t pfn, unsigned order)
{
    *meta_of(pa, pfn) = 0; /* no longer live, even if merged away below */

    while (order < PGALLOC_MAX_ORDER) {
        uintptr_t pages = (uintptr_t)1 << order;
        uintptr_t buddy = pfn ^ pages;

        if (buddy < pa->start_pfn || buddy >= pa->frontier || pa->frontier - buddy < pages ||
            *meta_of(pa, buddy) != (META_FREE | order))
            break;
        list_remove(pa, pfn_node(buddy), order);
        pfn &= ~pages;
        order++;
    }

    if (pfn + ((uintptr_t)1 << order) == pa->frontier) {
        pa->frontier = pfn;
        frontier_lower(pa);
    } else {
        list_push(pa, pfn, order);
    }
}

/* Pages of the live run starting at pfn; 0 when pfn does not start one. */
static size_t run_pages(const struct pgalloc *pa, uintptr_t pfn)
{
    uintptr_t next;
    uint8_t m;

    if (pfn < pa->start_pfn || pfn >= pa->frontier)
        return 0;
    m = *meta_of(pa, pfn);
    if ((m & (META_ALLOC | META_RUN)) != META_ALLOC)
        return 0;
    next = pfn + ((uintptr_t)1 << (m & META_ORDER));
    while (next < pa->frontier) {
        m = *meta_of(pa, next);
        if ((m & (META_ALLOC | META_RUN)) != (META_ALLOC | META_RUN))
            break;
        next += (uintptr_t)1 << (m & META_ORDER);
    }
    return next - pfn;
}

void pgalloc_free(struct pgalloc *pa, void *p, unsigned order)
{
    uintptr_t pfn = node_pfn(p);

    /* A run of 2^order pages carved at a lesser alignment (pgalloc_alloc_pages)
     * is several blocks: only pgalloc_free_pages may free it. */
    if (((uintptr_t)p & (NFOS_PAGE_SIZE - 1)) || order > PGALLOC_MAX_ORDER ||
        (pfn & (((uintptr_t)1 << order) - 1)) || run_pages(pa, pfn) != (size_t)1 << order) {
        pa->invalid_frees++;
        return;
    }
    release(pa, pfn, order);
}

static unsigned ceil_log2(size_t x)
{
    return x <= 1 ? 0 : 64 - (unsigned)__builtin_clzl(x - 1);
}

/* Marks npages from pfn live as a run (invariant 5): the largest naturally
 * aligned block that fits at each step, all but the first as continuing the
 * run. Returns the pfn after the run. */
static uintptr_t mark_run(struct pgalloc *pa, uintptr_t pfn, size_t npages)
{
    uintptr_t end = pfn + npages;
    bool first = true;

    while (pfn < end) {
        unsigned k = gap_order(pfn, end);

        mark_alloc(pa, pfn, k);
        if (!first)
            *meta_of(pa, pfn) |= META_RUN;
        first = false;
        pfn += (uintptr_t)1 << k;
    }
    return pfn;
}

/* A run carved straight from the frontier when no free block of the
 * rounded-up order exists: it needs npages of never-used memory aligned to
 * what the caller asked, not a block of twice its size nor an alignment to
 * its largest block (which in a small region may leave no room at all: 64
 * MiB aligned to 64 MiB fits only once in a 128 MiB guest whose first MiBs
 * hold the image, and then not whole, the metadata sitting at the end). */
static void *carve_run(struct pgalloc *pa, size_t npages, unsigned align_order)
{
    uintptr_t at = frontier_take(pa, npages, align_order);

    if (!at)
        return NULL;
    mark_run(pa, at, npages);
    return pfn_node(at);
}

void *pgalloc_alloc_pages(struct pgalloc *pa, size_t npages, unsigned align_order)
{
    uintptr_t pfn, at, end, tail[PGALLOC_MAX_ORDER + 1], high = pa->high;
    unsigned order, k, n = 0;
    void *p;

    if (npages == 0 || npages > ((size_t)1 << PGALLOC_MAX_ORDER))
        return NULL;
    order = NFOS_MAX(ceil_log2(npages), align_order);
    p = pgalloc_alloc(pa, order);
    if (!p) /* a power of two too: its block's alignment is not asked for */
        return carve_run(pa, npages, align_order);
    if (npages == (size_t)1 << order)
        return p;

    /* Keep the blocks of npages' binary digits... */
    pfn = node_pfn(p);
    at = mark_run(pa, pfn, npages);
    /* ...and free the rest, highest block first, so that a block carved
     * from the frontier just lowers it again instead of being listed. All
     * are marked live first: none may look free to another's buddy check. */
    end = pfn + ((uintptr_t)1 << order);
    for (; at < end; at += (uintptr_t)1 << k) {
        k = gap_order(at, end);
        mark_alloc(pa, at, k);
        tail[n++] = at;
    }
    while (n-- > 0)
        release(pa, tail[n], gap_order(tail[n], end));
    /* A tail carved from the frontier is above it again (it came down),
     * written only in meta[]: as untouched as before (invariant 6). */
    pa->high = NFOS_MAX(high, pa->frontier);
    return p;
}

void pgalloc_free_pages(struct pgalloc *pa, void *p)
{
    uintptr_t pfn = node_pfn(p), end, blocks[2 * (PGALLOC_MAX_ORDER + 1)];
    uint8_t orders[2 * (PGALLOC_MAX_ORDER + 1)];
    size_t pages;
    unsigned k, n = 0;

    if ((uintptr_t)p & (NFOS_PAGE_SIZE - 1) || !(pages = run_pages(pa, pfn))) {
        pa->invalid_frees++;
        return;
    }
    /* The run's blocks, then released last first (nearest the frontier, so
     * that it comes down instead of listing them). */
    for (end = pfn + pages; pfn < end && n < NFOS_ARRAY_SIZE(blocks); pfn += (uintptr_t)1 << k) {
        k = *meta_of(pa, pfn) & META_ORDER;
        orders[n] = (uint8_t)k;
        blocks[n++] = pfn;
    }
    while (n-- > 0)
        release(pa, blocks[n], orders[n]);
}

size_t pgalloc_largest_run(const struct pgalloc *pa, unsigned align_order)
{
    uintptr_t at, frontier_pages = 0, listed = 0;
    uint32_t fits;

    if (align_order > PGALLOC_MAX_ORDER)
        return 0;
    /* pgalloc_alloc_pages takes a listed block of order >= the run's
     * rounded-up order when there is one, else carves from the frontier. */
    fits = pa->nonempty >> align_order << align_order;
    if (fits)
        listed = (uintptr_t)1 << (31 - __builtin_clz(fits));
    at = NFOS_ALIGN_UP(pa->frontier, (uintptr_t)1 << align_order);
    if (at >= pa->frontier && at < pa->end_pfn)
        frontier_pages = pa->end_pfn - at;
    return NFOS_MIN(NFOS_MAX(listed, frontier_pages), (size_t)1 << PGALLOC_MAX_ORDER);
}

size_t pgalloc_run_pages(const struct pgalloc *pa, const void *p)
{
    if ((uintptr_t)p & (NFOS_PAGE_SIZE - 1))
        return 0;
    return run_pages(pa, node_pfn(p));
}

size_t pgalloc_free_bytes(const struct pgalloc *pa)
{
    return (pa->listed_pages + (pa->end_pfn - pa->frontier)) << NFOS_PAGE_SHIFT;
}

size_t pgalloc_total_bytes(const struct pgalloc *pa)
{
    return (pa->end_pfn - pa->start_pfn) << NFOS_PAGE_SHIFT;
}

bool pgalloc_contains(const struct pgalloc *pa, const void *p)
{
    uintptr_t pfn = node_pfn(p);

    return pfn >= pa->start_pfn && pfn < pa->end_pfn;
}

uintptr_t pgalloc_untouched(const struct pgalloc *pa)
{
    return pa->high << NFOS_PAGE_SHIFT;
}

size_t pgalloc_invalid_frees(const struct pgalloc *pa)
{
    return pa->invalid_frees;
}
