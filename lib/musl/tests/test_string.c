/* Unit tests for lib/musl's memmove and memset (string.c), which musl
 * images use as memcpy, memmove and memset: each result compared byte by
 * byte with a byte loop's, over the whole buffer (so a byte written
 * outside the range shows), for every size 0 .. 300 at every alignment of
 * source and destination in a cache line, every overlap of a size, and
 * sizes around the rep-string threshold. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "musl_string.h"

#define MAXN  300
#define ALIGN 64
#define GUARD 80
#define BUF   20000 /* the largest move: 4113 bytes by up to 4114 either way */

static unsigned char src_buf[BUF] __attribute__((aligned(64)));
static unsigned char dst_buf[BUF] __attribute__((aligned(64)));
static unsigned char ref_buf[BUF] __attribute__((aligned(64)));

/* Bytes that differ from their neighbours and from the guard fill: a copy
 * from the wrong offset or in the wrong order shows. */
static void fill_pattern(unsigned char *b, size_t n, uint32_t seed)
{
    size_t i;

    for (i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (unsigned char)(seed >> 16);
    }
}

static void ref_copy(unsigned char *d, const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        d[i] = s[i];
}

/* The first differing offset, or -1. */
static long first_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
    size_t i;

    if (!memcmp(a, b, n))
        return -1;
    for (i = 0; a[i] == b[i]; i++)
        ;
    return (long)i;
}

/* Only the window a call may touch, and GUARD bytes either side, is
 * prepared and compared: the tests stay fast. */
static void check_copy(size_t n, size_t sa, size_t da)
{
    unsigned char *s = src_buf + GUARD + sa, *d = dst_buf + GUARD + da;
    size_t win = GUARD + ALIGN + n + GUARD;
    long diff;

    memset(dst_buf, 0xee, win);
    memset(ref_buf, 0xee, win);
    ref_copy(ref_buf + GUARD + da, s, n);
    cr_assert_eq(nfos_memmove(d, s, n), d, "returns dst");
    diff = first_diff(dst_buf, ref_buf, win);
    cr_assert_eq(diff, -1, "copy of %zu bytes, src +%zu, dst +%zu: byte %ld of the buffer", n, sa,
                 da, diff);
}

Test(musl_string, copy_every_size_and_alignment)
{
    size_t n, sa, da;

    fill_pattern(src_buf, BUF, 1);
    for (n = 0; n <= MAXN; n++)
        for (sa = 0; sa < ALIGN; sa++)
            for (da = 0; da < ALIGN; da++)
                check_copy(n, sa, da);
}

Test(musl_string, copy_large_sizes)
{
    static const size_t sizes[] = { 65, 127, 128, 129, 1023, 2047, 2048, 2049, 4113, 9000 };
    size_t i, sa, da;

    fill_pattern(src_buf, BUF, 2);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (sa = 0; sa < 16; sa++)
            for (da = 0; da < 16; da++)
                check_copy(sizes[i], sa, da);
}

/* memmove within one buffer: destination delta bytes from the source,
 * against a byte loop through a temporary copy. */
static void check_move(size_t n, size_t base, long delta)
{
    static unsigned char tmp[BUF];
    unsigned char *s = src_buf + BUF / 2 - 2000 + base, *d = s + delta;
    size_t lo = (size_t)(s - src_buf) - n - 1 - GUARD, win = 3 * n + 2 + 2 * GUARD;
    long diff;

    fill_pattern(src_buf + lo, win, (uint32_t)(n * 131 + base));
    memcpy(ref_buf + lo, src_buf + lo, win);
    ref_copy(tmp, s, n);
    ref_copy(ref_buf + (d - src_buf), tmp, n);
    cr_assert_eq(nfos_memmove(d, s, n), d, "returns dst");
    diff = first_diff(src_buf + lo, ref_buf + lo, win);
    cr_assert_eq(diff, -1, "move of %zu bytes by %ld (base +%zu): byte %ld of the buffer", n, delta,
                 base, diff);
}

Test(musl_string, move_every_overlap)
{
    size_t n, base;
    long delta;

    for (n = 0; n <= MAXN; n++)
        for (base = 0; base < 16; base += 5)
            for (delta = -(long)n - 1; delta <= (long)n + 1; delta++)
                check_move(n, base, delta);
}

Test(musl_string, move_large_overlaps)
{
    static const size_t sizes[] = { 2047, 2048, 2049, 4113 };
    static const long deltas[] = { 1, 15, 16, 17, 63, 64, 65, 1000, 2046, 2047, 2048, 4112, 4114 };
    size_t i, j;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
            check_move(sizes[i], 3, deltas[j]);
            check_move(sizes[i], 3, -deltas[j]);
            check_move(sizes[i], 0, 0);
        }
}

static void check_set(size_t n, size_t da, int c)
{
    unsigned char *d = dst_buf + GUARD + da;
    size_t i;
    long diff;

    size_t win = GUARD + ALIGN + n + GUARD;

    fill_pattern(dst_buf, win, (uint32_t)n);
    memcpy(ref_buf, dst_buf, win);
    for (i = 0; i < n; i++)
        ref_buf[GUARD + da + i] = (unsigned char)c;
    cr_assert_eq(nfos_memset(d, c, n), d, "returns dst");
    diff = first_diff(dst_buf, ref_buf, win);
    cr_assert_eq(diff, -1, "set of %zu bytes to %#x at +%zu: byte %ld of the buffer", n, c, da,
                 diff);
}

Test(musl_string, set_every_size_and_alignment)
{
    static const int values[] = { 0, 0xa5, 0x1ff, -1 }; /* converted to unsigned char */
    static const size_t large[] = { 65, 128, 129, 2047, 2048, 2049, 9000 };
    size_t n, da, v, i;

    for (v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        for (n = 0; n <= MAXN; n++)
            for (da = 0; da < ALIGN; da++)
                check_set(n, da, values[v]);
        for (i = 0; i < sizeof(large) / sizeof(large[0]); i++)
            for (da = 0; da < 16; da++)
                check_set(large[i], da, values[v]);
    }
}
