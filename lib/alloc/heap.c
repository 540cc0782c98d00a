/* The heap mechanism: size-class slabs and whole buddy blocks over one
 * pgalloc per region. Silent: alloc.c decides what to count and print.
 *
 * A pointer is told apart by the page allocator's own metadata: if it is the
 * start of a live pgalloc block (and that block is not a slab) it is a large
 * allocation of that order, with no header; otherwise it must be an object
 * inside the 16 KiB slab at its 16 KiB-aligned address, whose header says
 * the class and whose bitmap says whether the object is live. */
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

static void *heap_pages(struct alloc_heap *h, unsigned order)
{
	unsigned i;

	for (i = 0; i < h->nr_regions; i++) {
		void *p = pgalloc_alloc(h->region[i], order);

		if (p)
			return p;
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
	struct alloc_slab *s = heap_pages(h, ALLOC_SLAB_ORDER);

	if (!s)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->magic = ALLOC_SLAB_MAGIC;
	s->self = s;
	s->cls = (uint8_t)cls;
	s->shift = (uint8_t)(4 + cls);
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

static void slab_put(struct alloc_heap *h, struct pgalloc *pa,
		     struct alloc_slab *s, void *obj, size_t i)
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
		pgalloc_free(pa, s, ALLOC_SLAB_ORDER);
	}
}

static bool is_slab(const void *p)
{
	const struct alloc_slab *s = p;

	return s->magic == ALLOC_SLAB_MAGIC && s->self == s;
}

/* Where a live allocation p lives: a large block (*slab NULL, *order its
 * order) or object *idx of *slab. -EINVAL when p is not live in h. */
static int heap_find(const struct alloc_heap *h, const void *p,
		     struct pgalloc **pa, struct alloc_slab **slab,
		     size_t *idx, int *order)
{
	struct alloc_slab *s;
	size_t off;

	*pa = heap_region(h, p);
	if (!*pa)
		return -EINVAL;
	*order = pgalloc_block_order(*pa, p);
	if (*order >= 0) {
		*slab = NULL;
		return is_slab(p) ? -EINVAL : 0;
	}
	s = (struct alloc_slab *)NFOS_ALIGN_DOWN((uintptr_t)p, ALLOC_SLAB_BYTES);
	if (pgalloc_block_order(*pa, s) != ALLOC_SLAB_ORDER || !is_slab(s))
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

void *heap_alloc(struct alloc_heap *h, size_t size, size_t align)
{
	size_t granted;
	unsigned order;
	void *p;

	if (size <= ALLOC_SMALL_MAX && align <= ALLOC_SMALL_MAX) {
		size_t want = NFOS_MAX(NFOS_MAX(size, align), ALLOC_SMALL_MIN);
		unsigned cls = ceil_log2(want) - 4;

		p = slab_get(h, cls);
		granted = (size_t)ALLOC_SMALL_MIN << cls;
	} else {
		if (size > LARGE_MAX || align > LARGE_MAX)
			return NULL;
		order = ceil_log2((size + NFOS_PAGE_SIZE - 1) >> NFOS_PAGE_SHIFT);
		if (align > NFOS_PAGE_SIZE)
			order = NFOS_MAX(order, ceil_log2(align) - NFOS_PAGE_SHIFT);
		p = heap_pages(h, order);
		granted = (size_t)NFOS_PAGE_SIZE << order;
	}
	if (p) {
		h->in_use_bytes += granted;
		h->nr_allocs++;
	}
	return p;
}

int heap_release(struct alloc_heap *h, void *p)
{
	struct alloc_slab *s;
	struct pgalloc *pa;
	size_t i;
	int order;

	if (heap_find(h, p, &pa, &s, &i, &order))
		return -EINVAL;
	if (s) {
		h->in_use_bytes -= (size_t)1 << s->shift;
		slab_put(h, pa, s, p, i);
	} else {
		h->in_use_bytes -= (size_t)NFOS_PAGE_SIZE << order;
		pgalloc_free(pa, p, (unsigned)order);
	}
	h->nr_allocs--;
	return 0;
}

size_t heap_usable(const struct alloc_heap *h, const void *p)
{
	struct alloc_slab *s;
	struct pgalloc *pa;
	size_t i;
	int order;

	if (heap_find(h, p, &pa, &s, &i, &order))
		return 0;
	return s ? (size_t)1 << s->shift : (size_t)NFOS_PAGE_SIZE << order;
}

size_t heap_granted(size_t size)
{
	if (size <= ALLOC_SMALL_MAX)
		return (size_t)1 << ceil_log2(NFOS_MAX(size, ALLOC_SMALL_MIN));
	if (size > LARGE_MAX)
		return 0;
	return NFOS_PAGE_SIZE << ceil_log2((size + NFOS_PAGE_SIZE - 1) >>
					   NFOS_PAGE_SHIFT);
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
