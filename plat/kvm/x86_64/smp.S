/* The CPL0 side of SMP, kept as short as it can be: under nested PVM every
 * instruction here is emulated (~1 us each).
 *
 *   kvm_smp_tramp_*   real-mode trampoline, copied to KVM_SMP_TRAMPOLINE;
 *                     an AP starts there at the SIPI and goes straight to
 *                     long mode (PE and PG set together) in the image
 *   kvm_ap_start64    segment, IDT, TSS, syscall and GS base set-up, then
 *                     iretq to kvm_ap_start (smp.c) at CPL3
 *   kvm_syscall_entry the deliberate way into CPL0: halt until an IPI
 *   kvm_smp_wake_irq  the wake-up IPI: EOI and return to after the hlt
 *   kvm_smp_ud_entry  the BSP's syscall entry, set up at its first halt
 *
 * What can be computed at CPL3 is: the BSP fills the trampoline's CR4 and
 * GDT pointer, each AP's TSS and GDT copy, and struct kvm_ap_boot. */
#include "cpu_defs.h"

#define LAPIC_EOI_ADDR 0xfee000b0

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
1:	movl $MSR_LSTAR, %ecx
	movl $kvm_syscall_entry, %eax
	xorl %edx, %edx
	wrmsr
	movl $MSR_STAR, %ecx
	xorl %eax, %eax
	movl $((SYSRET_BASE_SEL << 16) | GDT_KCODE), %edx
	wrmsr
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

/* syscall from CPL3 (smp.c): %eax = KVM_SYS_HALT halts with interrupts on
 * until one arrives; anything else returns -1. Runs on the caller's stack,
 * below its red zone (the interrupt frame lands there). Interrupts are off
 * at CPL3, so an IPI sent before the hlt stays pending and ends it at once:
 * no wake-up is lost. */
	.globl kvm_syscall_entry
kvm_syscall_entry:
	testl %eax, %eax
	jnz 1f
	subq $128, %rsp
	sti
	hlt
	cli
	addq $128, %rsp
	sysretq
1:	movl $-1, %eax
	sysretq

/* The CPL3 side: void kvm_smp_halt(void), the image's one `syscall`
 * instruction (a check for stray ones, which would enter CPL0 by mistake,
 * can name this symbol as the deliberate one). Clobbers rax, rcx, r11:
 * all caller-saved. */
	.section .text.kvm_smp_halt, "ax"
	.globl kvm_smp_halt
kvm_smp_halt:
	movl $KVM_SYS_HALT, %eax
.Lhalt_syscall:
	syscall
	ret

/* #UD from the BSP's first kvm_smp_halt: its boot path sets up no syscall
 * entry (entry.S stays as short as it was), so the first halt faults here
 * once; this sets EFER.SCE, LSTAR and STAR as an AP's start does and
 * returns to the syscall, which then works. Any other #UD goes on to the
 * fatal report (traps.S's stub, with the frame untouched). Installed by
 * smp.c only in images that start APs. */
	.section .text.smp, "ax"
	.globl kvm_smp_ud_entry
kvm_smp_ud_entry:
	cmpq $.Lhalt_syscall, (%rsp)
	jne kvm_trap_stubs + 6 * KVM_TRAP_STUB_SIZE
	pushq %rax
	pushq %rcx
	pushq %rdx
	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_SCE, %eax
	wrmsr
	movl $MSR_LSTAR, %ecx
	movl $kvm_syscall_entry, %eax
	xorl %edx, %edx
	wrmsr
	movl $MSR_STAR, %ecx
	xorl %eax, %eax
	movl $((SYSRET_BASE_SEL << 16) | GDT_KCODE), %edx
	wrmsr
	popq %rdx
	popq %rcx
	popq %rax
	iretq

	.section .text.smp, "ax"
	.globl kvm_smp_wake_irq, kvm_smp_spurious_irq
kvm_smp_wake_irq:
	pushq %rax
	movl $LAPIC_EOI_ADDR, %eax
	movl $0, (%rax)
	popq %rax
kvm_smp_spurious_irq:
	iretq

	.section .note.GNU-stack, "", @progbits
