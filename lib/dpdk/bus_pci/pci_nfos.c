/* The OS part of DPDK's bus/pci on nfos (what drivers/bus/pci/linux and
 * bsd are elsewhere): the scan lists the functions nfos's PCI layer found
 * and handed to DPDK (pci_owner.c), mapping a device is pointing at its
 * memory BARs in nfos's identity map and turning on decoding and bus
 * mastering, IOVA = VA = guest-physical. No kernel driver in between
 * (kdrv NONE), no UIO or VFIO, no hotplug, no interrupts (poll mode).
 * Config space and I/O ports: pci_nfos_cfg.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <rte_bus.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_vfio.h>

#include "bus_pci_nfos.h"
#include "private.h" /* DPDK's bus/pci: rte_pci_bus, pci_common_set */

/* An rte_pci_device for pdev: ids, BARs (unmapped), the devargs naming it. */
static struct rte_pci_device *pci_nfos_new(const struct pci_device *pdev)
{
    struct rte_pci_device *dev = calloc(1, sizeof(*dev));

    if (!dev)
        return NULL;
    dev->device.bus = &rte_pci_bus.bus;
    bus_pci_nfos_addr(pdev, &dev->addr);
    dev->id.vendor_id = pdev->vendor;
    dev->id.device_id = pdev->device;
    dev->id.subsystem_vendor_id = pdev->subsys_vendor;
    dev->id.subsystem_device_id = pdev->subsys_device;
    dev->id.class_id = (uint32_t)pdev->class_code << 16 | pdev->subclass << 8 | pdev->prog_if;
    dev->device.numa_node = 0; /* one socket */
    dev->kdrv = RTE_PCI_KDRV_NONE;
    for (unsigned i = 0; i < PCI_MAX_RESOURCE; i++) {
        dev->mem_resource[i].phys_addr = pdev->bar[i].addr;
        dev->mem_resource[i].len = pdev->bar[i].size;
    }
    pci_common_set(dev);
    return dev;
}

/* Into the bus's list, in address order; a rescan finds it there. */
static void pci_nfos_insert(struct rte_pci_device *dev)
{
    struct rte_pci_device *at;
    int cmp;

    FOREACH_DEVICE_ON_PCIBUS(at)
    {
        cmp = rte_pci_addr_cmp(&dev->addr, &at->addr);
        if (cmp < 0) {
            rte_pci_insert_device(at, dev);
            return;
        }
        if (cmp == 0) {
            pci_free(dev); /* already listed: nothing of it can have changed */
            return;
        }
    }
    rte_pci_add_device(dev);
}

/* Every -a/--allow naming a PCI address must name a function DPDK owns:
 * the user asked for it by name. (A failed scan is one more line from the
 * EAL, which goes on with the devices found, as DPDK does.) */
static int pci_nfos_check_allowed(void)
{
    struct rte_devargs *da;
    struct rte_pci_addr addr;
    int ret = 0;

    RTE_EAL_DEVARGS_FOREACH("pci", da)
    {
        if (da->policy != RTE_DEV_ALLOWED || rte_pci_addr_parse(da->name, &addr))
            continue;
        if (!bus_pci_nfos_find(&addr)) {
            bus_pci_nfos_explain(&addr, "-a");
            ret = -1;
        }
    }
    return ret;
}

int rte_pci_scan(void)
{
    struct rte_pci_device *dev;
    struct rte_pci_addr addr;
    struct pci_device *pdev;
    int ret;

    if (!rte_eal_has_pci())
        return 0; /* --no-pci */
    ret = bus_pci_nfos_check_param();
    ret |= pci_nfos_check_allowed();
    for (unsigned i = 0; (pdev = bus_pci_nfos_get(i)); i++) {
        bus_pci_nfos_addr(pdev, &addr);
        if (rte_pci_ignore_device(&addr))
            continue;
        if (!(dev = pci_nfos_new(pdev))) {
            RTE_LOG(ERR, EAL, "%s: no memory for its rte_pci_device\n", pdev->dev.name);
            return -1;
        }
        pci_nfos_insert(dev);
    }
    return ret;
}

static void pci_nfos_unmap_bars(struct rte_pci_device *dev)
{
    for (unsigned i = 0; i < PCI_MAX_RESOURCE; i++)
        dev->mem_resource[i].addr = NULL;
}

/* Memory BARs: their address in the identity map (pci_bar_map maps them
 * first when outside the boot map). I/O BARs are reached through
 * rte_pci_ioport_map. Then memory (and I/O) decoding and bus mastering. */
int rte_pci_map_device(struct rte_pci_device *dev)
{
    struct pci_device *pdev = bus_pci_nfos_of(dev, "map");
    bool io = false;

    if (!pdev)
        return -1;
    for (unsigned i = 0; i < PCI_MAX_RESOURCE; i++) {
        const struct pci_bar *b = &pdev->bar[i];
        volatile void *p;

        if (!b->size || b->io) {
            io |= b->io && b->size;
            continue;
        }
        p = pci_bar_map(pdev, i, 0, b->size);
        if (!p) {
            RTE_LOG(ERR, EAL, "%s: BAR%u (%s, 0x%llx bytes) cannot be mapped: %s\n", dev->name, i,
                    b->is64 ? "mem64" : "mem32", (unsigned long long)b->size,
                    b->addr ? "outside what nfos can map"
                            : "unassigned (no room in the PCI window; nfos.verbose=2 lists BARs)");
            pci_nfos_unmap_bars(dev);
            return -1;
        }
        dev->mem_resource[i].addr = (void *)(uintptr_t)p;
    }
    pci_enable(pdev, io);
    return 0;
}

/* The identity map stays; the BARs' addresses are forgotten. */
void rte_pci_unmap_device(struct rte_pci_device *dev)
{
    pci_nfos_unmap_bars(dev);
}

/* Hot-unplug (a SIGBUS on a BAR) does not happen in an image. */
int pci_uio_remap_resource(struct rte_pci_device *dev)
{
    RTE_LOG(ERR, EAL, "%s: no hot-unplug on nfos\n", dev->name);
    return -1;
}

/* IOVA = VA = guest-physical: either mode suits every device. */
bool pci_device_iommu_support_va(const struct rte_pci_device *dev __rte_unused)
{
    return true;
}

enum rte_iova_mode pci_device_iova_mode(const struct rte_pci_driver *pdrv __rte_unused,
                                        const struct rte_pci_device *pdev __rte_unused)
{
    return RTE_IOVA_DC;
}

/* bus/pci's DMA-map fallback for VFIO devices (there are none): what the
 * Linux EAL answers without VFIO. */
int rte_vfio_container_dma_map(int container_fd __rte_unused, uint64_t vaddr __rte_unused,
                               uint64_t iova __rte_unused, uint64_t len __rte_unused)
{
    rte_errno = ENOTSUP;
    return -1;
}

int rte_vfio_container_dma_unmap(int container_fd __rte_unused, uint64_t vaddr __rte_unused,
                                 uint64_t iova __rte_unused, uint64_t len __rte_unused)
{
    rte_errno = ENOTSUP;
    return -1;
}
