/* pool: fixed-size object pools with O(1) get/put, the base of packet
 * buffer pools. One owner at a time: no locks, no per-core caches (yet).
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
    /* Cold: set-up, checks and teardown. */
    char *objs;      /* object 0 */
    size_t stride;   /* object size rounded up to the alignment */
    uint8_t *in_use; /* debug flags, NULL without CONFIG_LIBPOOL_DEBUG */
    const char *name;
    bool created; /* memory came from pool_create */
} __nfos_cache_aligned;

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

static inline unsigned pool_capacity(const struct pool *p)
{
    return p->capacity;
}

/* Objects free in the pool / handed out and not yet put back. */
static inline unsigned pool_avail(const struct pool *p)
{
    return p->top;
}

static inline unsigned pool_in_use(const struct pool *p)
{
    return p->capacity - p->top;
}

/* An object, or NULL (counted in stats.empty) when the pool is empty. The
 * most recently put object comes first. Fast path: O(1), never prints. */
static inline void *pool_get(struct pool *p)
{
    void *obj;

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

/* Puts back objs[0 .. n), as n pool_put calls. Fast path. */
static inline void pool_put_bulk(struct pool *p, void *const *objs, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++)
        pool_put(p, objs[i]);
}

#endif /* NFOS_POOL_H */
