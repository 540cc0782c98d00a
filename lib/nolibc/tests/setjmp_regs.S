/* Test helper, assembled with rename.h: loads sentinels into the
 * callee-saved registers, setjmp, clobbers them, longjmp(env, 5), and
 * checks that the sentinels and the 5 came back. Returns 0 when they did. */

	.text
	.globl nolibc_test_setjmp_registers
	.type nolibc_test_setjmp_registers, @function
nolibc_test_setjmp_registers:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $72, %rsp			/* jmp_buf, and rsp 16-aligned for calls */
	movabsq $0x1111111111111111, %rbx
	movabsq $0x2222222222222222, %rbp
	movabsq $0x3333333333333333, %r12
	movabsq $0x4444444444444444, %r13
	movabsq $0x5555555555555555, %r14
	movabsq $0x6666666666666666, %r15
	movq %rsp, %rdi
	call setjmp
	testl %eax, %eax
	jnz 1f
	xorl %ebx, %ebx
	xorl %ebp, %ebp
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	movq %rsp, %rdi
	movl $5, %esi
	call longjmp
1:
	movl $1, %ecx
	cmpl $5, %eax
	jne 2f
	movabsq $0x1111111111111111, %rdx
	cmpq %rdx, %rbx
	jne 2f
	movabsq $0x2222222222222222, %rdx
	cmpq %rdx, %rbp
	jne 2f
	movabsq $0x3333333333333333, %rdx
	cmpq %rdx, %r12
	jne 2f
	movabsq $0x4444444444444444, %rdx
	cmpq %rdx, %r13
	jne 2f
	movabsq $0x5555555555555555, %rdx
	cmpq %rdx, %r14
	jne 2f
	movabsq $0x6666666666666666, %rdx
	cmpq %rdx, %r15
	jne 2f
	xorl %ecx, %ecx
2:
	movl %ecx, %eax
	addq $72, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret
	.size nolibc_test_setjmp_registers, . - nolibc_test_setjmp_registers

	.section .note.GNU-stack, "", @progbits
