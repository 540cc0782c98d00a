/* pci: the PCI bus on kvm. Config space through ECAM when ACPI's MCFG
 * table names one (q35, microvm,pcie=on), else ports 0xCF8/0xCFC (each
 * port access is a ~25 us exit here, ECAM an MMIO exit: both only at
 * probe time). The scan walks bus 0 and the buses behind bridges, sizes and
 * decodes every BAR, and offers each function to the "pci" drivers whose
 * id table matches (bus.h).
 *
 * Drivers get a struct pci_device (its bus_device is dev), read the
 * capability list with pci_find_cap(), enable memory decoding and bus
 * mastering with pci_enable(), and reach BARs through bar[i].addr, an
 * address in the identity map (BARs above 4 GiB are mapped on demand by
 * plat_map_mmio, uncached). */
#ifndef NFOS_PCI_H
#define NFOS_PCI_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/bus.h>

#define PCI_ANY_ID 0xffff

struct pci_id {
    uint16_t vendor; /* 0 ends a table */
    uint16_t device; /* PCI_ANY_ID matches any */
};

struct pci_bar {
    uint64_t addr; /* bus address (identity mapped), 0 when unused */
    uint64_t size;
    bool io;   /* I/O space (addr is a port) */
    bool is64; /* 64-bit memory BAR (uses the next slot too) */
    bool prefetch;
};

struct pci_device {
    struct bus_device dev;
    uint16_t segment;
    uint8_t bus, slot, func;
    uint16_t vendor, device, subsys_vendor, subsys_device;
    uint8_t revision, class_code, subclass, prog_if;
    struct pci_bar bar[6];
};

/* Config space of one function. Widths are naturally aligned offsets. */
uint8_t pci_read8(const struct pci_device *pdev, uint16_t off);
uint16_t pci_read16(const struct pci_device *pdev, uint16_t off);
uint32_t pci_read32(const struct pci_device *pdev, uint16_t off);
void pci_write8(const struct pci_device *pdev, uint16_t off, uint8_t v);
void pci_write16(const struct pci_device *pdev, uint16_t off, uint16_t v);
void pci_write32(const struct pci_device *pdev, uint16_t off, uint32_t v);

/* Offset of the first capability with this id at or after the one at
 * `from` (0: from the start of the list), or 0. Walks at most 48 entries,
 * so a looping list ends. */
uint8_t pci_find_cap(const struct pci_device *pdev, uint8_t cap_id, uint8_t from);

/* Turns on memory (and I/O when io) decoding and bus mastering. */
void pci_enable(struct pci_device *pdev, bool io);

/* A pointer through which the driver may access BAR bar at offset off for
 * len bytes; NULL when the BAR is absent, an I/O BAR, or too small. */
volatile void *pci_bar_map(struct pci_device *pdev, unsigned bar, uint64_t off, uint64_t len);

#define PCI_CAP_ID_VNDR 0x09 /* vendor-specific (virtio's structures) */
#define PCI_CAP_ID_MSIX 0x11

#endif /* NFOS_PCI_H */
