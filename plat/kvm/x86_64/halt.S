/* The CPL0 side of halting a CPU until an interrupt, for one CPU too (the
 * console's receiver, serial_in.c) and for SMP's idle lcores (smp.c):
 *
 *   kvm_syscall_entry the deliberate way into CPL0: halt until an IPI
 *   kvm_smp_halt      the CPL3 side, the image's one syscall instruction
 *   kvm_smp_ud_entry  the BSP's syscall entry, set up at its first halt
 *   kvm_smp_wake_irq  the wake-up IPI: EOI and return to after the hlt
 *
 * Every instruction here is emulated under nested PVM (~1 us each). */
#include "cpu_defs.h"

#define LAPIC_EOI_ADDR 0xfee000b0

	.section .text.halt, "ax"
	.code64
/* syscall from CPL3 (kvm_smp_halt): %eax = KVM_SYS_HALT halts with interrupts on
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
 * lapic.c's kvm_halt_enable. */
	.section .text.halt, "ax"
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
	KVM_SYSCALL_MSRS_SET
	popq %rdx
	popq %rcx
	popq %rax
	iretq

	.section .text.halt, "ax"
	.globl kvm_smp_wake_irq, kvm_smp_spurious_irq
kvm_smp_wake_irq:
	pushq %rax
	movl $LAPIC_EOI_ADDR, %eax
	movl $0, (%rax)
	popq %rax
kvm_smp_spurious_irq:
	iretq

	.section .note.GNU-stack, "", @progbits
