/* Threads: futexes, yield and CPU affinity over the scheduler (sched.c).
 * A futex wait switches to another thread of the lcore (or sleeps it), a
 * wake makes waiters runnable on whichever lcore they are, and a wait
 * nobody can end is a reported deadlock. Affinity is every lcore. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#if CONFIG_LIBLCORE_SMP
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

static long sys_futex(long uaddr, long op, long val, long ts, long uaddr2, long val3)
{
    volatile int *addr = (volatile int *)uaddr;
    uint64_t deadline;
    int r;

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

/* CPUs 0 .. lcores-1 (threads go where sched.c puts them). Returns the
 * mask's size in bytes, as Linux does. */
static long sys_sched_getaffinity(long pid, long len, long mask, long a4, long a5, long a6)
{
    unsigned n = 1;

    if (len < 8 || (len & 7))
        return -EINVAL;
#if CONFIG_LIBLCORE_SMP
    n = lcore_count();
#endif
    *(uint64_t *)mask = n >= 64 ? ~0ULL : (1ULL << n) - 1;
    return 8;
}

static long sys_sched_setaffinity(long pid, long len, long mask, long a4, long a5, long a6)
{
    return len > 0 && (*(const unsigned char *)mask & 1) ? 0 : -EINVAL;
}

static long sys_set_robust_list(long head, long len, long a3, long a4, long a5, long a6)
{
    return 0; /* robust mutexes only matter when a thread dies holding one */
}

SYSCALL_DEFINE(202, futex, sys_futex, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(24, sched_yield, sys_sched_yield, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(204, sched_getaffinity, sys_sched_getaffinity, 0);
SYSCALL_DEFINE(203, sched_setaffinity, sys_sched_setaffinity, 0);
SYSCALL_DEFINE(273, set_robust_list, sys_set_robust_list, 0);
