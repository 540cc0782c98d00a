/* Time: the nfos clock (TSC on kvm) for every clock id; realtime is the
 * same count (kvm has no wall clock: the epoch is the boot). On linuxu the
 * clocks are the host's. Sleeps let other threads run. */
#include <errno.h>
#include <stdint.h>
#include <nfos/plat/time.h>
#include "syscall_priv.h"

#define NS            1000000000ULL
#define TIMER_ABSTIME 1

struct k_timespec {
    long tv_sec, tv_nsec;
};

uint64_t syscall_now_ns(void)
{
#if CONFIG_PLAT_LINUXU
    struct k_timespec ts;

    syscall_host(228, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0, 0, 0, 0);
    return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
#else
    return plat_time_ns();
#endif
}

static long sys_clock_gettime(long clk, long tsp, long a3, long a4, long a5, long a6)
{
    struct k_timespec *ts = (struct k_timespec *)tsp;
    uint64_t ns = syscall_now_ns();

    if (clk < 0 || clk > 11)
        return -EINVAL;
    ts->tv_sec = (long)(ns / NS);
    ts->tv_nsec = (long)(ns % NS);
    return 0;
}

static long sys_clock_getres(long clk, long tsp, long a3, long a4, long a5, long a6)
{
    struct k_timespec *ts = (struct k_timespec *)tsp;

    if (clk < 0 || clk > 11)
        return -EINVAL;
    if (ts)
        *ts = (struct k_timespec){ 0, 1 };
    return 0;
}

static long sys_gettimeofday(long tvp, long tz, long a3, long a4, long a5, long a6)
{
    long *tv = (long *)tvp;
    uint64_t ns = syscall_now_ns();

    if (tv) {
        tv[0] = (long)(ns / NS);
        tv[1] = (long)(ns % NS / 1000);
    }
    return 0;
}

static long sys_time(long tp, long a2, long a3, long a4, long a5, long a6)
{
    long t = (long)(syscall_now_ns() / NS);

    if (tp)
        *(long *)tp = t;
    return t;
}

/* An absolute deadline is on clock clk (whose "now" may be the host's on
 * linuxu); sleeping counts on the monotonic clock: convert through now. */
static long sleep_ts(const struct k_timespec *ts, long clk, int absolute)
{
    struct k_timespec now;
    uint64_t d, n;

    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= (long)NS)
        return -EINVAL;
    d = (uint64_t)ts->tv_sec * NS + (uint64_t)ts->tv_nsec;
    if (absolute) {
        nfos_syscall6(228, clk, (long)&now, 0, 0, 0, 0);
        n = (uint64_t)now.tv_sec * NS + (uint64_t)now.tv_nsec;
        d = d > n ? d - n : 0;
    }
    sched_sleep_until(syscall_now_ns() + d);
    return 0;
}

static long sys_nanosleep(long req, long rem, long a3, long a4, long a5, long a6)
{
    return sleep_ts((const struct k_timespec *)req, 1, 0);
}

static long sys_clock_nanosleep(long clk, long flags, long req, long rem, long a5, long a6)
{
    if (clk < 0 || clk > 11)
        return -EINVAL;
    return sleep_ts((const struct k_timespec *)req, clk, (flags & TIMER_ABSTIME) != 0);
}

SYSCALL_DEFINE(228, clock_gettime, sys_clock_gettime, SYSCALL_F_HOST | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(229, clock_getres, sys_clock_getres, SYSCALL_F_HOST | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(96, gettimeofday, sys_gettimeofday, SYSCALL_F_HOST | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(201, time, sys_time, SYSCALL_F_HOST | SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(35, nanosleep, sys_nanosleep, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(230, clock_nanosleep, sys_clock_nanosleep, SYSCALL_F_NOLOCK);
