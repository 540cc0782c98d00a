/* lib/syscall internals shared by the area files. */
#ifndef SYSCALL_PRIV_H
#define SYSCALL_PRIV_H

#include <stdint.h>
#include <nfos/syscall.h>

#ifndef CONFIG_LIBSYSCALL_THREADS_MAX
#define CONFIG_LIBSYSCALL_THREADS_MAX 64
#endif
#ifndef CONFIG_LIBSYSCALL_BRK_MAX
#define CONFIG_LIBSYSCALL_BRK_MAX (1 << 20)
#endif

/* One console line, without stdio (the shim may run inside musl's stdio). */
void syscall_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#if CONFIG_PLAT_LINUXU
/* The host kernel's system call (arch/x86_64/host_linuxu.S). */
long syscall_host(long n, long a1, long a2, long a3, long a4, long a5, long a6);
#endif

/* The lock every call holds unless SYSCALL_F_NOLOCK (with lcores): for a
 * NOLOCK call that blocks only in part (read of the console). Returns
 * whether it was taken here (0: this lcore held it already), for unlock. */
int syscall_lock(void);
void syscall_unlock(int taken);

/* sched.c: cooperative threads on one vCPU. */
int sched_tid(void);
int sched_nr_alive(void);
/* Lets every other runnable thread run once; 0, or 1 when none could. */
int sched_yield_now(void);
/* Blocks until *addr != val is possible (a wake) or deadline_ns (0: none)
 * passes: 0 (woken), -EAGAIN (*addr != val already), -ETIMEDOUT. */
long sched_futex_wait(volatile int *addr, int val, uint64_t deadline_ns);
/* Wakes up to n waiters on addr; moves up to n2 more to addr2 when addr2. */
long sched_futex_wake(volatile int *addr, int n, volatile int *addr2, int n2);
/* Whether no other thread lives on the calling thread's lcore: a wait for
 * a device may then halt the CPU instead of letting others run. */
int sched_alone(void);
/* Sleeps the calling thread until deadline_ns (others run meanwhile). */
void sched_sleep_until(uint64_t deadline_ns);
/* Ends the calling thread (clears and wakes its clear-tid word); the image
 * ends with status 0 after the last one. */
_Noreturn void sched_thread_exit(void);
void sched_set_tid_address(int *ctid);
/* exit_group: the image's status, on every platform's own path. */
_Noreturn void syscall_exit_image(int status);

/* Monotonic nanoseconds (the TSC clock; the host's on linuxu). */
uint64_t syscall_now_ns(void);

#endif /* SYSCALL_PRIV_H */
