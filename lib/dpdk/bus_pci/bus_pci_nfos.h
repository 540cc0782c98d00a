/* lib/dpdk/bus_pci internals: the PCI functions DPDK owns in this image
 * (pci_owner.c) for the OS part of DPDK's bus/pci (pci_nfos.c,
 * pci_nfos_cfg.c). Slow path only: scan, probe, config space. */
#ifndef NFOS_BUS_PCI_NFOS_H
#define NFOS_BUS_PCI_NFOS_H

#include <stdbool.h>
#include <nfos/pci.h>
/* nfos/pci.h's PCI_ANY_ID; DPDK's rte_pci.h defines its own. */
#undef PCI_ANY_ID
#include <rte_log.h>
#include <rte_pci.h>
#include <bus_pci_driver.h>

/* The i-th function DPDK owns (scan order), or NULL past the last. */
struct pci_device *bus_pci_nfos_get(unsigned i);

/* The function DPDK owns at addr, or NULL. */
struct pci_device *bus_pci_nfos_find(const struct rte_pci_addr *addr);

/* The same for the rte_pci_device our scan made of it; logs
 * "<name>: <what>: not a PCI function DPDK owns here" when there is none. */
struct pci_device *bus_pci_nfos_of(const struct rte_pci_device *dev, const char *what);

/* The function's PCI address in DPDK's form. */
void bus_pci_nfos_addr(const struct pci_device *pdev, struct rte_pci_addr *addr);

/* 0 when every address dpdk.pci= names is a function DPDK owns; else logs
 * each that is not (bad syntax, no such function, no DPDK driver for it)
 * and returns -1. */
int bus_pci_nfos_check_param(void);

/* Logs why no function DPDK owns is at addr (nfos's drivers have it, or
 * there is no such function: the functions there are listed). */
void bus_pci_nfos_explain(const struct rte_pci_addr *addr, const char *what);

#endif /* NFOS_BUS_PCI_NFOS_H */
