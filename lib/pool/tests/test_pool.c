/* Unit tests for lib/pool: capacity arithmetic against a brute-force
 * layout, get until empty, LIFO reuse, bulk all-or-nothing, create and
 * destroy over a fake lib/alloc. test_pool_debug.c runs them all again
 * with CONFIG_LIBPOOL_DEBUG. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nfos/alloc.h>
#include <nfos/pool.h>

#ifdef CONFIG_LIBPOOL_DEBUG
#define FLAG_BYTES 1
#else
#define FLAG_BYTES 0
#endif

/* lib/alloc is faked: the host's heap, or a failure on demand. */
#include "fakes.h"

static int saved_fd = -1;
static FILE *capture_file;

static void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    cr_assert(capture_file);
    saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

static int capture_end_lines(void)
{
    int c, lines = 0;

    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    rewind(capture_file);
    while ((c = fgetc(capture_file)) != EOF)
        lines += c == '\n';
    fclose(capture_file);
    return lines;
}

/* The most objects a layout can hold, found by trying every count. */
static size_t brute_capacity(uintptr_t mem, size_t len, size_t size, size_t align)
{
    size_t stride = NFOS_ALIGN_UP(size, align), n, best = 0;
    uintptr_t start = NFOS_ALIGN_UP(mem, 8);

    for (n = 1; n * stride <= len; n++) {
        uintptr_t objs = NFOS_ALIGN_UP(start + 8 * n, align);

        if (objs + n * (stride + FLAG_BYTES) <= mem + len)
            best = n;
    }
    return best;
}

Test(pool, capacity_matches_the_layout)
{
    static const size_t sizes[] = { 1, 8, 60, 64, 100, 2048, 2049 };
    static const size_t aligns[] = { 8, 16, 64, 4096 };
    static const size_t offs[] = { 0, 3, 8, 40 };
    char *mem = aligned_alloc(4096, 1 << 16);
    struct pool p;
    unsigned i, j, k;

    for (i = 0; i < NFOS_ARRAY_SIZE(sizes); i++)
        for (j = 0; j < NFOS_ARRAY_SIZE(aligns); j++)
            for (k = 0; k < NFOS_ARRAY_SIZE(offs); k++) {
                size_t len = (1 << 16) - 64;
                size_t want = brute_capacity((uintptr_t)mem + offs[k], len, sizes[i], aligns[j]);

                cr_assert_eq(pool_init(&p, mem + offs[k], len, sizes[i], aligns[j], "t"), 0);
                cr_assert_eq(pool_capacity(&p), want, "size %zu align %zu off %zu", sizes[i],
                             aligns[j], offs[k]);
                cr_assert_eq(pool_avail(&p), want);
                cr_assert_eq(pool_in_use(&p), 0);
            }
    free(mem);
}

Test(pool, init_rejects_bad_arguments)
{
    char mem[512] __attribute__((aligned(64)));
    struct pool p;

    cr_expect_eq(pool_init(&p, mem, sizeof(mem), 64, 4, "t"), -EINVAL);
    cr_expect_eq(pool_init(&p, mem, sizeof(mem), 64, 24, "t"), -EINVAL);
    cr_expect_eq(pool_init(&p, mem, sizeof(mem), 0, 64, "t"), -EINVAL);
    cr_expect_eq(pool_init(&p, NULL, sizeof(mem), 64, 64, "t"), -EINVAL);
    cr_expect_eq(pool_init(&p, mem, sizeof(mem), 1024, 64, "t"), -EINVAL);
    cr_expect_eq(pool_init(&p, mem, sizeof(mem), SIZE_MAX - 3, 64, "t"), -EINVAL);
    cr_expect_eq(pool_mem_size(64, 0, 64), 0);
    cr_expect_eq(pool_mem_size(SIZE_MAX / 4, 8, 64), 0);
}

Test(pool, mem_size_is_enough_anywhere)
{
    char *mem = aligned_alloc(4096, 1 << 20);
    struct pool p;
    size_t off, need = pool_mem_size(200, 1000, 128);

    cr_assert_gt(need, 1000 * 256);
    for (off = 0; off < 128; off += 5) {
        cr_assert_eq(pool_init(&p, mem + off, need, 200, 128, "t"), 0);
        cr_expect_geq(pool_capacity(&p), 1000, "offset %zu", off);
    }
    free(mem);
}

Test(pool, get_until_empty_then_null_and_counted)
{
    size_t len = 1 << 16;
    char *mem = aligned_alloc(64, len);
    static void *objs[2048];
    struct pool p;
    unsigned i, n;

    cr_assert_eq(pool_init(&p, mem, len, 100, 64, "t"), 0);
    n = pool_capacity(&p);
    cr_assert_gt(n, 100);
    for (i = 0; i < n; i++) {
        objs[i] = pool_get(&p);
        cr_assert(objs[i]);
        cr_assert_eq((uintptr_t)objs[i] % 64, 0);
        cr_assert(pool_contains(&p, objs[i]));
        cr_assert((char *)objs[i] >= mem + 8 * n);
        cr_assert((char *)objs[i] + 100 <= mem + len);
        if (i > 0) /* distinct: handed out upwards, one stride apart */
            cr_assert_eq((char *)objs[i] - (char *)objs[i - 1], 128);
        memset(objs[i], 0xee, 100);
    }
    cr_expect_eq(pool_in_use(&p), n);
    cr_expect_null(pool_get(&p));
    cr_expect_null(pool_get(&p));
    cr_expect_eq(p.stats.empty, 2);
    cr_expect_eq(p.stats.gets, n);
    for (i = 0; i < n; i++)
        pool_put(&p, objs[i]);
    cr_expect_eq(p.stats.puts, n);
    cr_expect_eq(pool_avail(&p), n);
    cr_expect_eq(p.stats.bad_puts, 0);
    free(mem);
}

Test(pool, lifo_reuse)
{
    char *mem = aligned_alloc(64, 8192);
    struct pool p;
    void *a, *b;

    cr_assert_eq(pool_init(&p, mem, 8192, 64, 64, "t"), 0);
    a = pool_get(&p);
    b = pool_get(&p);
    pool_put(&p, a);
    cr_expect_eq(pool_get(&p), a, "the last put comes back first");
    pool_put(&p, b);
    pool_put(&p, a);
    cr_expect_eq(pool_get(&p), a);
    cr_expect_eq(pool_get(&p), b);
    free(mem);
}

Test(pool, contains_only_object_starts)
{
    char *mem = aligned_alloc(64, 8192);
    struct pool p;
    char *o;

    cr_assert_eq(pool_init(&p, mem, 8192, 48, 64, "t"), 0);
    o = pool_get(&p);
    cr_expect(pool_contains(&p, o));
    cr_expect(pool_contains(&p, o + 64));
    cr_expect_not(pool_contains(&p, o + 8));
    cr_expect_not(pool_contains(&p, o - 64));
    cr_expect_not(pool_contains(&p, o + 64 * pool_capacity(&p)));
    cr_expect_not(pool_contains(&p, mem));
    free(mem);
}

Test(pool, bulk_is_all_or_nothing)
{
    char *mem = aligned_alloc(64, 4096);
    void *objs[64], *more[64];
    struct pool p;
    unsigned n;

    cr_assert_eq(pool_init(&p, mem, 4096, 64, 64, "t"), 0);
    n = pool_capacity(&p);
    cr_assert_geq(n, 10);
    objs[0] = (void *)0x1;
    cr_expect_eq(pool_get_bulk(&p, objs, n + 1), -ENOBUFS);
    cr_expect_eq(objs[0], (void *)0x1, "untouched");
    cr_expect_eq(pool_avail(&p), n);
    cr_expect_eq(p.stats.empty, 1);

    cr_assert_eq(pool_get_bulk(&p, objs, n - 2), 0);
    cr_expect_eq(pool_get_bulk(&p, more, 3), -ENOBUFS);
    cr_expect_eq(pool_avail(&p), 2);
    cr_assert_eq(pool_get_bulk(&p, more, 2), 0);
    cr_expect_null(pool_get(&p));
    cr_expect_eq(p.stats.gets, n);
    cr_expect_eq(p.stats.empty, 3);

    pool_put_bulk(&p, more, 2);
    pool_put_bulk(&p, objs, n - 2);
    cr_expect_eq(pool_avail(&p), n);
    cr_expect_eq(pool_get(&p), objs[n - 3], "bulk put keeps LIFO order");
    free(mem);
}

/* pool_put_bulk_at: pointers off bytes into the objects go back as the
 * objects themselves, in the order pool_put_bulk keeps. */
Test(pool, bulk_put_at_an_offset)
{
    char *mem = aligned_alloc(64, 8192);
    void *objs[8], *inside[8];
    struct pool p;
    unsigned i;

    cr_assert_eq(pool_init(&p, mem, 8192, 256, 64, "t"), 0);
    cr_assert_eq(pool_get_bulk(&p, objs, 8), 0);
    for (i = 0; i < 8; i++)
        inside[i] = (char *)objs[i] + 128;
    pool_put_bulk_at(&p, inside, 8, 128);
    cr_expect_eq(pool_in_use(&p), 0);
    cr_expect_eq(p.stats.puts, 8);
    cr_expect_eq(p.stats.bad_puts, 0);
    cr_expect_eq(pool_get(&p), objs[7], "the objects, last put first");
    cr_expect_eq(pool_get(&p), objs[6]);
    free(mem);
}

Test(pool, create_and_destroy)
{
    struct pool *p, q;
    void *o;
    char mem[4096] __attribute__((aligned(64)));

    p = pool_create("rx", 2000, 1000, 64);
    cr_assert(p);
    cr_expect_eq((uintptr_t)p % 64, 0);
    cr_expect_eq(pool_capacity(p), 1000);
    cr_expect_str_eq(p->name, "rx");
    o = pool_get(p);
    cr_expect_eq((uintptr_t)o % 64, 0);
    memset(o, 1, 2000);
    cr_expect_eq(pool_destroy(p), -EBUSY);
    pool_put(p, o);
    cr_expect_eq(pool_destroy(p), 0);

    cr_assert_eq(pool_init(&q, mem, sizeof(mem), 64, 64, "local"), 0);
    cr_expect_eq(pool_destroy(&q), -EINVAL);
    cr_expect_eq(pool_destroy(NULL), -EINVAL);
}

Test(pool, create_failure_prints_one_line)
{
    capture_begin();
    fake_alloc_fail = true;
    cr_expect_null(pool_create("big", 2048, 1 << 20, 64));
    fake_alloc_fail = false;
    cr_expect_eq(capture_end_lines(), 1);

    capture_begin();
    cr_expect_null(pool_create("none", 64, 0, 64));
    cr_expect_null(pool_create("align", 64, 8, 3));
    cr_expect_eq(capture_end_lines(), 2);
}
