/* Exception entry at CPL0: one 16-byte stub per vector, then a common path
 * that saves the registers and CR2 (readable only at CPL0) and leaves CPL0
 * at once for kvm_trap_report() at CPL3, where the report runs natively.
 * The frame it builds is struct kvm_trap_frame (kvm_priv.h). */
#include "cpu_defs.h"

.macro TRAP_STUB vec, has_error
	.balign KVM_TRAP_STUB_SIZE
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
.endm

	.section .text.traps, "ax"
	.balign KVM_TRAP_STUB_SIZE
	.globl kvm_trap_stubs
kvm_trap_stubs:
	.set v, 0
	.rept KVM_NR_TRAPS
	.if v == 8 || v == 10 || v == 11 || v == 12 || v == 13 || v == 14 || v == 17 || v == 21 || v == 29 || v == 30
	TRAP_STUB v, 1
	.else
	TRAP_STUB v, 0
	.endif
	.set v, v + 1
	.endr

trap_common:
	pushq %r15
	pushq %r14
	pushq %r13
	pushq %r12
	pushq %r11
	pushq %r10
	pushq %r9
	pushq %r8
	pushq %rbp
	pushq %rdi
	pushq %rsi
	pushq %rdx
	pushq %rcx
	pushq %rbx
	pushq %rax
	movq %cr2, %rax
	pushq %rax
	movq %rsp, %rdi

	pushq $(GDT_UDATA | 3)
	pushq $kvm_trapstack_top - 8   /* as if called, for SysV alignment */
	pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED)
	pushq $(GDT_UCODE | 3)
	pushq $kvm_trap_report
	iretq

	.section .bss.trapstack, "aw", @nobits
	.balign 4096
	.skip KVM_TRAPSTACK_SIZE
kvm_trapstack_top:

	.section .note.GNU-stack, "", @progbits
