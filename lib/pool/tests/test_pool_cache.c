/* Unit tests for the per-lcore pool caches (pool_cache.c): when caches
 * exist, refill and flush at their thresholds, bulk gets larger than a
 * cache, all-or-nothing when the pool runs short, and a storm from two
 * threads that each play an lcore (their own GS base, as lib/lcore sets
 * it), after which every object is home. lib/alloc and lcore_count() are
 * faked. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <asm/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <nfos/alloc.h>
#include <nfos/lcore.h>
#include <nfos/pool.h>

static unsigned fake_lcores = 1;
static struct lcore fake[LCORE_MAX];

unsigned lcore_count(void)
{
    return fake_lcores;
}

/* Makes the calling thread lcore id, as lib/lcore would. */
static void become_lcore(unsigned id)
{
    fake[id].self = &fake[id];
    fake[id].id = id;
    syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)&fake[id]);
}

#define OBJS 1024

static struct pool *make_pool(unsigned lcores)
{
    struct pool *p;

    fake_lcores = lcores;
    become_lcore(0);
    p = pool_create("t", 64, OBJS, 64);
    cr_assert_not_null(p);
    return p;
}

Test(pool_cache, none_with_one_lcore)
{
    struct pool *p = make_pool(1);
    void *o = pool_get(p);

    cr_assert_null(p->caches);
    cr_assert_eq(p->top, OBJS - 1);
    pool_put(p, o);
    cr_assert_eq(pool_destroy(p), 0);
}

Test(pool_cache, refill_and_flush_thresholds)
{
    struct pool *p = make_pool(2);
    struct pool_cache *c = p->caches[0];
    unsigned size = c->size, i;
    void *objs[2 * POOL_CACHE_MAX];

    cr_assert_eq(size, POOL_CACHE_DEFAULT); /* OBJS / (4 * 2) is larger */
    cr_assert_eq(lcore_id(), 0);
    objs[0] = pool_get(p);
    cr_assert_eq(p->top, OBJS - size, "a get from an empty cache refills size objects");
    cr_assert_eq(c->len, size - 1);
    cr_assert_eq(pool_avail(p), OBJS - 1, "lcore 0 can get its cache and the shared stack");
    become_lcore(1);
    cr_assert_eq(pool_avail(p), OBJS - size, "lcore 1 cannot get lcore 0's cache");
    become_lcore(0);
    for (i = 1; i < 2 * size; i++)
        objs[i] = pool_get(p);
    cr_assert_eq(pool_in_use(p), 2 * size);
    for (i = 0; i < 2 * size - 1; i++)
        pool_put(p, objs[i]);
    cr_assert_eq(c->len, 2 * size - 1, "no flush below 2 * size");
    pool_put(p, objs[2 * size - 1]);
    cr_assert_eq(c->len, size, "the put that reaches 2 * size flushes size objects");
    cr_assert_eq(pool_cache_puts(c), 2 * size, "puts counted through a refill and a flush");
    cr_assert_eq(c->stats.gets, 2 * size);
    cr_assert_eq(pool_in_use(p), 0);
    cr_assert_eq(pool_cache_count(p), size);
    cr_assert_eq(pool_destroy(p), 0);
}

Test(pool_cache, bulk_beyond_the_cache_and_all_or_nothing)
{
    struct pool *p = make_pool(2);
    static void *objs[OBJS];
    struct pool_stats st;
    unsigned n = 3 * p->caches[0]->size;

    cr_assert_eq(pool_get_bulk(p, objs, n), 0);
    cr_assert_eq(pool_in_use(p), n);
    cr_assert_eq(pool_get_bulk(p, objs + n, OBJS), -ENOBUFS);
    cr_assert_eq(pool_in_use(p), n, "a refused bulk get takes nothing");
    cr_assert_eq(pool_get_bulk(p, objs + n, OBJS - n), 0, "the last object too");
    cr_assert_eq(pool_avail(p), 0);
    cr_assert_null(pool_get(p));
    pool_put_bulk(p, objs, OBJS);
    pool_stats_sum(p, &st);
    cr_assert_eq(st.gets, OBJS);
    cr_assert_eq(st.puts, OBJS);
    cr_assert_eq(st.empty, 2);
    pool_cache_flush_all(p);
    cr_assert_eq(p->top, OBJS);
    cr_assert_eq(pool_destroy(p), 0);
}

Test(pool_cache, bulk_put_at_an_offset_flushes_as_it_fills)
{
    struct pool *p = make_pool(2);
    static void *objs[OBJS], *inside[OBJS];
    struct pool_cache *c = p->caches[0];
    unsigned i, n = 3 * c->size;

    cr_assert_eq(pool_get_bulk(p, objs, n), 0);
    for (i = 0; i < n; i++)
        inside[i] = (char *)objs[i] + 32;
    pool_put_bulk_at(p, inside, n, 32);
    cr_assert_eq(pool_in_use(p), 0);
    cr_assert_lt(c->len, 2 * c->size, "flushed on the way: never 2 * size cached");
    cr_assert_eq(c->objs[c->len - 1], objs[n - 1], "the last one put is the object");
    pool_cache_flush_all(p);
    cr_assert_eq(p->top, OBJS);
    cr_assert_eq(pool_destroy(p), 0);
}

Test(pool_cache, enable_checks_its_size)
{
    struct pool *p = make_pool(1);

    fake_lcores = 2;
    cr_assert_eq(pool_cache_enable(p, POOL_CACHE_MAX + 1), -EINVAL);
    cr_assert_eq(pool_cache_enable(p, 8), 0);
    cr_assert_eq(p->caches[1]->size, 8);
    cr_assert_eq(p->caches[1]->flush_at, 16, "the flush threshold follows the size");
    cr_assert_eq(pool_cache_enable(p, 5), 0, "resizing caches that exist");
    cr_assert_eq(p->caches[0]->size, 5);
    cr_assert_eq(p->caches[0]->flush_at, 10);
    cr_assert_eq(pool_destroy(p), 0);
}

/* The table: one cache per lcore, each on cache lines of its own, and
 * every fast path (single, bulk, at an offset, avail) reaching the calling
 * lcore's and no other. */
Test(pool_cache, each_lcore_reaches_its_own_cache)
{
    struct pool *p = make_pool(3);
    void *objs[8], *inside[8];
    unsigned id, i;

    for (id = 0; id < 3; id++) {
        cr_assert_eq((uintptr_t)p->caches[id] % NFOS_CACHE_LINE, 0);
        cr_assert((char *)p->caches[id] >= (char *)(p->caches + 3), "the caches follow the table");
        cr_assert(id == 0 ||
                  (char *)p->caches[id] - (char *)p->caches[id - 1] == sizeof(struct pool_cache));
    }
    for (id = 0; id < 3; id++) {
        become_lcore(id);
        cr_assert_eq(lcore_index(), id, "the index the lookup uses");
        cr_assert_eq(pool_get_bulk(p, objs, 4), 0);
        cr_assert_eq(p->caches[id]->stats.gets, 4, "lcore %u's bulk get", id);
        for (i = 0; i < 4; i++)
            inside[i] = (char *)objs[i] + 8;
        pool_put_bulk_at(p, inside, 2, 8);
        cr_assert_eq(pool_cache_puts(p->caches[id]), 2, "lcore %u's bulk put", id);
        pool_put(p, objs[2]);
        cr_assert_eq(p->caches[id]->objs[p->caches[id]->len - 1], objs[2]);
        cr_assert_eq(pool_get(p), objs[2], "lcore %u gets back what it put", id);
        pool_put(p, objs[2]);
        pool_put(p, objs[3]);
        cr_assert_eq(pool_cache_puts(p->caches[id]), 5);
        cr_assert_eq(pool_avail(p), p->top + p->caches[id]->len);
    }
    for (id = 0; id < 3; id++)
        cr_assert_eq(p->caches[id]->stats.gets, 5, "no lcore touched another's cache");
    become_lcore(0);
    cr_assert_eq(pool_in_use(p), 0);
    cr_assert_eq(pool_destroy(p), 0);
}

/* Two threads, two lcores: tagged objects, checked at put time (an object
 * handed out twice, or lost by a racy refill or flush, shows). */
#define ROUNDS 1000000
static struct pool *storm_pool;

static void *storm(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg, n = 0, errs = 0, r;
    uint32_t seed = 2463534242u + id;
    void *held[64];

    become_lcore(id);
    for (r = 0; r < ROUNDS; r++) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        if ((seed & 1) && n < 64) {
            held[n] = pool_get(storm_pool);
            errs += !held[n];
            *(volatile uint64_t *)held[n] = ((uint64_t)id << 32) | n;
            n++;
        } else if (n) {
            n--;
            errs += *(volatile uint64_t *)held[n] != (((uint64_t)id << 32) | n);
            pool_put(storm_pool, held[n]);
        }
    }
    while (n--)
        pool_put(storm_pool, held[n]);
    return (void *)(uintptr_t)errs;
}

Test(pool_cache, storm_from_two_lcores_balances)
{
    pthread_t t[2];
    void *errs[2];
    struct pool_stats st;
    unsigned i;

    /* Tiny caches: most gets and puts go through the locked slow path. */
    storm_pool = make_pool(1);
    fake_lcores = 2;
    cr_assert_eq(pool_cache_enable(storm_pool, 2), 0);
    for (i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, storm, (void *)(uintptr_t)i), 0);
    for (i = 0; i < 2; i++) {
        pthread_join(t[i], &errs[i]);
        cr_assert_eq((uintptr_t)errs[i], 0, "lcore %u saw %zu errors", i, (uintptr_t)errs[i]);
    }
    become_lcore(0);
    pool_stats_sum(storm_pool, &st);
    cr_assert_eq(st.gets, st.puts);
    cr_assert_eq(pool_in_use(storm_pool), 0);
    pool_cache_flush_all(storm_pool);
    cr_assert_eq(storm_pool->top, OBJS, "every object home");
    cr_assert_eq(pool_destroy(storm_pool), 0);
}
