/* x86_64 constants shared by the kvm boot assembly and its C code. */
#ifndef NFOS_KVM_CPU_DEFS_H
#define NFOS_KVM_CPU_DEFS_H

/* GDT layout. User data sits right below user code, as SYSRET expects. */
#define GDT_KCODE 0x08
#define GDT_KDATA 0x10
#define GDT_UDATA 0x18
#define GDT_UCODE 0x20
#define GDT_TSS   0x28

#define CR0_PE (1 << 0)
#define CR0_MP (1 << 1)
#define CR0_EM (1 << 2)
#define CR0_TS (1 << 3)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)

#define CR4_PAE        (1 << 5)
#define CR4_OSFXSR     (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define CR4_FSGSBASE   (1 << 16)
#define CR4_OSXSAVE    (1 << 18)

#define MSR_EFER    0xc0000080
#define MSR_STAR    0xc0000081
#define MSR_LSTAR   0xc0000082
#define MSR_GS_BASE 0xc0000101
#define EFER_SCE    (1 << 0)

/* KVM's paravirtual CPUID leaves and kvmclock. */
#define KVM_CPUID_SIGNATURE      0x40000000
#define KVM_SIGNATURE_EBX        0x4b4d564b /* "KVMK" */
#define KVM_CPUID_FEATURES       0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1 << 3)
#define MSR_KVM_SYSTEM_TIME_NEW  0x4b564d01
#define EFER_LME                 (1 << 8)

#define RFLAGS_RESERVED 0x2
#define RFLAGS_IOPL3    0x3000

/* Page-table entry bits. Accessed and dirty are preset so that the CPU (or,
 * under nested PVM, the shadow MMU) never has to write them back. */
#define PTE_P       0x01
#define PTE_W       0x02
#define PTE_U       0x04
#define PTE_PWT     0x08
#define PTE_PCD     0x10
#define PTE_A       0x20
#define PTE_D       0x40
#define PTE_PS      0x80
#define PTE_TABLE   (PTE_P | PTE_W | PTE_U | PTE_A)
#define PTE_RAM_2M  (PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_PS)
#define PTE_MMIO_2M (PTE_RAM_2M | PTE_PWT | PTE_PCD)

/* 64-bit TSS: 104 bytes, then an I/O bitmap of all-zero bits (every port
 * allowed) and the terminating 0xff byte. kvm-pvm consults the bitmap even
 * with IOPL=3, so it must be complete. */
#define TSS_RSP0_OFF      4
#define TSS_IOMAP_OFF     102
#define TSS_HEAD_SIZE     104
#define TSS_IOBITMAP_SIZE 8192
#define TSS_SIZE          (TSS_HEAD_SIZE + TSS_IOBITMAP_SIZE + 1)

#define KVM_NR_TRAPS       32
#define KVM_NR_VECTORS     48 /* the exceptions, then smp.c's two vectors */
#define KVM_VEC_UD         6  /* #UD: smp.S takes it over for the BSP's first halt */
#define KVM_VEC_WAKE       0x20
#define KVM_VEC_SPURIOUS   0x2f
#define KVM_TRAP_STUB_SIZE 16

#define KVM_STACK0_SIZE    4096  /* CPL0: exception entry only */
#define KVM_STACK3_SIZE    65536 /* CPL3: the boot thread, then the app */
#define KVM_TRAPSTACK_SIZE 16384 /* CPL3 stack of the exception report */

/* SMP (smp.c, x86_64/smp.S): where the AP trampoline is copied (the SIPI
 * vector is its page number), the syscall numbers of the CPL0 entry, and
 * struct kvm_ap_boot's offsets. */
#if CONFIG_LIBLCORE_SMP
#define KVM_SMP_MAX 64 /* CPUs an image runs, at most */
#else
#define KVM_SMP_MAX 1
#endif
#define KVM_SMP_TRAMPOLINE 0x8000
#define KVM_SYS_HALT       0
#define KVM_AP_BOOT_GS     0
#define KVM_AP_BOOT_STACK0 8
#define KVM_AP_BOOT_STACK3 16
#define SYSRET_BASE_SEL    (GDT_UDATA - 8) /* SYSRET: SS = base+8, CS = base+16 */

#ifdef __ASSEMBLER__
/* Points SYSCALL at kvm_syscall_entry (LSTAR) with the kernel's code
 * selector, and SYSRET at SYSRET_BASE_SEL's pair (STAR); EFER.SCE is the
 * caller's. Clobbers eax, ecx and edx. Each CPU once: an AP as it starts
 * (smp.S), the BSP at its first halt (halt.S). clang-format reads this
 * header as C: not this part. */
/* clang-format off */
.macro KVM_SYSCALL_MSRS_SET
	movl $MSR_LSTAR, %ecx
	movl $kvm_syscall_entry, %eax
	xorl %edx, %edx
	wrmsr
	movl $MSR_STAR, %ecx
	xorl %eax, %eax
	movl $((SYSRET_BASE_SEL << 16) | GDT_KCODE), %edx
	wrmsr
.endm
/* clang-format on */
#endif

#endif /* NFOS_KVM_CPU_DEFS_H */
