/* BARs: sizing and decoding (32/64-bit memory, prefetchable, I/O), and
 * nfos's own assignment of memory BARs and bridge windows when the
 * firmware left them unassigned or above 4 GiB, where the boot map does
 * not reach. Assignment is a bump allocator through the host window, depth
 * first: a bus's BARs biggest first (each naturally aligned, so nothing is
 * wasted between them), then each bridge's subtree in a 1 MiB aligned
 * window. Prefetchable BARs go into the bridges' plain memory windows (the
 * prefetchable windows are closed): legal, and one window per bridge is
 * enough below 4 GiB. I/O BARs are not assigned. */
#include <errno.h>
#include <string.h>
#include <nfos/compiler.h>
#include "pci_priv.h"

#define GIB4           (1ULL << 32)
#define PCI_MIN_BAR    16ULL
#define PCI_ASSIGN_MAX 32 /* bridge nesting depth */

unsigned pci_bar_slots(const struct pci_device *pdev)
{
    return pdev->hdr_type == PCI_HDR_DEVICE ? 6 : pdev->hdr_type == PCI_HDR_BRIDGE ? 2 : 0;
}

/* Writes all ones, reads the mask back, restores. */
static uint32_t bar_mask(struct pci_device *pdev, uint16_t off, uint32_t orig)
{
    uint32_t mask;

    pci_write32(pdev, off, 0xffffffff);
    mask = pci_read32(pdev, off);
    pci_write32(pdev, off, orig);
    return mask;
}

unsigned pci_bar_probe(struct pci_device *pdev, unsigned i)
{
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
    uint32_t orig = pci_read32(pdev, off), mask = bar_mask(pdev, off, orig);
    struct pci_bar *b = &pdev->bar[i];

    memset(b, 0, sizeof(*b));
    if (orig & PCI_BAR_IO) {
        uint32_t m = mask & ~3u;

        if (!m)
            return 1;
        if (!(m & 0xffff0000))
            m |= 0xffff0000; /* 16-bit I/O decoders leave the top at zero */
        b->io = true;
        b->size = (uint32_t)(~m + 1);
        b->addr = orig & ~3u;
        return 1;
    }
    if (orig & PCI_BAR_MEM64) {
        uint32_t orig_hi, mask_hi;
        uint64_t m;

        if (i == pci_bar_slots(pdev) - 1)
            return 1; /* a 64-bit BAR cannot start in the last slot */
        orig_hi = pci_read32(pdev, off + 4);
        mask_hi = bar_mask(pdev, off + 4, orig_hi);
        m = (uint64_t)mask_hi << 32 | (mask & ~0xfu);
        if (m) {
            b->is64 = true;
            b->size = ~m + 1;
            b->addr = (uint64_t)orig_hi << 32 | (orig & ~0xfu);
            b->prefetch = orig & PCI_BAR_PREFETCH;
        }
        return 2;
    }
    if (mask & ~0xfu) {
        b->size = (uint32_t)(~(mask & ~0xfu) + 1);
        b->addr = orig & ~0xfu;
        b->prefetch = orig & PCI_BAR_PREFETCH;
    }
    return 1;
}

void pci_bars_probe(struct pci_device *pdev)
{
    uint16_t cmd = pci_read16(pdev, PCI_COMMAND);
    unsigned i, n = pci_bar_slots(pdev);

    /* A BAR holding all ones must not decode: memory and I/O off meanwhile. */
    if (cmd & (PCI_CMD_MEM | PCI_CMD_IO))
        pci_write16(pdev, PCI_COMMAND, cmd & ~(PCI_CMD_MEM | PCI_CMD_IO));
    memset(pdev->bar, 0, sizeof(pdev->bar));
    for (i = 0; i < n;)
        i += pci_bar_probe(pdev, i);
    if (cmd & (PCI_CMD_MEM | PCI_CMD_IO))
        pci_write16(pdev, PCI_COMMAND, cmd);
}

void pci_bar_write(struct pci_device *pdev, unsigned i)
{
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
    const struct pci_bar *b = &pdev->bar[i];

    pci_write32(pdev, off, (uint32_t)b->addr);
    if (b->is64)
        pci_write32(pdev, off + 4, (uint32_t)(b->addr >> 32));
}

bool pci_host_window(uint16_t vendor, uint16_t device, struct pci_window *w)
{
    if (vendor == 0x1b36 && device == 0x0008) {
        /* QEMU's GPEX (microvm,pcie=on): PCIE_MMIO_BASE/SIZE in QEMU's
         * include/hw/i386/microvm.h; only this range reaches the bus. */
        w->base = 0xc0000000;
        w->end = 0xe0000000;
        return true;
    }
    if (vendor == 0x8086 && device == 0x29c0) {
        /* q35's MCH: the PCI hole above ECAM (0xb0000000, 256 MiB) up to
         * the IOAPIC; RAM below 4 GiB never reaches past 0xb0000000. */
        w->base = 0xc0000000;
        w->end = 0xfec00000;
        return true;
    }
    return false;
}

static bool bar_unusable(const struct pci_bar *b)
{
    return b->size && !b->io && (!b->addr || b->addr + b->size > GIB4);
}

bool pci_needs_assign(struct pci_device *devs, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        for (unsigned i = 0; i < 6; i++)
            if (bar_unusable(&devs[k].bar[i]))
                return true;
    return false;
}

struct assign {
    struct pci_device *devs;
    unsigned n;
    uint64_t cursor, end;
    int err;
};

/* Places the memory BARs of the functions on bus, biggest first. */
static void assign_bars(struct assign *a, uint8_t bus)
{
    for (uint64_t size = 1ULL << 31; size >= PCI_MIN_BAR; size >>= 1) {
        for (unsigned k = 0; k < a->n; k++) {
            struct pci_device *d = &a->devs[k];

            if (d->bus != bus)
                continue;
            for (unsigned i = 0; i < 6; i++) {
                struct pci_bar *b = &d->bar[i];
                uint64_t addr = NFOS_ALIGN_UP(a->cursor, size);

                if (b->io || b->size != size)
                    continue;
                if (addr + size > a->end) {
                    b->addr = 0;
                    a->err = -ENOSPC;
                    continue;
                }
                b->addr = addr;
                a->cursor = addr + size;
                pci_bar_write(d, i);
            }
        }
    }
    /* Bigger than 2 GiB never fits below 4 GiB. */
    for (unsigned k = 0; k < a->n; k++)
        for (unsigned i = 0; i < 6; i++)
            if (a->devs[k].bus == bus && !a->devs[k].bar[i].io &&
                a->devs[k].bar[i].size > 1ULL << 31) {
                a->devs[k].bar[i].addr = 0;
                a->err = -ENOSPC;
            }
}

static void bridge_window(struct pci_device *br, uint64_t base, uint64_t limit)
{
    uint16_t cmd = pci_read16(br, PCI_COMMAND);

    if (limit > base) {
        pci_write16(br, PCI_MEM_BASE, (uint16_t)((base >> 16) & 0xfff0));
        pci_write16(br, PCI_MEM_LIMIT, (uint16_t)(((limit - 1) >> 16) & 0xfff0));
        cmd |= PCI_CMD_MEM | PCI_CMD_MASTER;
    } else {
        pci_write16(br, PCI_MEM_BASE, 0xfff0); /* base above limit: closed */
        pci_write16(br, PCI_MEM_LIMIT, 0);
    }
    pci_write16(br, PCI_PREF_BASE, 0xfff0);
    pci_write16(br, PCI_PREF_LIMIT, 0);
    pci_write32(br, PCI_PREF_BASE_UPPER, 0);
    pci_write32(br, PCI_PREF_LIMIT_UPPER, 0);
    pci_write16(br, PCI_COMMAND, cmd);
}

static void assign_bus(struct assign *a, uint8_t bus, unsigned depth)
{
    assign_bars(a, bus);
    for (unsigned k = 0; k < a->n; k++) {
        struct pci_device *br = &a->devs[k];
        uint8_t sec;
        uint64_t base;

        if (br->bus != bus || br->hdr_type != PCI_HDR_BRIDGE)
            continue;
        sec = pci_read8(br, PCI_SECONDARY_BUS);
        if (sec <= bus || depth == PCI_ASSIGN_MAX)
            continue;
        base = NFOS_ALIGN_UP(a->cursor, PCI_BRIDGE_WINDOW);
        if (base >= a->end) {
            bridge_window(br, 0, 0);
            continue;
        }
        a->cursor = base;
        assign_bus(a, sec, depth + 1);
        a->cursor = NFOS_MIN(NFOS_ALIGN_UP(a->cursor, PCI_BRIDGE_WINDOW), a->end);
        bridge_window(br, base, a->cursor);
    }
}

int pci_assign(struct pci_device *devs, unsigned n, uint8_t root, const struct pci_window *w)
{
    struct assign a = { .devs = devs, .n = n, .cursor = w->base, .end = w->end };

    /* Nothing may decode at a half-written address: memory decoding off on
     * every function (drivers turn it back on with pci_enable). */
    for (unsigned k = 0; k < n; k++) {
        uint16_t cmd = pci_read16(&devs[k], PCI_COMMAND);

        if (devs[k].hdr_type == PCI_HDR_DEVICE && (cmd & PCI_CMD_MEM))
            pci_write16(&devs[k], PCI_COMMAND, cmd & ~PCI_CMD_MEM);
    }
    assign_bus(&a, root, 0);
    return a.err;
}
