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

/* A device field of len 1, 2, 4 or 8 bytes at p, as one access of its
 * width (8 bytes as two 32-bit accesses, low first: virtio's rule for its
 * config spaces), to or from the unaligned bytes at buf. */
static inline void plat_mmio_read_n(const volatile void *p, void *buf, unsigned len)
{
    const volatile uint8_t *b = (const volatile uint8_t *)p;
    uint32_t w[2];
    uint16_t h;

    if (len == 1) {
        *(uint8_t *)buf = plat_mmio_read8(b);
    } else if (len == 2) {
        h = plat_mmio_read16(b);
        __builtin_memcpy(buf, &h, 2);
    } else {
        w[0] = plat_mmio_read32(b);
        if (len == 8)
            w[1] = plat_mmio_read32(b + 4);
        __builtin_memcpy(buf, w, len == 8 ? 8 : 4);
    }
}

static inline void plat_mmio_write_n(volatile void *p, const void *buf, unsigned len)
{
    volatile uint8_t *b = (volatile uint8_t *)p;
    uint32_t w[2] = { 0, 0 };
    uint16_t h;

    if (len == 1) {
        plat_mmio_write8(b, *(const uint8_t *)buf);
    } else if (len == 2) {
        __builtin_memcpy(&h, buf, 2);
        plat_mmio_write16(b, h);
    } else {
        __builtin_memcpy(w, buf, len == 8 ? 8 : 4);
        plat_mmio_write32(b, w[0]);
        if (len == 8)
            plat_mmio_write32(b + 4, w[1]);
    }
}

#endif /* NFOS_PLAT_MMIO_H */
