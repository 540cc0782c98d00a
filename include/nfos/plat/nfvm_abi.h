/* The nfvm host/guest contract, version 3: how nfvm (vmm/) starts a kvm
 * image directly at its 64-bit CPL3 entry, so that no guest CPL0
 * instruction runs before main, on one vCPU or several. The PVH path
 * (QEMU, Firecracker, nfvm's compatibility mode) uses only its ports and
 * its CPUID leaf (below).
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
 * SMP (nfvm --cpus N, N <= the note's cpus_max): nfvm runs N vCPUs, one
 * host thread each, all from the start. vCPU 0 enters as above; each other
 * vCPU i enters the note's ap_entry in the same state except: RSP = its
 * block's stack3_top - 8, RDI = its block (struct nfvm_cpu), GS base = its
 * block, TR = its block's TSS (RSP0 = its stack0_top, complete bitmap). No
 * INIT/SIPI, no trampoline, no LAPIC: nfvm gives the guest no interrupt
 * controller. The blocks (NFVM_CPU_BLOCK_SIZE bytes each, page-aligned,
 * below 1 GiB, so the image's prebuilt map covers them) lie outside the
 * memory map's RAM; the boot info's cpu_table names them. A vCPU with
 * nothing to do sleeps in nfvm (NFVM_PORT_CPU_WAIT) until another names it
 * at NFVM_PORT_CPU_WAKE: the only cross-CPU signal there is.
 *
 * Ports: NFVM_PORT_CONSOLE (COM1's data register; `rep outsb` batches;
 * with NFVM_BOOT_F_COM1_IN also its receiver: LSR, RBR, a scratch register
 * that holds, and never an interrupt: the op NFVM_IDLE_CONSOLE sleeps),
 * NFVM_PORT_EXIT (outl: the guest's status & 0x7f becomes nfvm's),
 * NFVM_PORT_IDLE (outl: the guest-physical address, below 4 GiB, of a
 * struct nfvm_idle: the guest has nothing to do; see below); the
 * NFVM_PORT_CPU_WAIT (outl: microseconds, 0: no limit: this vCPU sleeps
 * until a WAKE names it or that long passed; a WAKE that came since its
 * last WAIT ends the next WAIT at once, so none is lost between the
 * guest's last check and the sleep; it may end early: re-check),
 * NFVM_PORT_CPU_WAKE (outl: the index of the vCPU to wake), with
 * NFVM_BOOT_F_CONSOLE_BUF NFVM_PORT_CONSOLE_BUF (outl: the guest-physical
 * address, below 4 GiB, of a struct nfvm_console_buf: console output in
 * one exit, where `rep outsb` exits once a byte under nested PVM); the
 * PCI ports 0xcf8-0xcff and MMIO-hole reads answer "nothing there".
 *
 * A guest that entered through PVH finds nfvm by CPUID leaf
 * NFVM_CPUID_LEAF: EAX = that leaf, EBX = NFVM_BOOT_MAGIC, ECX =
 * NFVM_ABI_VERSION, EDX = NFVM_BOOT_F_* (the ports it serves).
 * Devices are virtio-mmio (version 2) transports, named on the command
 * line the way Linux reads them (virtio_mmio.device=4K@ADDR:IRQ, device1=
 * ...): no interrupt is ever raised, drivers poll. */
#ifndef NFOS_PLAT_NFVM_ABI_H
#define NFOS_PLAT_NFVM_ABI_H

#define NFVM_ABI_VERSION 3
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

#define NFVM_PORT_CONSOLE     0x3f8
#define NFVM_PORT_EXIT        0xf4
#define NFVM_PORT_IDLE        0xf8
#define NFVM_PORT_CPU_WAIT    0xf9
#define NFVM_PORT_CPU_WAKE    0xfa
#define NFVM_PORT_CONSOLE_BUF 0xfb

/* Outside KVM's own leaves (0x40000000..0x40000010, which nfvm also sets):
 * the next hypervisor range, as Linux scans them. */
#define NFVM_CPUID_LEAF 0x40000100

/* SMP: at most this many vCPUs; each AP's block, drawn from its start:
 *   0x0000  struct nfvm_cpu, then the image's (nfvm never touches it)
 *   0x1000  the TSS (NFVM_TSS_SIZE bytes)
 *   0x4000  the CPL0 stack (exceptions), down from 0x5000
 *   0x5000  the CPL3 stack, down from 0x15000 */
#define NFVM_CPUS_MAX         64
#define NFVM_CPU_TSS_OFF      0x1000
#define NFVM_CPU_STACK0_TOP   0x5000
#define NFVM_CPU_STACK3_TOP   0x15000
#define NFVM_CPU_BLOCK_SIZE   0x15000
#define NFVM_CPU_BLOCKS_LIMIT (1ULL << 30) /* mapped by the image at boot */

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
#define NFVM_IDLE_ARM   1
#define NFVM_IDLE_SLEEP 2
#define NFVM_IDLE_CONSOLE                                                                  \
    3                                    /* op (NFVM_BOOT_F_COM1_IN): sleep until COM1 has \
                                            a byte to read (at once if it has), or         \
                                            timeout_ns (0: no timer; a signal ends it);    \
                                            devices is not read */
#define NFVM_IDLE_ALL        0xffffffffu /* devices: every device nfvm has */
#define NFVM_IDLE_WOKE_DEV   1           /* woken: a device's receive queue */
#define NFVM_IDLE_WOKE_TIMER 2           /* woken: timeout_ns passed (or nfvm stops) */

/* nfvm_boot_info.flags */
#define NFVM_BOOT_F_IDLE 1 /* NFVM_PORT_IDLE is served */
#define NFVM_BOOT_F_CPU  2 /* NFVM_PORT_CPU_WAIT and _WAKE are served */
#define NFVM_BOOT_F_COM1_IN                         \
    4 /* COM1 receives (LSR data ready, RBR; nfvm's \
         stdin, then one ^D); op NFVM_IDLE_CONSOLE */

#define NFVM_BOOT_F_CONSOLE_BUF 8 /* NFVM_PORT_CONSOLE_BUF is served */

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
    uint32_t cpus_max;    /* IN: most vCPUs the image runs (1: no ap_entry) */
    uint64_t ap_entry;    /* IN: void ap_entry(struct nfvm_cpu *), 0: none */
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
    uint32_t cpus;           /* OUT: vCPUs running, 1..the note's cpus_max */
    uint64_t cpu_table;      /* OUT: uint64_t[cpus]: each vCPU's block (struct
                                nfvm_cpu); [0] is 0: vCPU 0 runs on the note's
                                stacks and TSS. 0 when cpus is 1. */
};

/* The head of an AP's block; nfvm writes it before the vCPU starts. */
struct nfvm_cpu {
    uint32_t id;         /* OUT: the vCPU's index, 1..cpus-1 */
    uint32_t reserved;   /* OUT: 0 */
    uint64_t stack3_top; /* OUT: its CPL3 stack (RSP = this - 8 at ap_entry) */
    uint64_t stack0_top; /* OUT: its TSS's RSP0 */
    uint64_t tss;        /* OUT: its TSS (loaded in TR) */
};

/* What the guest names at NFVM_PORT_CONSOLE_BUF (8-byte aligned, in RAM):
 * len bytes at guest-physical addr go to the console as COM1's would. A
 * record or buffer not wholly in RAM, or reserved not 0, ends the guest. */
struct nfvm_console_buf {
    uint64_t addr;
    uint32_t len;
    uint32_t reserved; /* 0 */
};

/* What the guest names at NFVM_PORT_IDLE (8-byte aligned, in RAM). */
struct nfvm_idle {
    uint32_t op;         /* IN: NFVM_IDLE_ARM, _SLEEP or _CONSOLE */
    uint32_t devices;    /* IN: bit i: device i's receive queue wakes the
                            guest (the i-th virtio_mmio.device); NFVM_IDLE_ALL */
    uint64_t timeout_ns; /* IN: SLEEP: wake after this long at most, 0: no timer */
    uint32_t woken;      /* OUT: SLEEP: NFVM_IDLE_WOKE_*, 0 after ARM */
    uint32_t reserved;   /* IN: 0 */
    uint64_t slept_ns;   /* OUT: SLEEP: how long nfvm slept */
};
#endif /* !__ASSEMBLY__ */

#endif /* NFOS_PLAT_NFVM_ABI_H */
