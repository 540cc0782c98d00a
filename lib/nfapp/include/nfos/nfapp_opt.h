/* nfapp_opt: an app's command line as a table. Each row names an option,
 * the kind of value it takes (how it is parsed), where the value goes, the
 * range accepted and one line of help; nfapp_args_parse() walks argv with
 * it, prints --help from it, and refuses a bad argument with one line on
 * stderr and status 2, the same line in every app:
 *
 *   APP: unknown argument 'ARG' (APP --help lists the options)
 *   APP: bad value 'VALUE' for --OPTION: expected WHAT
 *
 * ('(none)' for a missing value; WHAT is the kind's description, or the
 * range when the value parsed but is outside it). Not here: positional
 * arguments, short options other than -h, --option=value, repeats (the last
 * one wins). Start-up only: it prints and never runs on the fast path. */
#ifndef NFOS_NFAPP_OPT_H
#define NFOS_NFAPP_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nfapp_opt;

/* A kind of value: how its text is read and what the error line says it
 * expected. */
struct nfapp_opt_kind {
    /* Reads s (NULL for a flag) into o->dst: 0; -EINVAL when s is not such
     * a value; -ERANGE when it is but lies outside [o->min, o->max]. The
     * destination is untouched on error. */
    int (*parse)(const struct nfapp_opt *o, const char *s);
    const char *what;
};

/* One option. */
struct nfapp_opt {
    const char *name; /* "--count" */
    const char *arg;  /* the value's name in --help ("PKTS"); NULL for a flag */
    const struct nfapp_opt_kind *kind;
    void *dst;         /* of the kind's type (the NFAPP_OPT_* macros check it) */
    uint64_t min, max; /* the values accepted, for the integer kinds */
    const char *help;  /* one line */
};

/* The kinds. Integers are decimal digits only: no sign, space or base. */
extern const struct nfapp_opt_kind nfapp_opt_flag;    /* bool, set to true; no value */
extern const struct nfapp_opt_kind nfapp_opt_count;   /* uint64_t; K/M/G suffixes x1000 */
extern const struct nfapp_opt_kind nfapp_opt_u16;     /* uint16_t, e.g. a UDP port */
extern const struct nfapp_opt_kind nfapp_opt_size;    /* size_t; K/M/G suffixes x1024 */
extern const struct nfapp_opt_kind nfapp_opt_seconds; /* double: "2", "0.25", ".5" */
extern const struct nfapp_opt_kind nfapp_opt_choice;  /* const char *: a word of arg "a|b|c" */
/* With lib/net in the image (they use its strict text parsers): */
extern const struct nfapp_opt_kind nfapp_opt_mac;  /* uint8_t[6]: aa:bb:cc:dd:ee:ff */
extern const struct nfapp_opt_kind nfapp_opt_ipv4; /* uint32_t, network order: a.b.c.d */

/* &var as the destination, or a compile error when &var is not a P. */
#define NFAPP_OPT_DST(P, var) _Generic(&(var), P : (void *)&(var))

/* Table rows, one per option; a table ends with NFAPP_OPT_END. (Kept out
 * of clang-format, which would spread each row's braces over three lines.) */
/* clang-format off */
#define NFAPP_OPT_FLAG(name, var, help) \
    { name, NULL, &nfapp_opt_flag, NFAPP_OPT_DST(bool *, var), 0, 0, help }
#define NFAPP_OPT_COUNT(name, arg, var, lo, hi, help) \
    { name, arg, &nfapp_opt_count, NFAPP_OPT_DST(uint64_t *, var), lo, hi, help }
#define NFAPP_OPT_U16(name, arg, var, lo, hi, help) \
    { name, arg, &nfapp_opt_u16, NFAPP_OPT_DST(uint16_t *, var), lo, hi, help }
#define NFAPP_OPT_SIZE(name, arg, var, lo, hi, help) \
    { name, arg, &nfapp_opt_size, NFAPP_OPT_DST(size_t *, var), lo, hi, help }
#define NFAPP_OPT_SECONDS(name, arg, var, help) \
    { name, arg, &nfapp_opt_seconds, NFAPP_OPT_DST(double *, var), 0, 0, help }
#define NFAPP_OPT_MAC(name, arg, var, help) \
    { name, arg, &nfapp_opt_mac, NFAPP_OPT_DST(uint8_t(*)[6], var), 0, 0, help }
#define NFAPP_OPT_IPV4(name, arg, var, help) \
    { name, arg, &nfapp_opt_ipv4, NFAPP_OPT_DST(uint32_t *, var), 0, 0, help }
#define NFAPP_OPT_CHOICE(name, words, var, help) \
    { name, words, &nfapp_opt_choice, NFAPP_OPT_DST(const char **, var), 0, 0, help }
#define NFAPP_OPT_END { NULL, NULL, NULL, NULL, 0, 0, NULL }
/* clang-format on */

/* What nfapp_args_parse returns when the app should go on. */
#define NFAPP_RUN (-1)

/* Parses argv[1..argc) with the table opts (ended by NFAPP_OPT_END).
 * --help or -h prints the usage line, about (lines that each begin with
 * two spaces and end with a newline), one line per option and returns 0;
 * a bad argument prints the error line named app and returns 2; else every
 * value is in its destination and it returns NFAPP_RUN. main() returns
 * what is not NFAPP_RUN. */
int nfapp_args_parse(const char *app, const char *about, const struct nfapp_opt *opts, int argc,
                     char **argv);

#endif /* NFOS_NFAPP_OPT_H */
