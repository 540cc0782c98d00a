/* linuxu memory: one shared mapping of a memfd, of nfos.mem bytes (default
 * 64 MiB), on 2 MiB huge pages when the host has them free (MFD_HUGETLB),
 * else on normal pages. A file, not anonymous memory, so that another
 * process can map the same pages: a vhost-user backend reads and writes
 * packet buffers and rings in place (plat_mem_share). Huge pages are
 * reserved when mapped (a huge mapping that ran dry later would SIGBUS);
 * normal pages are allocated on first touch, so untouched memory costs
 * nothing, like guest RAM. Region 0 starts at offset 0 of the file. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <nfos/core.h>
#include <nfos/plat/memory.h>

#define LINUXU_DEFAULT_MEM (64ULL << 20)
#define HUGE_2M            (2ULL << 20)

static struct {
    struct plat_mem_region region;
    int nr;
    int huge;
    int fd;
} mem;

/* len bytes of address space at a 2 MiB boundary, or MAP_FAILED: a memfd
 * of normal pages mapped where the kernel chooses starts on any 4 KiB page,
 * and the heap gives out whole 2 MiB pages (the EAL's -m, pgalloc's large
 * runs), so an unaligned start lost one of them in some processes and not
 * in others, with the address the host picked. Reserve len + 2 MiB, keep
 * the aligned part, give back the rest. */
static void *reserve_aligned(uint64_t len)
{
    uint8_t *p, *a;

    p = mmap(NULL, len + HUGE_2M, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return MAP_FAILED;
    a = (uint8_t *)(((uintptr_t)p + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    if (a + len < p + len + HUGE_2M)
        munmap(a + len, (size_t)(p + len + HUGE_2M - (a + len)));
    return a;
}

/* A memfd of len bytes mapped shared at a 2 MiB boundary, or MAP_FAILED
 * (fd closed). */
static void *map_memfd(uint64_t len, unsigned flags, int *fd)
{
    void *at, *p;

    *fd = memfd_create("nfos-mem", MFD_CLOEXEC | flags);
    if (*fd < 0)
        return MAP_FAILED;
    at = reserve_aligned(len);
    if (at != MAP_FAILED && ftruncate(*fd, (off_t)len) == 0) {
        p = mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, *fd, 0);
        if (p != MAP_FAILED)
            return p;
    }
    if (at != MAP_FAILED)
        munmap(at, len);
    close(*fd);
    *fd = -1;
    return MAP_FAILED;
}

static int map_memory(void)
{
    uint64_t len = LINUXU_DEFAULT_MEM;
    void *p;

    core_param_u64("nfos.mem", &len);
    len = (len + HUGE_2M - 1) & ~(HUGE_2M - 1);
    p = map_memfd(len, MFD_HUGETLB, &mem.fd);
    mem.huge = p != MAP_FAILED;
    if (p == MAP_FAILED)
        p = map_memfd(len, 0, &mem.fd);
    if (p == MAP_FAILED) {
        fprintf(stderr, "nfos: cannot map %llu bytes of memory (nfos.mem): %m\n",
                (unsigned long long)len);
        return -1;
    }
    mem.region.base = (uintptr_t)p;
    mem.region.len = len;
    mem.nr = 1;
    if (core_verbose())
        printf("nfos: linuxu memory %llu MiB at %p (shared memfd, %s pages)\n",
               (unsigned long long)(len >> 20), p, mem.huge ? "2 MiB" : "4 KiB");
    return 0;
}

int plat_mem_regions(const struct plat_mem_region **regions)
{
    if (!mem.nr && map_memory())
        return 0;
    *regions = &mem.region;
    return mem.nr;
}

/* A new memfd's pages, normal or huge, read as zero. */
int plat_mem_zeroed(void)
{
    return 1;
}

uint64_t plat_mem_total(void)
{
    return mem.region.len;
}

int plat_mem_share(unsigned region, int *fd, uint64_t *offset)
{
    if (region >= (unsigned)mem.nr)
        return -EINVAL;
    *fd = mem.fd;
    *offset = 0;
    return 0;
}
