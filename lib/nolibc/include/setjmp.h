/* Non-local jumps. Saves the callee-saved registers, stack pointer and
 * return address only: no signal mask, no FPU control words. */
#ifndef NFOS_NOLIBC_SETJMP_H
#define NFOS_NOLIBC_SETJMP_H

/* x86_64: rbx rbp r12 r13 r14 r15 rsp rip, in that order (setjmp.S). */
typedef unsigned long jmp_buf[8];

/* Returns 0 when called, then the value given to longjmp (never 0). */
int setjmp(jmp_buf env) __attribute__((returns_twice));
/* env must come from a setjmp whose caller has not returned yet. val == 0
 * makes setjmp return 1. */
_Noreturn void longjmp(jmp_buf env, int val);

#endif /* NFOS_NOLIBC_SETJMP_H */
