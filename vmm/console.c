/* The guest's COM1 output, passed through to a file descriptor a line at a
 * time: one write(2) per batch that ends a line, never one per byte, and a guest that never
 * ends a line still gets out when the buffer fills or the guest ends. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "nfvm.h"

void nfvm_console_flush(struct nfvm_console *c)
{
    size_t off = 0;

    while (off < c->len) {
        ssize_t n = write(c->fd, c->buf + off, c->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->lost += c->len - off;
            break;
        }
        off += (size_t)n;
    }
    c->len = 0;
}

void nfvm_console_put(struct nfvm_console *c, const uint8_t *p, size_t n)
{
    int line = 0;

    while (n) {
        size_t room = sizeof(c->buf) - c->len, k = n < room ? n : room;

        line = line || memchr(p, '\n', k);
        memcpy(c->buf + c->len, p, k);
        c->len += k;
        p += k;
        n -= k;
        if (c->len == sizeof(c->buf)) {
            nfvm_console_flush(c);
            line = 0;
        }
    }
    /* Like stdio's line buffering: a batch that ended a line goes out whole. */
    if (line)
        nfvm_console_flush(c);
}
