/* pci: the PCI bus on kvm. Config space through ECAM when ACPI's MCFG
 * table names one (q35, microvm,pcie=on), else ports 0xCF8/0xCFC (each
 * port access is a ~25 us exit here, ECAM an MMIO exit: both only at
 * probe time). The scan walks bus 0 and the buses behind bridges (numbering
 * them when the firmware did not), sizes and decodes every BAR, and offers
 * each function to the "pci" drivers whose id table matches (bus.h).
 *
 * BARs: the firmware's assignment is kept when every memory BAR has an
 * address below 4 GiB (SeaBIOS on q35 does that). Otherwise (qboot on
 * microvm,pcie=on assigns nothing; a 64-bit BAR placed above 4 GiB) nfos
 * assigns all memory BARs and bridge windows itself in the host bridge's
 * 32-bit window, known per host bridge: QEMU's GPEX (microvm,pcie=on)
 * 0xc0000000-0xdfffffff, q35's MCH 0xc0000000-0xfebfffff. I/O BARs are left
 * as the firmware set them (microvm has no PCI I/O space at all).
 * `pci.assign=1` on the command line forces nfos's own assignment.
 *
 * Drivers get a struct pci_device (its bus_device is dev), read the
 * capability list with pci_find_cap(), enable memory decoding and bus
 * mastering with pci_enable(), and reach BARs through pci_bar_map(), a
 * pointer into the identity map (uncached). Everything here is slow path:
 * boot and probe only. */
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
    uint64_t addr; /* bus address (identity mapped); 0: unused or unassigned */
    uint64_t size; /* 0: no BAR in this slot (or the upper half of a 64-bit one) */
    bool io;       /* I/O space (addr is a port) */
    bool is64;     /* 64-bit memory BAR (uses the next slot too) */
    bool prefetch;
};

struct pci_device {
    struct bus_device dev; /* name: "0000:00:03.0 1af4:1041" */
    uint16_t segment;
    uint8_t bus, slot, func;
    uint8_t hdr_type; /* 0 device, 1 bridge (the multi-function bit masked off) */
    uint16_t vendor, device, subsys_vendor, subsys_device;
    uint8_t revision, class_code, subclass, prog_if;
    struct pci_bar bar[6];
};

/* Config space of one function. Offsets are naturally aligned for their
 * width; beyond 0xff only through ECAM (port access reads all ones). */
uint8_t pci_read8(const struct pci_device *pdev, uint16_t off);
uint16_t pci_read16(const struct pci_device *pdev, uint16_t off);
uint32_t pci_read32(const struct pci_device *pdev, uint16_t off);
void pci_write8(const struct pci_device *pdev, uint16_t off, uint8_t v);
void pci_write16(const struct pci_device *pdev, uint16_t off, uint16_t v);
void pci_write32(const struct pci_device *pdev, uint16_t off, uint32_t v);

/* Offset of the first capability with id cap_id after the one at `from`
 * (0: from the start of the list), or 0. Walks at most 48 entries and
 * ignores pointers into the header, so a broken or looping list ends. */
uint8_t pci_find_cap(const struct pci_device *pdev, uint8_t cap_id, uint8_t from);

/* Turns on memory decoding, bus mastering and, when io is set, I/O
 * decoding; turns INTx off (nfos polls). */
void pci_enable(struct pci_device *pdev, bool io);

/* A pointer through which the driver may access memory BAR bar at offset
 * off for len bytes (mapped uncached first if it lies outside the boot
 * map); NULL when the BAR is absent, unassigned, an I/O BAR, or too small. */
volatile void *pci_bar_map(struct pci_device *pdev, unsigned bar, uint64_t off, uint64_t len);

/* The i-th function the boot scan found (bus order), or NULL past the
 * last. For code that lists or looks up functions after the scan. */
struct pci_device *pci_device_get(unsigned i);

/* Hands functions to a driver model other than nfos's (lib/dpdk/bus_pci:
 * DPDK's bus/pci): the scan asks `owns` once per function, before any
 * driver sees it, and a function it owns is offered to `drv` alone (nfos's
 * own drivers never touch it). One owner per image; set it before the bus
 * scan (from a constructor). */
void pci_owner_set(const struct bus_driver *drv, bool (*owns)(const struct pci_device *pdev));

/* Config space registers drivers use. */
#define PCI_VENDOR_ID     0x00
#define PCI_DEVICE_ID     0x02
#define PCI_COMMAND       0x04
#define PCI_STATUS        0x06
#define PCI_CAP_PTR       0x34
#define PCI_STATUS_CAPS   0x0010
#define PCI_CMD_IO        0x0001
#define PCI_CMD_MEM       0x0002
#define PCI_CMD_MASTER    0x0004
#define PCI_CMD_INTX_OFF  0x0400
#define PCI_CAP_ID_VNDR   0x09 /* vendor-specific (virtio's structures) */
#define PCI_CAP_ID_EXP    0x10 /* PCI Express */
#define PCI_CAP_ID_MSIX   0x11
#define PCI_MSIX_CTRL     2 /* offset in the MSI-X capability */
#define PCI_MSIX_CTRL_ENA 0x8000

#endif /* NFOS_PCI_H */
