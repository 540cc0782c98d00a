/* qsort as introsort (quicksort, heapsort when it degrades, insertion sort
 * for short runs) and bsearch. Not stable; allocates nothing. */
#include <stddef.h>
#include <stdlib.h>

#include "nolibc_priv.h"

typedef int (*cmp_fn)(const void *, const void *);

/* Runs this short sort faster by insertion than by partitioning. */
#define INSERTION_MAX 12

static void swap(char *a, char *b, size_t size)
{
    nolibc_word_t t;
    char c;

    if (a == b)
        return;
    for (; size >= 8; size -= 8, a += 8, b += 8) {
        t = *(nolibc_word_t *)a;
        *(nolibc_word_t *)a = *(nolibc_word_t *)b;
        *(nolibc_word_t *)b = t;
    }
    for (; size; size--, a++, b++) {
        c = *a;
        *a = *b;
        *b = c;
    }
}

static void insertion_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    size_t i, j;

    for (i = 1; i < n; i++)
        for (j = i; j && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
            swap(base + (j - 1) * size, base + j * size, size);
}

static void sift_down(char *base, size_t root, size_t n, size_t size, cmp_fn cmp)
{
    size_t child;

    while ((child = 2 * root + 1) < n) {
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap(base + root * size, base + child * size, size);
        root = child;
    }
}

/* The O(n log n) guarantee for inputs that defeat median-of-three. */
static void heap_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
    size_t i;

    for (i = n / 2; i-- > 0;)
        sift_down(base, i, n, size, cmp);
    for (i = n - 1; i > 0; i--) {
        swap(base, base + i * size, size);
        sift_down(base, 0, i, size, cmp);
    }
}

/*
 * Hoare partition around the median of first, middle and last, which ends
 * up at base[0] while partitioning. Scans stop on equal keys so that runs of
 * duplicates split evenly. Returns the pivot's final index.
 */
static size_t partition(char *base, size_t n, size_t size, cmp_fn cmp)
{
    char *mid = base + n / 2 * size, *last = base + (n - 1) * size;
    size_t i = 1, j = n - 1;

    if (cmp(mid, base) < 0)
        swap(mid, base, size);
    if (cmp(last, mid) < 0) {
        swap(last, mid, size);
        if (cmp(mid, base) < 0)
            swap(mid, base, size);
    }
    swap(base, mid, size);
    for (;;) {
        /* The bounds hold even for a comparison that is not a
         * consistent order: a bad cmp must not read out of bounds. */
        while (i < n && cmp(base + i * size, base) < 0)
            i++;
        while (j > 0 && cmp(base + j * size, base) > 0)
            j--;
        if (i >= j)
            break;
        swap(base + i * size, base + j * size, size);
        i++;
        j--;
    }
    swap(base, base + j * size, size);
    return j;
}

/* depth: partitioning levels left before switching to heapsort. */
static void sort(char *base, size_t n, size_t size, cmp_fn cmp, int depth)
{
    size_t p;

    while (n > INSERTION_MAX) {
        if (depth-- == 0) {
            heap_sort(base, n, size, cmp);
            return;
        }
        p = partition(base, n, size, cmp);
        /* Recurse into the smaller side, loop on the larger: the stack
         * stays within log2(n) frames. */
        if (p < n - p - 1) {
            sort(base, p, size, cmp, depth);
            base += (p + 1) * size;
            n -= p + 1;
        } else {
            sort(base + (p + 1) * size, n - p - 1, size, cmp, depth);
            n = p;
        }
    }
    insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t n, size_t size, cmp_fn cmp)
{
    int depth = 0;
    size_t m;

    for (m = n; m > 1; m >>= 1)
        depth += 2; /* 2 log2(n), as introsort does */
    if (size)
        sort(base, n, size, cmp, depth);
}

void *bsearch(const void *key, const void *base, size_t n, size_t size, cmp_fn cmp)
{
    const char *lo = base;

    while (n) {
        const char *mid = lo + n / 2 * size;
        int c = cmp(key, mid);

        if (!c)
            return (void *)mid;
        if (c > 0) {
            lo = mid + size;
            n -= n / 2 + 1;
        } else {
            n /= 2;
        }
    }
    return NULL;
}
