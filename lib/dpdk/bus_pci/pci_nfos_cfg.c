/* Config space and I/O port BARs of the functions DPDK owns, for DPDK's
 * bus/pci on nfos: config space through nfos's access method (ECAM, else
 * ports 0xcf8/0xcfc), I/O BARs by in/out (all of nfos runs with IOPL 3).
 * Slow path: probe and legacy virtio only. */
#include <string.h>
#include <sys/io.h>

#include "bus_pci_nfos.h"

#define PCI_NFOS_CFG_SIZE 4096 /* ECAM's; the ports reach 256, all ones above */

/* The widest naturally aligned access at off within len bytes. */
static size_t pci_nfos_width(uint64_t off, size_t len)
{
    if (!(off & 3) && len >= 4)
        return 4;
    if (!(off & 1) && len >= 2)
        return 2;
    return 1;
}

static bool pci_nfos_cfg_range(const struct rte_pci_device *dev, size_t len, off_t off,
                               const char *what)
{
    if (off >= 0 && off <= PCI_NFOS_CFG_SIZE && len <= (size_t)(PCI_NFOS_CFG_SIZE - off))
        return true;
    RTE_LOG(ERR, EAL, "%s: config %s of %zu bytes at 0x%llx: beyond config space\n", dev->name,
            what, len, (long long)off);
    return false;
}

/* Bytes read, as on Linux, or -1. */
int rte_pci_read_config(const struct rte_pci_device *dev, void *buf, size_t len, off_t offset)
{
    struct pci_device *pdev = bus_pci_nfos_of(dev, "config read");
    uint16_t off = (uint16_t)offset;
    uint8_t *d = buf;

    if (!pdev || !pci_nfos_cfg_range(dev, len, offset, "read"))
        return -1;
    for (size_t w, done = 0; done < len; done += w, off += (uint16_t)w) {
        uint32_t v;

        w = pci_nfos_width(off, len - done);
        v = w == 4 ? pci_read32(pdev, off) : w == 2 ? pci_read16(pdev, off) : pci_read8(pdev, off);
        memcpy(d + done, &v, w); /* little-endian */
    }
    return (int)len;
}

/* Bytes written, as on Linux, or -1. */
int rte_pci_write_config(const struct rte_pci_device *dev, const void *buf, size_t len,
                         off_t offset)
{
    struct pci_device *pdev = bus_pci_nfos_of(dev, "config write");
    uint16_t off = (uint16_t)offset;
    const uint8_t *s = buf;

    if (!pdev || !pci_nfos_cfg_range(dev, len, offset, "write"))
        return -1;
    for (size_t w, done = 0; done < len; done += w, off += (uint16_t)w) {
        uint32_t v = 0;

        w = pci_nfos_width(off, len - done);
        memcpy(&v, s + done, w);
        if (w == 4)
            pci_write32(pdev, off, v);
        else if (w == 2)
            pci_write16(pdev, off, (uint16_t)v);
        else
            pci_write8(pdev, off, (uint8_t)v);
    }
    return (int)len;
}

int rte_pci_ioport_map(struct rte_pci_device *dev, int bar, struct rte_pci_ioport *p)
{
    struct pci_device *pdev = bus_pci_nfos_of(dev, "I/O port map");
    const struct pci_bar *b;

    if (!pdev)
        return -1;
    b = bar >= 0 && bar < PCI_MAX_RESOURCE ? &pdev->bar[bar] : NULL;
    if (!b || !b->io || !b->size || !b->addr || b->addr + b->size > 0x10000) {
        RTE_LOG(ERR, EAL, "%s: BAR%d is not an assigned I/O port BAR\n", dev->name, bar);
        return -1;
    }
    p->dev = dev;
    p->base = b->addr;
    p->len = b->size;
    pci_enable(pdev, true);
    return 0;
}

static bool pci_nfos_io_range(const struct rte_pci_ioport *p, size_t len, off_t off)
{
    if (off >= 0 && (uint64_t)off <= p->len && len <= p->len - (uint64_t)off)
        return true;
    RTE_LOG(ERR, EAL, "%s: I/O port access of %zu bytes at 0x%llx: beyond the BAR\n", p->dev->name,
            len, (long long)off);
    return false;
}

void rte_pci_ioport_read(struct rte_pci_ioport *p, void *data, size_t len, off_t offset)
{
    uint8_t *d = data;
    uint16_t port = (uint16_t)(p->base + (uint64_t)offset);

    if (!pci_nfos_io_range(p, len, offset)) {
        memset(data, 0xff, len); /* what a read of nothing gives */
        return;
    }
    for (size_t w, done = 0; done < len; done += w, port += (uint16_t)w) {
        uint32_t v;

        w = pci_nfos_width(port, len - done);
        v = w == 4 ? inl(port) : w == 2 ? inw(port) : inb(port);
        memcpy(d + done, &v, w);
    }
}

void rte_pci_ioport_write(struct rte_pci_ioport *p, const void *data, size_t len, off_t offset)
{
    const uint8_t *s = data;
    uint16_t port = (uint16_t)(p->base + (uint64_t)offset);

    if (!pci_nfos_io_range(p, len, offset))
        return;
    for (size_t w, done = 0; done < len; done += w, port += (uint16_t)w) {
        uint32_t v = 0;

        w = pci_nfos_width(port, len - done);
        memcpy(&v, s + done, w);
        if (w == 4)
            outl(v, port);
        else if (w == 2)
            outw((uint16_t)v, port);
        else
            outb((uint8_t)v, port);
    }
}

/* Nothing was mapped; p stays usable for a message. */
int rte_pci_ioport_unmap(struct rte_pci_ioport *p __rte_unused)
{
    return 0;
}
