/* Idle on linuxu: the process sleeps in ppoll() on the host fds its ports'
 * drivers named (plat_idle_watch: a TAP queue's fd, an AF_PACKET socket, a
 * vhost-user receive ring's call eventfd) and the app's next timer, so an
 * idle linuxu network function costs the host no CPU, as one under nfvm.
 * It polls instead (-ENOTSUP) when a port's frames cannot be waited for
 * (the null port), when a watch did not fit, or when a second CPU runs:
 * lcore 0 would arm rings other lcores own and fill (README, "Idle").
 *
 * The stop signals (SIGINT, SIGTERM: setup.c) are blocked from the check of
 * plat_stop_flag until ppoll() unblocks them, so a signal that lands just
 * before the sleep ends it at once instead of waiting for a frame. The
 * calls are the host's own (linuxu_priv.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/idle.h>
#include "linuxu_priv.h"

#define IDLE_WATCH_MAX 64

/* Host system calls (linuxu_priv.h: a musl image's libc would reach the shim). */
#define SYS_READ_           0
#define SYS_RT_SIGPROCMASK_ 14
#define SYS_CLOCK_GETTIME_  228
#define SYS_PPOLL_          271
#define CLOCK_MONOTONIC_    1
#define SIG_BLOCK_          0
#define SIG_SETMASK_        2
#define SIGSET_BYTES        8 /* the kernel's sigset_t */

static struct {
    struct idle_watch {
        int fd;
        unsigned flags;
        void (*arm)(void *ctx, int on);
        void *ctx;
    } w[IDLE_WATCH_MAX];
    unsigned n;
    unsigned blind; /* queues no fd announces, or watches that did not fit */
    int armed;
} idle;

unsigned linuxu_cpus_running = 1;

int plat_idle_watch(int fd, unsigned flags, void (*arm)(void *ctx, int on), void *ctx)
{
    plat_idle_unwatch(fd); /* a port started again: one watch per fd */
    if (idle.n == IDLE_WATCH_MAX) {
        idle.blind++;
        return -ENOSPC;
    }
    idle.w[idle.n++] = (struct idle_watch){ .fd = fd, .flags = flags, .arm = arm, .ctx = ctx };
    return 0;
}

void plat_idle_unwatch(int fd)
{
    unsigned i = 0;

    while (i < idle.n) {
        if (idle.w[i].fd == fd)
            idle.w[i] = idle.w[--idle.n];
        else
            i++;
    }
}

void plat_idle_unwatchable(void)
{
    idle.blind++;
}

static void arm_all(int on)
{
    uint64_t v;

    for (unsigned i = 0; i < idle.n; i++) {
        if (on && (idle.w[i].flags & PLAT_IDLE_FD_COUNTER))
            linuxu_host_call(SYS_READ_, idle.w[i].fd, (long)&v, sizeof(v), 0, 0); /* EAGAIN: none */
        if (idle.w[i].arm)
            idle.w[i].arm(idle.w[i].ctx, on);
    }
    idle.armed = on;
}

int plat_idle_arm(void)
{
    if (!idle.n || idle.blind || __atomic_load_n(&linuxu_cpus_running, __ATOMIC_RELAXED) > 1)
        return -ENOTSUP;
    arm_all(1);
    return 0;
}

void plat_idle_disarm(void)
{
    if (idle.armed)
        arm_all(0);
}

static uint64_t now_ns(void)
{
    struct timespec t;

    linuxu_host_call(SYS_CLOCK_GETTIME_, CLOCK_MONOTONIC_, (long)&t, 0, 0, 0);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

int plat_idle_sleep(uint64_t timeout_ns, uint64_t *slept_ns)
{
    struct pollfd p[IDLE_WATCH_MAX];
    struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000ULL),
                           .tv_nsec = (long)(timeout_ns % 1000000000ULL) };
    uint64_t stops = (1ULL << (SIGINT - 1)) | (1ULL << (SIGTERM - 1)), old = 0;
    uint64_t t0 = now_ns();
    long rc = 0;

    if (!idle.armed)
        return -ENOTSUP;
    for (unsigned i = 0; i < idle.n; i++)
        p[i] = (struct pollfd){ .fd = idle.w[i].fd, .events = POLLIN };
    linuxu_host_call(SYS_RT_SIGPROCMASK_, SIG_BLOCK_, (long)&stops, (long)&old, SIGSET_BYTES, 0);
    if (!plat_stop_requested())
        rc = linuxu_host_call(SYS_PPOLL_, (long)p, idle.n, timeout_ns ? (long)&ts : 0, (long)&old,
                              SIGSET_BYTES);
    linuxu_host_call(SYS_RT_SIGPROCMASK_, SIG_SETMASK_, (long)&old, 0, SIGSET_BYTES, 0);
    arm_all(0);
    if (slept_ns)
        *slept_ns = now_ns() - t0;
    /* rc < 0: EINTR, a stop signal the app sees next; a closed fd
     * (POLLNVAL) counts as a frame: the app polls and finds out. */
    return rc > 0 ? PLAT_IDLE_WOKE_DEVICE : PLAT_IDLE_WOKE_TIMER;
}
