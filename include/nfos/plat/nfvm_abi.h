/* The nfvm host/guest contract, version 2: how nfvm (vmm/) starts a kvm
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
 * NFVM_PORT_EXIT (outl: the guest's status & 0x7f becomes nfvm's),
 * NFVM_PORT_IDLE (outl: the guest-physical address, below 4 GiB, of a
 * struct nfvm_idle: the guest has nothing to do; see below); the
 * PCI ports 0xcf8-0xcff and MMIO-hole reads answer "nothing there".
 * Devices are virtio-mmio (version 2) transports, named on the command
 * line the way Linux reads them (virtio_mmio.device=4K@ADDR:IRQ, device1=
 * ...): no interrupt is ever raised, drivers poll. */
#ifndef NFOS_PLAT_NFVM_ABI_H
#define NFOS_PLAT_NFVM_ABI_H

#define NFVM_ABI_VERSION 2
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
#define NFVM_PORT_IDLE    0xf8

/* Idle: a guest that found nothing to do for a while yields in two steps,
 * so that no wake-up is lost between its last empty poll and the sleep:
 *   1. NFVM_IDLE_ARM: nfvm arms a one-shot wake-up on the receive queues
 *      of the devices named and resumes the guest at once;
 *   2. the guest polls once more; still nothing: NFVM_IDLE_SLEEP: nfvm
 *      sleeps (no host CPU) until a frame reached one of those receive
 *      queues after step 1, or timeout_ns passed, then resumes the guest.
 * A guest that finds work after step 1 just goes on (at most one spurious
 * wake-up later). A SLEEP with no device named and no timeout could never
 * end: nfvm ends that guest. */
#define NFVM_IDLE_ARM        1
#define NFVM_IDLE_SLEEP      2
#define NFVM_IDLE_ALL        0xffffffffu /* devices: every device nfvm has */
#define NFVM_IDLE_WOKE_DEV   1           /* woken: a device's receive queue */
#define NFVM_IDLE_WOKE_TIMER 2           /* woken: timeout_ns passed (or nfvm stops) */

/* nfvm_boot_info.flags */
#define NFVM_BOOT_F_IDLE 1 /* NFVM_PORT_IDLE is served */

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
    uint64_t initrd;         /* OUT: nfvm --initrd FILE's guest address, 0: none */
    uint64_t initrd_size;    /* OUT: its size in bytes */
    uint32_t flags;          /* OUT: NFVM_BOOT_F_* */
    uint32_t reserved2;      /* OUT: 0 */
};

/* What the guest names at NFVM_PORT_IDLE (8-byte aligned, in RAM). */
struct nfvm_idle {
    uint32_t op;         /* IN: NFVM_IDLE_ARM or NFVM_IDLE_SLEEP */
    uint32_t devices;    /* IN: bit i: device i's receive queue wakes the
                            guest (the i-th virtio_mmio.device); NFVM_IDLE_ALL */
    uint64_t timeout_ns; /* IN: SLEEP: wake after this long at most, 0: no timer */
    uint32_t woken;      /* OUT: SLEEP: NFVM_IDLE_WOKE_*, 0 after ARM */
    uint32_t reserved;   /* IN: 0 */
    uint64_t slept_ns;   /* OUT: SLEEP: how long nfvm slept */
};
#endif /* !__ASSEMBLY__ */

#endif /* NFOS_PLAT_NFVM_ABI_H */
