/* setjmp/longjmp for x86_64 SysV: the callee-saved registers, the stack
 * pointer and the return address. No signal mask, no MXCSR/x87 state. */

/* jmp_buf layout, shared with include/setjmp.h (8 longs). */
#define JB_RBX 0
#define JB_RBP 8
#define JB_R12 16
#define JB_R13 24
#define JB_R14 32
#define JB_R15 40
#define JB_RSP 48
#define JB_RIP 56

	.section .text.setjmp, "ax", @progbits
	.globl setjmp
	.type setjmp, @function
setjmp:
	movq %rbx, JB_RBX(%rdi)
	movq %rbp, JB_RBP(%rdi)
	movq %r12, JB_R12(%rdi)
	movq %r13, JB_R13(%rdi)
	movq %r14, JB_R14(%rdi)
	movq %r15, JB_R15(%rdi)
	/* The caller's stack pointer is ours minus the return address. */
	leaq 8(%rsp), %rdx
	movq %rdx, JB_RSP(%rdi)
	movq (%rsp), %rdx
	movq %rdx, JB_RIP(%rdi)
	xorl %eax, %eax
	ret
	.size setjmp, . - setjmp

	.section .text.longjmp, "ax", @progbits
	.globl longjmp
	.type longjmp, @function
longjmp:
	/* eax = val, or 1 when val is 0: cmp sets the carry only for 0. */
	xorl %eax, %eax
	cmpl $1, %esi
	adcl %esi, %eax
	movq JB_RBX(%rdi), %rbx
	movq JB_RBP(%rdi), %rbp
	movq JB_R12(%rdi), %r12
	movq JB_R13(%rdi), %r13
	movq JB_R14(%rdi), %r14
	movq JB_R15(%rdi), %r15
	movq JB_RSP(%rdi), %rsp
	jmpq *JB_RIP(%rdi)
	.size longjmp, . - longjmp

	/* No executable stack wanted (the host test links this file). */
	.section .note.GNU-stack, "", @progbits
