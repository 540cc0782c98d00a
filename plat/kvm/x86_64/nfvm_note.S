/* nfvm's direct-entry note (nfos/plat/nfvm_abi.h): where nfvm finds the
 * CPL3 entry and the CPU tables it loads, so that it can start the image at
 * CPL3 without entry.S. The PVH path never reads it. */
#include <nfos/plat/nfvm_abi.h>
#include "cpu_defs.h"

	.section .note.nfvm, "a", @note
	.balign 4
	.long 5                         /* name size: "nfvm\0" */
	.long nfvm_desc_end - nfvm_desc
	.long NFVM_NOTE_ENTRY
	.asciz "nfvm"
	.balign 4
nfvm_desc:                              /* struct nfvm_note */
	.long NFVM_ABI_VERSION
	.long 0
	.quad kvm_nfvm_start64
	.quad kvm_stack3_top
	.quad kvm_stack0_top
	.quad kvm_pml4
	.quad kvm_gdt
	.quad kvm_idt
	.quad kvm_tss
	.word kvm_gdt_limit
	.word KVM_NR_TRAPS * 16 - 1
	.long KVM_SMP_MAX               /* cpus_max */
#if CONFIG_LIBLCORE_SMP
	.quad kvm_nfvm_ap_start64       /* ap_entry (nfvm_smp.c) */
#else
	.quad 0                         /* one CPU: nfvm refuses --cpus N */
#endif
nfvm_desc_end:
	.balign 4

/* The contract's constants are the ones the boot code uses. */
	.if NFVM_SEL_KCODE != GDT_KCODE || NFVM_SEL_KDATA != GDT_KDATA || NFVM_SEL_UDATA != GDT_UDATA || NFVM_SEL_UCODE != GDT_UCODE || NFVM_SEL_TSS != GDT_TSS
	.error "nfvm_abi.h and cpu_defs.h disagree on the GDT layout"
	.endif
	.if KVM_SMP_MAX > NFVM_CPUS_MAX || NFVM_CPU_STACK3_TOP - NFVM_CPU_STACK0_TOP < KVM_STACK3_SIZE
	.error "nfvm_abi.h's CPU blocks and cpu_defs.h disagree"
	.endif
	.if NFVM_TSS_SIZE != TSS_SIZE || NFVM_TSS_RSP0_OFF != TSS_RSP0_OFF || NFVM_TSS_IOMAP_OFF != TSS_IOMAP_OFF
	.error "nfvm_abi.h and cpu_defs.h disagree on the TSS layout"
	.endif

	.section .note.GNU-stack, "", @progbits
