/* Which PCI functions belong to DPDK's bus/pci in this image, and the nfos
 * bus driver that takes them at boot so that nfos's own drivers never see
 * them (pci_owner_set). The command line says which, else the image's
 * CONFIG_LIBDPDK_BUS_PCI_OWN (default "none"):
 *
 *     dpdk.pci=none              nfos's drivers have them all
 *     dpdk.pci=all               DPDK has every one a DPDK driver matches
 *     dpdk.pci=ADDR[,ADDR...]    DPDK has these, e.g. 0000:00:02.0
 *
 * and a function is DPDK's only if a DPDK PCI driver linked into the image
 * (net_virtio) matches it. Not the OS part of bus/pci: pci_nfos.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/compiler.h>
#include <nfos/core.h>

#include "bus_pci_nfos.h"
#include "private.h" /* DPDK's bus/pci: its driver list, rte_pci_match */

#define DPDK_PCI_PARAM "dpdk.pci"

static struct {
    struct pci_device *fn[CONFIG_LIBPCI_MAX_DEVICES]; /* as many as lib/pci keeps */
    unsigned n;
} owned;

void bus_pci_nfos_addr(const struct pci_device *pdev, struct rte_pci_addr *addr)
{
    addr->domain = pdev->segment;
    addr->bus = pdev->bus;
    addr->devid = pdev->slot;
    addr->function = pdev->func;
}

/* True when a DPDK PCI driver of this image matches the function's ids
 * (the drivers registered from constructors, before the bus scan). */
static bool dpdk_driver_matches(const struct pci_device *pdev)
{
    struct rte_pci_device probe = {
        .id = { .class_id = (uint32_t)pdev->class_code << 16 | pdev->subclass << 8 | pdev->prog_if,
                .vendor_id = pdev->vendor,
                .device_id = pdev->device,
                .subsystem_vendor_id = pdev->subsys_vendor,
                .subsystem_device_id = pdev->subsys_device },
    };
    struct rte_pci_driver *drv;

    FOREACH_DRIVER_ON_PCIBUS(drv)
    if (rte_pci_match(drv, &probe))
        return true;
    return false;
}

/* The next word of a dpdk.pci list at *s: 1 with its address, -1 when it
 * is not an address (word shows it), 0 at the end. */
static int param_word(const char **s, char *word, size_t size, struct rte_pci_addr *addr)
{
    size_t len = strcspn(*s, ",");

    if (!**s)
        return 0;
    snprintf(word, size, "%.*s", (int)len, *s);
    *s += len + ((*s)[len] == ',');
    return len < size && !rte_pci_addr_parse(word, addr) ? 1 : -1;
}

/* The list's form, NULL for "none" and "all". */
static const char *param_list(bool *all)
{
    const char *s = core_param(DPDK_PCI_PARAM);

    if (!s)
        s = CONFIG_LIBDPDK_BUS_PCI_OWN;
    *all = !strcmp(s, "all");
    return *all || !strcmp(s, "none") ? NULL : s;
}

static bool dpdk_pci_owns(const struct pci_device *pdev)
{
    struct rte_pci_addr want, have;
    char word[32];
    bool all;
    const char *s = param_list(&all);
    int r;

    if ((!s && !all) || pdev->hdr_type != 0 || !dpdk_driver_matches(pdev))
        return false; /* bridges stay nfos's */
    if (all)
        return true;
    bus_pci_nfos_addr(pdev, &have);
    while ((r = param_word(&s, word, sizeof(word), &want)))
        if (r > 0 && !rte_pci_addr_cmp(&want, &have))
            return true;
    return false;
}

static int dpdk_pci_probe(struct bus_device *dev)
{
    if (owned.n == NFOS_ARRAY_SIZE(owned.fn))
        return -ENOSPC; /* cannot happen: lib/pci keeps no more */
    owned.fn[owned.n++] = nfos_container_of(dev, struct pci_device, dev);
    return 0;
}

/* Matches nothing by id: lib/pci offers it the functions dpdk_pci_owns
 * takes, and those alone. */
static const struct pci_id dpdk_pci_ids[] = { { 0, 0 } };
static const struct bus_driver dpdk_pci_driver = {
    .name = "dpdk", .bus = "pci", .ids = dpdk_pci_ids, .probe = dpdk_pci_probe
};
BUS_DRIVER_REGISTER(dpdk_pci_driver);

/* Before the bus scan: constructors run before nfos probes devices. */
__attribute__((constructor)) static void dpdk_pci_owner_init(void)
{
    pci_owner_set(&dpdk_pci_driver, dpdk_pci_owns);
}

struct pci_device *bus_pci_nfos_get(unsigned i)
{
    return i < owned.n ? owned.fn[i] : NULL;
}

struct pci_device *bus_pci_nfos_find(const struct rte_pci_addr *addr)
{
    struct rte_pci_addr have;

    for (unsigned i = 0; i < owned.n; i++) {
        bus_pci_nfos_addr(owned.fn[i], &have);
        if (!rte_pci_addr_cmp(&have, addr))
            return owned.fn[i];
    }
    return NULL;
}

struct pci_device *bus_pci_nfos_of(const struct rte_pci_device *dev, const char *what)
{
    struct pci_device *pdev = bus_pci_nfos_find(&dev->addr);

    if (!pdev)
        RTE_LOG(ERR, EAL, "%s: %s: not a PCI function DPDK owns here\n", dev->name, what);
    return pdev;
}

void bus_pci_nfos_explain(const struct rte_pci_addr *addr, const char *what)
{
    char name[PCI_PRI_STR_SIZE], list[256] = "";
    struct rte_pci_addr have;
    struct pci_device *pdev;
    size_t len = 0;

    rte_pci_device_name(addr, name, sizeof(name));
    for (unsigned i = 0; (pdev = pci_device_get(i)); i++) {
        bus_pci_nfos_addr(pdev, &have);
        if (!rte_pci_addr_cmp(&have, addr)) {
            if (dpdk_driver_matches(pdev))
                RTE_LOG(ERR, EAL,
                        "%s %s: left to nfos's drivers: hand it to DPDK with dpdk.pci=%s "
                        "(or dpdk.pci=all)\n",
                        what, pdev->dev.name, name);
            else
                RTE_LOG(ERR, EAL, "%s %s: no DPDK PCI driver in this image matches it\n", what,
                        pdev->dev.name);
            return;
        }
        if (len < sizeof(list))
            len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? ", " : "",
                                    pdev->dev.name);
    }
    RTE_LOG(ERR, EAL, "%s %s: no such PCI function (there are: %s)\n", what, name,
            len ? list : "none");
}

int bus_pci_nfos_check_param(void)
{
    struct rte_pci_addr addr;
    char word[32];
    bool all;
    const char *s = param_list(&all);
    int r, ret = 0;

    while (s && (r = param_word(&s, word, sizeof(word), &addr))) {
        if (r < 0) {
            RTE_LOG(ERR, EAL, "dpdk.pci: '%s' is not a PCI address (e.g. 0000:00:02.0)\n", word);
            ret = -1;
        } else if (!bus_pci_nfos_find(&addr)) {
            bus_pci_nfos_explain(&addr, "dpdk.pci");
            ret = -1;
        }
    }
    return ret;
}
