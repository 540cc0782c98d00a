/* nfvm's guest-physical memory layout, the one file that draws it:
 *
 *   0x0000    null page, never written
 *   0x1000    boot info: struct nfvm_boot_info (direct) or hvm_start_info (PVH)
 *   0x1800    PVH's module list: the initrd (hvm_modlist_entry), if any
 *   0x1c00    the SMP CPU table: uint64_t[NFVM_CPUS_MAX], each AP's block
 *   0x2000    memory map, NFVM_MEMMAP_MAX entries at most
 *   0x3000    command line, NUL-terminated, NFVM_CMDLINE_MAX bytes with the NUL
 *   0x8000    top of the PVH entry's stack (down to 0x4000): PVH promises
 *             none, but entry.S pushes its iretq frame on the loader's
 *   0x100000  the image: its PT_LOAD segments at their physical addresses
 *   ...       --cpus N > 1: the N-1 APs' blocks (NFVM_CPU_BLOCK_SIZE each),
 *             page-aligned right above the image, cut out of the memory
 *             map's RAM; then RAM up to the --mem size, or up to 3 GiB; the initrd
 *             (--initrd) at its top, page-aligned
 *   3 GiB     the MMIO hole (the image maps it uncached): virtio-mmio
 *             devices from NFVM_MMIO_BASE, NFVM_MMIO_SIZE each
 *   4 GiB     the RAM above 3 GiB, when --mem is larger
 *
 * Everything below 1 MiB is nfvm's; the image removes the low MiB and
 * itself from the RAM it allocates from. */
#ifndef NFVM_LAYOUT_H
#define NFVM_LAYOUT_H

#define NFVM_BOOTINFO_GPA 0x1000ULL
#define NFVM_MODLIST_GPA  0x1800ULL
#define NFVM_CPUTABLE_GPA 0x1c00ULL
#define NFVM_MEMMAP_GPA   0x2000ULL
#define NFVM_MEMMAP_MAX   4
#define NFVM_CMDLINE_GPA  0x3000ULL
#define NFVM_CMDLINE_MAX  4096 /* plat/kvm copies at most 4095 bytes and the NUL */
#define NFVM_PVH_STACK    0x8000ULL
#define NFVM_LOW_END      0x100000ULL /* the image may load from here */

#define NFVM_MMIO_HOLE 0xc0000000ULL  /* 3 GiB */
#define NFVM_HIGH_BASE 0x100000000ULL /* 4 GiB */
#define NFVM_MMIO_BASE 0xd0000000ULL
#define NFVM_MMIO_SIZE 0x1000ULL

#define NFVM_RAM_ALIGN (2ULL << 20) /* 2 MiB: huge pages, the image's map */
#define NFVM_RAM_MIN   (2ULL << 20)
#define NFVM_RAM_MAX   (256ULL << 30) /* well inside the image's one PDPT */

#endif /* NFVM_LAYOUT_H */
