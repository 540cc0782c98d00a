/* Doubles to decimal for printf's %f %e %g, correctly rounded to at most 17
 * significant (or, for %f, fraction) digits and zeros after those: no exact
 * binary expansions (%.20f of 0.1 ends in zeros) and no %a (prints as %e). */
#include <stdint.h>
#include <string.h>

#include "nolibc_priv.h"

/* Significant digits worth producing: a double holds 15.9 of them. */
#define SIG_MAX 17

/* Exact in binary up to 1e22, so scaling by them rounds only once. */
static const double pow10_d[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* Up to 10^19, the largest that fits: integer parts have 19 digits. */
static const uint64_t pow10_u[20] = {
    1ULL,
    10ULL,
    100ULL,
    1000ULL,
    10000ULL,
    100000ULL,
    1000000ULL,
    10000000ULL,
    100000000ULL,
    1000000000ULL,
    10000000000ULL,
    100000000000ULL,
    1000000000000ULL,
    10000000000000ULL,
    100000000000000ULL,
    1000000000000000ULL,
    10000000000000000ULL,
    100000000000000000ULL,
    1000000000000000000ULL,
    10000000000000000000ULL,
};

/*
 * a * b as the rounded product plus its exact rounding error *err
 * (Dekker's product, no FMA needed). The split multiplies by 2^27, so
 * |a| and |b| must stay below 2^996: b is at most 1e22 here and a at most
 * DBL_MAX / 1e22.
 */
static double two_prod(double a, double b, double *err)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double p = a * b;
    double ta = split * a, tb = split * b;
    double ah = ta - (ta - a), al = a - ah;
    double bh = tb - (tb - b), bl = b - bh;

    *err = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

/*
 * x * 10^k as the double returned plus a correction *err, in steps of at
 * most 10^22 (each power exact): every step's rounding error is carried
 * into *err, so the result is good to far more than 17 digits. That is what
 * decides halfway cases: 2.675 is really 2.67499999..., yet 2.675 * 100
 * rounds to exactly 267.5. Subnormal x lose some of this accuracy.
 */
static double scale10(double x, int k, double *err)
{
    double lo = 0, e, q, hi, p;
    int s;

    if (x > 0x1p1000) {
        /* q * p below could round past DBL_MAX; powers of two scale
         * exactly, so work 2^64 lower. */
        x = scale10(x * 0x1p-64, k, &lo);
        *err = lo * 0x1p64;
        return x * 0x1p64;
    }
    while (k) {
        s = k > 22 ? 22 : (k < -22 ? -22 : k);
        p = pow10_d[s < 0 ? -s : s];
        if (s > 0) {
            x = two_prod(x, p, &e);
            lo = lo * p + e;
        } else {
            /* (x + lo) / p = q + (x - q * p + lo) / p */
            q = x / p;
            hi = two_prod(q, p, &e);
            lo = ((x - hi) - e + lo) / p; /* x - hi is exact */
            x = q;
        }
        k -= s;
    }
    *err = lo;
    return x;
}

/*
 * Rounds y + err to an integer, ties to even as glibc does; 0 <= y < 2^63.
 * Above 2^53 y is already an integer and err (up to half y's spacing of
 * 16) carries the digits the product lost, so it may move r by several.
 */
static uint64_t round_even(double y, double err)
{
    uint64_t r = (uint64_t)y;
    double rest = y - (double)r; /* exact: r holds y's integer bits */

    if (rest == 0.5 && err != 0)
        return err > 0 ? r + 1 : r;
    rest += err;
    for (; rest >= 1; rest -= 1)
        r++;
    for (; rest < 0 && r; rest += 1)
        r--;
    if (rest > 0.5 || (rest == 0.5 && (r & 1)))
        r++;
    return r;
}

/* The n-digit decimal of v, leading zeros included. */
static void put_digits(char *out, uint64_t v, int n)
{
    while (n--) {
        out[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

static int u64_digits(char *out, uint64_t v)
{
    int n = 1;

    while (n < 20 && v >= pow10_u[n])
        n++;
    put_digits(out, v, n);
    return n;
}

/*
 * The first n (1..SIG_MAX) significant digits of a finite x > 0, rounded,
 * into digits; returns X such that x is about d1.d2...dn * 10^X.
 */
static int sig_digits(double x, int n, char *digits)
{
    uint64_t bits, r;
    int e2, x10, i;
    double y, err;

    memcpy(&bits, &x, sizeof(bits));
    e2 = (int)(bits >> 52) - 1023;
    if (e2 == -1023) /* subnormal: the top mantissa bit sets the scale */
        e2 = -1011 - __builtin_clzll(bits);
    /* floor(e2 * log10(2)), which is floor(log10(x)) or one below it. */
    x10 = (e2 * 78913) >> 18;
    y = scale10(x, n - 1 - x10, &err);
    /* A second try when the estimate was low or rounding in scale10
     * crossed a power of ten. */
    for (i = 0; i < 2 && y >= pow10_d[n]; i++)
        y = scale10(x, n - 1 - ++x10, &err);
    for (i = 0; i < 2 && y < pow10_d[n - 1]; i++)
        y = scale10(x, n - 1 - --x10, &err);
    r = round_even(y, err);
    if (r >= pow10_u[n]) { /* 9.99..95 rounded up to 10.0 */
        r = pow10_u[n - 1];
        x10++;
    } else if (r < pow10_u[n - 1]) {
        r = pow10_u[n - 1]; /* only from scaling error right at a power */
    }
    put_digits(digits, r, n);
    return x10;
}

static void set_exp(struct nolibc_fnum *fn, int x10, int upper)
{
    char *p = fn->exp;
    unsigned int a = x10 < 0 ? -(unsigned int)x10 : (unsigned int)x10;

    *p++ = upper ? 'E' : 'e';
    *p++ = x10 < 0 ? '-' : '+';
    if (a >= 100)
        *p++ = (char)('0' + a / 100);
    *p++ = (char)('0' + a / 10 % 10);
    *p++ = (char)('0' + a % 10);
    fn->exp_len = (unsigned char)(p - fn->exp);
}

static void fmt_f(struct nolibc_fnum *fn, double x, int prec)
{
    int fd = prec < SIG_MAX ? prec : SIG_MAX;

    if (x < 9223372036854775808.0) { /* 2^63: the integer part fits */
        uint64_t ip, r = 0;
        double frac, err;

        if (fd == 0) {
            ip = round_even(x, 0);
        } else {
            /* x - ip is exact, so only the scaling rounds. */
            ip = (uint64_t)x;
            frac = two_prod(x - (double)ip, pow10_d[fd], &err);
            r = round_even(frac, err);
            if (r >= pow10_u[fd]) {
                ip++;
                r -= pow10_u[fd];
            }
        }
        fn->head_len = (unsigned char)u64_digits(fn->head, ip);
        put_digits(fn->frac, r, fd);
        fn->frac_len = (unsigned char)fd;
        fn->frac_zeros = (size_t)(prec - fd);
    } else {
        /* All SIG_MAX digits are in the integer part, the rest is 0. */
        int x10 = sig_digits(x, SIG_MAX, fn->head);

        fn->head_len = SIG_MAX;
        fn->head_zeros = (size_t)(x10 + 1 - SIG_MAX);
        fn->frac_zeros = (size_t)prec;
    }
}

/* d1.d2...dn e+X, with prec digits after the point. */
static void fmt_e(struct nolibc_fnum *fn, const char *d, int n, int x10, int prec, int upper)
{
    fn->head[0] = d[0];
    fn->head_len = 1;
    memcpy(fn->frac, d + 1, (size_t)(n - 1));
    fn->frac_len = (unsigned char)(n - 1);
    fn->frac_zeros = (size_t)prec - (size_t)(n - 1);
    set_exp(fn, x10, upper);
}

/* %g in fixed style: prec - 1 - x10 digits after the point. */
static void fmt_g_fixed(struct nolibc_fnum *fn, const char *d, int n, int x10, int prec)
{
    size_t fdigits = (size_t)((long long)prec - 1 - x10); /* prec may be INT_MAX */

    if (x10 >= 0) {
        int ni = x10 + 1 < n ? x10 + 1 : n;

        memcpy(fn->head, d, (size_t)ni);
        fn->head_len = (unsigned char)ni;
        fn->head_zeros = (size_t)(x10 + 1 - ni);
        memcpy(fn->frac, d + ni, (size_t)(n - ni));
        fn->frac_len = (unsigned char)(n - ni);
    } else {
        int lead = -x10 - 1; /* 0 to 3: %g switches to e below 1e-4 */

        fn->head[0] = '0';
        fn->head_len = 1;
        memset(fn->frac, '0', (size_t)lead);
        memcpy(fn->frac + lead, d, (size_t)n);
        fn->frac_len = (unsigned char)(lead + n);
    }
    fn->frac_zeros = fdigits - fn->frac_len;
}

void nolibc_dtoa(struct nolibc_fnum *fn, double x, int conv, int prec, int alt)
{
    int upper = conv >= 'A' && conv <= 'Z';
    int lc = conv | 32;
    char d[SIG_MAX];
    uint64_t bits;
    int n, x10 = 0;

    memset(fn, 0, sizeof(*fn));
    memcpy(&bits, &x, sizeof(bits));
    fn->neg = (unsigned char)(bits >> 63);
    bits &= ~(1ULL << 63);
    memcpy(&x, &bits, sizeof(x));
    if ((bits >> 52) == 0x7ff) {
        memcpy(fn->head, bits << 12 ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"), 3);
        fn->head_len = 3;
        fn->special = 1;
        return;
    }
    if (prec < 0)
        prec = 6;
    if (lc == 'f') {
        fmt_f(fn, x, prec);
        fn->point = prec > 0 || alt;
        return;
    }
    if (lc == 'g' && prec == 0)
        prec = 1;
    /* Significant digits: prec + 1 for e, prec for g, at most SIG_MAX. */
    n = lc == 'g' ? prec : (prec < SIG_MAX - 1 ? prec + 1 : SIG_MAX);
    n = n < SIG_MAX ? n : SIG_MAX;
    if (x == 0)
        memset(d, '0', (size_t)n);
    else
        x10 = sig_digits(x, n, d);
    if (lc != 'g')
        fmt_e(fn, d, n, x10, prec, upper);
    else if (prec > x10 && x10 >= -4)
        fmt_g_fixed(fn, d, n, x10, prec);
    else
        fmt_e(fn, d, n, x10, prec - 1, upper);
    if (lc == 'g' && !alt) {
        /* %g drops trailing zeros unless #. */
        fn->frac_zeros = 0;
        while (fn->frac_len && fn->frac[fn->frac_len - 1] == '0')
            fn->frac_len--;
    }
    fn->point = fn->frac_len || fn->frac_zeros || alt;
}
