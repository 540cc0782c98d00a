/* Platform contract: the firmware's ACPI tables. kvm: from the RSDP the PVH
 * loader passed, else the one found in the BIOS area; linuxu: none. Tables
 * are found by signature; what is in them is the reader's business (lib/pci
 * reads MCFG, drivers/virtio-mmio the FADT). No AML interpreter. */
#ifndef NFOS_PLAT_ACPI_H
#define NFOS_PLAT_ACPI_H

#include <stdint.h>

/* Physical address of the ACPI RSDP ("RSD PTR "), 0 when there is none.
 * Slow path (boot). The RSDP itself is always readable at that address;
 * the tables it points to may need plat_mmio_map() first (nfos/plat/mmio.h). */
uint64_t plat_acpi_rsdp(void);

/* The first table whose signature is sig (4 characters, e.g. "MCFG",
 * "FACP") listed in the XSDT (the RSDT for ACPI 1.0), mapped and with a
 * valid checksum; NULL when there is none. The DSDT is not listed there
 * (it hangs off the FADT). Slow path. */
const void *plat_acpi_table(const char *sig);

#endif /* NFOS_PLAT_ACPI_H */
