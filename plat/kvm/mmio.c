/* Device memory outside the prebuilt map, mapped on request at CPL3:
 *
 *   0 .. 1 GiB    prebuilt, write-back (RAM, the image; ACPI tables)
 *   1 .. 3 GiB    RAM from the memory map; the rest (q35's ECAM at
 *                 0xb0000000, firmware tables in reserved RAM) here
 *   3 .. 4 GiB    prebuilt, uncached (the MMIO hole: BARs, virtio-mmio,
 *                 microvm's ECAM at 0xe0000000)
 *   4 .. 512 GiB  RAM from the memory map; 64-bit BARs here
 *
 * 2 MiB uncached pages. A missing page directory comes from a small spare
 * pool in the image (the page allocator belongs to the libraries by now),
 * is filled while it is still plain memory and linked in last. Entries
 * already present are left alone: RAM is never remapped. */
#include <errno.h>
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/plat/mmio.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define GIB          (1ULL << 30)
#define PAGE_2M      (1ULL << 21)
#define MAPPABLE_END (512 * GIB) /* one PDPT */
#define SPARE_PDS    4

static struct {
    uint64_t pd[SPARE_PDS][512] __attribute__((aligned(4096)));
    int used;
} spare;

static uint64_t *pd_of(uint64_t g)
{
    if (kvm_pdpt[g] & PTE_P)
        return (uint64_t *)(uintptr_t)(kvm_pdpt[g] & ~0xfffULL);
    return NULL;
}

int plat_mmio_map(uint64_t addr, uint64_t len)
{
    uint64_t a, end;

    if (!len)
        return 0;
    if (addr + len < addr || addr + len > MAPPABLE_END)
        return -ERANGE;
    a = NFOS_ALIGN_DOWN(addr, PAGE_2M);
    end = NFOS_ALIGN_UP(addr + len, PAGE_2M);
    while (a < end) {
        uint64_t g = a / GIB, g_end = NFOS_MIN(end, (g + 1) * GIB);
        uint64_t *pd = pd_of(g);
        int fresh = 0;

        if (!pd) {
            if (spare.used == SPARE_PDS)
                return -ENOMEM;
            pd = spare.pd[spare.used++];
            fresh = 1; /* zeroed bss, not live yet */
        }
        for (; a < g_end; a += PAGE_2M) {
            uint64_t *e = &pd[(a % GIB) / PAGE_2M];

            if (!(*e & PTE_P))
                *e = a | PTE_MMIO_2M;
        }
        if (fresh)
            kvm_pdpt[g] = (uint64_t)(uintptr_t)pd | PTE_TABLE;
    }
    return 0;
}
