/* Unit tests for lib/alloc over a faked plat_mem_regions(): C semantics,
 * memalign alignments, a 100k-operation stress with content checks (under
 * ASan), one printed line per failure, and a heap that survives failures. */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nfos/alloc.h>
#include <nfos/compiler.h>
#include <nfos/plat/memory.h>

#define MiB (1024UL * 1024)

static struct plat_mem_region fake_regions[8];
static int fake_count;

int plat_mem_regions(const struct plat_mem_region **regions)
{
    *regions = fake_regions;
    return fake_count;
}

/* The fake regions are fresh anonymous memory: zero, as the platform's. */
int plat_mem_zeroed(void)
{
    return 1;
}

static void *map(size_t len)
{
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    cr_assert(p != MAP_FAILED);
    return p;
}

static void fake_region(size_t len)
{
    fake_regions[fake_count].base = (uintptr_t)map(len);
    fake_regions[fake_count].len = len;
    fake_count++;
}

static void setup_heap(size_t len)
{
    fake_count = 0;
    fake_region(len);
    cr_assert_eq(alloc_init(), 0);
}

/* stderr capture: fd 2 goes to a temporary file until capture_end(). */
static int saved_fd = -1;
static FILE *capture_file;

static void capture_begin(void)
{
    fflush(stderr);
    capture_file = tmpfile();
    cr_assert(capture_file);
    saved_fd = dup(2);
    dup2(fileno(capture_file), 2);
}

/* Returns the captured text (static buffer) and its number of lines. */
static const char *capture_end(int *lines)
{
    static char buf[8192];
    size_t n;
    char *c;

    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    rewind(capture_file);
    n = fread(buf, 1, sizeof(buf) - 1, capture_file);
    buf[n] = '\0';
    fclose(capture_file);
    *lines = 0;
    for (c = buf; *c; c++)
        *lines += *c == '\n';
    return buf;
}

Test(alloc, init_without_usable_region_prints_one_line)
{
    const char *out;
    int lines;

    fake_count = 0;
    capture_begin();
    cr_expect_eq(alloc_init(), -ENOMEM);
    out = capture_end(&lines);
    cr_expect_str_eq(out, "alloc: no usable RAM region (need at least 64 KiB)\n");

    fake_region(32 * 1024); /* too small to be worth a page allocator */
    capture_begin();
    cr_expect_eq(alloc_init(), -ENOMEM);
    capture_end(&lines);
    cr_expect_eq(lines, 1);
}

Test(alloc, init_caps_regions_at_the_configured_max)
{
    struct alloc_stats st;
    const char *out;
    int i, lines;

    fake_count = 0;
    for (i = 0; i < ALLOC_HEAP_MAX_REGIONS + 2; i++)
        fake_region(MiB);
    capture_begin();
    cr_assert_eq(alloc_init(), 0);
    out = capture_end(&lines);
    cr_expect_eq(lines, 1, "%s", out);
    alloc_stats(&st);
    cr_expect_eq(st.nr_regions, ALLOC_HEAP_MAX_REGIONS);
    cr_expect_gt(st.total_bytes, (ALLOC_HEAP_MAX_REGIONS - 1) * MiB);
    cr_expect_eq(st.free_bytes, st.total_bytes);
}

Test(alloc, malloc_sizes_are_aligned_usable_and_distinct)
{
    static void *ptrs[5000];
    struct alloc_stats st;
    size_t size;

    setup_heap(256 * MiB);
    for (size = 0; size < 5000; size++) {
        ptrs[size] = alloc_malloc(size);
        cr_assert(ptrs[size], "malloc(%zu)", size);
        cr_assert_eq((uintptr_t)ptrs[size] % 16, 0);
        cr_assert_geq(alloc_usable_size(ptrs[size]), size);
        memset(ptrs[size], (int)(size & 0xff), size);
    }
    for (size = 0; size < 5000; size++) {
        unsigned char *p = ptrs[size];

        if (size)
            cr_assert(p[0] == (size & 0xff) && p[size - 1] == (size & 0xff));
        alloc_free(p);
    }
    alloc_stats(&st);
    cr_expect_eq(st.in_use_bytes, 0);
    cr_expect_eq(st.nr_allocs, 0);
    cr_expect_eq(st.nr_invalid_frees, 0);
    cr_expect_geq(st.free_bytes, st.total_bytes - 8 * 16384,
                  "only one empty slab per class is kept");
    cr_expect_eq(alloc_usable_size(ptrs[0]), 0, "freed");
}

Test(alloc, large_allocations_cost_whole_pages_only)
{
    struct alloc_stats a, b;
    void *p, *q;

    setup_heap(64 * MiB);
    alloc_stats(&a);
    p = alloc_malloc(9 * 1024);
    q = alloc_malloc(4096 * 2056 + 1); /* a 2048-packet pool, say */
    cr_assert(p && q);
    cr_expect_eq((uintptr_t)p % 16384, 0, "aligned to 4 pages");
    cr_expect_eq(alloc_usable_size(p), 3 * 4096);
    cr_expect_eq(alloc_usable_size(q), 2057 * 4096);
    alloc_stats(&b);
    cr_expect_eq(a.free_bytes - b.free_bytes, (3 + 2057) * 4096);
    cr_expect_eq(b.in_use_bytes, (3 + 2057) * 4096);
    alloc_free(q);
    alloc_free(p);
    alloc_stats(&b);
    cr_expect_eq(b.free_bytes, a.free_bytes);
}

Test(alloc, memalign_alignments_really_hold)
{
    size_t align, sizes[5];
    void *p;
    unsigned i;

    setup_heap(64 * MiB);
    for (align = 8; align <= 2 * MiB; align <<= 1) {
        sizes[0] = 1;
        sizes[1] = 100;
        sizes[2] = 3000;
        sizes[3] = align;
        sizes[4] = align + align / 2;
        for (i = 0; i < 5; i++) {
            cr_assert_eq(alloc_memalign(&p, align, sizes[i]), 0, "memalign(%zu, %zu)", align,
                         sizes[i]);
            cr_assert_eq((uintptr_t)p % align, 0, "memalign(%zu, %zu) = %p", align, sizes[i], p);
            memset(p, 0x5a, sizes[i]);
            cr_assert_geq(alloc_usable_size(p), sizes[i]);
            alloc_free(p);
        }
    }
    p = (void *)0x1234;
    cr_expect_eq(alloc_memalign(&p, 0, 16), -EINVAL);
    cr_expect_eq(alloc_memalign(&p, 24, 16), -EINVAL);
    cr_expect_eq(alloc_memalign(&p, 4, 16), -EINVAL);
    cr_expect_eq(p, (void *)0x1234, "untouched on -EINVAL");
}

Test(alloc, calloc_zeroes_and_checks_overflow)
{
    struct alloc_stats st;
    unsigned char *p;
    size_t i;
    int lines;

    setup_heap(16 * MiB);
    p = alloc_malloc(1000);
    memset(p, 0xff, 1000);
    alloc_free(p);
    p = alloc_calloc(10, 100); /* same slot: LIFO reuse of dirty memory */
    cr_assert(p);
    for (i = 0; i < 1000; i++)
        cr_assert_eq(p[i], 0);
    alloc_free(p);
    p = alloc_calloc(3, 10000);
    for (i = 0; i < 30000; i++)
        cr_assert_eq(p[i], 0);
    alloc_free(p);

    capture_begin();
    cr_expect_null(alloc_calloc(SIZE_MAX / 2, 3));
    cr_expect_null(alloc_calloc(3, SIZE_MAX / 2));
    capture_end(&lines);
    cr_expect_eq(lines, 2);
    alloc_stats(&st);
    cr_expect_eq(st.nr_failures, 2);
}

Test(alloc, realloc_follows_c_semantics)
{
    unsigned char *p, *q;
    size_t i;

    setup_heap(16 * MiB);
    p = alloc_realloc(NULL, 10);
    cr_assert(p);
    for (i = 0; i < 10; i++)
        p[i] = (unsigned char)i;
    p = alloc_realloc(p, 12);   /* same class: stays */
    p = alloc_realloc(p, 5000); /* slab to pages */
    cr_assert(p);
    for (i = 0; i < 10; i++)
        cr_assert_eq(p[i], i);
    for (i = 0; i < 5000; i++)
        p[i] = (unsigned char)(i * 7);
    p = alloc_realloc(p, 300000);
    for (i = 0; i < 5000; i++)
        cr_assert_eq(p[i], (unsigned char)(i * 7));
    p = alloc_realloc(p, 100); /* and back to a slab */
    for (i = 0; i < 100; i++)
        cr_assert_eq(p[i], (unsigned char)(i * 7));

    /* A failed realloc leaves the block alone. */
    int lines;
    capture_begin();
    q = alloc_realloc(p, 1UL << 40);
    capture_end(&lines);
    cr_expect_null(q);
    cr_expect_eq(lines, 1);
    cr_expect_eq(p[99], (unsigned char)(99 * 7));

    cr_expect_null(alloc_realloc(p, 0), "size 0 frees");
    cr_expect_eq(alloc_usable_size(p), 0);
}

/* One line per failure; the heap still works and frees recover memory. */
Test(alloc, exhaustion_prints_one_line_and_recovers)
{
    static void *pages[512];
    struct alloc_stats st, before;
    char expect[160];
    const char *out;
    size_t n = 0, i;
    int lines;

    setup_heap(MiB);
    alloc_stats(&before);
    capture_begin();
    cr_expect_null(alloc_malloc(2 * MiB));
    out = capture_end(&lines);
    snprintf(expect, sizeof(expect),
             "alloc: out of memory: malloc(2097152) failed, %zu bytes free "
             "in 1 region(s)\n",
             before.free_bytes);
    cr_expect_str_eq(out, expect);

    capture_begin();
    while ((pages[n] = alloc_malloc(4096)) != NULL)
        n++;
    void *p;
    cr_expect_eq(alloc_memalign(&p, 4096, 4096), -ENOMEM);
    capture_end(&lines);
    cr_expect_eq(lines, 2, "one line per failure");
    cr_expect_eq(n * 4096, before.total_bytes);

    alloc_stats(&st);
    cr_expect_eq(st.nr_failures, 3);
    cr_expect_eq(st.free_bytes, 0);
    for (i = 0; i < n; i++)
        alloc_free(pages[i]);
    alloc_stats(&st);
    cr_expect_eq(st.free_bytes, st.total_bytes);
    p = alloc_malloc(512 * 1024);
    cr_expect_not_null(p, "recovered");
    alloc_free(p);
}

Test(alloc, invalid_frees_are_refused_and_counted)
{
    struct alloc_stats st;
    char local[32], *small, *big;
    int lines;

    setup_heap(16 * MiB);
    small = alloc_malloc(40);
    big = alloc_malloc(20000);
    capture_begin();
    alloc_free(local);
    alloc_free(small + 16);                            /* inside an object */
    alloc_free(big + 4096);                            /* inside a block */
    alloc_free((char *)((uintptr_t)small & ~16383UL)); /* a slab header */
    alloc_free(small);
    alloc_free(small); /* double free, slab */
    alloc_free(big);
    alloc_free(big); /* double free, pages */
    cr_expect_null(alloc_realloc(local, 10));
    capture_end(&lines);
    cr_expect_eq(lines, 7);
    alloc_free(NULL);
    alloc_stats(&st);
    cr_expect_eq(st.nr_invalid_frees, 7);
    cr_expect_eq(st.nr_allocs, 0);
    cr_expect_eq(st.in_use_bytes, 0);
    cr_expect_not_null(alloc_malloc(40));
}

struct live {
    unsigned char *p;
    size_t size;
    unsigned char tag;
};

static size_t random_size(void)
{
    int r = rand() % 100;

    if (r < 70)
        return (size_t)rand() % 256;
    if (r < 95)
        return (size_t)rand() % 8192;
    if (r < 99)
        return (size_t)rand() % 131072;
    return (size_t)rand() % (2 * MiB);
}

static void check_live(const struct live *l)
{
    size_t i;

    for (i = 0; i < l->size; i += 61)
        cr_assert_eq(l->p[i], l->tag, "corrupted block %p", l->p);
    if (l->size)
        cr_assert_eq(l->p[l->size - 1], l->tag);
}

Test(alloc, stress_100k_random_operations)
{
    static struct live live[1024];
    struct alloc_stats st;
    size_t n = 0, i;
    int op;

    setup_heap(96 * MiB);
    fake_region(32 * MiB);
    cr_assert_eq(alloc_init(), 0);
    srand(1234);
    for (op = 0; op < 100000; op++) {
        int what = rand() % 3;

        if (what == 0 && n < 1024) {
            struct live l = { NULL, random_size(), (unsigned char)op };

            l.p = alloc_malloc(l.size);
            cr_assert(l.p, "malloc(%zu) at op %d", l.size, op);
            memset(l.p, l.tag, l.size);
            live[n++] = l;
        } else if (what == 1 && n > 0) {
            i = (size_t)rand() % n;
            check_live(&live[i]);
            alloc_free(live[i].p);
            live[i] = live[--n];
        } else if (n > 0) {
            size_t size = random_size(), keep;

            i = (size_t)rand() % n;
            check_live(&live[i]);
            keep = NFOS_MIN(size, live[i].size);
            live[i].p = alloc_realloc(live[i].p, size ? size : 1);
            cr_assert(live[i].p);
            for (size_t j = 0; j < keep; j += 61)
                cr_assert_eq(live[i].p[j], live[i].tag);
            live[i].size = size ? size : 1;
            live[i].tag = (unsigned char)op;
            memset(live[i].p, live[i].tag, live[i].size);
        }
    }
    for (i = 0; i < n; i++) {
        check_live(&live[i]);
        alloc_free(live[i].p);
    }
    alloc_stats(&st);
    cr_expect_eq(st.nr_allocs, 0);
    cr_expect_eq(st.in_use_bytes, 0);
    cr_expect_eq(st.nr_failures, 0);
    cr_expect_eq(st.nr_invalid_frees, 0);
    cr_expect_geq(st.free_bytes, st.total_bytes - 8 * 16384);
}

Test(alloc, explicit_heap_is_separate)
{
    struct alloc_heap h;
    struct alloc_stats st;
    char *mem = map(4 * MiB), *p, *q;
    void *a;
    int lines;

    setup_heap(4 * MiB);
    cr_expect_eq(alloc_heap_init(&h, mem, 1000), -EINVAL);
    cr_assert_eq(alloc_heap_init(&h, mem + 8, 4 * MiB - 8), 0);
    p = alloc_heap_malloc(&h, 100);
    cr_assert(p >= mem && p < mem + 4 * MiB);
    cr_assert_eq(alloc_heap_memalign(&h, &a, MiB, 10), 0);
    cr_expect_eq((uintptr_t)a % MiB, 0);
    q = alloc_malloc(100);
    capture_begin();
    alloc_heap_free(&h, q); /* belongs to the default heap */
    capture_end(&lines);
    cr_expect_eq(lines, 1);
    alloc_heap_free(&h, p);
    alloc_heap_free(&h, a);
    alloc_heap_stats(&h, &st);
    cr_expect_eq(st.nr_allocs, 0);
    cr_expect_eq(st.nr_invalid_frees, 1);
    cr_expect_geq(st.free_bytes, st.total_bytes - 8 * 16384);
    alloc_free(q);
}

Test(alloc, largest_says_what_fits_over_every_region)
{
    /* Two regions, the second the larger: what fits is the largest piece
     * of either, not the sum, and a block that size (2 MiB aligned, as
     * DPDK's region) is granted while one 2 MiB page more is not. */
    const size_t huge = 2 * MiB;
    size_t big, small;
    void *a, *b;
    int lines;

    fake_count = 0;
    fake_region(12 * MiB);
    fake_region(40 * MiB);
    cr_assert_eq(alloc_init(), 0);
    cr_expect_eq(alloc_largest(3), 0, "a bad alignment fits nothing");
    big = alloc_largest(huge);
    cr_expect_gt(big, 34 * MiB);
    cr_expect_lt(big, 40 * MiB);
    cr_expect_geq(alloc_largest(NFOS_PAGE_SIZE), big);
    cr_assert_eq(alloc_memalign(&a, huge, big), 0);
    cr_expect_eq((uintptr_t)a % huge, 0);
    small = alloc_largest(huge);
    cr_expect_gt(small, 8 * MiB, "the first region is left");
    cr_expect_lt(small, 12 * MiB);
    cr_assert_eq(alloc_memalign(&b, huge, small), 0);
    cr_assert_eq(alloc_largest(huge), 0);
    alloc_free(b);
    capture_begin();
    cr_expect_eq(alloc_memalign(&b, huge, small + huge), -ENOMEM);
    capture_end(&lines);
    cr_expect_eq(lines, 1);
    alloc_free(a);
    cr_expect_eq(alloc_largest(huge), big, "freed, the same piece fits again");
}
