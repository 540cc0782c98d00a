/* The apps' option tables: walking argv with one, the --help text made
 * from it, the one error line, and the kinds of value that need no other
 * library (nfapp_opt_net.c has the MAC and IPv4 ones). No libc number
 * parsing: strtoull would take signs, spaces and saturate on overflow. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/nfapp_opt.h>

#define USAGE_COLUMNS 80

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal digits (at least one) into *v; the text after them, or NULL
 * when there is no digit or the number does not fit 64 bits. */
static const char *parse_dec(const char *s, uint64_t *v)
{
    const char *p = s;
    uint64_t n = 0;

    for (; is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');

        if (n > (UINT64_MAX - d) / 10)
            return NULL;
        n = n * 10 + d;
    }
    if (p == s)
        return NULL;
    *v = n;
    return p;
}

/* A whole number, optionally followed by one of K, M, G (either case)
 * worth base, base^2, base^3. -ERANGE when it does not fit 64 bits. */
static int parse_whole(const char *s, uint64_t base, uint64_t *out)
{
    static const char suffixes[] = "kmg";
    const char *p, *k;
    uint64_t v, mult = 1;
    ptrdiff_t n;

    if (!s || !is_digit(*s))
        return -EINVAL;
    if (!(p = parse_dec(s, &v)))
        return -ERANGE;
    if (*p) {
        if (p[1] || !(k = strchr(suffixes, *p | 0x20)))
            return -EINVAL;
        for (n = k - suffixes + 1; n > 0; n--)
            mult *= base;
    }
    if (v > UINT64_MAX / mult)
        return -ERANGE;
    *out = v * mult;
    return 0;
}

static int check_range(const struct nfapp_opt *o, uint64_t v)
{
    return v < o->min || v > o->max ? -ERANGE : 0;
}

static int parse_count(const struct nfapp_opt *o, const char *s)
{
    uint64_t v;
    int err = parse_whole(s, 1000, &v);

    if (!err && !(err = check_range(o, v)))
        *(uint64_t *)o->dst = v;
    return err;
}

static int parse_size(const struct nfapp_opt *o, const char *s)
{
    uint64_t v;
    int err = parse_whole(s, 1024, &v);

    if (!err && !(err = check_range(o, v)) && v > SIZE_MAX)
        err = -ERANGE;
    if (!err)
        *(size_t *)o->dst = (size_t)v;
    return err;
}

static int parse_u16(const struct nfapp_opt *o, const char *s)
{
    const char *end;
    uint64_t v;

    if (!s || !is_digit(*s))
        return -EINVAL;
    if (!(end = parse_dec(s, &v)))
        return -ERANGE;
    if (*end)
        return -EINVAL;
    if (v > UINT16_MAX || check_range(o, v))
        return -ERANGE;
    *(uint16_t *)o->dst = (uint16_t)v;
    return 0;
}

/* Seconds as digits with an optional fraction: up to 9 digits each side. */
static int parse_seconds(const struct nfapp_opt *o, const char *s)
{
    uint64_t whole = 0, frac = 0, scale = 1;
    bool digits = false;
    const char *p = s;

    if (!s)
        return -EINVAL;
    for (; is_digit(*p) && whole < 100000000; p++, digits = true)
        whole = whole * 10 + (uint64_t)(*p - '0');
    if (*p == '.')
        for (p++; is_digit(*p) && scale < 1000000000; p++, digits = true)
            frac = frac * 10 + (uint64_t)(*p - '0'), scale *= 10;
    if (*p || !digits)
        return -EINVAL;
    *(double *)o->dst = (double)whole + (double)frac / (double)scale;
    return 0;
}

static int parse_flag(const struct nfapp_opt *o, const char *s)
{
    *(bool *)o->dst = true;
    return 0;
}

/* One of the words of o->arg, "a|b|c": the row's help shows the choices. */
static int parse_choice(const struct nfapp_opt *o, const char *s)
{
    size_t n = strlen(s);
    const char *w = o->arg;

    while (n && w) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);

        if (len == n && !strncmp(w, s, n)) {
            *(const char **)o->dst = s;
            return 0;
        }
        w = bar ? bar + 1 : NULL;
    }
    return -EINVAL;
}

const struct nfapp_opt_kind nfapp_opt_flag = { parse_flag, "no value" };
const struct nfapp_opt_kind nfapp_opt_choice = { parse_choice, "one of the words shown in --help" };
const struct nfapp_opt_kind nfapp_opt_count = { parse_count, "a whole number (K/M/G: x1000)" };
const struct nfapp_opt_kind nfapp_opt_u16 = { parse_u16, "a whole number" };
const struct nfapp_opt_kind nfapp_opt_size = { parse_size, "a size in bytes (K/M/G: x1024)" };
const struct nfapp_opt_kind nfapp_opt_seconds = { parse_seconds, "seconds, as 2 or 0.5" };

/* "--name ARG" or "--name": its length in --help. */
static size_t opt_len(const struct nfapp_opt *o)
{
    return strlen(o->name) + (o->arg ? 1 + strlen(o->arg) : 0);
}

static void print_opt(const struct nfapp_opt *o)
{
    fputs(o->name, stdout);
    if (o->arg)
        printf(" %s", o->arg);
}

/* usage: APP [--a] [--b N] ..., wrapped under the first option. */
static void print_synopsis(const char *app, const struct nfapp_opt *opts)
{
    size_t indent = strlen("usage: ") + strlen(app), col = indent;

    printf("usage: %s", app);
    for (; opts->name; opts++) {
        size_t len = opt_len(opts) + 3; /* " [" and "]" */

        if (col + len > USAGE_COLUMNS) {
            printf("\n%*s", (int)indent, "");
            col = indent;
        }
        fputs(" [", stdout);
        print_opt(opts);
        fputs("]", stdout);
        col += len;
    }
    fputs("\n", stdout);
}

static void print_usage(const char *app, const char *about, const struct nfapp_opt *opts)
{
    const struct nfapp_opt *o;
    size_t width = strlen("--help");

    for (o = opts; o->name; o++)
        if (opt_len(o) > width)
            width = opt_len(o);
    print_synopsis(app, opts);
    if (about)
        fputs(about, stdout);
    for (o = opts; o->name; o++) {
        fputs("  ", stdout);
        print_opt(o);
        printf("%*s%s\n", (int)(width - opt_len(o) + 2), "", o->help);
    }
    printf("  --help%*sprints this text\n", (int)(width - strlen("--help") + 2), "");
}

static void print_bad_value(const char *app, const struct nfapp_opt *o, const char *v, int err)
{
    fprintf(stderr, "%s: bad value '%s' for %s: expected ", app, v ? v : "(none)", o->name);
    if (err == -ERANGE)
        fprintf(stderr, "%llu..%llu\n", (unsigned long long)o->min, (unsigned long long)o->max);
    else
        fprintf(stderr, "%s\n", o->kind->what);
}

static const struct nfapp_opt *find(const struct nfapp_opt *opts, const char *name)
{
    for (; opts->name; opts++)
        if (!strcmp(opts->name, name))
            return opts;
    return NULL;
}

int nfapp_args_parse(const char *app, const char *about, const struct nfapp_opt *opts, int argc,
                     char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        const struct nfapp_opt *o;
        const char *v = NULL;
        int err;

        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage(app, about, opts);
            return 0;
        }
        if (!(o = find(opts, argv[i]))) {
            fprintf(stderr, "%s: unknown argument '%s' (%s --help lists the options)\n", app,
                    argv[i], app);
            return 2;
        }
        if (o->arg && i + 1 < argc)
            v = argv[++i];
        err = o->arg && !v ? -EINVAL : o->kind->parse(o, v);
        if (err) {
            print_bad_value(app, o, v, err);
            return 2;
        }
    }
    return NFAPP_RUN;
}
