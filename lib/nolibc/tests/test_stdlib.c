/* strtol.c, qsort.c, stdlib.c and malloc.c: number parsing edge cases
 * against glibc, sorting against glibc's qsort, rand, the heap wrappers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fakes.h"
#include "nolibc_test.h"

static const char *const numbers[] = {
    "0",
    "1",
    "-1",
    "+7",
    "  42",
    "\t\n\v\f\r 13x",
    "  -  5",
    "",
    "   ",
    "abc",
    "-",
    "0x",
    "0x1f",
    "0X1F",
    "-0x10",
    "0xg",
    "0x 1",
    "010",
    "08",
    "0b11",
    "z",
    "Zz",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "-18446744073709551615",
    "-18446744073709551616",
    "99999999999999999999999999",
    "0x7fffffffffffffff",
    "0xffffffffffffffff",
    "0x10000000000000000",
    "777777777777777777777",
    "1777777777777777777777",
    "2000000000000000000000",
    "+-1",
    "--1",
    "1e5",
    "12 34",
};
static const int bases[] = { 0, 2, 8, 10, 16, 36 };

Test(strtol, signed_matches_glibc)
{
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
            const char *s = numbers[i];
            char *we, *ge;
            long wl, gl;
            long long wll, gll;
            int werr, gerr;

            errno = 0;
            wl = strtol(s, &we, bases[b]);
            werr = errno;
            nolibc_errno = 0;
            gl = nolibc_strtol(s, &ge, bases[b]);
            gerr = nolibc_errno;
            cr_assert_eq(gl, wl, "strtol(\"%s\", %d): %ld, glibc %ld", s, bases[b], gl, wl);
            cr_assert_eq(ge, we, "strtol(\"%s\", %d) end %td, glibc %td", s, bases[b], ge - s,
                         we - s);
            cr_assert_eq(gerr, werr, "strtol(\"%s\", %d) errno", s, bases[b]);

            errno = 0;
            wll = strtoll(s, &we, bases[b]);
            werr = errno;
            nolibc_errno = 0;
            gll = nolibc_strtoll(s, &ge, bases[b]);
            gerr = nolibc_errno;
            cr_assert_eq(gll, wll, "strtoll(\"%s\", %d)", s, bases[b]);
            cr_assert_eq(ge, we);
            cr_assert_eq(gerr, werr);
        }
}

Test(strtol, unsigned_matches_glibc)
{
    for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
            const char *s = numbers[i];
            char *we, *ge;
            unsigned long wl, gl;
            unsigned long long wll, gll;
            int werr, gerr;

            errno = 0;
            wl = strtoul(s, &we, bases[b]);
            werr = errno;
            nolibc_errno = 0;
            gl = nolibc_strtoul(s, &ge, bases[b]);
            gerr = nolibc_errno;
            cr_assert_eq(gl, wl, "strtoul(\"%s\", %d): %lu, glibc %lu", s, bases[b], gl, wl);
            cr_assert_eq(ge, we, "strtoul(\"%s\", %d) end", s, bases[b]);
            cr_assert_eq(gerr, werr, "strtoul(\"%s\", %d) errno", s, bases[b]);

            errno = 0;
            wll = strtoull(s, &we, bases[b]);
            werr = errno;
            nolibc_errno = 0;
            gll = nolibc_strtoull(s, &ge, bases[b]);
            gerr = nolibc_errno;
            cr_assert_eq(gll, wll, "strtoull(\"%s\", %d)", s, bases[b]);
            cr_assert_eq(ge, we);
            cr_assert_eq(gerr, werr);
        }
}

Test(strtol, edge_cases_spelled_out)
{
    char *end;

    nolibc_errno = 0;
    cr_assert_eq(nolibc_strtol("9223372036854775808", &end, 10), LONG_MAX);
    cr_assert_eq(nolibc_errno, ERANGE);
    cr_assert_eq(*end, '\0'); /* past all the digits, even after overflow */
    nolibc_errno = 0;
    cr_assert_eq(nolibc_strtol("-9223372036854775808", NULL, 10), LONG_MIN);
    cr_assert_eq(nolibc_errno, 0);
    cr_assert_eq(nolibc_strtoul("-1", NULL, 10), ULONG_MAX);
    cr_assert_eq(nolibc_strtol(" 0x1F", NULL, 0), 31);
    cr_assert_eq(nolibc_strtol("0755", NULL, 0), 0755);
    cr_assert_eq(nolibc_strtol("0755", NULL, 10), 755);
    cr_assert_eq(nolibc_strtol("0x1F", NULL, 16), 31);
    cr_assert_eq(nolibc_strtol("0xzz", &end, 0), 0);
    cr_assert_str_eq(end, "xzz");
    cr_assert_eq(nolibc_strtol("  ", &end, 10), 0);
    cr_assert_str_eq(end, "  ");
    /* A bad base: EINVAL, nothing consumed. */
    nolibc_errno = 0;
    cr_assert_eq(nolibc_strtol("12", &end, 1), 0);
    cr_assert_eq(nolibc_errno, EINVAL);
    cr_assert_str_eq(end, "12");
    cr_assert_eq(nolibc_strtol("12", NULL, 37), 0);
    cr_assert_eq(nolibc_strtol("zZ", NULL, 36), 35 * 36 + 35);
}

Test(strtol, atoi_family)
{
    cr_assert_eq(nolibc_atoi("  -123abc"), -123);
    cr_assert_eq(nolibc_atoi("0x10"), 0);
    cr_assert_eq(nolibc_atol("9223372036854775807"), LONG_MAX);
    cr_assert_eq(nolibc_atoll("-77"), -77);
}

Test(stdlib, abs_family)
{
    cr_assert_eq(nolibc_abs(-5), 5);
    cr_assert_eq(nolibc_abs(5), 5);
    cr_assert_eq(nolibc_abs(INT_MAX), INT_MAX);
    cr_assert_eq(nolibc_labs(LONG_MIN + 1), LONG_MAX);
    cr_assert_eq(nolibc_llabs(-1LL), 1LL);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return (x > y) - (x < y);
}

/* 24-byte records keyed by their first int, to move odd-sized elements. */
struct rec {
    int key;
    char pad[20];
};

static int cmp_rec(const void *a, const void *b)
{
    return cmp_int(a, b);
}

static int cmp_byte(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static void check_int_sort(int *v, size_t n)
{
    int *ref = malloc(n * sizeof(int) + 1);

    memcpy(ref, v, n * sizeof(int));
    qsort(ref, n, sizeof(int), cmp_int);
    nolibc_qsort(v, n, sizeof(int), cmp_int);
    cr_assert(!memcmp(ref, v, n * sizeof(int)), "n=%zu", n);
    free(ref);
}

Test(qsort, against_glibc)
{
    static int v[5000];

    srand(7);
    for (size_t n = 0; n < 300; n++) {
        for (size_t i = 0; i < n; i++)
            v[i] = rand() % 1000 - 500;
        check_int_sort(v, n);
    }
    /* Shapes that hurt naive quicksorts. */
    const size_t n = 5000;
    for (int shape = 0; shape < 7; shape++) {
        for (size_t i = 0; i < n; i++) {
            switch (shape) {
            case 0:
                v[i] = (int)i;
                break; /* sorted */
            case 1:
                v[i] = (int)(n - i);
                break; /* reversed */
            case 2:
                v[i] = 3;
                break; /* all equal */
            case 3:
                v[i] = (int)(i < n / 2 ? i : n - i);
                break; /* organ pipe */
            case 4:
                v[i] = (int)(i % 17);
                break; /* sawtooth */
            case 5:
                v[i] = rand() % 4;
                break; /* few keys */
            default:
                v[i] = i % 2 ? (int)i : -(int)i;
                break; /* interleaved */
            }
        }
        check_int_sort(v, n);
    }
}

/* Reorders an array so that median-of-three quicksort degrades (the
 * "antiqsort" adversary would be more thorough; this shape already sends
 * the depth limit to heapsort). */
Test(qsort, median_of_three_killer)
{
    enum { N = 4096 };
    static int v[N];

    for (int i = 0; i < N / 2; i++) {
        v[i] = i % 2 ? N / 2 + i : i + 1;
        v[N / 2 + i] = 2 * (i + 1);
    }
    check_int_sort(v, N);
}

Test(qsort, element_sizes)
{
    static struct rec r[500], rr[500];
    static unsigned char b[500], rb[500];

    for (int i = 0; i < 500; i++) {
        r[i].key = (i * 7919) % 501;
        memset(r[i].pad, r[i].key & 0xff, sizeof(r[i].pad));
        b[i] = (unsigned char)(i * 31);
    }
    memcpy(rr, r, sizeof(r));
    memcpy(rb, b, sizeof(b));
    qsort(rr, 500, sizeof(struct rec), cmp_rec);
    nolibc_qsort(r, 500, sizeof(struct rec), cmp_rec);
    cr_assert(!memcmp(r, rr, sizeof(r)));
    qsort(rb, 500, 1, cmp_byte);
    nolibc_qsort(b, 500, 1, cmp_byte);
    cr_assert(!memcmp(b, rb, sizeof(b)));
    nolibc_qsort(NULL, 0, 4, cmp_int);
    nolibc_qsort(b, 1, 1, cmp_byte);
}

Test(qsort, bsearch)
{
    int v[100];

    for (int i = 0; i < 100; i++)
        v[i] = i * 2;
    for (int k = -1; k < 201; k++) {
        int *hit = nolibc_bsearch(&k, v, 100, sizeof(int), cmp_int);

        if (k >= 0 && k % 2 == 0 && k < 200)
            cr_assert_eq(hit, &v[k / 2], "k=%d", k);
        else
            cr_assert_null(hit, "k=%d", k);
    }
    int k = 0;
    cr_assert_null(nolibc_bsearch(&k, v, 0, sizeof(int), cmp_int));
}

Test(stdlib, rand_is_deterministic_and_in_range)
{
    int first[16];

    /* The default sequence is srand(1)'s. */
    for (int i = 0; i < 16; i++)
        first[i] = nolibc_rand();
    nolibc_srand(1);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(nolibc_rand(), first[i]);
    nolibc_srand(0);
    int seen_high = 0, seen_odd = 0, prev = -1, repeats = 0;
    for (int i = 0; i < 10000; i++) {
        int r = nolibc_rand();

        cr_assert(r >= 0 && r <= 0x7fffffff);
        seen_high |= r > 0x40000000;
        seen_odd |= r & 1;
        repeats += r == prev;
        prev = r;
    }
    cr_assert(seen_high && seen_odd);
    cr_assert_lt(repeats, 2);
    nolibc_srand(2);
    cr_assert_neq(nolibc_rand(), first[0]);
}

Test(malloc, wrappers)
{
    void *p;
    int *q;

    p = nolibc_malloc(100);
    cr_assert_not_null(p);
    memset(p, 1, 100);
    p = nolibc_realloc(p, 1000);
    cr_assert_eq(((unsigned char *)p)[99], 1);
    nolibc_free(p);
    nolibc_free(NULL);

    q = nolibc_calloc(10, sizeof(int));
    for (int i = 0; i < 10; i++)
        cr_assert_eq(q[i], 0);
    nolibc_free(q);

    nolibc_errno = 0;
    cr_assert_null(nolibc_calloc(SIZE_MAX / 2, 4));
    cr_assert_eq(nolibc_errno, ENOMEM);

    fake_alloc_fail = 1;
    nolibc_errno = 0;
    cr_assert_null(nolibc_malloc(10));
    cr_assert_eq(nolibc_errno, ENOMEM);
    nolibc_errno = 0;
    cr_assert_null(nolibc_calloc(1, 10));
    cr_assert_eq(nolibc_errno, ENOMEM);
    nolibc_errno = 0;
    cr_assert_null(nolibc_realloc(NULL, 10));
    cr_assert_eq(nolibc_errno, ENOMEM);
    nolibc_errno = 0;
    cr_assert_null(nolibc_aligned_alloc(64, 64));
    cr_assert_eq(nolibc_errno, ENOMEM);
    cr_assert_eq(nolibc_posix_memalign(&p, 64, 64), ENOMEM);
    fake_alloc_fail = 0;
}

Test(malloc, alignment)
{
    void *p;

    cr_assert_eq(nolibc_posix_memalign(&p, 4096, 100), 0);
    cr_assert_eq((uintptr_t)p % 4096, 0);
    nolibc_free(p);
    cr_assert_eq(nolibc_posix_memalign(&p, 4, 100), EINVAL);
    cr_assert_eq(nolibc_posix_memalign(&p, 24, 100), EINVAL);

    p = nolibc_aligned_alloc(256, 512);
    cr_assert_eq((uintptr_t)p % 256, 0);
    nolibc_free(p);
    p = nolibc_aligned_alloc(2, 10); /* below a pointer's alignment: fine */
    cr_assert_not_null(p);
    nolibc_free(p);
    nolibc_errno = 0;
    cr_assert_null(nolibc_aligned_alloc(3, 9));
    cr_assert_eq(nolibc_errno, EINVAL);
}
