/* linuxu memory: one anonymous mapping, of nfos.mem bytes (default 64 MiB),
 * backed by 2 MiB huge pages when the host has them free, else by normal
 * pages. Huge pages are reserved up front (a NORESERVE huge mapping would
 * SIGBUS later when the pool runs dry); normal pages use MAP_NORESERVE, so
 * untouched memory costs nothing, like guest RAM. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <nfos/core.h>
#include <nfos/plat/memory.h>

#define LINUXU_DEFAULT_MEM (64ULL << 20)
#define HUGE_2M            (2ULL << 20)

static struct {
    struct plat_mem_region region;
    int nr;
    int huge;
} mem;

static int map_memory(void)
{
    uint64_t len = LINUXU_DEFAULT_MEM;
    void *p;

    core_param_u64("nfos.mem", &len);
    len = (len + HUGE_2M - 1) & ~(HUGE_2M - 1);
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    mem.huge = p != MAP_FAILED;
    if (p == MAP_FAILED)
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "nfos: cannot map %llu bytes of memory (nfos.mem)\n",
                (unsigned long long)len);
        return -1;
    }
    mem.region.base = (uintptr_t)p;
    mem.region.len = len;
    mem.nr = 1;
    if (core_verbose())
        printf("nfos: linuxu memory %llu MiB at %p (%s pages)\n", (unsigned long long)(len >> 20),
               p, mem.huge ? "2 MiB" : "4 KiB");
    return 0;
}

int plat_mem_regions(const struct plat_mem_region **regions)
{
    if (!mem.nr && map_memory())
        return 0;
    *regions = &mem.region;
    return mem.nr;
}

uint64_t plat_mem_total(void)
{
    return mem.region.len;
}
