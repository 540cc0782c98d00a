/* Config space of one function through the access method found at boot,
 * the capability walk, and what drivers call to turn a device on. */
#include <stddef.h>
#include <stdint.h>
#include <nfos/pci.h>
#include <nfos/plat/mmio.h>
#include "pci_priv.h"

#define PCI_CAP_WALK_MAX 48 /* (256 - 64) / 4: more entries than fit is a loop */

static const struct pci_cfg_ops *cfg;

void pci_cfg_set(const struct pci_cfg_ops *ops)
{
    cfg = ops;
}

static uint32_t cfg_read(const struct pci_device *pdev, uint16_t off, unsigned width)
{
    return cfg->read(pdev->segment, pdev->bus, pci_devfn(pdev), off, width);
}

static void cfg_write(const struct pci_device *pdev, uint16_t off, unsigned width, uint32_t v)
{
    cfg->write(pdev->segment, pdev->bus, pci_devfn(pdev), off, width, v);
}

uint8_t pci_read8(const struct pci_device *pdev, uint16_t off)
{
    return (uint8_t)cfg_read(pdev, off, 1);
}

uint16_t pci_read16(const struct pci_device *pdev, uint16_t off)
{
    return (uint16_t)cfg_read(pdev, off, 2);
}

uint32_t pci_read32(const struct pci_device *pdev, uint16_t off)
{
    return cfg_read(pdev, off, 4);
}

void pci_write8(const struct pci_device *pdev, uint16_t off, uint8_t v)
{
    cfg_write(pdev, off, 1, v);
}

void pci_write16(const struct pci_device *pdev, uint16_t off, uint16_t v)
{
    cfg_write(pdev, off, 2, v);
}

void pci_write32(const struct pci_device *pdev, uint16_t off, uint32_t v)
{
    cfg_write(pdev, off, 4, v);
}

uint8_t pci_find_cap(const struct pci_device *pdev, uint8_t cap_id, uint8_t from)
{
    uint8_t pos;
    int i;

    if (from) {
        pos = pci_read8(pdev, from + 1);
    } else {
        if (!(pci_read16(pdev, PCI_STATUS) & PCI_STATUS_CAPS))
            return 0;
        pos = pci_read8(pdev, PCI_CAP_PTR);
    }
    for (i = 0; i < PCI_CAP_WALK_MAX; i++) {
        pos &= 0xfc; /* the low two bits are reserved */
        if (pos < 0x40)
            return 0; /* 0 ends the list; the header is never a capability */
        if (pci_read8(pdev, pos) == cap_id)
            return pos;
        pos = pci_read8(pdev, pos + 1);
    }
    return 0;
}

void pci_enable(struct pci_device *pdev, bool io)
{
    uint16_t cmd = pci_read16(pdev, PCI_COMMAND) | PCI_CMD_MASTER | PCI_CMD_INTX_OFF;
    bool mem_ok = true, io_ok = io;

    /* A BAR left at 0 (unassigned, or no room for it) would decode over
     * RAM or the legacy ports: that space stays off. */
    for (unsigned i = 0; i < 6; i++) {
        if (!pdev->bar[i].size || pdev->bar[i].addr)
            continue;
        if (pdev->bar[i].io)
            io_ok = false;
        else
            mem_ok = false;
    }
    if (mem_ok)
        cmd |= PCI_CMD_MEM;
    if (io_ok)
        cmd |= PCI_CMD_IO;
    pci_write16(pdev, PCI_COMMAND, cmd);
}

volatile void *pci_bar_map(struct pci_device *pdev, unsigned bar, uint64_t off, uint64_t len)
{
    const struct pci_bar *b;

    if (bar >= 6)
        return NULL;
    b = &pdev->bar[bar];
    if (!b->addr || b->io || off > b->size || len > b->size - off)
        return NULL;
    if (plat_mmio_map(b->addr + off, len))
        return NULL;
    return (volatile void *)(uintptr_t)(b->addr + off);
}
