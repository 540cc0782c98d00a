/* lib/pool with CONFIG_LIBPOOL_DEBUG: every test of test_pool.c again, then
 * the checks only this build makes (foreign, misaligned and double puts are
 * refused and counted, the pool stays intact). */
#include "test_pool.c"

#ifndef CONFIG_LIBPOOL_DEBUG
#error "build this file with -DCONFIG_LIBPOOL_DEBUG=1"
#endif

Test(pool_debug, double_put_is_refused)
{
    char *mem = aligned_alloc(64, 8192);
    struct pool p;
    void *a, *b;

    cr_assert_eq(pool_init(&p, mem, 8192, 64, 64, "t"), 0);
    a = pool_get(&p);
    b = pool_get(&p);
    pool_put(&p, a);
    pool_put(&p, a);
    cr_expect_eq(p.stats.bad_puts, 1);
    cr_expect_eq(p.stats.puts, 1);
    cr_expect_eq(pool_in_use(&p), 1);
    pool_put(&p, b);
    cr_expect_eq(pool_in_use(&p), 0);
    pool_put(&p, b); /* pool full: refused before looking at flags */
    cr_expect_eq(p.stats.bad_puts, 2);
    cr_expect_eq(pool_get(&p), b);
    cr_expect_eq(pool_get(&p), a);
    free(mem);
}

Test(pool_debug, foreign_and_misaligned_puts_are_refused)
{
    char *mem = aligned_alloc(64, 8192);
    struct pool p;
    char local[64];
    char *a, *idle;
    unsigned n;

    cr_assert_eq(pool_init(&p, mem, 8192, 64, 64, "t"), 0);
    n = pool_capacity(&p);
    a = pool_get(&p);
    idle = a + 64; /* still in the pool */
    pool_put(&p, local);
    pool_put(&p, a + 8);
    pool_put(&p, a - 64);
    pool_put(&p, idle);
    pool_put(&p, NULL);
    cr_expect_eq(p.stats.bad_puts, 5);
    cr_expect_eq(pool_avail(&p), n - 1);
    pool_put(&p, a);
    cr_expect_eq(pool_avail(&p), n);
    cr_expect_eq(p.stats.bad_puts, 5);
    free(mem);
}

Test(pool_debug, bulk_put_refuses_only_the_bad_ones)
{
    char *mem = aligned_alloc(64, 8192);
    void *objs[4];
    struct pool p;

    cr_assert_eq(pool_init(&p, mem, 8192, 64, 64, "t"), 0);
    cr_assert_eq(pool_get_bulk(&p, objs, 3), 0);
    objs[3] = objs[1]; /* put twice within one burst */
    pool_put_bulk(&p, objs, 4);
    cr_expect_eq(p.stats.bad_puts, 1);
    cr_expect_eq(p.stats.puts, 3);
    cr_expect_eq(pool_in_use(&p), 0);
    free(mem);
}
