/* Guest RAM from the PVH memory map. The image and the low megabyte are
 * removed; RAM in the first GiB is mapped by the prebuilt tables, RAM above
 * it gets page directories written here, at CPL3, before they are linked in
 * (a table not yet live is plain memory: no VM exit per entry).
 *
 *   0        1 MiB       __image_end                     top of RAM
 *   | BIOS.. | nfos image | region 0: the heap ...         |
 *
 * The initrd (the first PVH module; QEMU puts it near the top of RAM below
 * 4 GiB) is cut out the same way as the image and handed to plat_initrd().
 *
 * Cost: one 4 KiB directory per GiB above the first, nothing per page. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <nfos/compiler.h>
#include <nfos/plat/initrd.h>
#include <nfos/plat/memory.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define KVM_MAX_REGIONS 16
#define GIB             (1ULL << 30)
#define MMIO_HOLE_START (3 * GIB) /* PD3 maps 3..4 GiB uncached */
#define MMIO_HOLE_END   (4 * GIB)
#define MAPPABLE_END    (512 * GIB) /* one PDPT */
#define LOW_RESERVED    (1ULL << 20)

static struct {
    struct plat_mem_region regions[KVM_MAX_REGIONS];
    int nr;
    uint64_t total;
    uint64_t initrd, initrd_len; /* 0, 0: none */
} mem;

static void add_region(uint64_t base, uint64_t end)
{
    /* Above the first GiB only whole 2 MiB pages get mapped. */
    base = NFOS_ALIGN_UP(base, base >= GIB ? 1ULL << 21 : NFOS_PAGE_SIZE);
    end = NFOS_ALIGN_DOWN(end, end > GIB ? 1ULL << 21 : NFOS_PAGE_SIZE);
    if (end <= base || mem.nr == KVM_MAX_REGIONS)
        return;
    mem.regions[mem.nr].base = base;
    mem.regions[mem.nr].len = end - base;
    mem.nr++;
}

/* Adds [base, end) minus the low megabyte, the image, the initrd and the
 * MMIO hole. */
static void add_ram(uint64_t base, uint64_t end)
{
    uint64_t img0 = (uintptr_t)__image_start, img1 = (uintptr_t)__image_end;
    uint64_t rd0 = mem.initrd, rd1 = mem.initrd + mem.initrd_len;

    if (base < LOW_RESERVED)
        base = LOW_RESERVED;
    if (end > MAPPABLE_END)
        end = MAPPABLE_END;
    if (base < MMIO_HOLE_END && end > MMIO_HOLE_START) {
        add_ram(base, MMIO_HOLE_START);
        add_ram(MMIO_HOLE_END, end);
        return;
    }
    if (base < img1 && end > img0) {
        add_region(base, img0);
        add_region(img1, end);
        return;
    }
    if (base < rd1 && end > rd0) {
        add_ram(base, rd0);
        add_ram(rd1, end);
        return;
    }
    add_region(base, end);
}

/* Takes one page for a page directory from the lowest region. */
static uint64_t *take_page(void)
{
    struct plat_mem_region *r = &mem.regions[0];
    uint64_t *pd;

    if (!mem.nr || r->len < 2 * NFOS_PAGE_SIZE)
        return NULL;
    pd = (uint64_t *)r->base;
    r->base += NFOS_PAGE_SIZE;
    r->len -= NFOS_PAGE_SIZE;
    return pd;
}

/* Maps every whole 2 MiB page of RAM between 1 and 3 GiB and above 4 GiB. */
static void map_high_ram(const struct hvm_memmap_entry *map, uint32_t n)
{
    uint64_t *pd[512] = { 0 };
    uint32_t i;

    for (i = 0; i < n; i++) {
        uint64_t a, end;

        if (map[i].type != HVM_MEMMAP_RAM)
            continue;
        a = NFOS_ALIGN_UP(map[i].addr, 1ULL << 21);
        end = NFOS_MIN(map[i].addr + map[i].size, MAPPABLE_END);
        for (; a + (1ULL << 21) <= end; a += 1ULL << 21) {
            uint64_t g = a / GIB;

            if (g == 0 || g == 3)
                continue; /* prebuilt */
            if (!pd[g]) {
                pd[g] = take_page();
                if (!pd[g])
                    return;
                for (int k = 0; k < 512; k++)
                    pd[g][k] = 0;
            }
            pd[g][(a % GIB) >> 21] = a | PTE_RAM_2M;
        }
    }
    for (i = 0; i < 512; i++)
        if (pd[i])
            kvm_pdpt[i] = (uint64_t)(uintptr_t)pd[i] | PTE_TABLE;
}

/* The first module, if it lies where the boot tables map it (the first GiB
 * at boot; RAM above it gets mapped below, the initrd with it). */
static void initrd_keep(const struct hvm_start_info *si)
{
    const struct hvm_modlist_entry *m;

    if (!si->nr_modules || !si->modlist_paddr || si->modlist_paddr >= GIB)
        return;
    m = (const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr;
    if (!m->size || m->paddr < LOW_RESERVED || m->paddr >= MMIO_HOLE_START ||
        m->size > MMIO_HOLE_START - m->paddr) {
        kvm_puts("nfos: the initrd lies outside usable RAM: ignored\n");
        return;
    }
    mem.initrd = m->paddr;
    mem.initrd_len = m->size;
}

int plat_initrd(const void **data, size_t *len)
{
    if (!mem.initrd_len)
        return -ENOENT;
    *data = (const void *)(uintptr_t)mem.initrd;
    *len = (size_t)mem.initrd_len;
    return 0;
}

int kvm_memory_init(const struct hvm_start_info *si)
{
    const struct hvm_memmap_entry *map;
    uint32_t i, n;

    if (si->version < 1 || !si->memmap_paddr || !si->memmap_entries) {
        kvm_puts("nfos: the PVH start info has no memory map (version < 1)\n");
        return -1;
    }
    initrd_keep(si);
    map = (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
    n = si->memmap_entries;
    for (i = 0; i < n; i++) {
        if (map[i].type != HVM_MEMMAP_RAM)
            continue;
        mem.total += map[i].size;
        add_ram(map[i].addr, map[i].addr + map[i].size);
    }
    map_high_ram(map, n);
    /* Only mapped RAM is usable: drop what no directory covers (a
     * directory page could not be had). */
    for (i = 0, n = 0; i < (uint32_t)mem.nr; i++) {
        struct plat_mem_region *r = &mem.regions[i];
        uint64_t g0 = r->base / GIB, g1 = (r->base + r->len - 1) / GIB;

        if ((kvm_pdpt[g0] & PTE_P) && (kvm_pdpt[g1] & PTE_P))
            mem.regions[n++] = *r;
    }
    mem.nr = n;
    if (!mem.nr || mem.regions[0].len < NFOS_PAGE_SIZE) {
        kvm_puts("nfos: not enough guest RAM: ");
        kvm_putdec(mem.total >> 10);
        kvm_puts(" KiB, and the image alone ends at ");
        kvm_putdec((uintptr_t)__image_end >> 10);
        kvm_puts(" KiB\n");
        return -1;
    }
    return 0;
}

int plat_mem_regions(const struct plat_mem_region **regions)
{
    *regions = mem.regions;
    return mem.nr;
}

/* QEMU and nfvm give the guest zeroed RAM, and what this image or its
 * monitor writes before the heap exists (the low MiB, the image, the
 * initrd, nfvm's AP blocks, the page directories above) is cut out of the
 * regions above. */
int plat_mem_zeroed(void)
{
    return 1;
}

uint64_t plat_mem_total(void)
{
    return mem.total;
}
