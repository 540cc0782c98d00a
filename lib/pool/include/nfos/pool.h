/* pool: fixed-size object pools with O(1) get/put, the base of packet
 * buffer pools. One owner at a time, or, with lib/lcore and more than one
 * lcore, a per-lcore cache in front of the shared stack (DPDK mempool's
 * cache): get and put touch only the calling lcore's cache, and only a
 * refill or flush takes the pool's lock. A pool with caches is used from
 * lcores only (the cache is found through the GS base lib/lcore sets:
 * p->caches[lcore_index()], one %gs load, hoisted out of the caller's loops,
 * and one load from a table that never changes while lcores run).
 *
 * Memory layout (pool_init carves it from the caller's memory):
 *
 *   mem: | pointer stack: capacity x void* | pad | obj 0 | obj 1 | ... | flags |
 *
 * Free objects are pointers on a LIFO stack kept apart from the objects, so
 * get and put never touch an object's memory and the most recently freed
 * (cache-warm) object comes back first. The flags (one byte per object)
 * exist only with CONFIG_LIBPOOL_DEBUG. */
#ifndef NFOS_POOL_H
#define NFOS_POOL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <nfos/compiler.h>
#if CONFIG_LIBLCORE_SMP
#include <nfos/lcore.h>
#endif

#define POOL_ALIGN_DEFAULT NFOS_CACHE_LINE

struct pool_stats {
    uint64_t gets;     /* objects handed out */
    uint64_t puts;     /* objects taken back */
    uint64_t empty;    /* pool_get/pool_get_bulk calls that found too few */
    uint64_t bad_puts; /* puts refused: a netbuf freed while home (always
                        * checked, nfos/netbuf.h); foreign, misaligned or
                        * already free objects (CONFIG_LIBPOOL_DEBUG) */
};

/* Callers may read stats and name; everything else is private. The first
 * cache line holds all that get/put touch. */
struct pool {
    void **stack; /* stack[0 .. top) are the free objects */
    uint32_t top;
    uint32_t capacity;
    struct pool_stats stats;
    struct pool_cache **caches; /* caches[lcore id]; NULL with one lcore */
    /* Cold: set-up, checks and teardown. */
    char *objs;      /* object 0 */
    size_t stride;   /* object size rounded up to the alignment */
    uint8_t *in_use; /* debug flags, NULL without CONFIG_LIBPOOL_DEBUG */
    const char *name;
    bool created;  /* memory came from pool_create */
    uint32_t lock; /* the shared stack, while caches exist */
} __nfos_cache_aligned;

/* One lcore's cache: objs[0 .. len) are free objects only this lcore
 * takes. It refills size objects when empty and flushes size when it
 * holds flush_at (2 * size; kept so that a put compares with one load). */
#define POOL_CACHE_MAX     256
#define POOL_CACHE_DEFAULT 64
struct pool_cache {
    uint32_t len;
    uint32_t flush_at;
    uint32_t size;
    /* gets and empty; puts is not counted on a put (one instruction off
     * every cached free) but derived by pool_cache_puts from what the
     * slow paths count: */
    struct pool_stats stats;
    uint64_t moved_in;  /* from the shared stack, by refills */
    uint64_t moved_out; /* to the shared stack, by flushes */
    uint64_t got_past;  /* gets served from the shared stack directly */
    void *objs[2 * POOL_CACHE_MAX];
} __nfos_cache_aligned;

/* Objects put into c: what it holds and gave out (gets past it aside)
 * less what refills brought in. Exact while its lcore leaves it alone. */
static inline uint64_t pool_cache_puts(const struct pool_cache *c)
{
    return c->len + c->moved_out + (c->stats.gets - c->got_past) - c->moved_in;
}

_Static_assert(offsetof(struct pool, stack) == 0, "stack leads");
_Static_assert(offsetof(struct pool, stats) + sizeof(struct pool_stats) <= NFOS_CACHE_LINE,
               "get/put must touch one cache line of struct pool");
_Static_assert(sizeof(struct pool) % NFOS_CACHE_LINE == 0, "pools do not share cache lines");

/* Carves as many objects of obj_size bytes (rounded up to obj_align, a power
 * of two >= 8; POOL_ALIGN_DEFAULT is a cache line) as fit in
 * [mem, mem + mem_len) and puts them all in the pool. name is kept, not
 * copied. Touches only the pointer stack (8 bytes per object), not the
 * objects. Returns 0, or -EINVAL for bad arguments or memory too small for
 * one object. Slow path; never prints. */
int pool_init(struct pool *p, void *mem, size_t mem_len, size_t obj_size, size_t obj_align,
              const char *name);

/* Bytes pool_init needs for count objects wherever mem is placed; 0 when the
 * arguments are invalid or the size overflows. */
size_t pool_mem_size(size_t obj_size, size_t count, size_t obj_align);

/* A pool of exactly count objects, struct and memory in one alloc_memalign
 * block. Returns NULL and prints one line on failure (lib/alloc prints its
 * own line too when memory ran out). Slow path. */
struct pool *pool_create(const char *name, size_t obj_size, size_t count, size_t obj_align);

/* Frees a pool from pool_create. Returns 0, -EBUSY (nothing freed) while
 * objects are still out, -EINVAL for a pool from pool_init. Slow path. */
int pool_destroy(struct pool *p);

/* True when obj is the start of one of p's objects. Slow path (divides). */
bool pool_contains(const struct pool *p, const void *obj);

/* Debug hooks the inline functions call with CONFIG_LIBPOOL_DEBUG: on_put
 * returns -EINVAL (and counts stats.bad_puts) for a foreign, misaligned or
 * already free object. */
void pool_debug_on_get(struct pool *p, void *obj);
int pool_debug_on_put(struct pool *p, void *obj);

/* Per-lcore caches of size objects each (0: POOL_CACHE_DEFAULT, capped so
 * that the caches cannot hold half the pool), one per lcore, in one block
 * with their table (p->caches, which alloc_free frees); on a pool that
 * has them, flushes them and sets their size. Does nothing with one
 * lcore or without lib/lcore: the single-lcore fast path stays as it was.
 * pool_create calls it. Returns 0, -EINVAL (size > POOL_CACHE_MAX) or
 * -ENOMEM. Main lcore, while no other lcore uses the pool. */
int pool_cache_enable(struct pool *p, unsigned size);

/* Puts every cached object back on the shared stack. Main lcore, while the
 * other lcores do not use the pool. */
void pool_cache_flush_all(struct pool *p);

/* Objects sitting in the caches (racy while lcores run). Slow path. */
unsigned pool_cache_count(const struct pool *p);
/* The stats of the pool and its caches summed (racy while lcores run);
 * p->stats alone without caches. Slow path. */
void pool_stats_sum(const struct pool *p, struct pool_stats *st);

/* The caches' slow paths (pool_cache.c, built only with lib/lcore). */
unsigned pool_cache_refill(struct pool *p, struct pool_cache *c, unsigned want);
void pool_cache_flush(struct pool *p, struct pool_cache *c, unsigned n);
int pool_cache_get_bulk_slow(struct pool *p, struct pool_cache *c, void **objs, unsigned n);

static inline unsigned pool_capacity(const struct pool *p)
{
    return p->capacity;
}

/* The fast paths below test for caches (one compare of a word of the
 * pool's first line, predicted not taken; compiled away without
 * CONFIG_LIBLCORE_SMP), then take the lcore's from the table: a load, and
 * no second test, as the lookup is not NULL. The %gs load is a pure asm
 * that the compiler may hoist above the test and out of loops: in an SMP
 * image pools are used after lcore_init set the GS base (boot step 4,
 * before any device). */
#if CONFIG_LIBLCORE_SMP
#define POOL_HAS_CACHES(p) unlikely((p)->caches != NULL)
#define POOL_CACHE_SELF(p) ((p)->caches[lcore_index()])
#endif

/* Objects the caller can get now: the shared stack's and, with per-lcore
 * caches, its own cache's (the other lcores' caches are theirs; a moving
 * figure while they run). Fast path. */
static inline unsigned pool_avail(const struct pool *p)
{
#if CONFIG_LIBLCORE_SMP
    if (unlikely(p->caches != NULL))
        return __atomic_load_n(&p->top, __ATOMIC_RELAXED) + POOL_CACHE_SELF(p)->len;
#endif
    return p->top;
}

/* Objects handed out and not yet put back; cached ones count as free.
 * With caches it reads every lcore's: slow path, exact only while the
 * other lcores leave the pool alone (the balance check at exit). */
static inline unsigned pool_in_use(const struct pool *p)
{
#if CONFIG_LIBLCORE_SMP
    if (unlikely(p->caches != NULL))
        return p->capacity - p->top - pool_cache_count(p);
#endif
    return p->capacity - p->top;
}

static inline void *pool_cache_get(struct pool *p, struct pool_cache *c)
{
    void *obj;

    if (unlikely(c->len == 0) && !pool_cache_refill(p, c, c->size)) {
        c->stats.empty++;
        return NULL;
    }
    obj = c->objs[--c->len];
    c->stats.gets++;
#ifdef CONFIG_LIBPOOL_DEBUG
    pool_debug_on_get(p, obj);
#endif
    return obj;
}

static inline void pool_cache_put(struct pool *p, struct pool_cache *c, void *obj)
{
#ifdef CONFIG_LIBPOOL_DEBUG
    if (unlikely(pool_debug_on_put(p, obj)))
        return;
#endif
    c->objs[c->len++] = obj;
    if (unlikely(c->len >= c->flush_at))
        pool_cache_flush(p, c, c->size);
}

/* An object, or NULL (counted in stats.empty) when the pool is empty. The
 * most recently put object comes first. Fast path: O(1), never prints. */
static inline void *pool_get(struct pool *p)
{
    void *obj;

#if CONFIG_LIBLCORE_SMP
    if (POOL_HAS_CACHES(p))
        return pool_cache_get(p, POOL_CACHE_SELF(p));
#endif
    if (unlikely(p->top == 0)) {
        p->stats.empty++;
        return NULL;
    }
    obj = p->stack[--p->top];
    p->stats.gets++;
#ifdef CONFIG_LIBPOOL_DEBUG
    pool_debug_on_get(p, obj);
#endif
    return obj;
}

/* Gives obj back. Fast path: O(1), a plain push. obj must come from
 * pool_get(p) and not be put twice; only CONFIG_LIBPOOL_DEBUG checks that
 * (refusing and counting a bad put). */
static inline void pool_put(struct pool *p, void *obj)
{
#if CONFIG_LIBLCORE_SMP
    if (POOL_HAS_CACHES(p)) {
        pool_cache_put(p, POOL_CACHE_SELF(p), obj);
        return;
    }
#endif
#ifdef CONFIG_LIBPOOL_DEBUG
    if (unlikely(pool_debug_on_put(p, obj)))
        return;
#endif
    p->stack[p->top++] = obj;
    p->stats.puts++;
}

/* n objects into objs[0 .. n), all or nothing: 0, or -ENOBUFS (one
 * stats.empty, objs untouched) when fewer than n are free. Fast path. */
static inline int pool_get_bulk(struct pool *p, void **objs, unsigned n)
{
    unsigned i;

#if CONFIG_LIBLCORE_SMP
    if (POOL_HAS_CACHES(p)) {
        struct pool_cache *c = POOL_CACHE_SELF(p);

        if (unlikely(c->len < n))
            return pool_cache_get_bulk_slow(p, c, objs, n);
        for (i = 0; i < n; i++) {
            objs[i] = c->objs[--c->len];
#ifdef CONFIG_LIBPOOL_DEBUG
            pool_debug_on_get(p, objs[i]);
#endif
        }
        c->stats.gets += n;
        return 0;
    }
#endif
    if (unlikely(n > p->top)) {
        p->stats.empty++;
        return -ENOBUFS;
    }
    for (i = 0; i < n; i++) {
        objs[i] = p->stack[--p->top];
#ifdef CONFIG_LIBPOOL_DEBUG
        pool_debug_on_get(p, objs[i]);
#endif
    }
    p->stats.gets += n;
    return 0;
}

/* Puts back the objects at objs[i] - off, i in [0, n), as n pool_put calls
 * would: for a caller whose pointers point off bytes into its objects
 * (net_nfos's mbufs, which sit inside their netbufs), one pass with no
 * array of object pointers in between. Fast path: the lcore's cache looked
 * up once, its length kept in a register (a put costs a load, a subtract
 * and a store, not a pool_put's lookup and checks). */
static inline void pool_put_bulk_at(struct pool *p, void *const *objs, unsigned n, size_t off)
{
    unsigned i;

#ifdef CONFIG_LIBPOOL_DEBUG
    for (i = 0; i < n; i++)
        pool_put(p, (char *)objs[i] - off);
#else
#if CONFIG_LIBLCORE_SMP
    if (POOL_HAS_CACHES(p)) {
        struct pool_cache *c = POOL_CACHE_SELF(p);
        uint32_t len = c->len, max = c->flush_at;

        for (i = 0; i < n; i++) {
            c->objs[len++] = (char *)objs[i] - off;
            if (unlikely(len >= max)) {
                c->len = len;
                pool_cache_flush(p, c, c->size);
                len = c->len;
            }
        }
        c->len = len;
        return;
    }
#endif
    for (i = 0; i < n; i++)
        p->stack[p->top + i] = (char *)objs[i] - off;
    p->top += n;
    p->stats.puts += n;
#endif
}

/* Puts back objs[0 .. n), as n pool_put calls would (pool_put_bulk_at,
 * no offset). */
static inline void pool_put_bulk(struct pool *p, void *const *objs, unsigned n)
{
    pool_put_bulk_at(p, objs, n, 0);
}

#endif /* NFOS_POOL_H */
