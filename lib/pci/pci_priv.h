/* lib/pci internals: the config-space access method (swappable, so that the
 * unit tests run the scan and BAR code against a fake config space), the
 * resource assignment and the scan's device table. */
#ifndef NFOS_PCI_PRIV_H
#define NFOS_PCI_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/pci.h>

#define PCI_HDR_TYPE      0x0e
#define PCI_HDR_MULTI     0x80
#define PCI_HDR_DEVICE    0
#define PCI_HDR_BRIDGE    1
#define PCI_REVISION      0x08 /* then prog-if, subclass, class */
#define PCI_BAR0          0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID     0x2e

/* Type 1 (bridge) header */
#define PCI_PRIMARY_BUS      0x18
#define PCI_SECONDARY_BUS    0x19
#define PCI_SUBORDINATE_BUS  0x1a
#define PCI_IO_BASE          0x1c
#define PCI_MEM_BASE         0x20 /* 16 bits, 1 MiB granules: bits 31:20 in 15:4 */
#define PCI_MEM_LIMIT        0x22
#define PCI_PREF_BASE        0x24
#define PCI_PREF_LIMIT       0x26
#define PCI_PREF_BASE_UPPER  0x28
#define PCI_PREF_LIMIT_UPPER 0x2c
#define PCI_BRIDGE_WINDOW    (1ULL << 20)

#define PCI_BAR_IO       0x1
#define PCI_BAR_MEM64    0x4
#define PCI_BAR_PREFETCH 0x8

#define PCI_MAX_BUSES 256

#ifndef CONFIG_LIBPCI_MAX_DEVICES
#define CONFIG_LIBPCI_MAX_DEVICES 32
#endif

/* Config space access: 1, 2 or 4 bytes at a naturally aligned offset. */
struct pci_cfg_ops {
    const char *name; /* "ECAM", "ports 0xcf8/0xcfc", "fake" */
    uint32_t (*read)(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width);
    void (*write)(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width,
                  uint32_t v);
};

/* pci.c: the method in use. */
void pci_cfg_set(const struct pci_cfg_ops *ops);

/* pci_cfg.c (kvm): finds the method: ECAM from MCFG, else type 1 ports if
 * a host bridge answers there, else NULL. *last_bus: the highest bus the
 * method reaches. */
const struct pci_cfg_ops *pci_cfg_probe(uint8_t *last_bus);

/* pci_bar.c: sizes and decodes every BAR of pdev into pdev->bar[],
 * with decoding off meanwhile. pci_bar_probe does slot i alone (decoding
 * already off) and returns the slots it used (2 for a 64-bit BAR). */
void pci_bars_probe(struct pci_device *pdev);
unsigned pci_bar_probe(struct pci_device *pdev, unsigned i);
/* The number of BAR slots of a header type (6, 2 for a bridge, else 0). */
unsigned pci_bar_slots(const struct pci_device *pdev);
/* Writes pdev->bar[i].addr to the BAR register(s). */
void pci_bar_write(struct pci_device *pdev, unsigned i);

/* A 32-bit memory window for resource assignment. */
struct pci_window {
    uint64_t base, end; /* [base, end) */
};
/* The window nfos assigns in, by host bridge vendor:device; false when the
 * host bridge is unknown. */
bool pci_host_window(uint16_t vendor, uint16_t device, struct pci_window *w);
/* True when the firmware left a memory BAR unassigned or above 4 GiB. */
bool pci_needs_assign(struct pci_device *devs, unsigned n);
/* Assigns every memory BAR of devs and the memory windows of the bridges
 * among them, depth first from bus root, inside w. 0, or -ENOSPC when the
 * window is too small (the BARs that fit keep their addresses). */
int pci_assign(struct pci_device *devs, unsigned n, uint8_t root, const struct pci_window *w);

/* pci_scan.c: enumerates from bus 0 into devs, BARs sized; returns the
 * number of functions found, which may exceed max (only max are kept).
 * Unnumbered bridges get bus numbers up to max_bus. */
unsigned pci_enumerate(struct pci_device *devs, unsigned max, uint8_t max_bus);

static inline uint8_t pci_devfn(const struct pci_device *pdev)
{
    return (uint8_t)(pdev->slot << 3 | pdev->func);
}

#endif /* NFOS_PCI_PRIV_H */
