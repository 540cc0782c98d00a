/* The public heap API: the default heap over the platform's RAM regions and
 * explicit heaps, with C semantics at the edges and one printed line per
 * failure. The mechanism is in heap.c; errno is the libc's business. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nfos/plat/memory.h>
#if CONFIG_LIBLCORE_SMP
#include <nfos/lcore.h>
#endif

#include "alloc_priv.h"

static struct alloc_heap alloc_default;

/* The default heap is shared by every lcore (nolibc's malloc, musl's mmap,
 * pools and lcores set up at run time): one lock, in images with lcores
 * only. Explicit heaps stay their owner's business. */
#if CONFIG_LIBLCORE_SMP
/* A message is said only once the lock is released: printing can enter
 * the musl shim, whose own lock another lcore may hold while it waits for
 * this one (mmap from the heap). */
static struct lcore_lock alloc_lock;
static char alloc_msg[192];
static bool alloc_msg_pending;
#define DEFAULT_LOCK() lcore_lock(&alloc_lock)

static void DEFAULT_UNLOCK(void)
{
    char msg[sizeof(alloc_msg)];
    bool say = alloc_msg_pending;

    if (say) {
        memcpy(msg, alloc_msg, sizeof(msg));
        alloc_msg_pending = false;
    }
    lcore_unlock(&alloc_lock);
    if (say)
        fputs(msg, stderr);
}
#define ALLOC_SAY(h, ...)                                        \
    do {                                                         \
        if ((h) == &alloc_default) {                             \
            snprintf(alloc_msg, sizeof(alloc_msg), __VA_ARGS__); \
            alloc_msg_pending = true;                            \
        } else {                                                 \
            fprintf(stderr, __VA_ARGS__);                        \
        }                                                        \
    } while (0)
#else
#define DEFAULT_LOCK()    ((void)0)
#define DEFAULT_UNLOCK()  ((void)0)
#define ALLOC_SAY(h, ...) fprintf(stderr, __VA_ARGS__)
#endif

static void alloc_fail(struct alloc_heap *h, const char *call)
{
    h->nr_failures++;
    ALLOC_SAY(h, "alloc: out of memory: %s failed, %zu bytes free in %u region(s)\n", call,
              heap_free_bytes(h), h->nr_regions);
}

static void alloc_refuse(struct alloc_heap *h, const char *what, void *p)
{
    h->nr_invalid_frees++;
    ALLOC_SAY(h, "alloc: %s(%p) refused: not a live allocation\n", what, p);
}

int alloc_init(void)
{
    const struct plat_mem_region *r;
    int n = plat_mem_regions(&r), i, used = 0;

    memset(&alloc_default, 0, sizeof(alloc_default));
    alloc_default.zeroed = plat_mem_zeroed() != 0;
    for (i = 0; i < n; i++) {
        if (alloc_default.nr_regions == ALLOC_HEAP_MAX_REGIONS)
            break;
        if (heap_add_region(&alloc_default, (void *)r[i].base, r[i].len) == 0)
            used++;
    }
    if (used == 0) {
        fprintf(stderr, "alloc: no usable RAM region (need at least %d KiB)\n",
                ALLOC_REGION_MIN / 1024);
        return -ENOMEM;
    }
    if (i < n)
        fprintf(stderr,
                "alloc: using %d of %d RAM regions "
                "(CONFIG_LIBALLOC_MAX_REGIONS is %d)\n",
                used, n, ALLOC_HEAP_MAX_REGIONS);
    return 0;
}

int alloc_heap_init(struct alloc_heap *h, void *base, size_t len)
{
    memset(h, 0, sizeof(*h));
    return heap_add_region(h, base, len);
}

int alloc_heap_add_region(struct alloc_heap *h, void *base, size_t len)
{
    return heap_add_region(h, base, len);
}

void alloc_heap_declare_zeroed(struct alloc_heap *h)
{
    h->zeroed = true;
}

void *alloc_heap_malloc(struct alloc_heap *h, size_t size)
{
    void *p = heap_alloc(h, size, 0);

    if (unlikely(!p)) {
        char call[40];

        snprintf(call, sizeof(call), "malloc(%zu)", size);
        alloc_fail(h, call);
    }
    return p;
}

void alloc_heap_free(struct alloc_heap *h, void *p)
{
    if (p && heap_release(h, p))
        alloc_refuse(h, "free", p);
}

void *alloc_heap_realloc(struct alloc_heap *h, void *p, size_t size)
{
    size_t old;
    void *n;

    if (!p)
        return alloc_heap_malloc(h, size);
    if (size == 0) {
        alloc_heap_free(h, p);
        return NULL;
    }
    old = heap_usable(h, p);
    if (!old) {
        alloc_refuse(h, "realloc", p);
        return NULL;
    }
    if (heap_granted(size) == old)
        return p;
    n = heap_alloc(h, size, 0);
    if (!n) {
        char call[64];

        if (size <= old)
            return p; /* shrinking never fails */
        snprintf(call, sizeof(call), "realloc(%p, %zu)", p, size);
        alloc_fail(h, call);
        return NULL;
    }
    memcpy(n, p, NFOS_MIN(old, size));
    heap_release(h, p);
    return n;
}

static int heap_memalign(struct alloc_heap *h, void **out, size_t align, size_t size, bool zero)
{
    size_t a = align <= ALLOC_SMALL_MIN ? 0 : align;
    void *p;

    if (!NFOS_IS_POW2(align) || align % sizeof(void *))
        return -EINVAL;
    p = zero ? heap_alloc_zeroed(h, size, a) : heap_alloc(h, size, a);
    if (unlikely(!p)) {
        char call[64];

        snprintf(call, sizeof(call), "memalign(%zu, %zu)", align, size);
        alloc_fail(h, call);
        return -ENOMEM;
    }
    *out = p;
    return 0;
}

int alloc_heap_memalign(struct alloc_heap *h, void **out, size_t align, size_t size)
{
    return heap_memalign(h, out, align, size, false);
}

int alloc_heap_memalign_zeroed(struct alloc_heap *h, void **out, size_t align, size_t size)
{
    return heap_memalign(h, out, align, size, true);
}

size_t alloc_heap_largest(const struct alloc_heap *h, size_t align)
{
    if (!NFOS_IS_POW2(align) || align % sizeof(void *))
        return 0;
    return heap_largest(h, align);
}

void alloc_heap_stats(const struct alloc_heap *h, struct alloc_stats *st)
{
    st->in_use_bytes = h->in_use_bytes;
    st->free_bytes = heap_free_bytes(h);
    st->total_bytes = heap_total_bytes(h);
    st->nr_allocs = h->nr_allocs;
    st->nr_failures = h->nr_failures;
    st->nr_invalid_frees = h->nr_invalid_frees;
    st->nr_regions = h->nr_regions;
}

void *alloc_malloc(size_t size)
{
    void *p;

    DEFAULT_LOCK();
    p = alloc_heap_malloc(&alloc_default, size);
    DEFAULT_UNLOCK();
    return p;
}

void alloc_free(void *p)
{
    DEFAULT_LOCK();
    alloc_heap_free(&alloc_default, p);
    DEFAULT_UNLOCK();
}

static void *default_calloc(size_t n, size_t size)
{
    size_t bytes;
    void *p;

    if (__builtin_mul_overflow(n, size, &bytes)) {
        alloc_default.nr_failures++;
        ALLOC_SAY(&alloc_default, "alloc: calloc(%zu, %zu) failed: size overflows\n", n, size);
        return NULL;
    }
    p = heap_alloc_zeroed(&alloc_default, bytes, 0);
    if (unlikely(!p)) {
        char call[64];

        snprintf(call, sizeof(call), "calloc(%zu, %zu)", n, size);
        alloc_fail(&alloc_default, call);
    }
    return p;
}

void *alloc_calloc(size_t n, size_t size)
{
    void *p;

    DEFAULT_LOCK();
    p = default_calloc(n, size);
    DEFAULT_UNLOCK();
    return p;
}

void *alloc_realloc(void *p, size_t size)
{
    void *q;

    DEFAULT_LOCK();
    q = alloc_heap_realloc(&alloc_default, p, size);
    DEFAULT_UNLOCK();
    return q;
}

int alloc_memalign(void **out, size_t align, size_t size)
{
    int err;

    DEFAULT_LOCK();
    err = alloc_heap_memalign(&alloc_default, out, align, size);
    DEFAULT_UNLOCK();
    return err;
}

int alloc_memalign_zeroed(void **out, size_t align, size_t size)
{
    int err;

    DEFAULT_LOCK();
    err = alloc_heap_memalign_zeroed(&alloc_default, out, align, size);
    DEFAULT_UNLOCK();
    return err;
}

size_t alloc_usable_size(const void *p)
{
    size_t n;

    DEFAULT_LOCK();
    n = heap_usable(&alloc_default, p);
    DEFAULT_UNLOCK();
    return n;
}

size_t alloc_largest(size_t align)
{
    size_t n;

    DEFAULT_LOCK();
    n = alloc_heap_largest(&alloc_default, align);
    DEFAULT_UNLOCK();
    return n;
}

void alloc_stats(struct alloc_stats *st)
{
    DEFAULT_LOCK();
    alloc_heap_stats(&alloc_default, st);
    DEFAULT_UNLOCK();
}
