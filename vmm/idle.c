/* Idle guests cost nothing: a guest with nothing to do names what it
 * waits for at NFVM_PORT_IDLE (nfos/plat/nfvm_abi.h); nfvm arms a one-shot
 * wake-up of that vCPU on those devices' receive queues, and on the
 * guest's second word sleeps in ppoll() on the vCPU's own wake-up eventfd
 * (which a device writes for every vCPU armed on it, so that several idle
 * lcores each get the frame's wake-up), the vhost-user devices' receive
 * call eventfds (whoever reads one wakes the others armed), the guest's
 * timer and the stop eventfd. A guest waiting for console input sleeps
 * the same way on nfvm's stdin (NFVM_IDLE_CONSOLE). An idle vCPU of
 * several sleeps the same way on its own eventfd (NFVM_PORT_CPU_WAIT) until another vCPU names it
 * (NFVM_PORT_CPU_WAKE). The record is read through nfvm_gpa() like every
 * guest address; nothing here calls /dev/kvm. */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "layout.h"
#include "nfvm.h"
#include "vnet.h"

static uint64_t now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

static int idle_bad(uint32_t gpa, const char *why)
{
    fprintf(stderr, "nfvm: guest idle record at %#" PRIx32 ": %s\n", gpa, why);
    return NFVM_STATUS_BAD_GUEST;
}

/* Sleeps on the wake-ups of the devices in mask, at most timeout_ns
 * (0: no limit). Returns NFVM_IDLE_WOKE_*; a stop signal counts as the
 * timer (the run loop then ends the guest). */
static uint32_t idle_sleep(struct nfvm *vm, unsigned cpu, uint32_t mask, uint64_t timeout_ns)
{
    struct pollfd p[NFVM_NET_MAX + 2];
    struct nfvm_vnet *dev[NFVM_NET_MAX + 2] = { 0 };
    struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000ULL),
                           .tv_nsec = (long)(timeout_ns % 1000000000ULL) };
    unsigned n = 0, i;
    uint32_t woken = NFVM_IDLE_WOKE_TIMER;
    uint64_t v;
    int rc;

    p[n++] = (struct pollfd){ .fd = vm->idle_fd[cpu], .events = POLLIN };
    for (i = 0; i < vm->nr_net; i++) {
        if (!(mask & (1u << i)) || !vm->net[i]->vhost)
            continue;
        dev[n] = vm->net[i];
        p[n++] = (struct pollfd){ .fd = vm->net[i]->wake, .events = POLLIN };
    }
    if (vm->stop_fd >= 0)
        p[n++] = (struct pollfd){ .fd = vm->stop_fd, .events = POLLIN };
    if (vm->stop_signal)
        return woken;
    rc = ppoll(p, n, timeout_ns ? &ts : NULL, NULL);
    if (rc <= 0)
        return woken; /* the timer, or EINTR: a signal the run loop sees */
    for (i = 0; i < n; i++) {
        if (!(p[i].revents & POLLIN) || p[i].fd == vm->stop_fd)
            continue;
        (void)!read(p[i].fd, &v, 8);
        if (dev[i]) /* the others armed on it missed this read */
            nfvm_vnet_idle_wake(dev[i]);
        woken = NFVM_IDLE_WOKE_DEV;
    }
    return woken;
}

static void sleep_count(struct nfvm *vm, const struct nfvm_idle *r)
{
    pthread_mutex_lock(&vm->lock);
    vm->idle.sleeps++;
    vm->idle.slept_ns += r->slept_ns;
    if (r->woken == NFVM_IDLE_WOKE_DEV)
        vm->idle.woken_dev++;
    else
        vm->idle.woken_timer++;
    pthread_mutex_unlock(&vm->lock);
}

/* NFVM_IDLE_CONSOLE: at once when COM1 has a byte, else ppoll() on stdin,
 * the stop eventfd and the timer. What the guest wrote (its prompt) is
 * flushed first. */
static int console_sleep(struct nfvm *vm, uint32_t gpa, struct nfvm_idle *r, uint64_t timeout_ns)
{
    struct timespec ts = { .tv_sec = (time_t)(timeout_ns / 1000000000ULL),
                           .tv_nsec = (long)(timeout_ns % 1000000000ULL) };
    struct pollfd p[2] = { { .fd = -1, .events = POLLIN },
                           { .fd = vm->stop_fd, .events = POLLIN } };
    uint64_t t0 = now_ns();
    int ready;

    pthread_mutex_lock(&vm->lock);
    nfvm_console_flush(&vm->con);
    ready = nfvm_console_rx_ready(&vm->con);
    p[0].fd = vm->con.input ? vm->con.in_fd : -1;
    pthread_mutex_unlock(&vm->lock);
    if (!ready && p[0].fd < 0 && p[1].fd < 0 && !timeout_ns)
        return idle_bad(gpa, "a console sleep with no input, no stop and no timer to end it");
    r->woken = NFVM_IDLE_WOKE_TIMER;
    if (ready)
        r->woken = NFVM_IDLE_WOKE_DEV;
    else if (!vm->stop_signal && ppoll(p, 2, timeout_ns ? &ts : NULL, NULL) > 0 &&
             (p[0].revents & (POLLIN | POLLHUP)))
        r->woken = NFVM_IDLE_WOKE_DEV; /* read at the guest's next LSR */
    r->slept_ns = now_ns() - t0;
    sleep_count(vm, r);
    return NFVM_RUNNING;
}

int nfvm_idle(struct nfvm *vm, unsigned cpu, uint32_t gpa)
{
    struct nfvm_idle *r = nfvm_gpa(&vm->mem, gpa, sizeof(*r)), in;
    uint32_t mask = vm->nr_net ? (uint32_t)((1ULL << vm->nr_net) - 1) : 0;
    uint64_t t0;

    if (!r || (gpa & 7))
        return idle_bad(gpa, "not an aligned record in guest RAM");
    memcpy(&in, r, sizeof(in)); /* read each field once */
    mask &= in.devices;
    if (cpu >= NFVM_CPUS_MAX)
        return idle_bad(gpa, "no such vCPU");
    if (in.op == NFVM_IDLE_ARM) {
        uint64_t v;

        (void)!read(vm->idle_fd[cpu], &v, 8); /* a wake-up from before: forgotten */
        for (unsigned i = 0; i < vm->nr_net; i++)
            if (mask & (1u << i))
                nfvm_vnet_idle_arm(vm->net[i], cpu);
        __atomic_fetch_add(&vm->idle.arms, 1, __ATOMIC_RELAXED);
        r->woken = 0;
        r->slept_ns = 0;
        return NFVM_RUNNING;
    }
    if (in.op == NFVM_IDLE_CONSOLE)
        return console_sleep(vm, gpa, r, in.timeout_ns);
    if (in.op != NFVM_IDLE_SLEEP)
        return idle_bad(gpa, "op is not NFVM_IDLE_ARM, NFVM_IDLE_SLEEP or NFVM_IDLE_CONSOLE");
    if (!mask && !in.timeout_ns)
        return idle_bad(gpa, "a sleep with no device and no timer to end it");
    pthread_mutex_lock(&vm->lock);
    nfvm_console_flush(&vm->con); /* what it said before it slept is seen */
    pthread_mutex_unlock(&vm->lock);
    t0 = now_ns();
    r->woken = idle_sleep(vm, cpu, mask, in.timeout_ns);
    r->slept_ns = now_ns() - t0;
    for (unsigned i = 0; i < vm->nr_net; i++)
        if (mask & (1u << i))
            nfvm_vnet_idle_disarm(vm->net[i], cpu);
    sleep_count(vm, r);
    return NFVM_RUNNING;
}

void nfvm_cpu_wait(struct nfvm *vm, unsigned cpu, uint32_t us)
{
    struct pollfd p[2] = { { .fd = cpu < NFVM_CPUS_MAX ? vm->cpu_wake[cpu] : -1, .events = POLLIN },
                           { .fd = vm->stop_fd, .events = POLLIN } };
    struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
    uint64_t v;

    __atomic_fetch_add(&vm->idle.cpu_waits, 1, __ATOMIC_RELAXED);
    if (vm->stop_signal || vm->stopping || p[0].fd < 0)
        return; /* nothing could wake it: the guest re-checks and comes back */
    if (ppoll(p, 2, us ? &ts : NULL, NULL) > 0 && (p[0].revents & POLLIN))
        (void)!read(p[0].fd, &v, 8); /* the wake-ups so far: one ends one wait */
}

int nfvm_cpu_wake(struct nfvm *vm, unsigned cpu, uint32_t target)
{
    uint64_t one = 1;

    if (target >= (vm->nr_cpus ? vm->nr_cpus : 1) || vm->cpu_wake[target] < 0) {
        fprintf(stderr, "nfvm: vcpu %u: guest woke vCPU %" PRIu32 " of %u: no such vCPU\n", cpu,
                target, vm->nr_cpus ? vm->nr_cpus : 1);
        return NFVM_STATUS_BAD_GUEST;
    }
    __atomic_fetch_add(&vm->idle.cpu_wakes, 1, __ATOMIC_RELAXED);
    /* Fails only when the counter is full: a wake-up is pending anyway. */
    (void)!write(vm->cpu_wake[target], &one, 8);
    return NFVM_RUNNING;
}
