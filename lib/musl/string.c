/* memcpy, memmove and memset for musl images, linked ahead of musl's
 * libc.a (whose memcpy.o, memmove.o and memset.o are then never pulled).
 *
 * Why: musl's x86_64 memcpy is `rep movsq` after a byte loop that aligns
 * the destination; for the small copies of the data path (a 64 B frame
 * template, a header) rep's start-up dominates, and callgrind counted it
 * at 8 instructions a packet more than glibc's in dpdk-testpmd's linuxu
 * image (lib/dpdk/README.md, "Instructions per packet"). Here a size up to
 * 64 bytes is one to four pairs of possibly overlapping loads and stores,
 * every load before the first store, so that one path serves memcpy and
 * memmove; larger sizes copy 64 bytes a step forward or backward, whichever
 * the overlap allows, and from NFOS_STRING_BULK_MIN bytes with no overlap
 * at all `rep movsb`/`rep stosb`, which CPUs with ERMS run a cache line at
 * a time.
 *
 * 16-byte SSE2 loads and stores (x86_64's baseline): C runs at CPL3 in
 * every image, where SSE is allowed (plat/kvm/Makefile.uk). Built with
 * -fno-builtin -fno-tree-loop-distribute-patterns, so that the compiler
 * does not turn the loops back into calls to the functions they define.
 * lib/musl/tests compares them with byte loops for every size to 300 and
 * every alignment. */
#include <stddef.h>
#include <stdint.h>

#include "musl_string.h"

/* Unaligned, aliasing views of memory (as emmintrin.h's __m128i_u). */
typedef long long v16 __attribute__((vector_size(16), aligned(1), may_alias));
typedef uint64_t u64u __attribute__((aligned(1), may_alias));
typedef uint32_t u32u __attribute__((aligned(1), may_alias));

#define LD16(p)    (*(const v16 *)(const void *)(p))
#define ST16(p, v) (*(v16 *)(void *)(p) = (v))

/* Below this rep's start-up (some 30 cycles) costs more than the loop. */
#define NFOS_STRING_BULK_MIN 2048

/* n <= 32 bytes, everything loaded before anything is stored: right for
 * any overlap (as nfos_memmove's 33 to 64). */
static inline __attribute__((always_inline)) void copy_upto32(unsigned char *d,
                                                              const unsigned char *s, size_t n)
{
    if (n >= 16) {
        v16 a = LD16(s), b = LD16(s + n - 16);

        ST16(d, a);
        ST16(d + n - 16, b);
    } else if (n >= 8) {
        uint64_t a = *(const u64u *)s, b = *(const u64u *)(s + n - 8);

        *(u64u *)d = a;
        *(u64u *)(d + n - 8) = b;
    } else if (n >= 4) {
        uint32_t a = *(const u32u *)s, b = *(const u32u *)(s + n - 4);

        *(u32u *)d = a;
        *(u32u *)(d + n - 4) = b;
    } else if (n) {
        /* 1 to 3 bytes: the first, the middle and the last. */
        unsigned char a = s[0], b = s[n / 2], c = s[n - 1];

        d[0] = a;
        d[n / 2] = b;
        d[n - 1] = c;
    }
}

/* n > 64. Forward when the destination starts at or before the source or
 * the two do not meet: each 64-byte step loads before it stores, and what
 * it overwrites of the source lies behind it; the last 64 bytes are loaded
 * first and stored last. Backward otherwise, the first 64 likewise. */
static void copy_large(unsigned char *d, const unsigned char *s, size_t n)
{
    uintptr_t fwd = (uintptr_t)d - (uintptr_t)s, back = (uintptr_t)s - (uintptr_t)d;
    size_t i;

    if (n >= NFOS_STRING_BULK_MIN && fwd >= n && back >= n) {
        __asm__ __volatile__("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
        return;
    }
    /* One index for both sides: a step is 8 moves, an add, a compare and
     * a branch. */
    if (fwd >= n) {
        v16 t0 = LD16(s + n - 64), t1 = LD16(s + n - 48), t2 = LD16(s + n - 32),
            t3 = LD16(s + n - 16);

        for (i = 0; i < n - 64; i += 64) {
            v16 a = LD16(s + i), b = LD16(s + i + 16), c = LD16(s + i + 32), e = LD16(s + i + 48);

            ST16(d + i, a);
            ST16(d + i + 16, b);
            ST16(d + i + 32, c);
            ST16(d + i + 48, e);
        }
        ST16(d + n - 64, t0);
        ST16(d + n - 48, t1);
        ST16(d + n - 32, t2);
        ST16(d + n - 16, t3);
        return;
    }
    {
        v16 h0 = LD16(s), h1 = LD16(s + 16), h2 = LD16(s + 32), h3 = LD16(s + 48);

        for (i = n; i > 64;) {
            v16 a, b, c, e;

            i -= 64;
            a = LD16(s + i), b = LD16(s + i + 16), c = LD16(s + i + 32), e = LD16(s + i + 48);
            ST16(d + i, a);
            ST16(d + i + 16, b);
            ST16(d + i + 32, c);
            ST16(d + i + 48, e);
        }
        ST16(d, h0);
        ST16(d + 16, h1);
        ST16(d + 32, h2);
        ST16(d + 48, h3);
    }
}

/* Every size but 33 to 64, out of line: nfos_memmove's common case then
 * needs no register of its own beyond the four loads (a tail call). */
static __attribute__((noinline)) void *memmove_other(unsigned char *d, const unsigned char *s,
                                                     size_t n)
{
    if (n <= 32)
        copy_upto32(d, s, n);
    else
        copy_large(d, s, n);
    return d;
}

void *nfos_memmove(void *dst, const void *src, size_t n)
{
    const unsigned char *s = src;
    unsigned char *d = dst;

    /* 33 to 64 bytes first, in one compare: minimum-size frames (60 and
     * 64 B, the null driver's template) land there. */
    if (n - 33 <= 31) {
        v16 a = LD16(s), b = LD16(s + 16), c = LD16(s + n - 32), e = LD16(s + n - 16);

        ST16(d, a);
        ST16(d + 16, b);
        ST16(d + n - 32, c);
        ST16(d + n - 16, e);
        return dst;
    }
    return memmove_other(d, s, n);
}

void *nfos_memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t w = (unsigned char)c * 0x0101010101010101ULL;
    v16 v = { (long long)w, (long long)w };

    if (n <= 32) {
        if (n >= 16) {
            ST16(d, v);
            ST16(d + n - 16, v);
        } else if (n >= 8) {
            *(u64u *)d = w;
            *(u64u *)(d + n - 8) = w;
        } else if (n >= 4) {
            *(u32u *)d = (uint32_t)w;
            *(u32u *)(d + n - 4) = (uint32_t)w;
        } else if (n) {
            d[0] = (unsigned char)c;
            d[n / 2] = (unsigned char)c;
            d[n - 1] = (unsigned char)c;
        }
        return dst;
    }
    if (n <= 64) {
        ST16(d, v);
        ST16(d + 16, v);
        ST16(d + n - 32, v);
        ST16(d + n - 16, v);
        return dst;
    }
    if (n >= NFOS_STRING_BULK_MIN) {
        __asm__ __volatile__("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
        return dst;
    }
    {
        unsigned char *end = d + n; /* n > 64: the tail stays inside */

        for (; n > 64; n -= 64, d += 64) {
            ST16(d, v);
            ST16(d + 16, v);
            ST16(d + 32, v);
            ST16(d + 48, v);
        }
        ST16(end - 64, v);
        ST16(end - 48, v);
        ST16(end - 32, v);
        ST16(end - 16, v);
    }
    return dst;
}

#ifndef NFOS_MUSL_STRING_TEST
/* The C library's names. memcpy is memmove: the direction is chosen only
 * above 64 bytes, two compares, and a memcpy of overlapping buffers (which
 * its contract leaves undefined) then still copies right. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n)
    __attribute__((alias("nfos_memmove")));
void *memmove(void *dst, const void *src, size_t n) __attribute__((alias("nfos_memmove")));
void *memset(void *dst, int c, size_t n) __attribute__((alias("nfos_memset")));
#endif
