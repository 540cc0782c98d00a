/* Writes newc cpio archives for the cpiofs tests and the fuzz seeds, by
 * the format's description (not by cpiofs's own parser). */
#ifndef CPIOFS_TEST_BUILD_H
#define CPIOFS_TEST_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct cpio_buf {
    uint8_t b[65536];
    size_t n;
};

static inline void cpio_pad4(struct cpio_buf *c)
{
    while (c->n % 4)
        c->b[c->n++] = 0;
}

/* One entry: name, mode, data (len bytes; a directory passes none). */
static inline void cpio_add(struct cpio_buf *c, const char *name, uint32_t mode, const void *data,
                            size_t len)
{
    static unsigned ino = 100;
    char hdr[111];

    snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino++,
             mode, 1000u, 1000u, 1u, 1700000000u, (unsigned)len, 0u, 0u, 0u, 0u,
             (unsigned)strlen(name) + 1, 0u);
    memcpy(c->b + c->n, hdr, 110);
    c->n += 110;
    memcpy(c->b + c->n, name, strlen(name) + 1);
    c->n += strlen(name) + 1;
    cpio_pad4(c);
    memcpy(c->b + c->n, data, len);
    c->n += len;
    cpio_pad4(c);
}

static inline void cpio_trailer(struct cpio_buf *c)
{
    cpio_add(c, "TRAILER!!!", 0, "", 0);
}

#endif /* CPIOFS_TEST_BUILD_H */
