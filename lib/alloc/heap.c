/* The heap mechanism: size-class slabs and page runs over one pgalloc per
 * region. Silent: alloc.c decides what to count and print.
 *
 * A pointer is told apart by the page allocator's own metadata: if it starts
 * a live pgalloc run (and that run is not a slab) it is a large allocation
 * of that many pages, with no header; otherwise it must be an object inside
 * the 16 KiB slab at its 16 KiB-aligned address, whose header says the
 * class and whose bitmap says whether the object is live. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <nfos/pgalloc.h>

#include "alloc_priv.h"

#define LARGE_MAX ((size_t)NFOS_PAGE_SIZE << PGALLOC_MAX_ORDER)

static unsigned ceil_log2(size_t x)
{
    return x <= 1 ? 0 : 64 - (unsigned)__builtin_clzl(x - 1);
}

int heap_add_region(struct alloc_heap *h, void *base, size_t len)
{
    uintptr_t b = (uintptr_t)base, top;
    struct pgalloc *pa;

    if (len < ALLOC_REGION_MIN || b + len < b)
        return -EINVAL;
    if (h->nr_regions == ALLOC_HEAP_MAX_REGIONS)
        return -ENOSPC;
    /* The allocator's struct goes at the end, so that the start keeps the
     * region's alignment for large blocks. */
    top = NFOS_ALIGN_DOWN(b + len - sizeof(*pa), _Alignof(struct pgalloc));
    pa = (struct pgalloc *)top;
    if (pgalloc_init(pa, b, top - b))
        return -EINVAL;
    h->region[h->nr_regions++] = pa;
    return 0;
}

static struct pgalloc *heap_region(const struct alloc_heap *h, const void *p)
{
    unsigned i;

    for (i = 0; i < h->nr_regions; i++)
        if (pgalloc_contains(h->region[i], p))
            return h->region[i];
    return NULL;
}

/* A run of npages from the first region that has one; *fresh is where that
 * region's untouched part started before the run was taken. */
static void *heap_pages(struct alloc_heap *h, size_t npages, unsigned align_order, uintptr_t *fresh)
{
    unsigned i;

    for (i = 0; i < h->nr_regions; i++) {
        uintptr_t mark = pgalloc_untouched(h->region[i]);
        void *p = pgalloc_alloc_pages(h->region[i], npages, align_order);

        if (p) {
            *fresh = mark;
            return p;
        }
    }
    return NULL;
}

static void partial_push(struct alloc_heap *h, struct alloc_slab *s)
{
    s->prev = NULL;
    s->next = h->partial[s->cls];
    if (s->next)
        s->next->prev = s;
    h->partial[s->cls] = s;
}

static void partial_remove(struct alloc_heap *h, struct alloc_slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        h->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static struct alloc_slab *slab_new(struct alloc_heap *h, unsigned cls)
{
    uintptr_t fresh;
    struct alloc_slab *s = heap_pages(h, 1u << ALLOC_SLAB_ORDER, 0, &fresh);

    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->magic = ALLOC_SLAB_MAGIC;
    s->self = s;
    s->cls = (uint8_t)cls;
    s->shift = (uint8_t)(ALLOC_MIN_SHIFT + cls);
    s->first = (uint16_t)NFOS_ALIGN_UP(sizeof(*s), ALLOC_SMALL_MIN << cls);
    s->nr_objs = (uint16_t)((ALLOC_SLAB_BYTES - s->first) >> s->shift);
    s->nr_free = s->nr_objs;
    partial_push(h, s);
    return s;
}

static void *slab_get(struct alloc_heap *h, unsigned cls)
{
    struct alloc_slab *s = h->partial[cls];
    char *obj;
    size_t i;

    if (!s && !(s = slab_new(h, cls)))
        return NULL;
    if (s->free_list) {
        obj = s->free_list;
        s->free_list = *(void **)obj;
    } else {
        obj = (char *)s + s->first + ((size_t)s->bump++ << s->shift);
    }
    i = (size_t)(obj - (char *)s - s->first) >> s->shift;
    s->live[i / 64] |= 1ull << (i % 64);
    if (--s->nr_free == 0)
        partial_remove(h, s);
    return obj;
}

static void slab_put(struct alloc_heap *h, struct pgalloc *pa, struct alloc_slab *s, void *obj,
                     size_t i)
{
    s->live[i / 64] &= ~(1ull << (i % 64));
    *(void **)obj = s->free_list;
    s->free_list = obj;
    if (s->nr_free++ == 0)
        partial_push(h, s);
    /* An empty slab goes back to the pages unless it is its class's only
     * one, so that a malloc/free loop does not churn the page allocator. */
    if (s->nr_free == s->nr_objs && (s->next || s->prev)) {
        partial_remove(h, s);
        s->magic = 0;
        pgalloc_free_pages(pa, s);
    }
}

static bool is_slab(const void *p)
{
    const struct alloc_slab *s = p;

    return s->magic == ALLOC_SLAB_MAGIC && s->self == s;
}

/* Where a live allocation p lives: a run of *pages (*slab NULL) or object
 * *idx of *slab. -EINVAL when p is not live in h. */
static int heap_find(const struct alloc_heap *h, const void *p, struct pgalloc **pa,
                     struct alloc_slab **slab, size_t *idx, size_t *pages)
{
    struct alloc_slab *s;
    size_t off;

    *pa = heap_region(h, p);
    if (!*pa)
        return -EINVAL;
    *pages = pgalloc_run_pages(*pa, p);
    if (*pages) {
        *slab = NULL;
        return is_slab(p) ? -EINVAL : 0;
    }
    s = (struct alloc_slab *)NFOS_ALIGN_DOWN((uintptr_t)p, ALLOC_SLAB_BYTES);
    if (pgalloc_run_pages(*pa, s) != 1u << ALLOC_SLAB_ORDER || !is_slab(s))
        return -EINVAL;
    off = (size_t)((const char *)p - (const char *)s);
    if (off < s->first || ((off - s->first) & ((1u << s->shift) - 1)))
        return -EINVAL;
    *idx = (off - s->first) >> s->shift;
    if (*idx >= s->nr_objs || !(s->live[*idx / 64] & (1ull << (*idx % 64))))
        return -EINVAL;
    *slab = s;
    return 0;
}

/* heap_alloc, and in *fresh where the memory never handed out since its
 * region was added starts (UINTPTR_MAX for a slab object: slabs are reused
 * whole, so none of an object is known to be untouched). */
static void *heap_take(struct alloc_heap *h, size_t size, size_t align, uintptr_t *fresh)
{
    size_t granted, pages;
    unsigned align_order = 0;
    void *p;

    *fresh = UINTPTR_MAX;
    if (size <= ALLOC_SMALL_MAX && align <= ALLOC_SMALL_MAX) {
        size_t want = NFOS_MAX(NFOS_MAX(size, align), ALLOC_SMALL_MIN);
        unsigned cls = ceil_log2(want) - ALLOC_MIN_SHIFT;

        p = slab_get(h, cls);
        granted = (size_t)ALLOC_SMALL_MIN << cls;
    } else {
        if (size > LARGE_MAX || align > LARGE_MAX)
            return NULL;
        pages = (size + NFOS_PAGE_SIZE - 1) >> NFOS_PAGE_SHIFT;
        if (align > NFOS_PAGE_SIZE)
            align_order = ceil_log2(align) - NFOS_PAGE_SHIFT;
        p = heap_pages(h, pages, align_order, fresh);
        granted = pages << NFOS_PAGE_SHIFT;
    }
    if (p) {
        h->in_use_bytes += granted;
        h->nr_allocs++;
    }
    return p;
}

void *heap_alloc(struct alloc_heap *h, size_t size, size_t align)
{
    uintptr_t fresh;

    return heap_take(h, size, align, &fresh);
}

void *heap_alloc_zeroed(struct alloc_heap *h, size_t size, size_t align)
{
    uintptr_t fresh;
    char *p = heap_take(h, size, align, &fresh);
    size_t used = size;

    if (!p)
        return NULL;
    /* From the mark up the region still holds what it held when added,
     * which the owner promised was zero. */
    if (h->zeroed && fresh < (uintptr_t)p + size)
        used = fresh > (uintptr_t)p ? fresh - (uintptr_t)p : 0;
    return memset(p, 0, used);
}

int heap_release(struct alloc_heap *h, void *p)
{
    struct alloc_slab *s;
    struct pgalloc *pa;
    size_t i, pages;

    if (heap_find(h, p, &pa, &s, &i, &pages))
        return -EINVAL;
    if (s) {
        h->in_use_bytes -= (size_t)1 << s->shift;
        slab_put(h, pa, s, p, i);
    } else {
        h->in_use_bytes -= pages << NFOS_PAGE_SHIFT;
        pgalloc_free_pages(pa, p);
    }
    h->nr_allocs--;
    return 0;
}

size_t heap_usable(const struct alloc_heap *h, const void *p)
{
    struct alloc_slab *s;
    struct pgalloc *pa;
    size_t i, pages;

    if (heap_find(h, p, &pa, &s, &i, &pages))
        return 0;
    return s ? (size_t)1 << s->shift : pages << NFOS_PAGE_SHIFT;
}

size_t heap_granted(size_t size)
{
    if (size <= ALLOC_SMALL_MAX)
        return (size_t)1 << ceil_log2(NFOS_MAX(size, ALLOC_SMALL_MIN));
    if (size > LARGE_MAX)
        return 0;
    return NFOS_ALIGN_UP(size, NFOS_PAGE_SIZE);
}

size_t heap_largest(const struct alloc_heap *h, size_t align)
{
    unsigned i, align_order = 0;
    size_t pages = 0;

    if (align > LARGE_MAX)
        return 0;
    if (align > NFOS_PAGE_SIZE)
        align_order = ceil_log2(align) - NFOS_PAGE_SHIFT;
    for (i = 0; i < h->nr_regions; i++)
        pages = NFOS_MAX(pages, pgalloc_largest_run(h->region[i], align_order));
    return pages << NFOS_PAGE_SHIFT;
}

size_t heap_free_bytes(const struct alloc_heap *h)
{
    size_t sum = 0;
    unsigned i;

    for (i = 0; i < h->nr_regions; i++)
        sum += pgalloc_free_bytes(h->region[i]);
    return sum;
}

size_t heap_total_bytes(const struct alloc_heap *h)
{
    size_t sum = 0;
    unsigned i;

    for (i = 0; i < h->nr_regions; i++)
        sum += pgalloc_total_bytes(h->region[i]);
    return sum;
}
