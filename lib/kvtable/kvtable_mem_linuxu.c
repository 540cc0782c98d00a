/* kvtable's large blocks on linuxu: anonymous memory, 2 MiB aligned and
 * asked for on transparent huge pages. A lookup touches random lines of
 * hundreds of MiB; on 4 KiB pages each one is also a TLB miss, whose page
 * walk the burst's prefetches wait for (kvstore: about a fifth of its
 * cycles). Without THP (or with it off) the memory is still fine, on small
 * pages. Not the nfos.mem region: that one is sized for packet buffers and
 * shared with the vhost-user backend. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include "kvtable_priv.h"

#define HUGE_2M ((size_t)2 << 20)

static size_t span(size_t len)
{
    return (len + HUGE_2M - 1) & ~(HUGE_2M - 1);
}

void *kvtable_mem_alloc(size_t len)
{
    size_t n = span(len), slack = HUGE_2M;
    uint8_t *p = mmap(NULL, n + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint8_t *a;

    if (p == MAP_FAILED)
        return NULL;
    a = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (a + n < p + n + slack)
        munmap(a + n, (size_t)(p + n + slack - (a + n)));
    madvise(a, n, MADV_HUGEPAGE); /* a hint: refused, small pages do */
    return a;
}

void kvtable_mem_free(void *p, size_t len)
{
    if (p)
        munmap(p, span(len));
}
