/* linuxu: a host thread by the raw clone system call (a musl image has no
 * host pthread_create). The child finds fn and arg on its new stack, calls
 * fn(arg) and exits the thread when it returns. */
	.text
	.globl linuxu_clone
	.type linuxu_clone, @function
/* long linuxu_clone(flags, stack_top, fn, arg): the child's tid, or -errno */
linuxu_clone:
	andq $-16, %rsi
	subq $16, %rsi
	movq %rdx, (%rsi)
	movq %rcx, 8(%rsi)
	movl $56, %eax          /* clone(flags, stack, ptid, ctid, tls) */
	xorl %edx, %edx
	xorl %r10d, %r10d
	xorl %r8d, %r8d
	syscall
	testq %rax, %rax
	jnz 1f
	xorl %ebp, %ebp         /* the child: the end of a backtrace */
	popq %rax
	popq %rdi
	call *%rax
	movl $60, %eax          /* exit (this thread) */
	xorl %edi, %edi
	syscall
	ud2
1:	ret
	.size linuxu_clone, .-linuxu_clone

	.section .note.GNU-stack, "", @progbits
