/* Unit tests for bench/kv's histogram (kvhist) and key choice (kvkeys):
 * percentiles within the histogram's stated 1/32 error, buckets that tile
 * the number line, uniform keys in range, and a Zipf(0.99) whose most
 * popular key gets the share the distribution says (1/zeta(n)), with a
 * fixed seed so that the test is deterministic. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "kvhist.h"
#include "kvkeys.h"

Test(kvhist, buckets_tile_the_line)
{
    for (unsigned b = 0; b + 1 < KVHIST_BUCKETS - 1; b++) {
        cr_assert_eq(kvhist_bucket_high(b) + 1, kvhist_bucket_low(b + 1), "bucket %u", b);
        cr_assert_eq(kvhist_bucket(kvhist_bucket_low(b)), b);
        cr_assert_eq(kvhist_bucket(kvhist_bucket_high(b)), b);
    }
    cr_assert_eq(kvhist_bucket(UINT64_MAX), KVHIST_BUCKETS - 1);
}

Test(kvhist, quantiles)
{
    static struct kvhist h;

    kvhist_reset(&h);
    cr_expect_eq(kvhist_quantile(&h, 0.5), 0, "empty");
    for (uint64_t v = 1; v <= 100000; v++)
        kvhist_add(&h, v);
    cr_assert_eq(h.n, 100000);
    double p50 = (double)kvhist_quantile(&h, 0.5), p99 = (double)kvhist_quantile(&h, 0.99);
    cr_expect(fabs(p50 - 50000) / 50000 < 1.0 / 32, "p50 %f", p50);
    cr_expect(fabs(p99 - 99000) / 99000 < 1.0 / 32, "p99 %f", p99);
    cr_expect_eq(kvhist_quantile(&h, 0.00001), 1);
    kvhist_reset(&h);
    kvhist_add(&h, 7);
    cr_expect_eq(kvhist_quantile(&h, 0.99), 7, "exact below 32");
}

Test(kvkeys, uniform_in_range_and_spread)
{
    struct kvkeys k;
    static unsigned seen[1000];

    cr_assert_eq(kvkeys_uniform(&k, 1000, 1), 0);
    for (int i = 0; i < 1000000; i++) {
        uint64_t key = kvkeys_next(&k);
        cr_assert_lt(key, 1000);
        seen[key]++;
    }
    for (int i = 0; i < 1000; i++)
        cr_expect(seen[i] > 800 && seen[i] < 1200, "key %d drawn %u times of ~1000", i, seen[i]);
    cr_expect_eq(kvkeys_uniform(&k, 0, 1), -EINVAL);
}

Test(kvkeys, zipf_head_share)
{
    struct kvkeys k;
    const uint64_t n = 100000;
    unsigned *seen = calloc(n, sizeof(*seen));
    double zetan = 0;

    for (uint64_t i = 1; i <= n; i++)
        zetan += 1 / pow((double)i, 0.99);
    cr_assert_eq(kvkeys_zipf(&k, n, 0.99, 20, 42), 0);
    for (int i = 0; i < (1 << 20); i++) {
        uint64_t key = kvkeys_next(&k);
        cr_assert_lt(key, n);
        seen[key]++;
    }
    /* Rank 0 is key scatter(0) = 0, rank 1 is scatter(1). */
    double top = (double)seen[kvkeys_scatter(0, n)] / (1 << 20);
    double second = (double)seen[kvkeys_scatter(1, n)] / (1 << 20);
    cr_expect(fabs(top - 1 / zetan) < 0.1 / zetan, "rank 0 share %f, expected %f", top, 1 / zetan);
    cr_expect(fabs(second - 1 / (zetan * pow(2, 0.99))) < 0.1 / zetan, "rank 1 share %f", second);
    cr_expect_eq(kvkeys_zipf(&k, n, 1.5, 10, 1), -EINVAL);
    kvkeys_free(&k);
    free(seen);
}

Test(kvkeys, scatter_is_a_bijection)
{
    const uint64_t n = 1000000;
    unsigned char *hit = calloc(n, 1);

    for (uint64_t r = 0; r < n; r++) {
        uint64_t key = kvkeys_scatter(r, n);
        cr_assert_lt(key, n);
        cr_assert_not(hit[key], "rank %lu lands on a taken key", (unsigned long)r);
        hit[key] = 1;
    }
    free(hit);
}
