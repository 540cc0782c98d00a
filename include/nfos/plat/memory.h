/* Platform contract: the RAM an image may allocate from. The platform has
 * already removed what the image itself occupies (code, data, boot stacks). */
#ifndef NFOS_PLAT_MEMORY_H
#define NFOS_PLAT_MEMORY_H

#include <stddef.h>
#include <stdint.h>

struct plat_mem_region {
    uintptr_t base; /* page aligned, mapped, usable by the image */
    size_t len;     /* bytes, a multiple of the page size */
};

/* Fills *regions with the platform's free RAM regions, lowest first;
 * returns their count (0 when there is none). */
int plat_mem_regions(const struct plat_mem_region **regions);

/* 1 when every byte of the regions plat_mem_regions() returns reads as zero
 * until the image first writes it (fresh guest RAM, a fresh memfd), else 0.
 * The heap then zeroes only memory it handed out before: on a host that
 * backs guest pages on first touch, writing zeros to never-used memory
 * costs a fault per page for nothing. */
int plat_mem_zeroed(void);

/* Bytes of RAM the machine has in all (including the image itself). */
uint64_t plat_mem_total(void);

/* linuxu only (kvm does not define it): region number `region` of
 * plat_mem_regions() is backed by a file another process may map, e.g. a
 * vhost-user backend: *fd (owned by the platform, kept open; dup it to
 * keep it past the platform) and the file offset of the region's base.
 * 0, or -EINVAL for no such region. Slow path. */
int plat_mem_share(unsigned region, int *fd, uint64_t *offset);

#endif /* NFOS_PLAT_MEMORY_H */
