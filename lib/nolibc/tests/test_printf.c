/* printf.c and dtoa.c through snprintf: every flag, width, precision and
 * length combination against glibc's snprintf, then what nolibc does on
 * purpose differently (%n, unknown conversions) and the truncation rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "nolibc_test.h"

/* Formats with both libcs (through vsnprintf, so both va_list paths are
 * exercised) and wants the same bytes and the same return value. */
static void check(int line, const char *fmt, ...)
{
    char want[600], got[600];
    va_list ap, ap2;
    int wn, gn;

    memset(got, 0x5a, sizeof(got));
    va_start(ap, fmt);
    va_copy(ap2, ap);
    wn = vsnprintf(want, sizeof(want), fmt, ap);
    gn = nolibc_vsnprintf(got, sizeof(got), fmt, ap2);
    va_end(ap2);
    va_end(ap);
    /* Asserting only on a mismatch keeps 100k comparisons fast. */
    if (gn != wn || memcmp(got, want, (size_t)wn + 1))
        cr_assert_fail("line %d, \"%s\": \"%s\" (%d), glibc \"%s\" (%d)", line, fmt, got, gn, want,
                       wn);
}

#define CHECK(...) check(__LINE__, __VA_ARGS__)

/* Every subset of the five flags, in a fixed order. */
static void flag_string(unsigned int set, char *out)
{
    const char *flags = "-+ #0";

    for (int i = 0; i < 5; i++)
        if (set & (1u << i))
            *out++ = flags[i];
    *out = '\0';
}

static const char *const widths[] = { "", "1", "6", "13", "*" };
static const char *const precs[] = { "", ".", ".0", ".1", ".4", ".15", ".*" };

/* fmt is "%<flags><width><prec><len><conv>"; * takes 9 as width and 3 as
 * precision, or -9 and -3. */
static void check_all_forms(const char *len, const char *convs, const long long *vals, size_t nvals)
{
    char fmt[32], flags[8];

    for (unsigned int set = 0; set < 32; set++)
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
            for (size_t p = 0; p < sizeof(precs) / sizeof(precs[0]); p++)
                for (const char *c = convs; *c; c++)
                    for (size_t v = 0; v < nvals; v++) {
                        flag_string(set, flags);
                        snprintf(fmt, sizeof(fmt), "[%%%s%s%s%s%c]", flags, widths[w], precs[p],
                                 len, *c);
                        int star_w = (int)(v % 2 ? 9 : -9);
                        int star_p = (int)(v % 3 ? 3 : -3);
                        int sw = !strcmp(widths[w], "*");
                        int sp = !strcmp(precs[p], ".*");

                        if (sw && sp)
                            CHECK(fmt, star_w, star_p, vals[v]);
                        else if (sw)
                            CHECK(fmt, star_w, vals[v]);
                        else if (sp)
                            CHECK(fmt, star_p, vals[v]);
                        else
                            CHECK(fmt, vals[v]);
                    }
}

Test(printf, int_conversions_all_flags_widths_precisions)
{
    const long long vals[] = { 0, 1, -1, 7, -42, 255, 4096, INT_MAX, INT_MIN };

    /* The value is passed as long long and read as int: fine on x86_64,
     * where both travel in one 64-bit register or stack slot. */
    check_all_forms("", "diuoxX", vals, 9);
}

Test(printf, length_modifiers)
{
    const long long vals[] = {
        0, 1, -1, 300, -129, 70000, -70000, LLONG_MAX, LLONG_MIN, (long long)0x8000000000000001ULL
    };

    check_all_forms("hh", "diuxo", vals, 10);
    check_all_forms("h", "diuX", vals, 10);
    check_all_forms("l", "diux", vals, 10);
    check_all_forms("ll", "diuo", vals, 10);
    check_all_forms("z", "dux", vals, 10);
    check_all_forms("t", "dix", vals, 10);
    check_all_forms("j", "diuX", vals, 10);
}

Test(printf, length_modifiers_typed)
{
    CHECK("%hhd %hhu %hd %hu", (signed char)-5, (unsigned char)250, (short)-300,
          (unsigned short)65535);
    CHECK("%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
    CHECK("%lld %llu %llo", LLONG_MIN, ULLONG_MAX, ULLONG_MAX);
    CHECK("%zu %zd %zx", SIZE_MAX, (ssize_t)-1, (size_t)0xdeadbeef);
    CHECK("%td %tx", (ptrdiff_t)-12345, (ptrdiff_t)0x7fff);
    CHECK("%jd %ju %jx", INTMAX_MIN, UINTMAX_MAX, UINTMAX_MAX);
    CHECK("%"
          "d %s %d",
          1, "two", 3);
}

Test(printf, chars_and_strings)
{
    const char *cfmts[] = { "%c", "%5c", "%-5c", "%1c", "[%-3c]" };

    for (size_t i = 0; i < sizeof(cfmts) / sizeof(cfmts[0]); i++) {
        CHECK(cfmts[i], 'x');
        CHECK(cfmts[i], '\xe9');
        CHECK(cfmts[i], 0); /* a NUL in the middle of the output */
    }
    CHECK("%s|%10s|%-10s|%.2s|%10.3s|%-10.0s|%.10s", "hello", "hello", "hello", "hello", "hello",
          "hello", "hello");
    CHECK("%*s|%-*s|%*.*s|%.*s", 8, "ab", -8, "ab", 8, 1, "ab", -1, "abc");
    CHECK("%s", "");
    CHECK("%5s|%-5s", "", "");
    /* glibc prints NULL as "(null)" unless the precision is below 6. */
    CHECK("%s", (char *)NULL);
    CHECK("%10s", (char *)NULL);
    CHECK("%.3s|", (char *)NULL);
    CHECK("%.6s|", (char *)NULL);
    CHECK("%c%c%c", 'a', 'b', 'c');
}

Test(printf, pointers_and_percent)
{
    int x;

    CHECK("%p", (void *)&x);
    CHECK("%p", (void *)0x1234);
    CHECK("%20p|%-20p|", (void *)0xabcdef, (void *)0xabcdef);
    CHECK("%p", (void *)UINTPTR_MAX);
    CHECK("%p", NULL);
    CHECK("%10p|%-10p|", NULL, NULL);
    CHECK("100%%");
    CHECK("%%%d%%", 5);
    CHECK("%c%%%c", 'a', 'b');
}

Test(printf, n_is_ignored_safely)
{
    char buf[32];
    int pos = 1234;

    /* -Wformat knows %n; this is exactly the use nolibc refuses. */
    const char *fmt = "ab%ncd%d";
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt, &pos, 7), 5);
    cr_assert_str_eq(buf, "abcd7");
    cr_assert_eq(pos, 1234);
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), "%hhn%lln%s", &pos, &pos, "ok"), 2);
    cr_assert_str_eq(buf, "ok");
}

Test(printf, unknown_and_truncated_conversions_print_as_written)
{
    char buf[32];
    const char *fmt = "a%yb%5.2kc";

    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt), 10);
    cr_assert_str_eq(buf, "a%yb%5.2kc");
    fmt = "end%";
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt), 4);
    cr_assert_str_eq(buf, "end%");
    fmt = "end%-08";
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt), 7);
    cr_assert_str_eq(buf, "end%-08");
}

Test(printf, doubles_against_glibc)
{
    const double vals[] = { 0.0,
                            -0.0,
                            1.0,
                            -1.5,
                            0.5,
                            2.5,
                            3.5,
                            0.125,
                            0.375,
                            3.14159265358979,
                            -123.456,
                            1e-5,
                            9.9999e-5,
                            0.0001,
                            1e10,
                            12345678.9,
                            0.1,
                            2.675,
                            999999.5,
                            9.5,
                            0.95,
                            0.05,
                            1234567.0,
                            1e15,
                            4.35,
                            1e-300,
                            5e-324,
                            1e100,
                            -1e-100,
                            1.7976931348623157e308,
                            2.2250738585072014e-308,
                            INFINITY,
                            -INFINITY,
                            NAN,
                            -NAN };
    const char *convs = "feEgG";
    const char *fprecs[] = { "", ".0", ".1", ".2", ".3", ".6", ".10" };
    const char *fwidths[] = { "", "12", "1" };
    char fmt[32], flags[8];

    for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
        for (const char *c = convs; *c; c++) {
            /* glibc prints huge %f exactly in binary; nolibc keeps 17
             * significant digits and zeros after them. */
            if ((*c == 'f') && isfinite(vals[v]) && fabs(vals[v]) >= 1e15)
                continue;
            for (unsigned int set = 0; set < 32; set++)
                for (size_t w = 0; w < 3; w++)
                    for (size_t p = 0; p < 7; p++) {
                        flag_string(set, flags);
                        /* glibc prints %#g of 999999.5 as "1.e+06";
                         * C (and nolibc) keep the zeros: 1.00000e+06. */
                        if ((set & 8) && (*c | 32) == 'g' && vals[v] == 999999.5)
                            continue;
                        snprintf(fmt, sizeof(fmt), "[%%%s%s%s%c]", flags, fwidths[w], fprecs[p],
                                 *c);
                        CHECK(fmt, vals[v]);
                    }
        }
    CHECK("%F %F %F", 1.5, INFINITY, NAN);
    CHECK("%.0f %.0f %.0f %.0f", 0.5, 1.5, 2.5, -0.5);
    CHECK("%.15g %.17g %.16e", 0.1, 0.1, 1.0 / 3);
    CHECK("%.3f", 9223372036854775807.0 / 2);
    CHECK("%.30f", 0.5);
    CHECK("%20.12e|%-20.12g|", 6.02214076e23, 6.02214076e23);
    CHECK("%.20g", 1e20);
    CHECK("%#.0f %#.0e %#g %#.3g %#g", 3.0, 3.0, 1.0, 100000.0, 0.0);
    CHECK("%#.3g %#.0g %#g", 99.95, 9.5, 1e6);
    char buf[32];
    nolibc_snprintf(buf, sizeof(buf), "%#g", 999999.5);
    cr_assert_str_eq(buf, "1.00000e+06");
}

/* A double with a random mantissa and a decimal exponent in [lo, hi]. */
static double random_double(int lo, int hi)
{
    double m = (double)((uint64_t)rand() << 22 ^ (uint64_t)rand()) / (double)(1ULL << 53);

    return (1 + m) * pow(10, lo + rand() % (hi - lo + 1));
}

/* Up to 17 digits nolibc must round exactly as glibc does. */
Test(printf, random_doubles_against_glibc)
{
    srand(11);
    for (int i = 0; i < 20000; i++) {
        double x = random_double(-6, 15);

        CHECK("%.17g|%.16e|%.10e|%g|%.3g|%.1e", x, x, x, x, x, x);
        CHECK("%f|%.17f|%.12f|%.1f|%.0f", x, x, x, x, x);
        x = random_double(-17, 25);
        CHECK("%g|%.6e|%.2e|%.1g", x, x, x, x);
        /* Halfway cases at the decimal digit: k/8 is exact in binary. */
        x = (rand() % 100000) / 8.0;
        CHECK("%.0f|%.1f|%.2f|%.3e|%.2g", x, x, x, x, x);
    }
    /* Any bit pattern: subnormals, DBL_MAX, nan payloads. */
    for (int i = 0; i < 50000; i++) {
        uint64_t bits = (uint64_t)rand() << 42 ^ (uint64_t)rand() << 21 ^ (uint64_t)rand() ^
                        (uint64_t)(rand() & 3) << 62;
        double x;

        memcpy(&x, &bits, sizeof(x));
        CHECK("%.17g|%.16e|%e|%g|%.0e", x, x, x, x, x);
        if (fabs(x) < 1e18)
            CHECK("%.3f|%.17f", x, x);
    }
}

Test(printf, doubles_beyond_17_digits)
{
    char buf[512];

    /* Exact in binary, so nolibc's zeros agree with glibc here. */
    CHECK("%.25f", 0.5);
    CHECK("%f", 1e18);
    CHECK("%.20e", 0.25);
    nolibc_snprintf(buf, sizeof(buf), "%f", 1e100);
    cr_assert_eq(strlen(buf), 101 + 7);
    /* 17 significant digits, then zeros (glibc: 1000000000000000015902...). */
    cr_assert_eq(buf[0], '1');
    cr_assert_eq(strspn(buf + 1, "0"), 100, "%s", buf);
    cr_assert_str_eq(buf + 101, ".000000");
    nolibc_snprintf(buf, sizeof(buf), "%.20f", 0.1);
    cr_assert(!strncmp(buf, "0.1000000000000000", 18), "%s", buf);
}

Test(printf, long_double_and_hex_float)
{
    char buf[64];

    nolibc_snprintf(buf, sizeof(buf), "%Lf|%.2Le", 1.5L, 12345.0L);
    cr_assert_str_eq(buf, "1.500000|1.23e+04");
    /* No %a: it prints like %e. */
    nolibc_snprintf(buf, sizeof(buf), "%a|%A", 1.0, 0.5);
    cr_assert_str_eq(buf, "1.000000e+00|5.000000E-01");
}

Test(printf, snprintf_truncation)
{
    char buf[16];

    cr_assert_eq(nolibc_snprintf(NULL, 0, "%d-%s", 1234, "abc"), 8);
    memset(buf, 'x', sizeof(buf));
    cr_assert_eq(nolibc_snprintf(buf, 0, "hello"), 5);
    cr_assert_eq(buf[0], 'x');
    cr_assert_eq(nolibc_snprintf(buf, 1, "hello"), 5);
    cr_assert_str_eq(buf, "");
    cr_assert_eq(nolibc_snprintf(buf, 5, "hello"), 5);
    cr_assert_str_eq(buf, "hell");
    cr_assert_eq(buf[5], 'x');
    cr_assert_eq(nolibc_snprintf(buf, 6, "hello"), 5);
    cr_assert_str_eq(buf, "hello");
    cr_assert_eq(nolibc_snprintf(buf, 8, "%20d", 5), 20);
    cr_assert_str_eq(buf, "       ");
    cr_assert_eq(nolibc_snprintf(buf, 4, "%s%s", "ab", "cdef"), 6);
    cr_assert_str_eq(buf, "abc");
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), ""), 0);
    cr_assert_str_eq(buf, "");
}

Test(printf, sprintf_and_vsprintf)
{
    char buf[64];

    cr_assert_eq(nolibc_sprintf(buf, "%s=%#x", "v", 255), 6);
    cr_assert_str_eq(buf, "v=0xff");
}

Test(printf, result_beyond_int_max_is_an_error)
{
    char buf[8];
    const char *fmt = "%2147483646d%d%d";

    nolibc_errno = 0;
    /* INT_MAX - 1 + 1 fits; one more byte does not. */
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt, 1, 2, 3), -1);
    cr_assert_eq(nolibc_errno, EOVERFLOW);
    cr_assert_str_eq(buf, "       ");
    fmt = "%2147483647d%2147483647d";
    cr_assert_eq(nolibc_snprintf(buf, sizeof(buf), fmt, 1, 2), -1);
}
