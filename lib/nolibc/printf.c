/* The printf formatting engine, vfmt, writing into a sink: snprintf.c and
 * stdio.c provide the sinks. %n is parsed but never stores. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nolibc_priv.h"

#define F_MINUS 0x01
#define F_PLUS  0x02
#define F_SPACE 0x04
#define F_HASH  0x08
#define F_ZERO  0x10

enum len_mod { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J, LEN_BIG_L };

struct spec {
    unsigned int flags;
    int width;
    int prec; /* -1: none given */
    enum len_mod len;
    char conv;
};

struct out {
    struct nolibc_sink *sink;
    size_t total;
    int overflow;
};

static void out_put(struct out *o, const char *s, size_t n)
{
    if (!n || o->overflow)
        return;
    if (n > (size_t)INT_MAX - o->total) {
        o->overflow = 1; /* printf cannot report that many bytes */
        return;
    }
    o->sink->put(o->sink, s, n);
    o->total += n;
}

static void out_pad(struct out *o, char c, size_t n)
{
    static const char spaces[32] = "                                ";
    static const char zeros[32] = "00000000000000000000000000000000";
    const char *run = c == '0' ? zeros : spaces;

    if (n > (size_t)INT_MAX - o->total) {
        o->overflow = 1;
        return;
    }
    for (; n > sizeof(spaces); n -= sizeof(spaces))
        out_put(o, run, sizeof(spaces));
    out_put(o, run, n);
}

/* [spaces][pre][zeros][body][spaces], width counting all of them. */
static void out_field(struct out *o, const struct spec *sp, const char *pre, size_t pre_len,
                      size_t zeros, const char *body, size_t len)
{
    size_t n = pre_len + zeros + len;
    size_t pad = (size_t)sp->width > n ? (size_t)sp->width - n : 0;

    if (!(sp->flags & F_MINUS))
        out_pad(o, ' ', pad);
    out_put(o, pre, pre_len);
    out_pad(o, '0', zeros);
    out_put(o, body, len);
    if (sp->flags & F_MINUS)
        out_pad(o, ' ', pad);
}

static uintmax_t arg_unsigned(va_list *ap, enum len_mod len)
{
    switch (len) {
    case LEN_HH:
        return (unsigned char)va_arg(*ap, unsigned int);
    case LEN_H:
        return (unsigned short)va_arg(*ap, unsigned int);
    case LEN_L:
        return va_arg(*ap, unsigned long);
    case LEN_LL:
    case LEN_BIG_L: /* %Lu: glibc reads a long long */
        return va_arg(*ap, unsigned long long);
    case LEN_Z:
        return va_arg(*ap, size_t);
    case LEN_T:
        return (size_t)va_arg(*ap, ptrdiff_t);
    case LEN_J:
        return va_arg(*ap, uintmax_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

static intmax_t arg_signed(va_list *ap, enum len_mod len)
{
    switch (len) {
    case LEN_HH:
        return (signed char)va_arg(*ap, int);
    case LEN_H:
        return (short)va_arg(*ap, int);
    case LEN_L:
        return va_arg(*ap, long);
    case LEN_LL:
    case LEN_BIG_L:
        return va_arg(*ap, long long);
    case LEN_Z:
        return (ptrdiff_t)va_arg(*ap, size_t); /* the signed size_t */
    case LEN_T:
        return va_arg(*ap, ptrdiff_t);
    case LEN_J:
        return va_arg(*ap, intmax_t);
    default:
        return va_arg(*ap, int);
    }
}

/* d i u o x X p. v is the magnitude; neg only for d and i. */
static void fmt_integer(struct out *o, const struct spec *sp, uintmax_t v, int neg)
{
    const char *digits = sp->conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24]; /* 22 octal digits for 64 bits */
    char *end = buf + sizeof(buf), *p = end;
    char pre[2];
    size_t pre_len = 0, ndig, zeros = 0;
    int hex = sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p';

    /* Constant divisors, so each becomes a multiply or a shift. */
    if (sp->conv == 'o')
        for (; v; v /= 8)
            *--p = digits[v % 8];
    else if (hex)
        for (; v; v /= 16)
            *--p = digits[v % 16];
    else
        for (; v; v /= 10)
            *--p = digits[v % 10];
    ndig = (size_t)(end - p);
    /* Zero prints as "0" unless the precision is explicitly zero. */
    if (!ndig && sp->prec != 0) {
        *--p = '0';
        ndig = 1;
    }

    if (neg)
        pre[pre_len++] = '-';
    else if ((sp->conv == 'd' || sp->conv == 'i') && (sp->flags & (F_PLUS | F_SPACE)))
        pre[pre_len++] = sp->flags & F_PLUS ? '+' : ' ';
    if (hex && (sp->flags & F_HASH) && ndig && *p != '0') {
        pre[pre_len++] = '0'; /* 0x only for non-zero values */
        pre[pre_len++] = sp->conv == 'X' ? 'X' : 'x';
    }

    if (sp->prec >= 0 && (size_t)sp->prec > ndig)
        zeros = (size_t)sp->prec - ndig;
    /* # makes octal start with 0, adding one only when it does not. */
    if (sp->conv == 'o' && (sp->flags & F_HASH) && !zeros && (!ndig || *p != '0'))
        zeros = 1;
    if ((sp->flags & (F_ZERO | F_MINUS)) == F_ZERO && sp->prec < 0 &&
        (size_t)sp->width > pre_len + zeros + ndig)
        zeros = (size_t)sp->width - pre_len - ndig;
    out_field(o, sp, pre, pre_len, zeros, p, ndig);
}

static void fmt_string(struct out *o, const struct spec *sp, const char *s)
{
    if (!s) /* as glibc: "(null)" unless the precision cuts it */
        s = sp->prec < 0 || sp->prec >= 6 ? "(null)" : "";
    out_field(o, sp, NULL, 0, 0, s, sp->prec < 0 ? strlen(s) : strnlen(s, (size_t)sp->prec));
}

static void fmt_double(struct out *o, const struct spec *sp, double x)
{
    struct nolibc_fnum fn;
    char sign = 0;
    size_t n, pad, zeros = 0;

    nolibc_dtoa(&fn, x, sp->conv, sp->prec, !!(sp->flags & F_HASH));
    if (fn.neg)
        sign = '-';
    else if (sp->flags & (F_PLUS | F_SPACE))
        sign = sp->flags & F_PLUS ? '+' : ' ';
    n = !!sign + fn.head_len + fn.head_zeros + fn.point + fn.frac_len + fn.frac_zeros + fn.exp_len;
    pad = (size_t)sp->width > n ? (size_t)sp->width - n : 0;
    if ((sp->flags & (F_ZERO | F_MINUS)) == F_ZERO && !fn.special) {
        zeros = pad;
        pad = 0;
    }
    if (!(sp->flags & F_MINUS))
        out_pad(o, ' ', pad);
    out_put(o, &sign, !!sign);
    out_pad(o, '0', zeros);
    out_put(o, fn.head, fn.head_len);
    out_pad(o, '0', fn.head_zeros);
    out_put(o, ".", fn.point);
    out_put(o, fn.frac, fn.frac_len);
    out_pad(o, '0', fn.frac_zeros);
    out_put(o, fn.exp, fn.exp_len);
    if (sp->flags & F_MINUS)
        out_pad(o, ' ', pad);
}

/* Saturates rather than wrapping on absurd widths like %99999999999d. */
static int parse_num(const char **f)
{
    int v = 0;

    for (; **f >= '0' && **f <= '9'; (*f)++)
        v = v > (INT_MAX - 9) / 10 ? INT_MAX : v * 10 + (**f - '0');
    return v;
}

/* Parses the part of a conversion after '%'; returns where it ends. */
static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    sp->flags = 0;
    for (;; f++) {
        if (*f == '-')
            sp->flags |= F_MINUS;
        else if (*f == '+')
            sp->flags |= F_PLUS;
        else if (*f == ' ')
            sp->flags |= F_SPACE;
        else if (*f == '#')
            sp->flags |= F_HASH;
        else if (*f == '0')
            sp->flags |= F_ZERO;
        else
            break;
    }
    if (*f == '*') {
        int w = va_arg(*ap, int);

        f++;
        if (w < 0) { /* a negative width is a '-' flag */
            sp->flags |= F_MINUS;
            w = w == INT_MIN ? INT_MAX : -w;
        }
        sp->width = w;
    } else {
        sp->width = parse_num(&f);
    }
    sp->prec = -1;
    if (*f == '.') {
        f++;
        if (*f == '*') {
            int p = va_arg(*ap, int);

            f++;
            sp->prec = p < 0 ? -1 : p; /* negative: as if omitted */
        } else {
            sp->prec = parse_num(&f);
        }
    }
    sp->len = LEN_NONE;
    switch (*f) {
    case 'h':
        sp->len = f[1] == 'h' ? LEN_HH : LEN_H;
        f += sp->len == LEN_HH ? 2 : 1;
        break;
    case 'l':
        sp->len = f[1] == 'l' ? LEN_LL : LEN_L;
        f += sp->len == LEN_LL ? 2 : 1;
        break;
    case 'z':
        sp->len = LEN_Z, f++;
        break;
    case 't':
        sp->len = LEN_T, f++;
        break;
    case 'j':
        sp->len = LEN_J, f++;
        break;
    case 'L':
        sp->len = LEN_BIG_L, f++;
        break;
    }
    sp->conv = *f;
    return *f ? f + 1 : f;
}

/* One conversion; start points at its '%', end just past it. */
static void convert(struct out *o, struct spec *sp, const char *start, const char *end, va_list *ap)
{
    intmax_t sv;
    char c;

    switch (sp->conv) {
    case 'd':
    case 'i':
        sv = arg_signed(ap, sp->len);
        fmt_integer(o, sp, sv < 0 ? -(uintmax_t)sv : (uintmax_t)sv, sv < 0);
        break;
    case 'u':
    case 'o':
    case 'x':
    case 'X':
        fmt_integer(o, sp, arg_unsigned(ap, sp->len), 0);
        break;
    case 'p': {
        void *p = va_arg(*ap, void *);

        if (!p) { /* glibc's spelling */
            sp->prec = -1;
            fmt_string(o, sp, "(nil)");
            break;
        }
        sp->flags |= F_HASH;
        fmt_integer(o, sp, (uintptr_t)p, 0);
        break;
    }
    case 'c':
        c = (char)va_arg(*ap, int);
        out_field(o, sp, NULL, 0, 0, &c, 1);
        break;
    case 's':
        fmt_string(o, sp, va_arg(*ap, const char *));
        break;
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
    case 'a':
    case 'A':
        if (sp->len == LEN_BIG_L)
            fmt_double(o, sp, (double)va_arg(*ap, long double));
        else
            fmt_double(o, sp, va_arg(*ap, double));
        break;
    case 'n':
        /* Writing through an argument pointer is the classic format
         * string exploit; consume the argument and store nothing. */
        (void)va_arg(*ap, void *);
        break;
    case '%':
        out_put(o, "%", 1);
        break;
    default:
        /* Unknown or truncated: show it as written, take no argument. */
        out_put(o, start, (size_t)(end - start));
        break;
    }
}

int nolibc_vfmt(struct nolibc_sink *sink, const char *fmt, va_list ap_in)
{
    struct out o = { .sink = sink };
    struct spec sp;
    va_list ap;

    /* A copy that helpers can advance through a pointer: va_list is an
     * array type on x86_64, so &ap_in would not be a va_list *. */
    va_copy(ap, ap_in);
    while (*fmt) {
        const char *lit = fmt, *start;

        while (*fmt && *fmt != '%')
            fmt++;
        out_put(&o, lit, (size_t)(fmt - lit));
        if (!*fmt)
            break;
        start = fmt;
        fmt = parse_spec(fmt + 1, &sp, &ap);
        convert(&o, &sp, start, fmt, &ap);
    }
    va_end(ap);
    return o.overflow ? -EOVERFLOW : (int)o.total;
}
