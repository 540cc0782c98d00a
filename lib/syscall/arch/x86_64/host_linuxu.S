/* linuxu only: the host kernel's system call, and the return from a host
 * signal handler (musl's __restore_rt jumps here with the frame at %rsp).
 * kvm images never contain these (mk/nosyscall.sh checks). */
	.text
	.globl syscall_host
	.type syscall_host, @function
/* long syscall_host(n, a1, a2, a3, a4, a5, a6): a6 is on the stack. */
syscall_host:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret
	.size syscall_host, .-syscall_host

	.globl nfos_sigreturn
	.type nfos_sigreturn, @function
nfos_sigreturn:
	movl $15, %eax          /* rt_sigreturn */
	syscall
	.size nfos_sigreturn, .-nfos_sigreturn

	.section .note.GNU-stack, "", @progbits
