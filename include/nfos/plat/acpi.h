/* Platform contract: where the firmware's ACPI tables start. kvm: the RSDP
 * the PVH loader passed, else the one found in the BIOS area; linuxu: none.
 * Parsing the tables is the reader's business (lib/pci reads MCFG). */
#ifndef NFOS_PLAT_ACPI_H
#define NFOS_PLAT_ACPI_H

#include <stdint.h>

/* Physical address of the ACPI RSDP ("RSD PTR "), 0 when there is none.
 * Slow path (boot). The RSDP itself is always readable at that address;
 * the tables it points to may need plat_mmio_map() first (nfos/plat/mmio.h). */
uint64_t plat_acpi_rsdp(void);

#endif /* NFOS_PLAT_ACPI_H */
