/* nolibc: the small C library of the kvm platform (linuxu uses the host's).
 *
 * Applications include the standard headers it provides (assert.h ctype.h
 * errno.h inttypes.h limits.h setjmp.h stdio.h stdlib.h string.h strings.h
 * sys/types.h); the freestanding ones (stdarg.h stddef.h stdint.h
 * stdbool.h) come from the compiler. stdout is line-buffered to the
 * platform console, stderr unbuffered; malloc and friends need lib/alloc.
 *
 * This header is nolibc's own API: the printf engine behind every printf
 * variant, for libraries that format into something other than a FILE or a
 * buffer (a log ring, a packet). */
#ifndef NFOS_NOLIBC_H
#define NFOS_NOLIBC_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Where nolibc_vfmt sends its output: put() receives runs of bytes (a
 * literal stretch of the format, a converted field or a piece of one,
 * padding in chunks of 32), so a sink costs one call per run, not per byte.
 * Embed it first in a larger struct to carry state.
 */
struct nolibc_sink {
    void (*put)(struct nolibc_sink *sink, const char *buf, size_t len);
};

/* Formats as vprintf does into sink; returns the number of bytes produced,
 * or -EOVERFLOW (and stops producing) when that would exceed INT_MAX. */
int nolibc_vfmt(struct nolibc_sink *sink, const char *fmt, va_list ap);

#endif /* NFOS_NOLIBC_H */
