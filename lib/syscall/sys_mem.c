/* Memory: anonymous private mappings from the nfos heap (lib/alloc), zeroed
 * (by lib/alloc, which skips what was never used);
 * requests of whole 2 MiB multiples are 2 MiB aligned (so they sit on 2 MiB
 * pages of the identity map). No page protection exists: mprotect and
 * madvise succeed and change nothing; on kvm nothing is paged out, so the
 * mlock calls succeed too. brk grows inside one window taken
 * from the heap on first use. On linuxu a shared or file mapping (the
 * platform's own memfd) is the host's, and so is any memory outside the
 * heap: what musl mapped before the heap existed (constructors run before
 * main there), which mprotect, madvise and munmap then change for real. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <nfos/alloc.h>
#include <nfos/compiler.h>
#if CONFIG_PLAT_LINUXU
#include <nfos/plat/memory.h>
#endif
#include "syscall_priv.h"

#define PROT_NONE      0
#define MAP_SHARED     0x01
#define MAP_PRIVATE    0x02
#define MAP_FIXED      0x10
#define MAP_ANONYMOUS  0x20
#define MREMAP_MAYMOVE 1
#define PAGE           4096UL
#define HUGE           (2UL << 20)
#define RESERVED_MAX   8

struct reservation {
    uintptr_t base;
    size_t len; /* 0: a free entry */
};

static struct {
    struct syscall_mem_stats st;
    char *brk_base;
    size_t brk_len;
    /* Anonymous PROT_NONE mappings, zero when made (DPDK reserves address
     * space so, then maps parts of it writable with MAP_FIXED): no correct
     * program writes what it cannot access, so they still read as zero
     * until some part of them is made accessible. A full table only costs
     * clearing. */
    struct reservation reserved[RESERVED_MAX];
} mem;

static void reserved_add(void *p, size_t len)
{
    unsigned i;

    for (i = 0; i < RESERVED_MAX; i++)
        if (!mem.reserved[i].len) {
            mem.reserved[i] = (struct reservation){ (uintptr_t)p, len };
            return;
        }
}

/* Forgets every reservation [addr, addr + len) overlaps (it becomes
 * accessible, or goes); returns whether one of them held all of it. */
static bool reserved_forget(uintptr_t addr, size_t len)
{
    bool inside = false;
    unsigned i;

    for (i = 0; i < RESERVED_MAX; i++) {
        struct reservation *r = &mem.reserved[i];

        if (!r->len || addr >= r->base + r->len || addr + len <= r->base)
            continue;
        inside |= addr >= r->base && len <= r->len - (addr - r->base);
        r->len = 0;
    }
    return inside;
}

#if CONFIG_PLAT_LINUXU
/* Whether the heap exists yet (before it, memory is the host's). */
static int heap_ready(void)
{
    struct alloc_stats st;

    alloc_stats(&st);
    return st.nr_regions != 0;
}

/* Whether addr lies in the heap's memory (the platform's memfd), not in a
 * mapping of the host's own. */
static int in_heap(long addr)
{
    const struct plat_mem_region *reg;
    int nr, i;

    if (!heap_ready())
        return 0;
    nr = plat_mem_regions(&reg);
    for (i = 0; i < nr; i++)
        if ((uintptr_t)addr >= reg[i].base && (uintptr_t)addr - reg[i].base < reg[i].len)
            return 1;
    return 0;
}
#endif

static long sys_mmap(long addr, long len, long prot, long flags, long fd, long off)
{
    size_t size = ((size_t)len + PAGE - 1) & ~(PAGE - 1);
    void *p;

    if (!(flags & MAP_ANONYMOUS) || (flags & MAP_SHARED)) {
#if CONFIG_PLAT_LINUXU
        return syscall_host(9, addr, len, prot, flags, fd, off);
#else
        return -ENODEV;
#endif
    }
    if (len <= 0)
        return -EINVAL;
    /* Over memory the caller holds (DPDK reserves an area, then maps it
     * again writable): on kvm every page is mapped already, it reads as
     * new. On linuxu, whose heap is host memory, only within a block the
     * heap gave: anything else would replace the host's own mappings.
     * Cleared unless it lies in a reservation never accessible yet. */
    if (flags & MAP_FIXED) {
        if (addr & (PAGE - 1))
            return -EINVAL;
#if CONFIG_PLAT_LINUXU
        if (alloc_usable_size((void *)addr) < (size_t)len)
            return -EINVAL;
#endif
        if (!reserved_forget((uintptr_t)addr, (size_t)len))
            memset((void *)addr, 0, (size_t)len);
        return addr;
    }
#if CONFIG_PLAT_LINUXU
    /* Before the core set the heap up (musl's start-up, a large TLS,
     * constructors' mallocs): the host's memory, as for any process. */
    if (!heap_ready())
        return syscall_host(9, addr, len, prot, flags, fd, off);
#endif
    /* Zeroed where the heap used it before; RAM untouched since boot is
     * left alone (plat_mem_zeroed), so that a large mapping costs its
     * pages only as the caller touches them, as on Linux. */
    if (alloc_memalign_zeroed(&p, size % HUGE ? PAGE : HUGE, size))
        return -ENOMEM;
    if (prot == PROT_NONE)
        reserved_add(p, size);
    mem.st.mapped_bytes += alloc_usable_size(p);
    mem.st.nr_mmap++;
    return (long)p;
}

static long sys_munmap(long addr, long len, long a3, long a4, long a5, long a6)
{
    size_t have = alloc_usable_size((void *)addr);

    if (addr & (PAGE - 1) || len <= 0)
        return -EINVAL;
    if (!have) {
#if CONFIG_PLAT_LINUXU
        /* Inside a heap block: the block stays whole (as below). */
        if (in_heap(addr)) {
            mem.st.nr_partial_munmap++;
            return 0;
        }
        return syscall_host(11, addr, len, 0, 0, 0, 0);
#else
        return -EINVAL;
#endif
    }
    if ((((size_t)len + PAGE - 1) & ~(PAGE - 1)) < have) {
        mem.st.nr_partial_munmap++;
        return 0;
    }
    reserved_forget((uintptr_t)addr, have);
    alloc_free((void *)addr);
    mem.st.mapped_bytes -= have;
    mem.st.nr_munmap++;
    return 0;
}

/* A mapping moves (MREMAP_MAYMOVE) to a new block of the new size: Linux
 * would remap pages; here the bytes are copied. */
static long sys_mremap(long old, long oldlen, long newlen, long flags, long a5, long a6)
{
    size_t have = alloc_usable_size((void *)old);
    long p;

    if (!have || old & (PAGE - 1) || newlen <= 0)
        return -EINVAL;
    if ((size_t)newlen <= have)
        return (size_t)newlen == (size_t)oldlen ? old : -ENOMEM;
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    p = sys_mmap(0, newlen, 3, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p < 0)
        return p;
    memcpy((void *)p, (void *)old, NFOS_MIN((size_t)oldlen, have));
    sys_munmap(old, (long)have, 0, 0, 0, 0);
    return p;
}

static long sys_mprotect(long addr, long len, long prot, long a4, long a5, long a6)
{
#if CONFIG_PLAT_LINUXU
    if (!in_heap(addr))
        return syscall_host(10, addr, len, prot, 0, 0, 0);
#endif
    if (addr & (PAGE - 1))
        return -EINVAL;
    if (prot != PROT_NONE && len > 0)
        reserved_forget((uintptr_t)addr, (size_t)len);
    return 0;
}

static long sys_madvise(long addr, long len, long advice, long a4, long a5, long a6)
{
#if CONFIG_PLAT_LINUXU
    if (!in_heap(addr))
        return syscall_host(28, addr, len, advice, 0, 0, 0);
#endif
    return addr & (PAGE - 1) ? -EINVAL : 0;
}

#if !CONFIG_PLAT_LINUXU
/* Nothing is ever paged out: every lock holds already (linuxu: the host's,
 * sys_host_linuxu.c). */
static long sys_mlock(long addr, long len, long a3, long a4, long a5, long a6)
{
    return 0;
}
#endif

/* Linux's brk: returns the new break, or the old one when it cannot move. */
static long sys_brk(long want, long a2, long a3, long a4, long a5, long a6)
{
    void *p;

    if (!mem.brk_base) {
#if CONFIG_PLAT_LINUXU
        if (!heap_ready())
            return 0; /* no break yet: musl's malloc takes mmap instead */
#endif
        if (!CONFIG_LIBSYSCALL_BRK_MAX || alloc_memalign(&p, PAGE, CONFIG_LIBSYSCALL_BRK_MAX))
            return 0;
        mem.brk_base = p;
    }
    if (want && (char *)want >= mem.brk_base &&
        (char *)want <= mem.brk_base + CONFIG_LIBSYSCALL_BRK_MAX) {
        size_t len = (size_t)((char *)want - mem.brk_base);

        if (len > mem.brk_len)
            memset(mem.brk_base + mem.brk_len, 0, len - mem.brk_len);
        mem.brk_len = len;
    }
    mem.st.brk_bytes = mem.brk_len;
    return (long)(mem.brk_base + mem.brk_len);
}

void syscall_mem_stats(struct syscall_mem_stats *st)
{
    *st = mem.st;
}

SYSCALL_DEFINE(9, mmap, sys_mmap, 0);
SYSCALL_DEFINE(11, munmap, sys_munmap, 0);
SYSCALL_DEFINE(25, mremap, sys_mremap, 0);
SYSCALL_DEFINE(10, mprotect, sys_mprotect, 0);
SYSCALL_DEFINE(28, madvise, sys_madvise, 0);
SYSCALL_DEFINE(12, brk, sys_brk, 0);
#if !CONFIG_PLAT_LINUXU
SYSCALL_DEFINE(149, mlock, sys_mlock, 0);
SYSCALL_DEFINE(150, munlock, sys_mlock, 0);
SYSCALL_DEFINE(151, mlockall, sys_mlock, 0);
SYSCALL_DEFINE(152, munlockall, sys_mlock, 0);
#endif
