/* The per-lcore caches' slow paths: refill from and flush to the shared
 * stack under the pool's lock, set-up and the sums. The fast paths are
 * inline in nfos/pool.h and take no lock. Without lib/lcore there is one
 * lcore and pool_cache_enable does nothing. */
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/arch/cpu.h>
#include <nfos/pool.h>

static void pool_lock(struct pool *p)
{
    while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&p->lock, __ATOMIC_RELAXED))
            arch_pause();
}

static void pool_unlock(struct pool *p)
{
    __atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE);
}

static unsigned pool_lcores(void)
{
#if CONFIG_LIBLCORE_SMP
    return lcore_count();
#else
    return 1;
#endif
}

static void pool_cache_size_set(struct pool_cache *c, unsigned size)
{
    c->size = size;
    c->flush_at = 2 * size;
}

int pool_cache_enable(struct pool *p, unsigned size)
{
    unsigned n = pool_lcores(), i;
    size_t table = NFOS_ALIGN_UP(n * sizeof(struct pool_cache *), NFOS_CACHE_LINE);
    struct pool_cache **caches, *c;
    void *mem;

    if (size > POOL_CACHE_MAX)
        return -EINVAL;
    if (n < 2)
        return 0;
    if (!size)
        size = POOL_CACHE_DEFAULT;
    /* All caches full (2 * size each) hold at most half the pool. */
    size = NFOS_MIN(size, p->capacity / (4 * n));
    if (p->caches) {
        pool_cache_flush_all(p);
        for (i = 0; i < n; i++)
            pool_cache_size_set(p->caches[i], NFOS_MAX(size, 1u));
        return 0;
    }
    if (!size)
        return 0;
    /* The table, then the caches, each on cache lines of its own: the
     * table is read by every lcore and written only here. */
    if (alloc_memalign(&mem, NFOS_CACHE_LINE, table + n * sizeof(struct pool_cache)))
        return -ENOMEM;
    memset(mem, 0, table + n * sizeof(struct pool_cache));
    caches = mem;
    c = (struct pool_cache *)((char *)mem + table);
    for (i = 0; i < n; i++) {
        caches[i] = &c[i];
        pool_cache_size_set(caches[i], size);
    }
    p->caches = caches;
    return 0;
}

/* Moves up to want objects (never past the cache's 2 * size) from the
 * shared stack; returns how many came. */
unsigned pool_cache_refill(struct pool *p, struct pool_cache *c, unsigned want)
{
    unsigned k;

    want = NFOS_MIN(want, c->flush_at - c->len);
    pool_lock(p);
    k = NFOS_MIN(want, p->top);
    p->top -= k;
    memcpy(&c->objs[c->len], &p->stack[p->top], k * sizeof(void *));
    pool_unlock(p);
    c->len += k;
    c->moved_in += k;
    return k;
}

/* Moves the n oldest cached objects to the shared stack (the newest,
 * cache-warm ones stay). */
void pool_cache_flush(struct pool *p, struct pool_cache *c, unsigned n)
{
    n = NFOS_MIN(n, c->len);
    pool_lock(p);
    memcpy(&p->stack[p->top], &c->objs[0], n * sizeof(void *));
    p->top += n;
    pool_unlock(p);
    c->len -= n;
    c->moved_out += n;
    memmove(&c->objs[0], &c->objs[n], c->len * sizeof(void *));
}

/* A bulk get the cache cannot serve alone: the cache's objects plus the
 * rest straight from the shared stack, all or nothing; then a refill. */
int pool_cache_get_bulk_slow(struct pool *p, struct pool_cache *c, void **objs, unsigned n)
{
    unsigned from_shared = n - c->len, i;

    pool_lock(p);
    if (p->top < from_shared) {
        pool_unlock(p);
        c->stats.empty++;
        return -ENOBUFS;
    }
    p->top -= from_shared;
    memcpy(objs, &p->stack[p->top], from_shared * sizeof(void *));
    pool_unlock(p);
    for (i = from_shared; i < n; i++)
        objs[i] = c->objs[--c->len];
#ifdef CONFIG_LIBPOOL_DEBUG
    for (i = 0; i < n; i++)
        pool_debug_on_get(p, objs[i]);
#endif
    c->stats.gets += n;
    c->got_past += from_shared;
    pool_cache_refill(p, c, c->size);
    return 0;
}

void pool_cache_flush_all(struct pool *p)
{
    unsigned i;

    for (i = 0; p->caches && i < pool_lcores(); i++)
        pool_cache_flush(p, p->caches[i], p->caches[i]->len);
}

unsigned pool_cache_count(const struct pool *p)
{
    unsigned i, n = 0;

    for (i = 0; p->caches && i < pool_lcores(); i++)
        n += __atomic_load_n(&p->caches[i]->len, __ATOMIC_RELAXED);
    return n;
}

void pool_stats_sum(const struct pool *p, struct pool_stats *st)
{
    unsigned i;

    *st = p->stats;
    for (i = 0; p->caches && i < pool_lcores(); i++) {
        const struct pool_cache *c = p->caches[i];

        st->gets += c->stats.gets;
        st->puts += pool_cache_puts(c);
        st->empty += c->stats.empty;
    }
}
