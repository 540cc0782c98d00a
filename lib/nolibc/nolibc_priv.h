/* nolibc internals shared between its files: the sink printf.c formats
 * into (snprintf.c and stdio.c provide them), dtoa, word-access helpers. */
#ifndef NFOS_NOLIBC_PRIV_H
#define NFOS_NOLIBC_PRIV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <nfos/nolibc.h>

/*
 * A double converted for printf (dtoa.c), in pieces so that padding and
 * precisions beyond the 17 significant digits a double holds cost no
 * buffer: [head][head_zeros x '0'][.][frac][frac_zeros x '0'][exp].
 * The sign is left to the caller; special is set for inf and nan.
 */
struct nolibc_fnum {
    char head[24];
    char frac[24];
    char exp[8];
    unsigned char head_len, frac_len, exp_len;
    unsigned char point, neg, special;
    size_t head_zeros;
    size_t frac_zeros;
};

/* conv is one of f F e E g G a A (a prints as e); prec < 0 means 6. */
void nolibc_dtoa(struct nolibc_fnum *fn, double x, int conv, int prec, int alt);

/* Writes out what stdout holds (exit, abort and stderr use it). */
void nolibc_stdout_flush(void);

/* Unaligned, alias-anything 64-bit access: x86_64 loads and stores these
 * at full speed, and the may_alias keeps gcc's type-based alias analysis
 * from reordering them against the byte accesses around them. */
typedef uint64_t __attribute__((__may_alias__, __aligned__(1))) nolibc_word_t;

/*
 * strlen reads whole aligned words, which may run past the terminating NUL
 * but never into the next page. That is safe on hardware but AddressSanitizer
 * (used by the host unit tests) would report it, so tell it not to look.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NOLIBC_WORD_OVERREAD __attribute__((no_sanitize_address))
#else
#define NOLIBC_WORD_OVERREAD
#endif

#endif /* NFOS_NOLIBC_PRIV_H */
