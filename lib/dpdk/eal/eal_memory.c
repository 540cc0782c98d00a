/* Memory on nfos: one region of 2 MiB pages, sized by -m (or
 * --socket-mem), taken from the nfos heap's page allocator once at init
 * and described to DPDK as one memseg list: the legacy model, nothing
 * allocated or freed page by page afterwards. The image's memory is
 * identity mapped, so a byte's IOVA is its address: guest-physical on kvm;
 * on linuxu an address in the memfd that holds the nfos heap, which
 * vhost-user's memory table gives the backend as guest-physical too, so
 * that every mbuf of every pool made from this region is a buffer the
 * backend can reach. The region is one contiguous run (an mbuf or a ring
 * may straddle two of its pages, and IOVA = VA makes DPDK take the run as
 * IOVA-contiguous), aligned to 2 MiB only: the heap hands out runs that
 * size, so -m may take nearly all of the RAM the image leaves free. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <nfos/alloc.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_memory.h>

#include "eal_hugepages.h"
#include "eal_internal_cfg.h"
#include "eal_memalloc.h"
#include "eal_memcfg.h"
#include "eal_private.h"

#if CONFIG_PLAT_LINUXU
#include <nfos/plat/memory.h>
#endif

#define EAL_NFOS_PAGE RTE_PGSIZE_2M

/* Where memsegs would be mapped by address: not used (nothing is mapped at
 * a chosen address here), but the common code asks. */
uint64_t eal_get_baseaddr(void)
{
    return 0;
}

phys_addr_t rte_mem_virt2phy(const void *virtaddr)
{
    return (uintptr_t)virtaddr;
}

rte_iova_t rte_mem_virt2iova(const void *virtaddr)
{
    return (uintptr_t)virtaddr;
}

int rte_eal_using_phys_addrs(void)
{
    return 0; /* IOVA as VA (which is the physical address) */
}

/* One page size, the region's: its page count is filled in once the size
 * is known (rte_eal_hugepage_init), since -m is parsed after this runs. */
int eal_hugepage_info_init(void)
{
    struct internal_config *conf = eal_get_internal_configuration();
    struct hugepage_info *hpi = &conf->hugepage_info[0];

    conf->num_hugepage_sizes = 1;
    hpi->hugepage_sz = EAL_NFOS_PAGE;
    strcpy(hpi->hugedir, "nfos");
    hpi->num_pages[0] = RTE_ALIGN_CEIL(conf->memory, EAL_NFOS_PAGE) / EAL_NFOS_PAGE;
    hpi->lock_descriptor = -1;
    return 0;
}

int eal_hugepage_info_read(void)
{
    return -1; /* no secondary processes */
}

int rte_eal_memseg_init(void)
{
    return 0; /* the one list is made with the region */
}

#if CONFIG_PLAT_LINUXU
/* Whether [addr, addr + size) lies in a region the platform shares (the
 * memfd vhost-user hands its backend): the nfos heap is built over the
 * platform's regions, which on linuxu are that memfd; this holds it to
 * that, should the heap ever take memory from elsewhere. */
static bool eal_nfos_region_shared(const void *addr, uint64_t size)
{
    const struct plat_mem_region *reg;
    int nr = plat_mem_regions(&reg), i, fd;
    uint64_t off;

    for (i = 0; i < nr; i++)
        if ((uintptr_t)addr >= reg[i].base && size <= reg[i].len &&
            (uintptr_t)addr - reg[i].base <= reg[i].len - size)
            return plat_mem_share((unsigned)i, &fd, &off) == 0;
    return false;
}
#endif

/* The region, zeroed (DPDK's malloc takes fresh memseg memory as clean),
 * or NULL after one line that says what -m would fit. The fit is asked
 * first so that nothing else of the EAL's takes heap memory in between.
 * Zeroed by the heap, which writes only what it handed out before: the
 * rest is still zero from boot, and writing it would fault in every page
 * of -m at start-up, most of which DPDK never uses. */
static void *eal_nfos_region_alloc(uint64_t size)
{
    uint64_t fits = alloc_largest(EAL_NFOS_PAGE) & ~(uint64_t)(EAL_NFOS_PAGE - 1);
    void *addr;

    if (fits == 0) {
        printf("EAL: no memory for -m %llu MiB: not one 2 MiB page of the image's RAM is "
               "free; give it more (--mem)\n",
               (unsigned long long)(size >> 20));
        return NULL;
    }
    if (size > fits || alloc_memalign_zeroed(&addr, EAL_NFOS_PAGE, (size_t)size)) {
        printf("EAL: no memory for -m %llu MiB: the largest run of free 2 MiB pages is "
               "%llu MiB, so -m %llu at most (the app needs some of the rest); give the "
               "image more RAM (--mem) or ask for less\n",
               (unsigned long long)(size >> 20), (unsigned long long)(fits >> 20),
               (unsigned long long)(fits >> 20));
        return NULL;
    }
    return addr;
}

int rte_eal_hugepage_init(void)
{
    struct rte_mem_config *mcfg = rte_eal_get_configuration()->mem_config;
    struct internal_config *conf = eal_get_internal_configuration();
    struct rte_memseg_list *msl = &mcfg->memsegs[0];
    uint64_t size = RTE_ALIGN_CEIL(conf->memory, EAL_NFOS_PAGE);
    int n_segs = (int)(size / EAL_NFOS_PAGE);
    void *addr = eal_nfos_region_alloc(size);

    if (!addr)
        return -1;
#if CONFIG_PLAT_LINUXU
    if (!eal_nfos_region_shared(addr, size)) {
        printf("EAL: -m %llu MiB at %p is not in nfos's shared memory: a vhost-user "
               "backend could not reach its mbufs\n",
               (unsigned long long)(size >> 20), addr);
        alloc_free(addr);
        return -1;
    }
#endif
    if (eal_memseg_list_init_named(msl, "nfos", EAL_NFOS_PAGE, n_segs, 0, true)) {
        alloc_free(addr);
        return -1;
    }
    msl->base_va = addr;
    msl->len = size;
    eal_memseg_list_populate(msl, addr, n_segs);
    RTE_LOG(DEBUG, EAL, "nfos: %d pages of 2 MiB at %p\n", n_segs, addr);
    return 0;
}

int rte_eal_hugepage_attach(void)
{
    return -1; /* no secondary processes */
}

/* Page-by-page allocation (the dynamic memory model) does not exist: the
 * legacy model never calls it for the region. */
struct rte_memseg *eal_memalloc_alloc_seg(size_t page_sz __rte_unused, int socket __rte_unused)
{
    return NULL;
}

int eal_memalloc_alloc_seg_bulk(struct rte_memseg **ms __rte_unused, int n_segs __rte_unused,
                                size_t page_sz __rte_unused, int socket __rte_unused,
                                bool exact __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_free_seg(struct rte_memseg *ms __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_free_seg_bulk(struct rte_memseg **ms __rte_unused, int n_segs __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_sync_with_primary(void)
{
    return -ENOTSUP;
}

int eal_memalloc_get_seg_fd(int list_idx __rte_unused, int seg_idx __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_set_seg_fd(int list_idx __rte_unused, int seg_idx __rte_unused,
                            int fd __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_set_seg_list_fd(int list_idx __rte_unused, int fd __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_get_seg_fd_offset(int list_idx __rte_unused, int seg_idx __rte_unused,
                                   size_t *offset __rte_unused)
{
    return -ENOTSUP;
}

int eal_memalloc_init(void)
{
    return 0;
}

int eal_memalloc_cleanup(void)
{
    return 0;
}
