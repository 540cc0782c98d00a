/* The string.h functions. mem* and strlen work a word at a time (rep
 * movsb/stosb for large sizes); the rest are plain byte loops. No locale. */
#ifndef NFOS_NOLIBC_NO_BUILTIN_MACROS
#define NFOS_NOLIBC_NO_BUILTIN_MACROS 1 /* this file defines what they call */
#endif
#include <string.h>
#include <stdint.h>

#include "nolibc_priv.h"
#include "string_arch.h"

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Non-zero iff some byte of w is zero (exact, not just a hint). */
#define HAS_ZERO(w) (((w)-ONES) & ~(w)&HIGHS)

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (n >= NOLIBC_BULK_MIN) {
        nolibc_bulk_copy(d, s, n);
        return dst;
    }
    if (n >= 8) {
        /* The last, possibly partial, word is copied as a whole word
         * ending at the last byte: rewriting a few bytes with the same
         * values is cheaper than a byte loop. */
        size_t tail = n - 8;

        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(nolibc_word_t *)d = *(const nolibc_word_t *)s;
        *(nolibc_word_t *)((unsigned char *)dst + tail) =
            *(const nolibc_word_t *)((const unsigned char *)src + tail);
        return dst;
    }
    for (; n; n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (d == s || n == 0)
        return dst;
    if ((uintptr_t)s - (uintptr_t)d >= n && (uintptr_t)d - (uintptr_t)s >= n)
        return memcpy(dst, src, n); /* no overlap at all */
    if ((uintptr_t)d < (uintptr_t)s) {
        /* Forward: each word is loaded before the store that could
         * overwrite the source bytes after it. */
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(nolibc_word_t *)d = *(const nolibc_word_t *)s;
        for (; n; n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        for (; n >= 8; n -= 8) {
            d -= 8;
            s -= 8;
            *(nolibc_word_t *)d = *(const nolibc_word_t *)s;
        }
        while (n--)
            *--d = *--s;
    }
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t w = (unsigned char)c * ONES;

    if (n >= NOLIBC_BULK_MIN) {
        nolibc_bulk_fill(d, (unsigned char)c, n);
        return dst;
    }
    if (n >= 8) {
        size_t tail = n - 8; /* as in memcpy: one overlapping last word */

        for (; n >= 8; n -= 8, d += 8)
            *(nolibc_word_t *)d = w;
        *(nolibc_word_t *)((unsigned char *)dst + tail) = w;
        return dst;
    }
    for (; n; n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;

    /* Skip equal words; the first differing word is resolved bytewise,
     * which keeps the result independent of byte order. */
    for (; n >= 8; n -= 8, x += 8, y += 8)
        if (*(const nolibc_word_t *)x != *(const nolibc_word_t *)y)
            break;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n; n--, p++)
        if (*p == (unsigned char)c)
            return (void *)p;
    return NULL;
}

/* Aligned word reads never cross a page, so reading past the NUL is safe. */
NOLIBC_WORD_OVERREAD size_t strlen(const char *s)
{
    const char *p = s;
    const nolibc_word_t *w;

    for (; (uintptr_t)p % 8; p++)
        if (!*p)
            return (size_t)(p - s);
    for (w = (const nolibc_word_t *)p; !HAS_ZERO(*w); w++)
        ;
    for (p = (const char *)w; *p; p++)
        ;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t maxlen)
{
    const char *end = memchr(s, 0, maxlen);

    return end ? (size_t)(end - s) : maxlen;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (; *x && *x == *y; x++, y++)
        ;
    return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    if (!n)
        return 0;
    for (; --n && *x && *x == *y; x++, y++)
        ;
    return *x - *y;
}

static inline int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

int strcasecmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    for (; *x && lower(*x) == lower(*y); x++, y++)
        ;
    return lower(*x) - lower(*y);
}

int strncasecmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;

    if (!n)
        return 0;
    for (; --n && *x && lower(*x) == lower(*y); x++, y++)
        ;
    return lower(*x) - lower(*y);
}

char *strcpy(char *restrict dst, const char *restrict src)
{
    return memcpy(dst, src, strlen(src) + 1);
}

char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
    size_t len = strnlen(src, n);

    memcpy(dst, src, len);
    memset(dst + len, 0, n - len); /* C requires the zero padding */
    return dst;
}

char *strcat(char *restrict dst, const char *restrict src)
{
    strcpy(dst + strlen(dst), src);
    return dst;
}

char *strncat(char *restrict dst, const char *restrict src, size_t n)
{
    char *end = dst + strlen(dst);
    size_t len = strnlen(src, n);

    memcpy(end, src, len);
    end[len] = '\0';
    return dst;
}

char *strchr(const char *s, int c)
{
    for (; *s != (char)c; s++)
        if (!*s)
            return NULL;
    return (char *)s;
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    do {
        if (*s == (char)c)
            last = s;
    } while (*s++);
    return (char *)last;
}

char *strstr(const char *haystack, const char *needle)
{
    size_t len = strlen(needle);

    if (!len)
        return (char *)haystack;
    /* Quadratic in the worst case; needles here are short tokens. */
    for (; (haystack = strchr(haystack, needle[0])); haystack++)
        if (!strncmp(haystack, needle, len))
            return (char *)haystack;
    return NULL;
}

/* A 256-bit set of the bytes in set; NUL is never a member. */
struct byteset {
    uint64_t bits[4];
};

static void byteset_init(struct byteset *bs, const char *set)
{
    const unsigned char *p = (const unsigned char *)set;

    bs->bits[0] = bs->bits[1] = bs->bits[2] = bs->bits[3] = 0;
    for (; *p; p++)
        bs->bits[*p / 64] |= 1ULL << (*p % 64);
}

static int byteset_has(const struct byteset *bs, unsigned char c)
{
    return (bs->bits[c / 64] >> (c % 64)) & 1;
}

size_t strspn(const char *s, const char *accept)
{
    struct byteset bs;
    const unsigned char *p = (const unsigned char *)s;

    byteset_init(&bs, accept);
    for (; *p && byteset_has(&bs, *p); p++)
        ;
    return (size_t)((const char *)p - s);
}

size_t strcspn(const char *s, const char *reject)
{
    struct byteset bs;
    const unsigned char *p = (const unsigned char *)s;

    byteset_init(&bs, reject);
    for (; *p && !byteset_has(&bs, *p); p++)
        ;
    return (size_t)((const char *)p - s);
}

char *strtok_r(char *restrict s, const char *restrict delim, char **restrict saveptr)
{
    char *tok;

    if (!s)
        s = *saveptr;
    if (!s)
        return NULL;
    s += strspn(s, delim);
    if (!*s) {
        *saveptr = NULL;
        return NULL;
    }
    tok = s;
    s += strcspn(s, delim);
    if (*s)
        *s++ = '\0';
    else
        s = NULL; /* the last token: later calls return NULL */
    *saveptr = s;
    return tok;
}
