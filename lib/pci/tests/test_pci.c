/* lib/pci against a fake config space: BAR sizing and decoding, the
 * capability walk, enumeration through bridges, resource assignment and
 * what pci_enable / pci_bar_map do. The fake behaves like QEMU's devices:
 * BAR registers keep only their address bits and their read-only type
 * bits, functions behind a bridge answer only on its secondary bus. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <nfos/pci.h>
#include "pci_priv.h"

/* --- the fake ---------------------------------------------------------- */

#define FAKE_MAX 16

struct fake_fn {
    int parent; /* the bridge it sits behind, -1: bus 0 */
    uint8_t devfn;
    uint8_t cfg[4096];
    uint64_t bar_size[6];
};

static struct fake_fn fns[FAKE_MAX];
static int nfns;
static unsigned sized_while_decoding; /* all-ones BAR writes with decoding on */

static int fake_bus(const struct fake_fn *f)
{
    int up;

    if (f->parent < 0)
        return 0;
    up = fake_bus(&fns[f->parent]);
    if (up < 0 || fns[f->parent].cfg[PCI_SECONDARY_BUS] <= up)
        return -1; /* the bridge is unnumbered: nothing behind it answers */
    return fns[f->parent].cfg[PCI_SECONDARY_BUS];
}

static struct fake_fn *fake_find(uint16_t seg, uint8_t bus, uint8_t devfn)
{
    for (int i = 0; i < nfns; i++)
        if (!seg && fns[i].devfn == devfn && fake_bus(&fns[i]) == bus)
            return &fns[i];
    return NULL;
}

static uint32_t fake_get(const struct fake_fn *f, uint16_t off, unsigned width)
{
    uint32_t v = 0;

    memcpy(&v, f->cfg + off, width);
    return v;
}

static uint32_t fake_read(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width)
{
    const struct fake_fn *f = fake_find(seg, bus, devfn);

    cr_assert(off % width == 0, "unaligned config read at 0x%x", off);
    if (!f)
        return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
    return fake_get(f, off, width);
}

static unsigned fake_slots(const struct fake_fn *f)
{
    return (f->cfg[PCI_HDR_TYPE] & 0x7f) == 0 ? 6 : (f->cfg[PCI_HDR_TYPE] & 0x7f) == 1 ? 2 : 0;
}

static void fake_bar_write(struct fake_fn *f, unsigned i, uint32_t v)
{
    uint32_t cur = fake_get(f, PCI_BAR0 + 4 * i, 4), out = 0;

    if (v == 0xffffffff && (fake_get(f, PCI_COMMAND, 2) & (PCI_CMD_MEM | PCI_CMD_IO)))
        sized_while_decoding++;
    if (f->bar_size[i]) {
        uint32_t flags = cur & ((cur & PCI_BAR_IO) ? 0x3 : 0xf);

        out = (v & (uint32_t) ~(f->bar_size[i] - 1) & ~((cur & PCI_BAR_IO) ? 0x3u : 0xfu)) | flags;
    } else if (i > 0 && f->bar_size[i - 1] &&
               (fake_get(f, PCI_BAR0 + 4 * (i - 1), 4) & (PCI_BAR_IO | PCI_BAR_MEM64)) ==
                   PCI_BAR_MEM64) {
        out = v & (uint32_t)(~(f->bar_size[i - 1] - 1) >> 32);
    }
    memcpy(f->cfg + PCI_BAR0 + 4 * i, &out, 4);
}

static void fake_write(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width,
                       uint32_t v)
{
    struct fake_fn *f = fake_find(seg, bus, devfn);

    cr_assert(off % width == 0, "unaligned config write at 0x%x", off);
    if (!f || off < 4)
        return; /* ids are read-only */
    if (off >= PCI_BAR0 && off < PCI_BAR0 + 4 * fake_slots(f)) {
        cr_assert_eq(width, 4, "BARs are written whole");
        fake_bar_write(f, (off - PCI_BAR0) / 4, v);
        return;
    }
    memcpy(f->cfg + off, &v, width);
}

static const struct pci_cfg_ops fake_ops = { .name = "fake",
                                             .read = fake_read,
                                             .write = fake_write };

static int fake_fn(int parent, unsigned slot, unsigned func, uint16_t vendor, uint16_t device,
                   uint8_t hdr)
{
    struct fake_fn *f = &fns[nfns];

    cr_assert(nfns < FAKE_MAX);
    memset(f, 0, sizeof(*f));
    f->parent = parent;
    f->devfn = (uint8_t)(slot << 3 | func);
    memcpy(f->cfg, &vendor, 2);
    memcpy(f->cfg + 2, &device, 2);
    f->cfg[PCI_HDR_TYPE] = hdr;
    f->cfg[0x0b] = (hdr & 0x7f) == 1 ? 0x06 : 0x02; /* class: bridge / network */
    f->cfg[0x0a] = (hdr & 0x7f) == 1 ? 0x04 : 0x00;
    return nfns++;
}

/* A BAR of the given type bits and size at address addr. */
static void fake_bar(int k, unsigned i, uint32_t flags, uint64_t size, uint64_t addr)
{
    uint32_t lo = (uint32_t)addr | flags, hi = (uint32_t)(addr >> 32);

    fns[k].bar_size[i] = size;
    memcpy(fns[k].cfg + PCI_BAR0 + 4 * i, &lo, 4);
    if ((flags & (PCI_BAR_IO | PCI_BAR_MEM64)) == PCI_BAR_MEM64)
        memcpy(fns[k].cfg + PCI_BAR0 + 4 * i + 4, &hi, 4);
}

static void fake_cap(int k, uint8_t pos, uint8_t id, uint8_t next)
{
    fns[k].cfg[PCI_STATUS] |= PCI_STATUS_CAPS;
    if (!fns[k].cfg[PCI_CAP_PTR])
        fns[k].cfg[PCI_CAP_PTR] = pos;
    fns[k].cfg[pos] = id;
    fns[k].cfg[pos + 1] = next;
}

/* A pci_device addressing fake function k, as the scan would fill it. */
static struct pci_device dev_of(int k)
{
    struct pci_device d = { .bus = (uint8_t)fake_bus(&fns[k]),
                            .slot = fns[k].devfn >> 3,
                            .func = fns[k].devfn & 7,
                            .hdr_type = fns[k].cfg[PCI_HDR_TYPE] & 0x7f };
    return d;
}

static uint32_t reg32(int k, uint16_t off)
{
    return fake_get(&fns[k], off, 4);
}

static uint16_t reg16(int k, uint16_t off)
{
    return (uint16_t)fake_get(&fns[k], off, 2);
}

/* plat_mmio_map, as pci_bar_map calls it. */
static uint64_t mapped_addr, mapped_len;
static int map_result;

int plat_mmio_map(uint64_t addr, uint64_t len)
{
    mapped_addr = addr;
    mapped_len = len;
    return map_result;
}

static void setup(void)
{
    nfns = 0;
    sized_while_decoding = 0;
    mapped_addr = mapped_len = 0;
    map_result = 0;
    pci_cfg_set(&fake_ops);
}

TestSuite(pci, .init = setup);

/* --- BAR sizing and decoding ------------------------------------------- */

Test(pci, bars_decoded_and_restored)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1000, 0);
    struct pci_device d;

    fake_bar(k, 0, PCI_BAR_IO, 0x20, 0xc040);
    fake_bar(k, 1, 0, 0x1000, 0xfebc0000);
    fake_bar(k, 4, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000, 0x800004000ULL);
    fns[k].cfg[PCI_COMMAND] = PCI_CMD_MEM | PCI_CMD_IO;
    d = dev_of(k);
    pci_bars_probe(&d);

    cr_expect(d.bar[0].io);
    cr_expect_eq(d.bar[0].addr, 0xc040);
    cr_expect_eq(d.bar[0].size, 0x20);
    cr_expect(!d.bar[1].io && !d.bar[1].is64 && !d.bar[1].prefetch);
    cr_expect_eq(d.bar[1].addr, 0xfebc0000);
    cr_expect_eq(d.bar[1].size, 0x1000);
    cr_expect_eq(d.bar[2].size, 0);
    cr_expect_eq(d.bar[3].size, 0);
    cr_expect(d.bar[4].is64 && d.bar[4].prefetch && !d.bar[4].io);
    cr_expect_eq(d.bar[4].addr, 0x800004000ULL);
    cr_expect_eq(d.bar[4].size, 0x4000);
    cr_expect_eq(d.bar[5].size, 0, "the upper half of a 64-bit BAR is not a BAR");

    /* Sizing left no trace: addresses and decoding as they were. */
    cr_expect_eq(reg32(k, PCI_BAR0), 0xc040 | PCI_BAR_IO);
    cr_expect_eq(reg32(k, PCI_BAR0 + 4), 0xfebc0000);
    cr_expect_eq(reg32(k, PCI_BAR0 + 16), 0x4000 | PCI_BAR_MEM64 | PCI_BAR_PREFETCH);
    cr_expect_eq(reg32(k, PCI_BAR0 + 20), 0x8);
    cr_expect_eq(reg16(k, PCI_COMMAND), PCI_CMD_MEM | PCI_CMD_IO);
    cr_expect_eq(sized_while_decoding, 0, "BARs sized while the device decoded");
}

Test(pci, bar_sizes_at_the_edges)
{
    int k = fake_fn(-1, 2, 0, 0x1234, 0x5678, 0);
    struct pci_device d;

    fake_bar(k, 0, 0, 16, 0);                          /* smallest memory BAR */
    fake_bar(k, 1, 0, 1ULL << 31, 0x80000000);         /* 2 GiB, 32-bit */
    fake_bar(k, 2, PCI_BAR_MEM64, 8ULL << 30, 0);      /* 8 GiB: size needs the upper half */
    fake_bar(k, 5, PCI_BAR_MEM64, 0x1000, 0xc0000000); /* 64-bit in the last slot: invalid */
    d = dev_of(k);
    pci_bars_probe(&d);

    cr_expect_eq(d.bar[0].size, 16);
    cr_expect_eq(d.bar[0].addr, 0, "unassigned");
    cr_expect_eq(d.bar[1].size, 1ULL << 31);
    cr_expect_eq(d.bar[1].addr, 0x80000000);
    cr_expect(d.bar[2].is64);
    cr_expect_eq(d.bar[2].size, 8ULL << 30);
    cr_expect_eq(d.bar[3].size, 0);
    cr_expect_eq(d.bar[5].size, 0);
}

Test(pci, io_bar_with_a_32bit_decoder)
{
    int k = fake_fn(-1, 3, 0, 0x1234, 0x5678, 0);
    struct pci_device d;

    fake_bar(k, 2, PCI_BAR_IO, 0x100, 0x1000);
    d = dev_of(k);
    pci_bars_probe(&d);
    cr_expect(d.bar[2].io);
    cr_expect_eq(d.bar[2].size, 0x100);
    cr_expect_eq(d.bar[2].addr, 0x1000);
}

Test(pci, bridge_has_two_bar_slots)
{
    int k = fake_fn(-1, 4, 0, 0x1b36, 0x000c, 1);
    struct pci_device d;

    fake_bar(k, 0, 0, 0x1000, 0xfe600000);
    fns[k].cfg[PCI_PRIMARY_BUS + 2] = 0x12; /* subordinate, not a BAR */
    d = dev_of(k);
    cr_expect_eq(pci_bar_slots(&d), 2);
    pci_bars_probe(&d);
    cr_expect_eq(d.bar[0].size, 0x1000);
    cr_expect_eq(d.bar[2].size, 0);
    cr_expect_eq(fns[k].cfg[PCI_SUBORDINATE_BUS], 0x12, "bus numbers untouched");
}

/* --- capabilities ------------------------------------------------------ */

Test(pci, capability_walk)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1041, 0);
    struct pci_device d = dev_of(k);

    fake_cap(k, 0x40, PCI_CAP_ID_VNDR, 0x50);
    fake_cap(k, 0x50, PCI_CAP_ID_MSIX, 0x63); /* reserved low bits set */
    fake_cap(k, 0x60, PCI_CAP_ID_VNDR, 0x70);
    fake_cap(k, 0x70, PCI_CAP_ID_EXP, 0x00);

    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_VNDR, 0), 0x40);
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_VNDR, 0x40), 0x60);
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_VNDR, 0x60), 0);
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_MSIX, 0), 0x50);
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_EXP, 0), 0x70);
    cr_expect_eq(pci_find_cap(&d, 0x05, 0), 0, "absent id");
}

Test(pci, capability_walk_without_a_list)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1041, 0);
    struct pci_device d = dev_of(k);

    fns[k].cfg[PCI_CAP_PTR] = 0x40; /* pointer set, status bit not */
    fns[k].cfg[0x40] = PCI_CAP_ID_VNDR;
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_VNDR, 0), 0);
}

Test(pci, capability_walk_ends_on_a_loop)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1041, 0);
    struct pci_device d = dev_of(k);

    fake_cap(k, 0x40, PCI_CAP_ID_VNDR, 0x50);
    fake_cap(k, 0x50, PCI_CAP_ID_VNDR, 0x40); /* loops back */
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_MSIX, 0), 0);
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_VNDR, 0x50), 0x40);
}

Test(pci, capability_walk_refuses_the_header)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1041, 0);
    struct pci_device d = dev_of(k);

    fake_cap(k, 0x40, PCI_CAP_ID_VNDR, 0x08); /* points into the header */
    fns[k].cfg[0x08] = PCI_CAP_ID_MSIX;
    cr_expect_eq(pci_find_cap(&d, PCI_CAP_ID_MSIX, 0), 0);
}

/* --- enumeration ------------------------------------------------------- */

static struct pci_device devs[CONFIG_LIBPCI_MAX_DEVICES];

static const struct pci_device *found(unsigned n, uint8_t bus, uint8_t slot, uint8_t func)
{
    for (unsigned i = 0; i < n; i++)
        if (devs[i].bus == bus && devs[i].slot == slot && devs[i].func == func)
            return &devs[i];
    return NULL;
}

Test(pci, enumerate_functions_and_unnumbered_bridges)
{
    int host, br1, br2, nic, leaf;
    unsigned n;

    host = fake_fn(-1, 0, 0, 0x1b36, 0x0008, 0);
    fake_fn(-1, 1, 0, 0x8086, 0x1111, PCI_HDR_MULTI);
    fake_fn(-1, 1, 2, 0x8086, 0x1112, 0);
    fake_fn(-1, 2, 0, 0x8086, 0x2222, 0);
    fake_fn(-1, 2, 3, 0x8086, 0x2223, 0); /* not multi-function: never looked at */
    br1 = fake_fn(-1, 3, 0, 0x1b36, 0x000c, 1);
    nic = fake_fn(br1, 0, 0, 0x1af4, 0x1041, 0);
    br2 = fake_fn(br1, 4, 0, 0x1b36, 0x0001, 1);
    leaf = fake_fn(br2, 5, 0, 0x1af4, 0x1041, 0);
    fake_bar(nic, 4, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000, 0);
    (void)host;
    (void)leaf;

    n = pci_enumerate(devs, CONFIG_LIBPCI_MAX_DEVICES, 255);
    cr_assert_eq(n, 8);
    cr_expect(found(n, 0, 0, 0) && found(n, 0, 1, 0) && found(n, 0, 1, 2) && found(n, 0, 2, 0));
    cr_expect(!found(n, 0, 2, 3));
    cr_expect_eq(fns[br1].cfg[PCI_PRIMARY_BUS], 0);
    cr_expect_eq(fns[br1].cfg[PCI_SECONDARY_BUS], 1);
    cr_expect_eq(fns[br1].cfg[PCI_SUBORDINATE_BUS], 2);
    cr_expect_eq(fns[br2].cfg[PCI_PRIMARY_BUS], 1);
    cr_expect_eq(fns[br2].cfg[PCI_SECONDARY_BUS], 2);
    cr_expect_eq(fns[br2].cfg[PCI_SUBORDINATE_BUS], 2);
    cr_assert(found(n, 1, 0, 0) && found(n, 2, 5, 0));
    cr_expect_eq(found(n, 1, 0, 0)->device, 0x1041);
    cr_expect_eq(found(n, 1, 0, 0)->bar[4].size, 0x4000, "BARs sized during the scan");
    cr_expect_eq(found(n, 0, 1, 2)->class_code, 0x02);
    cr_expect_str_eq(found(n, 2, 5, 0)->dev.name, "0000:02:05.0 1af4:1041");
}

Test(pci, enumerate_follows_firmware_numbers)
{
    int br = fake_fn(-1, 2, 0, 0x1b36, 0x000c, 1);
    unsigned n;

    fns[br].cfg[PCI_SECONDARY_BUS] = 5;
    fns[br].cfg[PCI_SUBORDINATE_BUS] = 5;
    fake_fn(br, 0, 0, 0x1af4, 0x1041, 0);
    n = pci_enumerate(devs, CONFIG_LIBPCI_MAX_DEVICES, 255);
    cr_expect_eq(n, 2);
    cr_expect(found(n, 5, 0, 0));
    cr_expect_eq(fns[br].cfg[PCI_SECONDARY_BUS], 5, "kept");
}

Test(pci, enumerate_keeps_at_most_max)
{
    unsigned n;

    for (unsigned s = 0; s < 5; s++)
        fake_fn(-1, s, 0, 0x8086, (uint16_t)s, 0);
    n = pci_enumerate(devs, 3, 255);
    cr_expect_eq(n, 5, "the count says how many there were");
    cr_expect_eq(devs[2].device, 2);
}

/* --- assignment -------------------------------------------------------- */

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

Test(pci, needs_assign)
{
    struct pci_device d[1] = { 0 };

    d[0].bar[0] = (struct pci_bar){ .addr = 0xfebc0000, .size = 0x1000 };
    d[0].bar[1] = (struct pci_bar){ .addr = 0, .size = 0x20, .io = true }; /* I/O: not ours */
    cr_expect(!pci_needs_assign(d, 1));
    d[0].bar[4] = (struct pci_bar){ .addr = 0x800000000ULL, .size = 0x4000, .is64 = true };
    cr_expect(pci_needs_assign(d, 1), "above 4 GiB");
    d[0].bar[4].addr = 0;
    cr_expect(pci_needs_assign(d, 1), "unassigned");
}

Test(pci, host_windows)
{
    struct pci_window w;

    cr_assert(pci_host_window(0x1b36, 0x0008, &w));
    cr_expect(w.base == 0xc0000000 && w.end == 0xe0000000);
    cr_assert(pci_host_window(0x8086, 0x29c0, &w));
    cr_expect(w.base == 0xc0000000 && w.end == 0xfec00000);
    cr_expect(!pci_host_window(0x8086, 0x1237, &w));
}

Test(pci, assign_behind_bridges)
{
    struct pci_window w = { 0xc0000000, 0xe0000000 };
    int nic0, br, nic1, pb, nic2;
    unsigned n;

    fake_fn(-1, 0, 0, 0x1b36, 0x0008, 0);
    nic0 = fake_fn(-1, 1, 0, 0x1af4, 0x1000, 0);
    fake_bar(nic0, 0, PCI_BAR_IO, 0x20, 0);
    fake_bar(nic0, 1, 0, 0x1000, 0);
    fake_bar(nic0, 4, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000, 0x8000000000ULL);
    fns[nic0].cfg[PCI_COMMAND] = PCI_CMD_MEM;
    br = fake_fn(-1, 2, 0, 0x1b36, 0x000c, 1);
    fake_bar(br, 0, 0, 0x1000, 0);
    nic1 = fake_fn(br, 0, 0, 0x1af4, 0x1041, 0);
    fake_bar(nic1, 1, 0, 0x1000, 0);
    fake_bar(nic1, 4, PCI_BAR_MEM64 | PCI_BAR_PREFETCH, 0x4000, 0);
    pb = fake_fn(-1, 3, 0, 0x1b36, 0x0001, 1); /* an empty bridge */
    nic2 = fake_fn(-1, 4, 0, 0x1af4, 0x1041, 0);
    fake_bar(nic2, 0, 0, 0x100000, 0); /* 1 MiB */

    n = pci_enumerate(devs, CONFIG_LIBPCI_MAX_DEVICES, 255);
    cr_assert_eq(n, 6);
    cr_assert(pci_needs_assign(devs, n));
    cr_assert_eq(pci_assign(devs, n, 0, &w), 0);

    /* Every memory BAR in the window, naturally aligned, no two overlapping,
     * the registers hold what the table says. */
    for (unsigned a = 0; a < n; a++) {
        for (unsigned i = 0; i < 6; i++) {
            const struct pci_bar *b = &devs[a].bar[i];

            if (!b->size || b->io)
                continue;
            cr_expect(b->addr >= w.base && b->addr + b->size <= w.end, "%s BAR%u at 0x%llx",
                      devs[a].dev.name, i, (unsigned long long)b->addr);
            cr_expect_eq(b->addr % b->size, 0);
            for (unsigned c = 0; c < n; c++)
                for (unsigned j = 0; j < 6; j++)
                    if ((c != a || j != i) && devs[c].bar[j].size && !devs[c].bar[j].io)
                        cr_expect(
                            !overlaps(b->addr, b->size, devs[c].bar[j].addr, devs[c].bar[j].size));
        }
    }
    cr_expect_eq(reg32(nic0, PCI_BAR0 + 20), 0, "64-bit BAR moved below 4 GiB");
    cr_expect_eq(reg32(nic0, PCI_BAR0 + 16) & ~0xfu, (uint32_t)found(n, 0, 1, 0)->bar[4].addr);
    cr_expect_eq(found(n, 0, 1, 0)->bar[0].addr, 0, "I/O BARs are not assigned");
    cr_expect_eq(reg16(nic0, PCI_COMMAND) & PCI_CMD_MEM, 0, "devices left for pci_enable");

    /* The bridge's window holds its subtree, prefetchable window closed. */
    {
        uint64_t base = (uint64_t)(reg16(br, PCI_MEM_BASE) & 0xfff0) << 16;
        uint64_t limit = ((uint64_t)(reg16(br, PCI_MEM_LIMIT) & 0xfff0) << 16) | 0xfffff;
        const struct pci_device *d = found(n, 1, 0, 0);

        cr_expect(base <= limit);
        for (unsigned i = 0; i < 6; i++)
            if (d->bar[i].size)
                cr_expect(d->bar[i].addr >= base && d->bar[i].addr + d->bar[i].size - 1 <= limit);
        cr_expect(!overlaps(base, limit - base + 1, found(n, 0, 4, 0)->bar[0].addr, 0x100000),
                  "a device on bus 0 inside a bridge window");
        cr_expect(reg16(br, PCI_PREF_BASE) > reg16(br, PCI_PREF_LIMIT));
        cr_expect_eq(reg16(br, PCI_COMMAND) & (PCI_CMD_MEM | PCI_CMD_MASTER),
                     PCI_CMD_MEM | PCI_CMD_MASTER);
    }
    cr_expect(reg16(pb, PCI_MEM_BASE) > reg16(pb, PCI_MEM_LIMIT), "empty bridge: window closed");
    (void)nic1;
    (void)nic2;
}

Test(pci, assign_reports_a_full_window)
{
    struct pci_window w = { 0xc0000000, 0xc0002000 }; /* 8 KiB */
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1041, 0);
    unsigned n;

    fake_bar(k, 1, 0, 0x1000, 0);
    fake_bar(k, 4, PCI_BAR_MEM64, 0x4000, 0);
    n = pci_enumerate(devs, CONFIG_LIBPCI_MAX_DEVICES, 255);
    cr_expect_eq(pci_assign(devs, n, 0, &w), -ENOSPC);
    cr_expect_eq(devs[0].bar[4].addr, 0, "did not fit");
    cr_expect_eq(devs[0].bar[1].addr, 0xc0000000, "did");
}

/* --- what drivers call ------------------------------------------------- */

Test(pci, enable_turns_on_only_assigned_spaces)
{
    int k = fake_fn(-1, 1, 0, 0x1af4, 0x1000, 0);
    struct pci_device d = dev_of(k);

    d.bar[0] = (struct pci_bar){ .addr = 0, .size = 0x20, .io = true };
    d.bar[1] = (struct pci_bar){ .addr = 0xc0000000, .size = 0x1000 };
    pci_enable(&d, true);
    cr_expect_eq(reg16(k, PCI_COMMAND), PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF,
                 "no I/O decoding at port 0");

    fns[k].cfg[PCI_COMMAND] = 0;
    d.bar[0].addr = 0xc040;
    d.bar[4] = (struct pci_bar){ .addr = 0, .size = 0x4000, .is64 = true };
    pci_enable(&d, true);
    cr_expect_eq(reg16(k, PCI_COMMAND), PCI_CMD_IO | PCI_CMD_MASTER | PCI_CMD_INTX_OFF,
                 "no memory decoding at address 0");
}

Test(pci, bar_map_checks_bounds)
{
    struct pci_device d = { 0 };
    volatile void *p;

    d.bar[0] = (struct pci_bar){ .addr = 0xc040, .size = 0x20, .io = true };
    d.bar[1] = (struct pci_bar){ .addr = 0, .size = 0x1000 };
    d.bar[4] = (struct pci_bar){ .addr = 0xc0000000, .size = 0x4000, .is64 = true };

    cr_expect_null(pci_bar_map(&d, 0, 0, 4), "I/O BAR");
    cr_expect_null(pci_bar_map(&d, 1, 0, 4), "unassigned");
    cr_expect_null(pci_bar_map(&d, 2, 0, 4), "absent");
    cr_expect_null(pci_bar_map(&d, 6, 0, 4), "no BAR 6");
    cr_expect_null(pci_bar_map(&d, 4, 0x3000, 0x1001), "past the end");
    cr_expect_null(pci_bar_map(&d, 4, ~0ULL, 2), "offset overflow");
    p = pci_bar_map(&d, 4, 0x3000, 0x1000);
    cr_expect_eq((uintptr_t)p, 0xc0003000);
    cr_expect(mapped_addr == 0xc0003000 && mapped_len == 0x1000);
    map_result = -ERANGE;
    cr_expect_null(pci_bar_map(&d, 4, 0, 0x1000), "the platform could not map it");
}
