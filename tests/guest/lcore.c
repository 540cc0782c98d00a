/* In-image tests of lib/lcore (smptest): ids and count, launch and wait,
 * the errors of a bad launch, per-lcore variables, the barrier, busy-cycle
 * accounting. Meaningful with 2 or more lcores; with 1 they check the
 * single-lcore answers. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/lcore.h>
#include <nfos/pool.h>
#include "tap.h"

#define BARRIER_ROUNDS    2000
#define IDLE_CHECK_CYCLES 50000000u
#define HEAP_ROUNDS       3000
#define HEAP_LIVE         16
#define PRINT_LINES       20

static long var_off;
static volatile int release;
static struct lcore_barrier barrier;
static volatile unsigned counter;
static volatile unsigned barrier_errors;

/* Its lcore_id() plus arg; off by 1000 when lcore_index() disagrees. */
static int return_id(void *arg)
{
    return (int)lcore_id() + (int)(uintptr_t)arg + (lcore_index() == lcore_id() ? 0 : 1000);
}

static int write_var(void *arg)
{
    uint64_t *v = LCORE_VAR(var_off);

    (void)arg;
    *v = 1000 + lcore_id();
    return 0;
}

static int wait_release(void *arg)
{
    (void)arg;
    while (!release)
        arch_pause();
    return 7;
}

/* Every round each lcore adds one; between two barriers all see the sum. */
static int barrier_rounds(void *arg)
{
    unsigned n = (unsigned)(uintptr_t)arg, r;

    for (r = 0; r < BARRIER_ROUNDS; r++) {
        __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
        lcore_barrier_wait(&barrier);
        if (__atomic_load_n(&counter, __ATOMIC_RELAXED) != n * (r + 1))
            __atomic_add_fetch(&barrier_errors, 1, __ATOMIC_RELAXED);
        lcore_barrier_wait(&barrier);
    }
    return 0;
}

static int add_busy(void *arg)
{
    lcore_busy_add((uint64_t)(uintptr_t)arg);
    return 0;
}

static void test_launch(unsigned n)
{
    unsigned i, ok = 1;

    TAP_OK(lcore_id() == 0, "main runs on lcore 0");
    for (i = 1; i < n; i++)
        ok &= lcore_launch(i, return_id, (void *)(uintptr_t)100) == 0;
    for (i = 1; i < n; i++)
        ok &= lcore_wait(i) == (int)(100 + i);
    TAP_OK(ok, "launch and wait on %u lcores: each saw its own lcore_id() and lcore_index()",
           n - 1);
    TAP_OK(lcore_launch(0, return_id, NULL) == -EINVAL, "launch on main: -EINVAL");
    TAP_OK(lcore_launch(n, return_id, NULL) == -EINVAL, "launch on lcore %u (none): -EINVAL", n);
    TAP_OK(lcore_wait(n) == -EINVAL, "wait on lcore %u (none): -EINVAL", n);
    if (n < 2)
        return;
    release = 0;
    TAP_OK(lcore_launch(1, wait_release, NULL) == 0, "launch a waiting function");
    TAP_OK(lcore_launch(1, return_id, NULL) == -EBUSY, "a second launch while it runs: -EBUSY");
    release = 1;
    TAP_OK(lcore_wait(1) == 7, "wait returns the function's result");
}

static void test_vars(unsigned n)
{
    unsigned i, ok = 1;

    var_off = lcore_var_alloc(sizeof(uint64_t), 8);
    TAP_OK(var_off >= 0, "lcore_var_alloc: offset %ld", var_off);
    TAP_OK(lcore_var_alloc(LCORE_VAR_BYTES + 1, 8) == -ENOMEM, "oversized lcore variable: -ENOMEM");
    lcore_launch_all(write_var, NULL, 1);
    TAP_OK(lcore_wait_all() == 0, "every lcore wrote its copy");
    for (i = 0; i < n; i++)
        ok &= *(uint64_t *)lcore_var_of(i, var_off) == 1000 + i;
    TAP_OK(ok, "per-lcore variables: %u distinct copies through the GS base", n);
    TAP_OK(lcore_var_of(n, var_off) == NULL, "no copy for lcore %u", n);
}

static void test_barrier(unsigned n)
{
    counter = 0;
    barrier_errors = 0;
    lcore_barrier_init(&barrier, n);
    lcore_launch_all(barrier_rounds, (void *)(uintptr_t)n, 1);
    lcore_wait_all();
    TAP_OK(counter == n * BARRIER_ROUNDS && barrier_errors == 0,
           "barrier: %u rounds on %u lcores, %u mismatches", BARRIER_ROUNDS, n, barrier_errors);
}

static void test_usage(unsigned n)
{
    struct lcore_usage before, after;
    unsigned i, ok = 1;

    for (i = 0; i < n; i++) {
        lcore_usage(i, &before);
        if (i)
            lcore_launch(i, add_busy, (void *)(uintptr_t)(12345 + i));
        else
            add_busy((void *)(uintptr_t)12345);
        if (i)
            lcore_wait(i);
        lcore_usage(i, &after);
        ok &= after.busy_cycles - before.busy_cycles == 12345 + i;
        ok &= !i || (after.launches == before.launches + 1 && after.total_cycles > 0);
    }
    TAP_OK(ok, "busy cycles and launches counted per lcore");
    TAP_OK(n < 2 || (lcore_usage(1, &after) == 0 && after.idle_cycles > 0),
           "lcore 1 spent time idle (halted or in futex wait)");
    if (n > 1) {
        uint64_t t_end;

        lcore_usage(1, &before);
        t_end = arch_rdtsc() + IDLE_CHECK_CYCLES;
        while (arch_rdtsc() < t_end)
            arch_pause();
        lcore_usage(1, &after);
        TAP_OK(after.wakeups - before.wakeups <= 2,
               "idle lcore 1 sleeps: %llu wake-ups while main spun %u M cycles",
               (unsigned long long)(after.wakeups - before.wakeups), IDLE_CHECK_CYCLES / 1000000);
    }
    TAP_OK(lcore_usage(n, &after) == -EINVAL, "usage of lcore %u (none): -EINVAL", n);
}

/* Every lcore at once: malloc/free of random sizes, each block filled
 * with its owner's byte and checked before it goes back, and lines printed
 * in three pieces each (the test reads them back whole). */
static int heap_and_print(void *arg)
{
    unsigned id = lcore_id(), i, line = 0, bad = 0;
    uint32_t seed = 0x9e3779b9u * (id + 1);
    struct {
        unsigned char *p;
        size_t len;
    } live[HEAP_LIVE] = { { 0 } };

    (void)arg;
    for (i = 0; i < HEAP_ROUNDS + HEAP_LIVE; i++) {
        unsigned k = i % HEAP_LIVE;
        size_t j;

        if (live[k].p) {
            for (j = 0; j < live[k].len; j++)
                bad += live[k].p[j] != (unsigned char)(id + k);
            free(live[k].p);
            live[k].p = NULL;
        }
        if (i >= HEAP_ROUNDS)
            continue;
        seed = seed * 1103515245u + 12345u;
        live[k].len = 1 + (seed >> 8) % 3000;
        live[k].p = malloc(live[k].len);
        if (!live[k].p) {
            bad++;
            continue;
        }
        memset(live[k].p, id + k, live[k].len);
        if (i % (HEAP_ROUNDS / PRINT_LINES) == 0) {
#if CONFIG_PLAT_LINUXU
            /* glibc's stdio keeps a call whole, not a line: one call. */
            printf("# lcore %u line %u: %.*s end\n", id, line++, 40,
                   "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
#else
            /* nolibc keeps each lcore's line whole over several calls. */
            printf("# lcore %u line %u:", id, line++);
            printf(" %.*s", 40, "abcdefghijklmnopqrstuvwxyz0123456789ABCD");
            printf(" end\n");
#endif
        }
    }
    return (int)bad;
}

static void test_heap_and_stdio(unsigned n)
{
    int err;

    lcore_launch_all(heap_and_print, NULL, 1);
    err = lcore_wait_all();
    TAP_OK(err == 0, "malloc/free and printf from %u lcores at once: %d bad bytes or failures", n,
           err);
}

/* lcore_wait on main naps instead of spinning for the whole launch. */
static int spin_long(void *arg)
{
    uint64_t t_end = arch_rdtsc() + (uint64_t)(uintptr_t)arg;

    while (arch_rdtsc() < t_end)
        arch_pause();
    return 5;
}

static void test_wait_naps(unsigned n)
{
    struct lcore_usage before, after;
    int r;

    if (n < 2)
        return;
    lcore_usage(0, &before);
    lcore_launch(1, spin_long, (void *)(uintptr_t)IDLE_CHECK_CYCLES);
    r = lcore_wait(1);
    lcore_usage(0, &after);
    TAP_OK(r == 5 && after.wakeups > before.wakeups && after.idle_cycles > before.idle_cycles,
           "lcore_wait on main sleeps or naps: %llu naps over a %u M cycle launch",
           (unsigned long long)(after.wakeups - before.wakeups), IDLE_CHECK_CYCLES / 1000000);
}

void selftest_lcore(void)
{
    unsigned n = lcore_count();

    TAP_DIAG("%u lcores", n);
    test_launch(n);
    test_vars(n);
    test_barrier(n);
    test_usage(n);
    test_heap_and_stdio(n);
    test_wait_naps(n);
}

/* The per-lcore pool caches: a storm of single and bulk gets and puts from
 * every lcore at once, each object tagged by its holder and checked when
 * put back; afterwards every object is home and the counts balance. */
#define STORM_ROUNDS 20000
#define STORM_HOLD   64
#define STORM_OBJS   1024

static struct pool *storm_pool;
static volatile unsigned storm_errors;

static uint32_t storm_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Held objects carry their holder's tag: another lcore that got the same
 * object would overwrite it, and the check at put time would see that. */
static int storm(void *arg)
{
    void *held[STORM_HOLD];
    uint64_t tags[STORM_HOLD];
    uint32_t seed = 0x9e3779b9u * (lcore_id() + 1);
    unsigned n = 0, errs = 0, r, k, i;

    (void)arg;
    for (r = 0; r < STORM_ROUNDS; r++) {
        uint32_t x = storm_rand(&seed);

        k = 1 + (x >> 8) % 32;
        if ((x & 3) == 0 && n < STORM_HOLD) {
            held[n] = pool_get(storm_pool);
            errs += held[n] == NULL;
            k = held[n] != NULL;
        } else if ((x & 3) == 1 && n + k <= STORM_HOLD) {
            if (pool_get_bulk(storm_pool, &held[n], k)) {
                errs++;
                k = 0;
            }
        } else {
            k = NFOS_MIN(n, (x & 3) == 2 ? 1u : k);
            for (i = 0; i < k; i++) {
                n--;
                errs += *(volatile uint64_t *)held[n] != tags[n];
                pool_put(storm_pool, held[n]);
            }
            continue;
        }
        for (i = n; i < n + k; i++) {
            tags[i] = ((uint64_t)lcore_id() << 32) | (r * 64 + i);
            *(volatile uint64_t *)held[i] = tags[i];
        }
        n += k;
    }
    while (n--) {
        errs += *(volatile uint64_t *)held[n] != tags[n];
        pool_put(storm_pool, held[n]);
    }
    __atomic_add_fetch(&storm_errors, errs, __ATOMIC_RELAXED);
    return 0;
}

/* One storm on storm_pool with caches of cache_size objects, then the
 * balance checks. */
static void storm_check(unsigned cache_size)
{
    unsigned n = lcore_count();
    struct pool_stats st;

    TAP_OK(pool_cache_enable(storm_pool, cache_size) == 0, "caches of %u objects", cache_size);
    storm_errors = 0;
    lcore_launch_all(storm, NULL, 1);
    lcore_wait_all();
    TAP_OK(storm_errors == 0,
           "storm of %u rounds on %u lcores: %u errors (empty pool or an object held twice)",
           STORM_ROUNDS, n, storm_errors);
    pool_stats_sum(storm_pool, &st);
    TAP_OK(st.gets == st.puts && st.gets > STORM_ROUNDS, "gets %llu = puts %llu",
           (unsigned long long)st.gets, (unsigned long long)st.puts);
    TAP_OK(pool_in_use(storm_pool) == 0, "nothing in use (%u cached)",
           pool_cache_count(storm_pool));
    pool_cache_flush_all(storm_pool);
    TAP_OK(pool_cache_count(storm_pool) == 0 && storm_pool->top == STORM_OBJS,
           "after the flush every object is on the shared stack");
}

void selftest_pool_cache(void)
{
    unsigned n = lcore_count();

    storm_pool = pool_create("storm", 64, STORM_OBJS, 64);
    if (!TAP_OK(storm_pool != NULL, "pool of %u objects", STORM_OBJS))
        return;
    TAP_OK((storm_pool->caches != NULL) == (n > 1), "per-lcore caches exactly when lcores > 1 (%s)",
           storm_pool->caches ? "caches" : "none");
    storm_check(POOL_CACHE_DEFAULT);
    /* Tiny caches: most gets and puts take the locked slow path. */
    storm_check(2);
    TAP_OK(pool_destroy(storm_pool) == 0, "pool destroyed");
}
