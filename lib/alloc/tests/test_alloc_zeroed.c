/* Unit tests for zeroed allocations (alloc_memalign_zeroed, calloc): memory
 * the heap handed out before comes back zeroed, memory it never handed out
 * is not written at all. The proof is a region filled with a pattern and
 * declared zeroed at boot, a lie only these tests tell: the pattern
 * survives wherever the allocator relies on the promise, and an owner's
 * bytes never come back. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <nfos/alloc.h>
#include <nfos/compiler.h>
#include <nfos/plat/memory.h>

#define KiB     1024UL
#define MiB     (1024 * KiB)
#define BOOT    0xa5 /* what "zeroed at boot" memory holds here */
#define OWNER   0x3c /* what an owner writes before it frees */
#define HEAP_SZ (4 * MiB)

static struct plat_mem_region fake_region;
static int fake_zeroed;

int plat_mem_regions(const struct plat_mem_region **regions)
{
    *regions = &fake_region;
    return 1;
}

int plat_mem_zeroed(void)
{
    return fake_zeroed;
}

/* HEAP_SZ bytes, 2 MiB aligned, holding BOOT. */
static char *boot_ram(void)
{
    char *m =
        mmap(NULL, HEAP_SZ + 2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    cr_assert(m != MAP_FAILED);
    m = (char *)NFOS_ALIGN_UP((uintptr_t)m, 2 * MiB);
    memset(m, BOOT, HEAP_SZ);
    return m;
}

/* The bytes at p, from..to, all hold c. */
static void assert_bytes(const char *p, size_t from, size_t to, int c, const char *what)
{
    size_t i;

    for (i = from; i < to; i++)
        cr_assert_eq((unsigned char)p[i], c, "%s: byte %zu is %#x, not %#x", what, i,
                     (unsigned char)p[i], c);
}

static struct alloc_heap *zeroed_heap(bool declared)
{
    static struct alloc_heap h;

    cr_assert_eq(alloc_heap_init(&h, boot_ram(), HEAP_SZ), 0);
    if (declared)
        alloc_heap_declare_zeroed(&h);
    return &h;
}

Test(alloc_zeroed, fresh_memory_is_not_written_used_memory_is_zeroed)
{
    struct alloc_heap *h = zeroed_heap(true);
    void *a, *b, *c;

    cr_assert_eq(alloc_heap_memalign_zeroed(h, &a, 4096, 64 * KiB), 0);
    assert_bytes(a, 0, 64 * KiB, BOOT, "never handed out");
    memset(a, OWNER, 64 * KiB);
    alloc_heap_free(h, a);

    /* The frontier came down: the same pages come back first, then fresh
     * ones past what a used. */
    cr_assert_eq(alloc_heap_memalign_zeroed(h, &b, 4096, 96 * KiB), 0);
    cr_assert_eq(b, a);
    assert_bytes(b, 0, 64 * KiB, 0, "used before");
    assert_bytes(b, 64 * KiB, 96 * KiB, BOOT, "never handed out");

    /* A block from the free lists, below live memory: used, so zeroed
     * (pgalloc's list node in it included). */
    cr_assert_eq(alloc_heap_memalign_zeroed(h, &c, 4096, 16 * KiB), 0);
    memset(b, OWNER, 96 * KiB);
    memset(c, OWNER, 16 * KiB);
    alloc_heap_free(h, b); /* its 16-page block goes on a free list */
    cr_assert_eq(alloc_heap_memalign_zeroed(h, &a, 4096, 64 * KiB), 0);
    cr_assert_eq(a, b);
    assert_bytes(a, 0, 64 * KiB, 0, "from the free lists");
    alloc_heap_free(h, a);
    alloc_heap_free(h, c);
}

Test(alloc_zeroed, without_the_promise_everything_is_zeroed)
{
    struct alloc_heap *h = zeroed_heap(false);
    void *a;

    cr_assert_eq(alloc_heap_memalign_zeroed(h, &a, 2 * MiB, MiB), 0);
    assert_bytes(a, 0, MiB, 0, "no promise");
    alloc_heap_free(h, a);
}

Test(alloc_zeroed, small_sizes_are_zeroed_whole)
{
    struct alloc_heap *h = zeroed_heap(true);
    void *a;

    cr_assert_eq(alloc_heap_memalign_zeroed(h, &a, 16, 100), 0);
    assert_bytes(a, 0, 100, 0, "slab object");
    alloc_heap_free(h, a);
}

/* Random sizes, alignments and frees: every zeroed block reads as zeros
 * then, where it reaches memory never handed out, BOOT; never OWNER. */
Test(alloc_zeroed, random_blocks_are_zero_then_untouched_never_dirty)
{
    struct alloc_heap *h = zeroed_heap(true);
    static struct {
        char *p;
        size_t len;
    } live[32];
    size_t n = 0, step, i, fresh_bytes = 0;

    srand(5);
    for (step = 0; step < 3000; step++) {
        size_t len = 1 + (size_t)rand() % (rand() % 4 ? 8 * KiB : 100 * KiB);
        void *p;

        if (n == 32 || (n && rand() % 2)) {
            i = (size_t)rand() % n;
            memset(live[i].p, OWNER, live[i].len);
            alloc_heap_free(h, live[i].p);
            live[i] = live[--n];
            continue;
        }
        if (alloc_heap_memalign_zeroed(h, &p, (size_t)16 << (rand() % 10), len))
            continue;
        for (i = 0; i < len && ((char *)p)[i] == 0; i++)
            ;
        fresh_bytes += len - i;
        assert_bytes(p, i, len, BOOT, "after the zeros");
        live[n].p = p;
        live[n++].len = len;
    }
    cr_expect_gt(fresh_bytes, 0, "some blocks reached untouched memory");
    while (n)
        alloc_heap_free(h, live[--n].p);
}

/* The default heap asks the platform; calloc of page runs uses the same. */
Test(alloc_zeroed, default_heap_follows_the_platform)
{
    char *p, *q;
    void *a;

    fake_region.base = (uintptr_t)boot_ram();
    fake_region.len = HEAP_SZ;
    fake_zeroed = 1;
    cr_assert_eq(alloc_init(), 0);
    cr_assert_eq(alloc_memalign_zeroed(&a, 4096, 40 * KiB), 0);
    assert_bytes(a, 0, 40 * KiB, BOOT, "never handed out");
    p = alloc_calloc(10, 4 * KiB);
    assert_bytes(p, 0, 40 * KiB, BOOT, "calloc, never handed out");
    memset(p, OWNER, 40 * KiB);
    alloc_free(p);
    q = alloc_calloc(4 * KiB, 10);
    cr_assert_eq(q, p);
    assert_bytes(q, 0, 40 * KiB, 0, "calloc, used before");
    alloc_free(q);
    alloc_free(a);

    fake_region.base = (uintptr_t)boot_ram();
    fake_zeroed = 0;
    cr_assert_eq(alloc_init(), 0);
    cr_assert_eq(alloc_memalign_zeroed(&a, 4096, 40 * KiB), 0);
    assert_bytes(a, 0, 40 * KiB, 0, "the platform promised nothing");
    p = alloc_calloc(1, 40 * KiB);
    assert_bytes(p, 0, 40 * KiB, 0, "calloc, the platform promised nothing");
}
