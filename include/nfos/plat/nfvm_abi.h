/* The nfvm host/guest contract, version 1: how nfvm (vmm/) starts a kvm
 * image directly at its 64-bit CPL3 entry, so that no guest CPL0
 * instruction runs before main. The PVH path (QEMU, Firecracker, nfvm's
 * compatibility mode) does not use this header.
 *
 * IN fields are written by the image (its ELF note, filled by the linker)
 * and read by nfvm; OUT fields are written by nfvm and read by the image.
 * nfvm treats every IN field as hostile: each address and length it takes
 * from the image is bounds-checked against guest RAM.
 *
 * The image announces the direct entry with an ELF note (in a PT_NOTE
 * segment, like the PVH note): name "nfvm", type NFVM_NOTE_ENTRY, and a
 * struct nfvm_note as descriptor. An image without it boots through PVH.
 *
 * CPU state at the entry (all set by nfvm with KVM ioctls):
 *   64-bit mode, CPL3, RFLAGS = IOPL3 | 0x2 (interrupts off for good);
 *   CS = NFVM_SEL_UCODE|3, DS/ES/SS/FS/GS = NFVM_SEL_UDATA|3, flat;
 *   CR0 = PE|MP|ET|NE|WP|PG, CR4 = PAE|OSFXSR|OSXMMEXCPT (+FSGSBASE, +OSXSAVE
 *   when the CPU has them), EFER = LME|LMA, XCR0 = x87|SSE (+AVX);
 *   CR3 = pml4; GDTR, IDTR and TR from the note; the TSS's RSP0 is
 *   stack0_top and its I/O bitmap is complete (every port allowed, 0xff
 *   terminator): a loaded TSS's bitmap is checked even with IOPL=3;
 *   RSP = stack3_top - 8 (as if called), RDI = the boot info's address.
 * The image fills its own IDT gates (they are ordinary memory at CPL3).
 *
 * Ports: NFVM_PORT_CONSOLE (COM1's data register; `rep outsb` batches),
 * NFVM_PORT_EXIT (outl: the guest's status & 0x7f becomes nfvm's); the
 * PCI ports 0xcf8-0xcff and MMIO-hole reads answer "nothing there".
 * Devices are virtio-mmio (version 2) transports, named on the command
 * line the way Linux reads them (virtio_mmio.device=4K@ADDR:IRQ, device1=
 * ...): no interrupt is ever raised, drivers poll. */
#ifndef NFOS_PLAT_NFVM_ABI_H
#define NFOS_PLAT_NFVM_ABI_H

#define NFVM_ABI_VERSION 1
/* A macro's value as a string literal, for messages about the version. */
#define NFVM_STR_(x) #x
#define NFVM_STR(x)  NFVM_STR_(x)

#define NFVM_NOTE_NAME  "nfvm" /* 5 bytes with the NUL */
#define NFVM_NOTE_ENTRY 1
#define NFVM_BOOT_MAGIC 0x6d76666e /* "nfvm" */

/* The GDT selectors the image's GDT provides (user data right below user
 * code, as SYSRET wants). */
#define NFVM_SEL_KCODE 0x08
#define NFVM_SEL_KDATA 0x10
#define NFVM_SEL_UDATA 0x18
#define NFVM_SEL_UCODE 0x20
#define NFVM_SEL_TSS   0x28

/* The 64-bit TSS: 104 bytes, the I/O bitmap (8 KiB), the 0xff byte. */
#define NFVM_TSS_RSP0_OFF  4
#define NFVM_TSS_IOMAP_OFF 102
#define NFVM_TSS_HEAD_SIZE 104
#define NFVM_TSS_SIZE      (NFVM_TSS_HEAD_SIZE + 8192 + 1)

#define NFVM_PORT_CONSOLE 0x3f8
#define NFVM_PORT_EXIT    0xf4

#define NFVM_MEM_RAM 1

#ifndef __ASSEMBLY__
#include <stdint.h>

/* The note's descriptor: 4-byte aligned in the file (read it with memcpy).
 * Every address is guest-physical = guest-virtual (identity map). */
struct nfvm_note {
    uint32_t abi_version; /* IN: NFVM_ABI_VERSION */
    uint32_t reserved;    /* IN: 0 */
    uint64_t entry;       /* IN: void entry(const struct nfvm_boot_info *) */
    uint64_t stack3_top;  /* IN: the entry's stack, 16-byte aligned */
    uint64_t stack0_top;  /* IN: TSS.RSP0: the CPL0 exception stack */
    uint64_t pml4;        /* IN: CR3: the image's prebuilt identity map */
    uint64_t gdt;         /* IN: a GDT with the NFVM_SEL_* descriptors */
    uint64_t idt;         /* IN: the IDT, filled by the image itself */
    uint64_t tss;         /* IN: NFVM_TSS_SIZE zero bytes */
    uint16_t gdt_limit;   /* IN: bytes - 1 */
    uint16_t idt_limit;   /* IN: bytes - 1 */
    uint32_t reserved2;   /* IN: 0 */
};

/* One memory map entry; the same layout as PVH's hvm_memmap_entry. */
struct nfvm_memmap_entry {
    uint64_t addr;     /* OUT */
    uint64_t size;     /* OUT */
    uint32_t type;     /* OUT: NFVM_MEM_RAM, anything else is not RAM */
    uint32_t reserved; /* OUT: 0 */
};

/* What nfvm passes in RDI. It lies below 1 MiB, outside the image and
 * outside the RAM regions' use: the image may read it until it has
 * copied what it needs. */
struct nfvm_boot_info {
    uint32_t magic;          /* OUT: NFVM_BOOT_MAGIC */
    uint32_t abi_version;    /* OUT: NFVM_ABI_VERSION */
    uint64_t cmdline;        /* OUT: NUL-terminated command line, 0: none */
    uint64_t memmap;         /* OUT: struct nfvm_memmap_entry[memmap_entries] */
    uint32_t memmap_entries; /* OUT */
    uint32_t reserved;       /* OUT: 0 */
    uint64_t tsc_khz;        /* OUT: the guest TSC's frequency, 0: unknown */
};
#endif /* !__ASSEMBLY__ */

#endif /* NFOS_PLAT_NFVM_ABI_H */
