/* snprintf and friends: vfmt into a caller's buffer, truncating but always
 * NUL-terminated, returning the untruncated length. No asprintf. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <nfos/compiler.h>

#include "nolibc_priv.h"

/* The snprintf sink: keeps what fits, counts the rest. */
struct buf_sink {
    struct nolibc_sink sink;
    char *p;
    size_t room; /* bytes left, not counting the final NUL */
};

static void buf_put(struct nolibc_sink *sink, const char *s, size_t n)
{
    struct buf_sink *b = nfos_container_of(sink, struct buf_sink, sink);
    size_t k = n < b->room ? n : b->room;

    memcpy(b->p, s, k);
    b->p += k;
    b->room -= k;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
{
    struct buf_sink b = { .sink = { buf_put }, .p = buf, .room = size ? size - 1 : 0 };
    int n = nolibc_vfmt(&b.sink, fmt, ap);

    if (size)
        *b.p = '\0';
    if (n < 0) {
        errno = -n;
        return -1;
    }
    return n;
}

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
    return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, SIZE_MAX, fmt, ap);
    va_end(ap);
    return n;
}
