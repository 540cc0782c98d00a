/* The cooperative scheduler's context switch: callee-saved registers on
 * the old stack, stack pointer swapped. A new thread's first switch
 * "returns" into sched_thread_entry, which calls %r12(%r13): sched.c's
 * sched_thread_first(thread). */
	.text
	.globl sched_switch
	.type sched_switch, @function
/* void sched_switch(uint64_t *save_rsp, uint64_t new_rsp) */
sched_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size sched_switch, .-sched_switch

	.globl sched_thread_entry
	.type sched_thread_entry, @function
sched_thread_entry:
	xorl %ebp, %ebp         /* the end of a backtrace */
	movq %r13, %rdi
	call *%r12
	movl %eax, %edi
	call sched_thread_return
	ud2
	.size sched_thread_entry, .-sched_thread_entry

	.section .note.GNU-stack, "", @progbits
