/* The "pci" bus: finds the config access method, enumerates, fixes up the
 * BARs when the firmware did not (see nfos/pci.h), then offers every
 * function to the pci drivers, or to the owner alone when it owns the
 * function (pci_owner_set). Functions live in one static table sized by
 * CONFIG_LIBPCI_MAX_DEVICES. */
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/pci.h>
#include "pci_priv.h"

static struct {
    struct pci_device devs[CONFIG_LIBPCI_MAX_DEVICES];
    bool owned[CONFIG_LIBPCI_MAX_DEVICES]; /* by owner_drv, not nfos's drivers */
    unsigned n;
    const struct bus_driver *owner_drv;
    bool (*owns)(const struct pci_device *pdev);
} pci;

void pci_owner_set(const struct bus_driver *drv, bool (*owns)(const struct pci_device *pdev))
{
    pci.owner_drv = drv;
    pci.owns = owns;
}

struct pci_device *pci_device_get(unsigned i)
{
    return i < pci.n ? &pci.devs[i] : NULL;
}

static bool pci_match(const struct bus_driver *drv, const struct bus_device *dev)
{
    const struct pci_device *pdev = nfos_container_of(dev, struct pci_device, dev);
    const struct pci_id *id;

    /* A function the owner took is its alone; the owner takes no other. */
    if (pci.owned[pdev - pci.devs] || drv == pci.owner_drv)
        return pci.owned[pdev - pci.devs] && drv == pci.owner_drv;
    for (id = drv->ids; id->vendor; id++)
        if (id->vendor == pdev->vendor && (id->device == PCI_ANY_ID || id->device == pdev->device))
            return true;
    return false;
}

static int pci_scan(void);

static const struct bus pci_bus = { .name = "pci", .scan = pci_scan, .match = pci_match };
BUS_REGISTER(pci_bus);

static void print_bars(const struct pci_device *d)
{
    char line[160];
    int len = snprintf(line, sizeof(line), "pci: %s class %02x.%02x.%02x", d->dev.name,
                       d->class_code, d->subclass, d->prog_if);

    for (unsigned i = 0; i < 6 && len > 0 && (size_t)len < sizeof(line); i++) {
        const struct pci_bar *b = &d->bar[i];

        if (!b->size)
            continue;
        len += snprintf(line + len, sizeof(line) - (size_t)len, " BAR%u %s%s 0x%llx+0x%llx", i,
                        b->io     ? "io"
                        : b->is64 ? "mem64"
                                  : "mem32",
                        b->prefetch ? "-pref" : "", (unsigned long long)b->addr,
                        (unsigned long long)b->size);
    }
    printf("%s\n", line);
}

/* With nfos.verbose=2: the firmware's BARs that made nfos assign. */
static void print_unusable(void)
{
    for (unsigned k = 0; k < pci.n; k++)
        for (unsigned i = 0; i < 6; i++) {
            const struct pci_bar *b = &pci.devs[k].bar[i];

            if (!b->size || b->io)
                continue;
            if (!b->addr)
                printf("pci: %s BAR%u (0x%llx bytes): unassigned by the firmware\n",
                       pci.devs[k].dev.name, i, (unsigned long long)b->size);
            else if (b->addr + b->size > 1ULL << 32)
                printf("pci: %s BAR%u (0x%llx bytes): at 0x%llx, above 4 GiB\n",
                       pci.devs[k].dev.name, i, (unsigned long long)b->size,
                       (unsigned long long)b->addr);
        }
}

/* Keeps the firmware's BARs when they are usable, else assigns them. */
static void pci_resources(void)
{
    const struct pci_device *host = &pci.devs[0];
    struct pci_window w;
    bool forced = core_param("pci.assign") && strcmp(core_param("pci.assign"), "0");
    int err;

    if (!forced && !pci_needs_assign(pci.devs, pci.n)) {
        if (core_verbose())
            printf("pci: BARs as the firmware assigned them\n");
        return;
    }
    if (host->bus || host->slot || host->func || !pci_host_window(host->vendor, host->device, &w)) {
        printf("pci: BARs unassigned or above 4 GiB, and no known window for host bridge "
               "%04x:%04x: left as they are\n",
               host->vendor, host->device);
        return;
    }
    if (core_verbose() >= 2)
        print_unusable();
    err = pci_assign(pci.devs, pci.n, 0, &w);
    if (err)
        printf("pci: window 0x%llx-0x%llx too small: some BARs left unassigned\n",
               (unsigned long long)w.base, (unsigned long long)w.end - 1);
    else if (core_verbose())
        printf("pci: BARs assigned by nfos in 0x%llx-0x%llx (%s)\n", (unsigned long long)w.base,
               (unsigned long long)w.end - 1,
               forced ? "pci.assign=1" : "the firmware left some unassigned or above 4 GiB");
}

static int pci_scan(void)
{
    const struct pci_cfg_ops *ops;
    uint8_t last_bus;
    unsigned found, k;

    ops = pci_cfg_probe(&last_bus);
    if (!ops)
        return 0;
    pci_cfg_set(ops);
    found = pci_enumerate(pci.devs, CONFIG_LIBPCI_MAX_DEVICES, last_bus);
    pci.n = NFOS_MIN(found, CONFIG_LIBPCI_MAX_DEVICES);
    if (found > pci.n)
        printf("pci: %u functions, only the first %u used (CONFIG_LIBPCI_MAX_DEVICES)\n", found,
               pci.n);
    if (!pci.n)
        return 0;
    pci_resources();
    for (k = 0; k < pci.n; k++) {
        pci.devs[k].dev.bus = &pci_bus;
        pci.owned[k] = pci.owns && pci.owns(&pci.devs[k]);
        if (core_verbose() >= 2)
            print_bars(&pci.devs[k]);
        bus_device_add(&pci.devs[k].dev);
    }
    return 0;
}
