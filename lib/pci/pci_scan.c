/* Enumeration: bus 0, every slot, every function of a multi-function
 * device, and the buses behind PCI-to-PCI bridges, depth first. Bridges the
 * firmware numbered (SeaBIOS) are followed as they are; unnumbered ones
 * (qboot numbers nothing) get the next free bus number, with subordinate
 * 0xff while their subtree is scanned and the real last bus after. Bounded:
 * every bus is visited once, nesting stops at 32. It does not mix well
 * with a firmware that numbered only some bridges (none here does). */
#include <string.h>
#include <stdio.h>
#include <nfos/compiler.h>
#include "pci_priv.h"

#define PCI_SCAN_DEPTH 32

struct scan {
    struct pci_device *devs;
    unsigned max, found;
    uint8_t max_bus, last_bus;
    uint64_t seen[PCI_MAX_BUSES / 64];
};

static void scan_bus(struct scan *s, uint8_t bus, unsigned depth);

static void scan_bridge(struct scan *s, struct pci_device *br, unsigned depth)
{
    uint8_t sec = pci_read8(br, PCI_SECONDARY_BUS);
    uint8_t sub = pci_read8(br, PCI_SUBORDINATE_BUS);

    if (depth == PCI_SCAN_DEPTH)
        return;
    if (sec > br->bus) {
        s->last_bus = NFOS_MAX(s->last_bus, NFOS_MAX(sec, sub));
        scan_bus(s, sec, depth + 1);
        return;
    }
    if (sec != 0 || s->last_bus == s->max_bus)
        return; /* numbered backwards (broken), or no bus number left */
    sec = ++s->last_bus;
    pci_write8(br, PCI_PRIMARY_BUS, br->bus);
    pci_write8(br, PCI_SECONDARY_BUS, sec);
    pci_write8(br, PCI_SUBORDINATE_BUS, 0xff); /* route everything below while scanning */
    scan_bus(s, sec, depth + 1);
    pci_write8(br, PCI_SUBORDINATE_BUS, s->last_bus);
}

/* Reads the header of a function known to exist into pdev. */
static void read_header(struct pci_device *pdev, uint32_t id, uint8_t hdr)
{
    uint32_t class = pci_read32(pdev, PCI_REVISION);

    pdev->vendor = (uint16_t)id;
    pdev->device = (uint16_t)(id >> 16);
    pdev->hdr_type = hdr & ~PCI_HDR_MULTI;
    pdev->revision = (uint8_t) class;
    pdev->prog_if = (uint8_t)(class >> 8);
    pdev->subclass = (uint8_t)(class >> 16);
    pdev->class_code = (uint8_t)(class >> 24);
    if (pdev->hdr_type == PCI_HDR_DEVICE) {
        pdev->subsys_vendor = pci_read16(pdev, PCI_SUBSYS_VENDOR);
        pdev->subsys_device = pci_read16(pdev, PCI_SUBSYS_ID);
    }
    snprintf(pdev->dev.name, sizeof(pdev->dev.name), "%04x:%02x:%02x.%x %04x:%04x", pdev->segment,
             pdev->bus, pdev->slot, pdev->func, pdev->vendor, pdev->device);
}

static void scan_bus(struct scan *s, uint8_t bus, unsigned depth)
{
    if (s->seen[bus / 64] & (1ULL << (bus % 64)))
        return;
    s->seen[bus / 64] |= 1ULL << (bus % 64);
    for (uint8_t slot = 0; slot < 32; slot++) {
        unsigned nfunc = 1;

        for (uint8_t func = 0; func < nfunc; func++) {
            struct pci_device probe = { .bus = bus, .slot = slot, .func = func }, *pdev;
            uint32_t id = pci_read32(&probe, PCI_VENDOR_ID);
            uint8_t hdr;

            if ((uint16_t)id == 0xffff || (uint16_t)id == 0)
                continue;
            hdr = pci_read8(&probe, PCI_HDR_TYPE);
            if (func == 0 && (hdr & PCI_HDR_MULTI))
                nfunc = 8;
            if (s->found++ >= s->max)
                continue;
            pdev = &s->devs[s->found - 1];
            memset(pdev, 0, sizeof(*pdev));
            *pdev = probe;
            read_header(pdev, id, hdr);
            pci_bars_probe(pdev);
            if (pdev->hdr_type == PCI_HDR_BRIDGE)
                scan_bridge(s, pdev, depth);
        }
    }
}

unsigned pci_enumerate(struct pci_device *devs, unsigned max, uint8_t max_bus)
{
    struct scan s = { .devs = devs, .max = max, .max_bus = max_bus };

    scan_bus(&s, 0, 0);
    return s.found;
}
