/* strtol and friends over one unsigned parser; atoi and friends over them.
 * "C" locale only; no strtoimax, no floating-point parsing (strtod). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* Above any base: ends the digit run. */
#define NOT_DIGIT 36U

static unsigned int digit_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 32; /* fold to lower case */
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    return NOT_DIGIT;
}

static int is_space(unsigned char c)
{
    return c == ' ' || (unsigned int)c - '\t' < 5;
}

/*
 * What all four strto* share: the magnitude (saturated at ULLONG_MAX), the
 * sign and the end. Returns 0, -ERANGE when the magnitude did not fit or
 * -EINVAL for a bad base. With no digits, *end is s and the value 0.
 */
static int parse(const char *s, char **end, int base, unsigned long long *out, int *neg)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long long v = 0;
    unsigned int d;
    int any = 0, over = 0;

    *out = 0;
    *neg = 0;
    if (end)
        *end = (char *)s;
    if (base < 0 || base == 1 || base > 36)
        return -EINVAL;
    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        *neg = *p++ == '-';
    /* "0x" is a prefix only when a hex digit follows: "0xg" parses as 0
     * and ends at the 'x'. */
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 32) == 'x' && digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    for (; (d = digit_value(*p)) < (unsigned int)base; p++) {
        any = 1;
        /* Keep consuming digits after an overflow: end must point past
         * the whole number. */
        if (__builtin_mul_overflow(v, (unsigned int)base, &v) || __builtin_add_overflow(v, d, &v))
            over = 1;
    }
    if (!any)
        return 0;
    if (end)
        *end = (char *)p;
    if (over) {
        *out = ULLONG_MAX;
        return -ERANGE;
    }
    *out = v;
    return 0;
}

/* Clamps to [min, max], a negative sign included. */
static long long to_signed(const char *s, char **end, int base, long long min, long long max)
{
    unsigned long long v;
    int neg, err = parse(s, end, base, &v, &neg);

    if (err == -EINVAL) {
        errno = EINVAL;
        return 0;
    }
    if (neg) {
        /* -min as unsigned, without overflowing a signed type. */
        if (err || v > -(unsigned long long)min) {
            errno = ERANGE;
            return min;
        }
        return v == -(unsigned long long)min ? min : -(long long)v;
    }
    if (err || v > (unsigned long long)max) {
        errno = ERANGE;
        return max;
    }
    return (long long)v;
}

/* As C requires, "-1" is max: the negation happens in the unsigned type. */
static unsigned long long to_unsigned(const char *s, char **end, int base, unsigned long long max)
{
    unsigned long long v;
    int neg, err = parse(s, end, base, &v, &neg);

    if (err == -EINVAL) {
        errno = EINVAL;
        return 0;
    }
    if (err || v > max) {
        errno = ERANGE;
        return max;
    }
    return neg ? (0 - v) & max : v;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
    return (long)to_signed(s, end, base, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
    return to_signed(s, end, base, LLONG_MIN, LLONG_MAX);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
    return (unsigned long)to_unsigned(s, end, base, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
    return to_unsigned(s, end, base, ULLONG_MAX);
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
    return strtoll(s, NULL, 10);
}
