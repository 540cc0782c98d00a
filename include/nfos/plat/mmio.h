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

/* Device register accesses: one load or store of exactly that width, never
 * merged, split or reordered by the compiler (x86 keeps uncached accesses
 * in program order). Each is a VM exit under a hypervisor: slow path,
 * except a virtqueue kick. */
static inline uint8_t plat_mmio_read8(const volatile void *p)
{
    return *(const volatile uint8_t *)p;
}

static inline uint16_t plat_mmio_read16(const volatile void *p)
{
    return *(const volatile uint16_t *)p;
}

static inline uint32_t plat_mmio_read32(const volatile void *p)
{
    return *(const volatile uint32_t *)p;
}

static inline void plat_mmio_write8(volatile void *p, uint8_t v)
{
    *(volatile uint8_t *)p = v;
}

static inline void plat_mmio_write16(volatile void *p, uint16_t v)
{
    *(volatile uint16_t *)p = v;
}

static inline void plat_mmio_write32(volatile void *p, uint32_t v)
{
    *(volatile uint32_t *)p = v;
}

#endif /* NFOS_PLAT_MMIO_H */
