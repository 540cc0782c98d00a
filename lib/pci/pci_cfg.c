/* Config space access on kvm, first found wins:
 *   1. ECAM at the address ACPI's MCFG gives for segment 0 (q35:
 *      0xb0000000, outside the boot map, so each bus's 1 MiB is mapped on
 *      first use);
 *   2. QEMU microvm's fixed ECAM at 0xe0000000 (inside the uncached
 *      3..4 GiB map): microvm,pcie=on has no MCFG (QEMU 7.2 describes its
 *      GPEX host only in the DSDT, whose AML nfos does not interpret), so
 *      the address from QEMU's hw/i386/microvm.h (PCIE_ECAM_BASE) is used
 *      when QEMU's GPEX host bridge, 1b36:0008, answers at 00:00.0 there;
 *   3. the type 1 ports 0xCF8/0xCFC when a host bridge answers there.
 * A machine without PCI (plain microvm) costs one MMIO and two port exits.
 * Only segment 0. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/mmio.h>
#include "pci_priv.h"

#define PCI_CFG_ADDR   0xcf8
#define PCI_CFG_DATA   0xcfc
#define PCI_CFG_ENABLE 0x80000000u
#define ECAM_BUS_SIZE  (1ULL << 20)
#define MCFG_ENTRIES   44 /* offset of the first allocation */
#define MCFG_ENTRY_LEN 16

#define MICROVM_ECAM_BASE 0xe0000000ULL /* QEMU hw/i386/microvm.h PCIE_ECAM_BASE */
#define MICROVM_ECAM_END  255           /* PCIE_ECAM_SIZE 256 MiB: buses 0-255 */
#define QEMU_GPEX_ID      0x00081b36    /* device 0x0008, vendor 0x1b36 (Red Hat) */

/* Port I/O beyond the byte and long helpers of nfos/arch/cpu.h; CPL3 with
 * IOPL=3 on kvm. */
static inline uint32_t port_inl(uint16_t port)
{
    uint32_t v;

    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t port_inw(uint16_t port)
{
    uint16_t v;

    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint8_t port_inb(uint16_t port)
{
    uint8_t v;

    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void port_outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline void port_outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void port_outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t ones(unsigned width)
{
    return width == 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

/* --- type 1 ports ------------------------------------------------------ */

static uint32_t port_read(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width)
{
    uint16_t data = PCI_CFG_DATA + (off & 3);

    if (seg || off > 0xff)
        return ones(width);
    port_outl(PCI_CFG_ADDR,
              PCI_CFG_ENABLE | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc));
    return width == 1 ? port_inb(data) : width == 2 ? port_inw(data) : port_inl(data);
}

static void port_write(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width,
                       uint32_t v)
{
    uint16_t data = PCI_CFG_DATA + (off & 3);

    if (seg || off > 0xff)
        return;
    port_outl(PCI_CFG_ADDR,
              PCI_CFG_ENABLE | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc));
    if (width == 1)
        port_outb(data, (uint8_t)v);
    else if (width == 2)
        port_outw(data, (uint16_t)v);
    else
        port_outl(data, v);
}

static const struct pci_cfg_ops port_ops = { .name = "ports 0xcf8/0xcfc",
                                             .read = port_read,
                                             .write = port_write };

/* --- ECAM -------------------------------------------------------------- */

static struct {
    uint64_t base; /* of bus 0, even when start is not 0 (PCI firmware spec) */
    uint8_t start, end;
    uint64_t mapped[PCI_MAX_BUSES / 64];
} ecam;

static volatile uint8_t *ecam_addr(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off)
{
    uint64_t bus_base;

    if (seg || bus < ecam.start || bus > ecam.end || off > 0xfff)
        return NULL;
    bus_base = ecam.base + (uint64_t)bus * ECAM_BUS_SIZE;
    if (!(ecam.mapped[bus / 64] & (1ULL << (bus % 64)))) {
        if (plat_mmio_map(bus_base, ECAM_BUS_SIZE))
            return NULL;
        ecam.mapped[bus / 64] |= 1ULL << (bus % 64);
    }
    return (volatile uint8_t *)(uintptr_t)(bus_base + ((uint32_t)devfn << 12) + off);
}

static uint32_t ecam_read(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width)
{
    volatile uint8_t *p = ecam_addr(seg, bus, devfn, off);

    if (!p)
        return ones(width);
    if (width == 1)
        return *p;
    if (width == 2)
        return *(volatile uint16_t *)p;
    return *(volatile uint32_t *)p;
}

static void ecam_write(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width,
                       uint32_t v)
{
    volatile uint8_t *p = ecam_addr(seg, bus, devfn, off);

    if (!p)
        return;
    if (width == 1)
        *p = (uint8_t)v;
    else if (width == 2)
        *(volatile uint16_t *)p = (uint16_t)v;
    else
        *(volatile uint32_t *)p = v;
}

static const struct pci_cfg_ops ecam_ops = { .name = "ECAM",
                                             .read = ecam_read,
                                             .write = ecam_write };

/* --- ACPI MCFG --------------------------------------------------------- */

/* Segment 0's ECAM from MCFG: 0, or -ENOENT. */
static int mcfg_find(void)
{
    const uint8_t *t = plat_acpi_table("MCFG");
    uint32_t len;

    if (!t)
        return -ENOENT;
    memcpy(&len, t + 4, 4);
    for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
        const uint8_t *e = t + off;
        uint16_t seg;

        memcpy(&seg, e + 8, 2);
        if (seg != 0 || e[11] < e[10])
            continue;
        memcpy(&ecam.base, e, 8);
        ecam.start = e[10];
        ecam.end = e[11];
        return 0;
    }
    return -ENOENT;
}

/* QEMU microvm's ECAM when its GPEX host bridge answers there. */
static int microvm_ecam_find(void)
{
    ecam.base = MICROVM_ECAM_BASE;
    ecam.start = 0;
    ecam.end = MICROVM_ECAM_END;
    if (ecam_read(0, 0, 0, PCI_VENDOR_ID, 4) == QEMU_GPEX_ID)
        return 0;
    memset(&ecam, 0, sizeof(ecam));
    return -ENOENT;
}

const struct pci_cfg_ops *pci_cfg_probe(uint8_t *last_bus)
{
    const char *how = "ACPI MCFG";

    if (!mcfg_find() || (how = "QEMU microvm's fixed address", !microvm_ecam_find())) {
        if (core_verbose())
            printf("pci: config space: ECAM at 0x%llx (%s, buses %u-%u)\n",
                   (unsigned long long)ecam.base, how, ecam.start, ecam.end);
        *last_bus = ecam.end;
        return &ecam_ops;
    }
    port_outl(PCI_CFG_ADDR, PCI_CFG_ENABLE);
    if (port_inl(PCI_CFG_ADDR) == PCI_CFG_ENABLE) {
        if (core_verbose())
            printf("pci: config space: ports 0xcf8/0xcfc (no ACPI MCFG)\n");
        *last_bus = 0xff;
        return &port_ops;
    }
    if (core_verbose())
        printf("pci: no PCI host (no ACPI MCFG, no ECAM at 0xe0000000, nothing at port "
               "0xcf8)\n");
    return NULL;
}
