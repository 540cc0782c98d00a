/* Platform contract: making device memory reachable. On kvm the identity
 * map covers the first GiB (write-back) and 3..4 GiB (uncached) from boot;
 * anything else a driver or a bus needs (q35's ECAM at 2.75 GiB, a BAR
 * above 4 GiB, ACPI tables in reserved RAM above 1 GiB) is mapped here,
 * uncached, with 2 MiB pages, at its identity address. */
#ifndef NFOS_PLAT_MMIO_H
#define NFOS_PLAT_MMIO_H

#include <stdint.h>

/* Makes [addr, addr + len) accessible at virtual address addr. 0 (also
 * when it already was), -ERANGE when the platform cannot map that far
 * (kvm: beyond 512 GiB), -ENOMEM when its few spare page directories are
 * used up, -ENOTSUP on linuxu. Never unmaps, never remaps RAM. Slow path:
 * boot and probe only; not thread-safe. */
int plat_mmio_map(uint64_t addr, uint64_t len);

#endif /* NFOS_PLAT_MMIO_H */
