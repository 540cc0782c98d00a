/* In-image allocator tests: malloc family over the platform's real RAM,
 * exhaustion and recovery, alignment. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <nfos/alloc.h>
#include "tap.h"

#define EXHAUST_CHUNK (256 << 10)
#define EXHAUST_MAX   65536

static void *chunks[EXHAUST_MAX];

static void alloc_patterns(void)
{
    void *p[64];
    int i, ok = 1;

    for (i = 0; i < 64; i++) {
        size_t n = (size_t)(i * 37 + 1) * (i % 7 + 1);

        p[i] = alloc_malloc(n);
        if (!p[i]) {
            ok = 0;
            break;
        }
        memset(p[i], i, n);
    }
    for (i = 0; ok && i < 64; i++) {
        size_t n = (size_t)(i * 37 + 1) * (i % 7 + 1);
        const unsigned char *b = p[i];

        if (b[0] != i || b[n - 1] != i)
            ok = 0;
    }
    for (i = 0; i < 64 && p[i]; i++)
        alloc_free(p[i]);
    TAP_OK(ok, "malloc: 64 blocks of mixed sizes keep their contents");
}

static void alloc_calloc_realloc(void)
{
    unsigned char *p = alloc_calloc(1000, 3);
    int zero = 1, i;

    for (i = 0; p && i < 3000; i++)
        zero &= p[i] == 0;
    TAP_OK(p && zero, "calloc: 3000 bytes zeroed");
    for (i = 0; p && i < 3000; i++)
        p[i] = (unsigned char)i;
    p = alloc_realloc(p, 100000);
    for (i = 0, zero = 1; p && i < 3000; i++)
        zero &= p[i] == (unsigned char)i;
    TAP_OK(p && zero, "realloc: growing to 100000 bytes keeps contents");
    alloc_free(p);
    TAP_OK(alloc_calloc(SIZE_MAX / 2, 3) == NULL, "calloc: size overflow refused");
}

static void alloc_alignment(void)
{
    size_t a;
    int ok = 1;

    for (a = 16; a <= (2 << 20); a <<= 1) {
        void *p = NULL;

        if (alloc_memalign(&p, a, 100) || ((uintptr_t)p & (a - 1)))
            ok = 0;
        alloc_free(p);
    }
    TAP_OK(ok, "memalign: alignments 16 B .. 2 MiB hold");
    {
        void *p = NULL;

        TAP_OK(alloc_memalign(&p, 24, 8) == -EINVAL, "memalign: alignment 24 refused");
    }
}

static void alloc_exhaustion(void)
{
    struct alloc_stats before, after;
    int n = 0, i;
    void *again;

    alloc_stats(&before);
    TAP_DIAG("heap: %zu KiB free of %zu KiB in %u region(s); the next "
             "'out of memory' line is expected",
             before.free_bytes >> 10, before.total_bytes >> 10, before.nr_regions);
    while (n < EXHAUST_MAX && (chunks[n] = alloc_malloc(EXHAUST_CHUNK)))
        n++;
    TAP_OK(n > 0 && n < EXHAUST_MAX, "exhaustion: NULL after %d chunks of 256 KiB", n);
    for (i = 0; i < n; i++)
        alloc_free(chunks[i]);
    alloc_stats(&after);
    TAP_OK(after.free_bytes == before.free_bytes,
           "exhaustion: all memory back after freeing (%zu == %zu)", after.free_bytes,
           before.free_bytes);
    again = alloc_malloc(EXHAUST_CHUNK);
    TAP_OK(again != NULL, "exhaustion: malloc works again afterwards");
    alloc_free(again);
}

void selftest_alloc(void)
{
    alloc_patterns();
    alloc_calloc_realloc();
    alloc_alignment();
    alloc_exhaustion();
}
