/* Threads: futexes, yield and CPU affinity over the cooperative scheduler
 * (sched.c). One vCPU: a futex wait switches to another thread, a wake
 * makes waiters runnable, and a wait nobody can end is a reported
 * deadlock. With lcores (a DPDK image: musl code runs on every vCPU), a
 * futex call on a worker lcore spins on the word and never touches the
 * main lcore's scheduler, and the main lcore's waiters also watch their
 * word (sched.c). Affinity is every lcore. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#if CONFIG_LIBLCORE
#include <nfos/lcore.h>
#endif
#include "syscall_priv.h"

#define FUTEX_WAIT           0
#define FUTEX_WAKE           1
#define FUTEX_REQUEUE        3
#define FUTEX_CMP_REQUEUE    4
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_CMD_MASK       127
#define FUTEX_CLOCK_REALTIME 256
#define NS                   1000000000ULL

struct k_timespec {
    long tv_sec, tv_nsec;
};

static int deadline_of(const struct k_timespec *ts, int absolute, uint64_t *out)
{
    uint64_t d;

    *out = 0;
    if (!ts)
        return 0;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
        return -EINVAL;
    d = (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
    *out = absolute ? d : syscall_now_ns() + d;
    if (!*out)
        *out = 1; /* 0 means "no deadline" */
    return 0;
}

/* A futex call on a worker lcore: waits spin (pause) until the word
 * changes, wakes have nothing to do (every waiter off the main lcore
 * spins, and the main lcore's waiters watch their word). */
static long futex_on_worker(volatile int *addr, long op, int val, const struct k_timespec *ts)
{
    uint64_t deadline;
    int r;

    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        r = deadline_of(ts, (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET, &deadline);
        if (r)
            return r;
        if (*addr != val)
            return -EAGAIN;
        while (*addr == val) {
            if (deadline && syscall_now_ns() >= deadline)
                return -ETIMEDOUT;
            arch_pause();
        }
        return 0;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_REQUEUE:
        return 0;
    default:
        return -ENOSYS;
    }
}

int syscall_lcores_multi(void)
{
#if CONFIG_LIBLCORE
    return lcore_count() > 1;
#else
    return 0;
#endif
}

static int on_worker_lcore(void)
{
#if CONFIG_LIBLCORE
    return lcore_count() > 1 && lcore_id() != 0;
#else
    return 0;
#endif
}

static long sys_futex(long uaddr, long op, long val, long ts, long uaddr2, long val3)
{
    volatile int *addr = (volatile int *)uaddr;
    uint64_t deadline;
    int r;

    if (on_worker_lcore())
        return futex_on_worker(addr, op, (int)val, (const struct k_timespec *)ts);

    switch (op & FUTEX_CMD_MASK) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        r = deadline_of((const struct k_timespec *)ts, (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET,
                        &deadline);
        return r ? r : sched_futex_wait(addr, (int)val, deadline);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        return sched_futex_wake(addr, (int)val, NULL, 0);
    case FUTEX_CMP_REQUEUE:
        if (*addr != (int)val3)
            return -EAGAIN;
        /* fall through */
    case FUTEX_REQUEUE:
        return sched_futex_wake(addr, (int)val, (volatile int *)uaddr2, (int)ts);
    default:
        return -ENOSYS;
    }
}

static long sys_sched_yield(long a1, long a2, long a3, long a4, long a5, long a6)
{
    sched_yield_now();
    return 0;
}

static unsigned nr_cpus(void)
{
#if CONFIG_LIBLCORE
    return lcore_count();
#else
    return 1;
#endif
}

/* CPUs 0 .. lcores-1 (one without lcores). Returns the mask's size in
 * bytes, as Linux does. */
static long sys_sched_getaffinity(long pid, long len, long mask, long a4, long a5, long a6)
{
    unsigned i;

    if (len < 8 || (len & 7))
        return -EINVAL;
    memset((void *)mask, 0, 8);
    for (i = 0; i < nr_cpus() && i < 64; i++)
        ((unsigned char *)mask)[i / 8] |= (unsigned char)(1u << (i % 8));
    return 8;
}

/* Accepted when the mask names one of our CPUs; nothing moves. */
static long sys_sched_setaffinity(long pid, long len, long mask, long a4, long a5, long a6)
{
    unsigned i;

    for (i = 0; i < nr_cpus() && i < 64 && (long)(i / 8) < len; i++)
        if (((const unsigned char *)mask)[i / 8] & (1u << (i % 8)))
            return 0;
    return -EINVAL;
}

static long sys_set_robust_list(long head, long len, long a3, long a4, long a5, long a6)
{
    return 0; /* robust mutexes only matter when a thread dies holding one */
}

SYSCALL_DEFINE(202, futex, sys_futex, 0);
SYSCALL_DEFINE(24, sched_yield, sys_sched_yield, 0);
SYSCALL_DEFINE(204, sched_getaffinity, sys_sched_getaffinity, 0);
SYSCALL_DEFINE(203, sched_setaffinity, sys_sched_setaffinity, 0);
SYSCALL_DEFINE(273, set_robust_list, sys_set_robust_list, 0);
