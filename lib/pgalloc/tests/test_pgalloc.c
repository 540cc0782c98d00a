/* Unit tests for pgalloc: O(1) set-up (proved by PROT_NONE memory, not by
 * timing), every order and its alignment, runs of any length, coalescing
 * back to an untouched region, exhaustion and recovery, refused invalid
 * frees, the untouched mark (a pattern above it survives everything). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <nfos/pgalloc.h>

#define PAGE NFOS_PAGE_SIZE
#define MiB  (1024UL * 1024)
#define GiB  (1024UL * MiB)

static void *map(size_t len, int prot)
{
    void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    cr_assert(p != MAP_FAILED, "mmap %zu bytes", len);
    return p;
}

/* Pages of [p, p + len) the kernel has actually backed. */
static size_t resident_pages(void *p, size_t len)
{
    size_t n = len / PAGE, i, count = 0;
    unsigned char *vec = malloc(n);

    cr_assert(vec);
    cr_assert_eq(mincore(p, len, vec), 0);
    for (i = 0; i < n; i++)
        count += vec[i] & 1;
    free(vec);
    return count;
}

static void assert_pristine(struct pgalloc *pa)
{
    cr_assert_eq(pgalloc_free_bytes(pa), pgalloc_total_bytes(pa));
    cr_assert_eq(pa->frontier, pa->start_pfn, "frontier came back down");
    cr_assert_eq(pa->nonempty, 0, "free lists are empty again");
}

/* Walks the free lists against invariants 1-4 of pgalloc.c. */
static void check_invariants(const struct pgalloc *pa)
{
    struct node {
        struct node *next, *prev;
    };
    size_t listed = 0;
    unsigned k;

    for (k = 0; k <= PGALLOC_MAX_ORDER; k++) {
        const struct node *n = (const void *)pa->free[k], *prev = NULL;

        cr_assert_eq(!!(pa->nonempty & (1u << k)), n != NULL);
        for (; n; prev = n, n = n->next) {
            uintptr_t pfn = (uintptr_t)n / PAGE, pages = 1UL << k;

            cr_assert_eq(n->prev, prev);
            cr_assert_eq(pfn % pages, 0, "order %u aligned", k);
            cr_assert(pfn >= pa->start_pfn && pfn + pages < pa->frontier);
            cr_assert_eq(pa->meta[pfn - pa->start_pfn], 0x80 | k);
            cr_assert_eq(pa->meta[pfn + pages - 1 - pa->start_pfn], 0x80 | k);
            listed += pages;
        }
    }
    cr_assert_eq(listed, pa->listed_pages);
}

Test(pgalloc, init_rejects_tiny_and_wrapping_regions)
{
    struct pgalloc pa;
    char *m = map(16 * PAGE, PROT_READ | PROT_WRITE);

    cr_expect_eq(pgalloc_init(&pa, (uintptr_t)m, PAGE), -EINVAL);
    cr_expect_eq(pgalloc_init(&pa, (uintptr_t)m + 1, 2 * PAGE), -EINVAL);
    cr_expect_eq(pgalloc_init(&pa, UINTPTR_MAX - PAGE, 4 * PAGE), -EINVAL);
    cr_expect_eq(pgalloc_init(&pa, (uintptr_t)m, 2 * PAGE), 0);
    cr_expect_eq(pgalloc_total_bytes(&pa), PAGE);
    cr_expect_eq(pgalloc_alloc(&pa, 1), NULL);
    cr_expect_eq(pgalloc_alloc(&pa, 0), m);
    cr_expect_eq(pgalloc_alloc(&pa, 0), NULL);
    munmap(m, 16 * PAGE);
}

/* 64 GiB of address space that faults on any access except a window at the
 * start and the first MiB of metadata: init and a few allocations must not
 * touch anything else, and may not even back much of the windows. */
Test(pgalloc, init_over_64GiB_touches_nothing)
{
    const size_t len = 64 * GiB, window = 64 * MiB;
    struct pgalloc pa;
    char *m = map(len, PROT_NONE);
    char *meta, *blocks[12], *run;
    unsigned i;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    meta = m + pgalloc_total_bytes(&pa);
    cr_assert_eq(pgalloc_total_bytes(&pa), len - 4096 * PAGE);
    cr_assert_eq(mprotect(m, window, PROT_READ | PROT_WRITE), 0);
    cr_assert_eq(mprotect(meta, MiB, PROT_READ | PROT_WRITE), 0);

    for (i = 0; i < 12; i++) {
        blocks[i] = pgalloc_alloc(&pa, i);
        cr_assert(blocks[i], "order %u", i);
        cr_assert(blocks[i] + (PAGE << i) <= m + window);
        memset(blocks[i], 0xa5, PAGE << i);
    }
    run = pgalloc_alloc_pages(&pa, 1000, 0);
    cr_assert(run && run + 1000 * PAGE <= m + window);
    memset(run, 0x5a, 1000 * PAGE);
    cr_expect_eq(pgalloc_free_bytes(&pa),
                 pgalloc_total_bytes(&pa) - ((1UL << 12) - 1 + 1000) * PAGE);
    for (i = 0; i < 12; i++)
        pgalloc_free(&pa, blocks[i], i);
    pgalloc_free_pages(&pa, run);
    assert_pristine(&pa);
    cr_expect_leq(resident_pages(meta, MiB), 2, "metadata touched lazily");
    munmap(m, len);
}

/* A 1 GiB block in a 4 GiB region: only list nodes and a little metadata
 * get backed, not the gap before the block. */
Test(pgalloc, gigabyte_block_backs_almost_nothing)
{
    const size_t len = 4 * GiB;
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    char *b;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    b = pgalloc_alloc(&pa, 18);
    cr_assert(b);
    cr_expect_eq((uintptr_t)b % GiB, 0);
    cr_expect_eq(pgalloc_run_pages(&pa, b), 1UL << 18);
    cr_expect_leq(resident_pages(m, len), 200);
    pgalloc_free(&pa, b, 18);
    assert_pristine(&pa);
    munmap(m, len);
}

Test(pgalloc, every_order_is_naturally_aligned)
{
    const size_t len = 192 * MiB; /* room for one aligned 64 MiB block */
    struct pgalloc pa;
    char *raw = map(len + 64 * MiB, PROT_READ | PROT_WRITE);
    char *m = (char *)NFOS_ALIGN_UP((uintptr_t)raw, 64 * MiB);
    unsigned order;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m + 123, len - 123), 0);
    for (order = 0; order <= 14; order++) {
        char *b = pgalloc_alloc(&pa, order);
        size_t size = PAGE << order;

        cr_assert(b, "order %u", order);
        cr_expect_eq((uintptr_t)b % size, 0, "order %u aligned", order);
        cr_expect(pgalloc_contains(&pa, b));
        cr_expect(pgalloc_contains(&pa, b + size - 1));
        cr_expect_eq(pgalloc_run_pages(&pa, b), 1UL << order);
        if (order > 0)
            cr_expect_eq(pgalloc_run_pages(&pa, b + PAGE), 0);
        b[0] = 1;
        b[size - 1] = 2;
        pgalloc_free(&pa, b, order);
        cr_expect_eq(pgalloc_run_pages(&pa, b), 0);
        assert_pristine(&pa);
    }
    cr_expect_eq(pgalloc_alloc(&pa, PGALLOC_MAX_ORDER + 1), NULL);
    cr_expect_eq(pgalloc_alloc(&pa, 15), NULL, "128 MiB cannot fit");
    cr_expect_not(pgalloc_contains(&pa, m));
    munmap(raw, len + 64 * MiB);
}

struct blk {
    uint32_t *p;
    unsigned order;
    size_t pages; /* runs */
};

static void fill(struct blk *b, uint32_t tag)
{
    size_t i, n = (PAGE << b->order) / sizeof(uint32_t);

    for (i = 0; i < n; i += 1024)
        b->p[i] = tag;
    b->p[n - 1] = tag;
}

static void check(const struct blk *b, uint32_t tag)
{
    size_t i, n = (PAGE << b->order) / sizeof(uint32_t);

    for (i = 0; i < n; i += 1024)
        cr_assert_eq(b->p[i], tag, "block %u overlapped", tag);
    cr_assert_eq(b->p[n - 1], tag);
}

/* Fill the region with random orders until exhausted, check nothing
 * overlaps, free in random order: everything coalesces back. */
Test(pgalloc, random_fill_and_free_coalesces_to_pristine)
{
    const size_t len = 16 * MiB + 5 * PAGE;
    static struct blk blks[8192];
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    size_t n = 0, i, used = 0, fails = 0;
    int round;

    srand(42);
    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    for (round = 0; round < 3; round++) {
        while (fails < 64) {
            struct blk b = { NULL, (unsigned)(rand() % 6), 0 };

            b.p = pgalloc_alloc(&pa, b.order);
            if (!b.p) {
                fails++;
                continue;
            }
            cr_assert_lt(n, 8192);
            fill(&b, (uint32_t)n);
            used += PAGE << b.order;
            blks[n++] = b;
        }
        cr_expect_eq(pgalloc_free_bytes(&pa) + used, pgalloc_total_bytes(&pa));
        check_invariants(&pa);
        for (i = 0; i < n; i++)
            check(&blks[i], (uint32_t)i);
        for (i = n; i > 1; i--) { /* Fisher-Yates, then free */
            size_t j = (size_t)rand() % i;
            struct blk t = blks[i - 1];

            blks[i - 1] = blks[j];
            blks[j] = t;
        }
        for (i = 0; i < n; i++)
            pgalloc_free(&pa, blks[i].p, blks[i].order);
        cr_expect_eq(pgalloc_invalid_frees(&pa), 0);
        assert_pristine(&pa);
        n = used = fails = 0;
    }
    munmap(m, len);
}

Test(pgalloc, exhaustion_returns_null_then_recovers)
{
    const size_t len = 64 * PAGE;
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    void *pages[64], *p;
    size_t n = 0, i;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    while ((p = pgalloc_alloc(&pa, 0)) != NULL)
        pages[n++] = p;
    cr_expect_eq(n * PAGE, pgalloc_total_bytes(&pa));
    cr_expect_eq(pgalloc_free_bytes(&pa), 0);
    cr_expect_eq(pgalloc_alloc(&pa, 0), NULL);
    cr_expect_eq(pgalloc_alloc(&pa, 3), NULL);

    pgalloc_free(&pa, pages[7], 0);
    cr_expect_eq(pgalloc_alloc(&pa, 0), pages[7], "the freed page returns");
    for (i = 0; i < n; i++)
        pgalloc_free(&pa, pages[i], 0);
    assert_pristine(&pa);
    cr_expect_not_null(pgalloc_alloc(&pa, 5));
    munmap(m, len);
}

Test(pgalloc, invalid_frees_are_refused_and_counted)
{
    const size_t len = 256 * PAGE;
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    char outside[64];
    char *a, *b;
    size_t free_before;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    a = pgalloc_alloc(&pa, 2);
    b = pgalloc_alloc(&pa, 0);
    cr_assert(a && b);
    free_before = pgalloc_free_bytes(&pa);

    pgalloc_free(&pa, NULL, 0);
    pgalloc_free(&pa, outside, 0);
    pgalloc_free(&pa, a + 8, 2);    /* misaligned */
    pgalloc_free(&pa, a + PAGE, 0); /* interior page */
    pgalloc_free(&pa, a, 1);        /* wrong order */
    pgalloc_free(&pa, a, PGALLOC_MAX_ORDER + 3);
    pgalloc_free(&pa, m + 128 * PAGE, 0); /* above the frontier */
    cr_expect_eq(pgalloc_invalid_frees(&pa), 7);
    cr_expect_eq(pgalloc_free_bytes(&pa), free_before);

    pgalloc_free(&pa, a, 2);
    pgalloc_free(&pa, a, 2); /* double free */
    cr_expect_eq(pgalloc_invalid_frees(&pa), 8);
    pgalloc_free(&pa, b, 0);
    pgalloc_free(&pa, b, 0); /* double, after merging */
    cr_expect_eq(pgalloc_invalid_frees(&pa), 9);
    assert_pristine(&pa);
    munmap(m, len);
}

/* Random interleaved blocks and runs against a page-owner map. */
Test(pgalloc, interleaved_stress_never_overlaps)
{
    const size_t len = 8 * MiB;
    static struct blk live[4096];
    static int32_t owner[2048];
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    size_t n = 0, i, k;
    int op;

    srand(7);
    memset(owner, 0xff, sizeof(owner));
    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    for (op = 0; op < 200000; op++) {
        if (op % 5000 == 0)
            check_invariants(&pa);
        if (n > 0 && (rand() % 2 || n == 4096)) {
            i = (size_t)rand() % n;
            k = ((char *)live[i].p - m) / PAGE;
            for (size_t j = 0; j < live[i].pages; j++)
                owner[k + j] = -1;
            pgalloc_free_pages(&pa, live[i].p);
            live[i] = live[--n];
            continue;
        }
        struct blk b = { NULL, (unsigned)(rand() % 8), 0 };

        if (rand() % 2) {
            b.pages = 1 + (size_t)rand() % 300;
            b.p = pgalloc_alloc_pages(&pa, b.pages, (unsigned)(rand() % 4));
        } else {
            b.pages = 1UL << b.order;
            b.p = pgalloc_alloc(&pa, b.order);
        }
        if (!b.p)
            continue;
        cr_assert_eq(pgalloc_run_pages(&pa, b.p), b.pages);
        k = ((char *)b.p - m) / PAGE;
        for (size_t j = 0; j < b.pages; j++) {
            cr_assert_eq(owner[k + j], -1, "page %zu owned twice", k + j);
            owner[k + j] = 1;
        }
        live[n++] = b;
    }
    for (i = 0; i < n; i++)
        pgalloc_free_pages(&pa, live[i].p);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 0);
    assert_pristine(&pa);
    munmap(m, len);
}

Test(pgalloc, runs_waste_nothing_and_keep_their_alignment)
{
    const size_t len = 64 * MiB;
    struct pgalloc pa;
    char *m = map(len, PROT_READ | PROT_WRITE);
    char *r, *s;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    r = pgalloc_alloc_pages(&pa, 2100, 0);
    cr_assert(r);
    cr_expect_eq((uintptr_t)r % (4096 * PAGE), 0, "aligned as a 4096 block");
    cr_expect_eq(pgalloc_run_pages(&pa, r), 2100);
    cr_expect_eq(pgalloc_free_bytes(&pa), pgalloc_total_bytes(&pa) - 2100 * PAGE);
    memset(r, 1, 2100 * PAGE);

    s = pgalloc_alloc_pages(&pa, 1, 9);
    cr_assert(s);
    cr_expect_eq((uintptr_t)s % (2 * MiB), 0);
    cr_expect_eq(pgalloc_run_pages(&pa, s), 1);
    cr_expect_eq(pgalloc_free_bytes(&pa), pgalloc_total_bytes(&pa) - 2101 * PAGE);
    cr_expect_null(pgalloc_alloc_pages(&pa, 0, 0));
    cr_expect_null(pgalloc_alloc_pages(&pa, (1UL << PGALLOC_MAX_ORDER) + 1, 0));

    pgalloc_free(&pa, r, 11);                 /* only its first block */
    pgalloc_free_pages(&pa, r + 2048 * PAGE); /* a later block */
    pgalloc_free_pages(&pa, r + 8);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 3);
    cr_expect_eq(pgalloc_run_pages(&pa, r), 2100);

    pgalloc_free_pages(&pa, r);
    pgalloc_free_pages(&pa, r);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 4);
    pgalloc_free(&pa, s, 0); /* a 1-page run is a block */
    assert_pristine(&pa);
    munmap(m, len);
}

Test(pgalloc, run_fits_where_its_rounded_up_block_does_not)
{
    /* 8 MiB from a 4 MiB boundary: the metadata at the end leaves one
     * 4 MiB block, and one live page breaks it. 515 pages (2 MiB + 12 KiB)
     * round up to order 10, yet they fit from the frontier. */
    const size_t len = 8 * MiB;
    char *m = map(len + 4 * MiB, PROT_READ | PROT_WRITE);
    char *base = (char *)NFOS_ALIGN_UP((uintptr_t)m, 4 * MiB);
    struct pgalloc pa;
    char *one, *r;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)base, len), 0);
    one = pgalloc_alloc(&pa, 0);
    cr_assert_eq(one, base);
    cr_expect_null(pgalloc_alloc(&pa, 10));
    r = pgalloc_alloc_pages(&pa, 515, 0);
    cr_assert(r, "a 515-page run in %zu free bytes", pgalloc_free_bytes(&pa));
    cr_expect_eq(r, one + PAGE, "right at the frontier: no alignment was asked for");
    cr_expect_eq(pgalloc_run_pages(&pa, r), 515);
    cr_expect_eq(pgalloc_free_bytes(&pa), pgalloc_total_bytes(&pa) - 516 * PAGE);
    memset(r, 0xa5, 515 * PAGE);
    check_invariants(&pa);
    pgalloc_free_pages(&pa, r);
    pgalloc_free(&pa, one, 0);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 0);
    assert_pristine(&pa);
    munmap(m, len + 4 * MiB);
}

Test(pgalloc, large_run_in_a_small_unaligned_region)
{
    /* A guest with 16 MiB whose heap starts past the image, 1.7 MiB into
     * it: a 9 MiB run (a pool of packet buffers) must fit. Aligned to its
     * largest block (8 MiB) it would not. Freed, everything comes back. */
    const size_t off = 1700 * 1024 / PAGE * PAGE, len = 16 * MiB - off;
    char *m = map(32 * MiB, PROT_READ | PROT_WRITE);
    char *base = (char *)NFOS_ALIGN_UP((uintptr_t)m, 8 * MiB) + off;
    struct pgalloc pa;
    char *r, *a;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)base, len), 0);
    a = pgalloc_alloc(&pa, 0);
    cr_assert(a);
    r = pgalloc_alloc_pages(&pa, 2249, 0);
    cr_assert(r, "a 2249-page run in %zu free bytes", pgalloc_free_bytes(&pa));
    cr_expect_eq(pgalloc_run_pages(&pa, r), 2249);
    cr_expect_eq(pgalloc_free_bytes(&pa), pgalloc_total_bytes(&pa) - 2250 * PAGE);
    memset(r, 0x5a, 2249 * PAGE);
    check_invariants(&pa);
    pgalloc_free(&pa, a, 0); /* the first page, below the run, goes first */
    check_invariants(&pa);
    pgalloc_free_pages(&pa, r);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 0);
    assert_pristine(&pa);
    munmap(m, 32 * MiB);
}

Test(pgalloc, power_of_two_run_needs_only_its_asked_alignment)
{
    /* DPDK's -m 64 in a 128 MiB guest: the heap starts past the image, 1.7
     * MiB in, and the metadata sits at its end, so no 64 MiB-aligned 64 MiB
     * block fits; 16384 pages on 2 MiB boundaries do. */
    const size_t off = 1700 * 1024 / PAGE * PAGE, len = 128 * MiB - off;
    char *raw = map(192 * MiB, PROT_READ | PROT_WRITE);
    char *base = (char *)NFOS_ALIGN_UP((uintptr_t)raw, 64 * MiB) + off;
    struct pgalloc pa;
    char *a, *r;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)base, len), 0);
    a = pgalloc_alloc(&pa, 3); /* what ran before: the frontier moved */
    cr_assert(a);
    cr_expect_null(pgalloc_alloc(&pa, 14), "no 64 MiB block is aligned to 64 MiB");
    r = pgalloc_alloc_pages(&pa, 16384, 9);
    cr_assert(r, "64 MiB of 2 MiB pages in %zu free bytes", pgalloc_free_bytes(&pa));
    cr_expect_eq((uintptr_t)r % (2 * MiB), 0);
    cr_expect_eq(pgalloc_run_pages(&pa, r), 16384);
    cr_expect_eq(pgalloc_free_bytes(&pa), pgalloc_total_bytes(&pa) - (16384 + 8) * PAGE);
    r[0] = 1;
    r[64 * MiB - 1] = 2;
    check_invariants(&pa);
    /* Not one block of order 14 but several: pgalloc_free refuses it. */
    pgalloc_free(&pa, r, 14);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 1);
    check_invariants(&pa);
    pgalloc_free_pages(&pa, r);
    pgalloc_free(&pa, a, 3);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 1);
    assert_pristine(&pa);
    munmap(raw, 192 * MiB);
}

/* pgalloc_largest_run(pa, k) pages aligned to 2^k fit and one more does
 * not; the probe leaves the allocator as it found it. */
static void assert_largest_is_exact(struct pgalloc *pa, unsigned k)
{
    size_t n = pgalloc_largest_run(pa, k), free_bytes = pgalloc_free_bytes(pa);
    char *r;

    if (n) {
        r = pgalloc_alloc_pages(pa, n, k);
        cr_assert(r, "largest %zu pages (align order %u) must fit", n, k);
        cr_assert_eq((uintptr_t)r % (PAGE << k), 0);
        pgalloc_free_pages(pa, r);
    }
    if (n < (1UL << PGALLOC_MAX_ORDER))
        cr_assert_null(pgalloc_alloc_pages(pa, n + 1, k), "%zu + 1 pages fit (order %u)", n, k);
    cr_assert_eq(pgalloc_largest_run(pa, k), n);
    cr_assert_eq(pgalloc_free_bytes(pa), free_bytes);
}

Test(pgalloc, largest_run_is_exact)
{
    const size_t len = 32 * MiB + 7 * PAGE;
    static struct blk live[2048];
    char *m = map(len + 2 * MiB, PROT_READ | PROT_WRITE);
    struct pgalloc pa;
    size_t n = 0, step;
    unsigned k;

    srand(7);
    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m + 5 * PAGE, len), 0);
    for (k = 0; k <= 10; k++)
        assert_largest_is_exact(&pa, k);
    cr_expect_eq(pgalloc_largest_run(&pa, PGALLOC_MAX_ORDER + 1), 0);
    /* Random runs and frees: a listed block larger than the frontier's
     * room, a frontier past every aligned start, full exhaustion. */
    for (step = 0; step < 3000; step++) {
        if (n && (rand() % 3 == 0 || n == 2048)) {
            size_t i = (size_t)rand() % n;

            pgalloc_free_pages(&pa, live[i].p);
            live[i] = live[--n];
        } else {
            size_t pages = 1 + (size_t)rand() % (rand() % 4 ? 64 : 3000);
            void *p = pgalloc_alloc_pages(&pa, pages, (unsigned)(rand() % 10));

            if (p)
                live[n++] = (struct blk){ p, 0, pages };
        }
        if (step % 10 == 0)
            for (k = 0; k <= 10; k += 3)
                assert_largest_is_exact(&pa, k);
    }
    check_invariants(&pa);
    while (n)
        pgalloc_free_pages(&pa, live[--n].p);
    cr_expect_eq(pgalloc_invalid_frees(&pa), 0);
    assert_pristine(&pa);
    munmap(m, len + 2 * MiB);
}

Test(pgalloc, untouched_mark_rises_and_never_falls)
{
    const size_t len = 8 * MiB;
    char *m = map(len + 2 * MiB, PROT_READ | PROT_WRITE);
    char *base = (char *)NFOS_ALIGN_UP((uintptr_t)m, 2 * MiB);
    struct pgalloc pa;
    char *a, *b, *r;

    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)base, len), 0);
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)base, "nothing handed out yet");
    a = pgalloc_alloc(&pa, 2);
    cr_assert_eq(a, base);
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)(base + 4 * PAGE));

    /* The free that brings the frontier down leaves the mark: those pages
     * were written. */
    pgalloc_free(&pa, a, 2);
    assert_pristine(&pa);
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)(base + 4 * PAGE));
    b = pgalloc_alloc(&pa, 0);
    cr_expect_eq(b, base, "the used page comes back first");
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)(base + 4 * PAGE));

    /* An aligned run past the mark: the pages skipped to reach the
     * alignment go on the free lists (a node written into them), so the
     * mark passes them too. */
    r = pgalloc_alloc_pages(&pa, 3, 9);
    cr_assert_eq(r, base + 2 * MiB);
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)(r + 3 * PAGE));
    pgalloc_free_pages(&pa, r);
    pgalloc_free(&pa, b, 0);
    assert_pristine(&pa);
    cr_expect_eq(pgalloc_untouched(&pa), (uintptr_t)(r + 3 * PAGE));
    munmap(m, len + 2 * MiB);
}

/* Every byte of the usable part from the mark up still holds pattern. */
static void assert_pattern_above_mark(const struct pgalloc *pa, uint8_t pattern)
{
    const uint8_t *p = (const uint8_t *)pgalloc_untouched(pa);
    const uint8_t *end = (const uint8_t *)(pa->end_pfn * PAGE);

    for (; p < end; p++)
        cr_assert_eq(*p, pattern, "byte at %p above the mark was written", (const void *)p);
}

/* A region filled with a pattern, then random runs and frees whose owners
 * overwrite them: what an allocation hands out from at or above the mark
 * read before it still holds the pattern (nobody, pgalloc included, wrote
 * there), and so does everything above the mark at every step. */
Test(pgalloc, nothing_above_the_mark_is_ever_written)
{
    const size_t len = 4 * MiB + 3 * PAGE;
    static struct blk live[512];
    char *m = map(len, PROT_READ | PROT_WRITE);
    uintptr_t mark, prev = 0;
    struct pgalloc pa;
    size_t n = 0, step;

    srand(11);
    memset(m, 0xa5, len);
    cr_assert_eq(pgalloc_init(&pa, (uintptr_t)m, len), 0);
    for (step = 0; step < 2000; step++) {
        if (n && (rand() % 3 == 0 || n == 512)) {
            size_t i = (size_t)rand() % n;

            pgalloc_free_pages(&pa, live[i].p);
            live[i] = live[--n];
        } else {
            size_t pages = 1 + (size_t)rand() % (rand() % 8 ? 8 : 200);
            uint8_t *p;

            mark = pgalloc_untouched(&pa);
            p = pgalloc_alloc_pages(&pa, pages, (unsigned)(rand() % 4));
            if (!p)
                continue;
            for (size_t i = 0; i < pages * PAGE; i++)
                if ((uintptr_t)(p + i) >= mark)
                    cr_assert_eq(p[i], 0xa5, "handed-out byte %zu above the mark", i);
            memset(p, 0x3c, pages * PAGE);
            live[n++] = (struct blk){ (uint32_t *)p, 0, pages };
        }
        cr_assert_geq(pgalloc_untouched(&pa), prev, "the mark never falls");
        prev = pgalloc_untouched(&pa);
        if (step % 100 == 0)
            assert_pattern_above_mark(&pa, 0xa5);
    }
    cr_expect_gt(prev, (uintptr_t)m, "the test reached past the start");
    cr_expect_lt(prev, pa.end_pfn * PAGE, "and left some of the region untouched");
    while (n)
        pgalloc_free_pages(&pa, live[--n].p);
    assert_pristine(&pa);
    assert_pattern_above_mark(&pa, 0xa5);
    munmap(m, len);
}
