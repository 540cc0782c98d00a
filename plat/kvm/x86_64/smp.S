/* The CPL0 side of starting an AP, kept as short as it can be: under
 * nested PVM every instruction here is emulated (~1 us each). Linked only
 * with CONFIG_LIBLCORE_SMP; the halt it shares with one CPU is halt.S's.
 *
 *   kvm_smp_tramp_*   real-mode trampoline, copied to KVM_SMP_TRAMPOLINE;
 *                     an AP starts there at the SIPI and goes straight to
 *                     long mode (PE and PG set together) in the image
 *   kvm_ap_start64    segment, IDT, TSS, syscall and GS base set-up, then
 *                     iretq to kvm_ap_start (smp.c) at CPL3
 *
 * What can be computed at CPL3 is: the BSP fills the trampoline's CR4 and
 * GDT pointer, each AP's TSS and GDT copy, and struct kvm_ap_boot. */
#include "cpu_defs.h"

	.section .rodata.smp, "a"
	.code16
	.globl kvm_smp_tramp_start, kvm_smp_tramp_end
	.globl kvm_smp_tramp_tsc, kvm_smp_tramp_cr4, kvm_smp_tramp_gdtr
kvm_smp_tramp_start:
	rdtsc
	movl %eax, %cs:(kvm_smp_tramp_tsc - kvm_smp_tramp_start)
	movl %edx, %cs:(kvm_smp_tramp_tsc + 4 - kvm_smp_tramp_start)
	movl %cs:(kvm_smp_tramp_cr4 - kvm_smp_tramp_start), %eax
	movl %eax, %cr4
	movl $kvm_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	movl $(EFER_LME | EFER_SCE), %eax
	xorl %edx, %edx
	wrmsr
	movl $(CR0_PG | CR0_PE | CR0_MP | CR0_NE | CR0_WP), %eax
	movl %eax, %cr0
	lgdtl %cs:(kvm_smp_tramp_gdtr - kvm_smp_tramp_start)
	ljmpl $GDT_KCODE, $kvm_ap_start64

	.balign 8
kvm_smp_tramp_tsc:  .quad 0
kvm_smp_tramp_cr4:  .long 0
	.balign 8
kvm_smp_tramp_gdtr: .word 0
	.long 0
kvm_smp_tramp_end:

	.section .text.smp, "ax"
	.code64
kvm_ap_start64:
	movl $GDT_KDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movq kvm_ap_boot + KVM_AP_BOOT_STACK0, %rsp
	lidt kvm_idt_ptr
	movl $GDT_TSS, %eax
	ltr %ax
	movl kvm_ap_xcr0, %eax          /* 0 without OSXSAVE */
	testl %eax, %eax
	jz 1f
	xorl %edx, %edx
	xorl %ecx, %ecx
	xsetbv
1:	KVM_SYSCALL_MSRS_SET
	movl $MSR_GS_BASE, %ecx
	movl kvm_ap_boot + KVM_AP_BOOT_GS, %eax
	movl kvm_ap_boot + KVM_AP_BOOT_GS + 4, %edx
	wrmsr

	pushq $(GDT_UDATA | 3)
	pushq kvm_ap_boot + KVM_AP_BOOT_STACK3
	pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED)
	pushq $(GDT_UCODE | 3)
	pushq $kvm_ap_start
	iretq

	.section .note.GNU-stack, "", @progbits
