/* linuxu CPUs: one host thread per lcore, pinned to a host CPU when
 * nfos.cpu_pin=C0,C1,... lists one per lcore. The GS base of each thread is
 * set with arch_prctl (the libc keeps its TLS in FS); an idle thread waits
 * on a futex. The host calls here are raw system calls: in a musl image,
 * musl's syscall() is the image's shim (lib/syscall), not the host's.
 * Threads come from smp_thread_*.c: glibc's pthreads, or a raw clone under
 * musl, whose own threads are the shim's. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/smp.h>
#include <nfos/plat/time.h>
#include "smp_priv.h"

#define SYS_SCHED_YIELD       24
#define SYS_ARCH_PRCTL        158
#define SYS_FUTEX             202
#define SYS_SCHED_SETAFFINITY 203
#define ARCH_SET_GS           0x1001
#define FUTEX_WAIT_PRIVATE    128
#define FUTEX_WAKE_PRIVATE    129
#define AFFINITY_BYTES        128 /* 1024 host CPUs */
#define NS                    1000000000ULL

struct linuxu_cpu linuxu_cpus[LINUXU_SMP_MAX];

unsigned plat_smp_cpus(unsigned *max)
{
    *max = LINUXU_SMP_MAX;
    return 1;
}

size_t plat_smp_area_size(void)
{
    return linuxu_thread_area_size();
}

/* Host CPU of lcore cpu from nfos.cpu_pin, or -1 when not asked. */
static long linuxu_pin_of(unsigned cpu)
{
    const char *s = core_param("nfos.cpu_pin");
    unsigned i;
    char *end;

    for (i = 0; s && *s; i++) {
        long c = strtol(s, &end, 10);

        if (end == s || c < 0 || (*end && *end != ','))
            return -2;
        if (i == cpu)
            return c;
        s = *end ? end + 1 : end;
    }
    return -1;
}

/* Pins the calling thread (lcore cpu) as nfos.cpu_pin asks. */
int linuxu_pin(unsigned cpu)
{
    uint64_t set[AFFINITY_BYTES / 8] = { 0 };
    long c = linuxu_pin_of(cpu);

    if (c == -1)
        return 0;
    if (c < 0 || c >= AFFINITY_BYTES * 8) {
        fprintf(stderr, "nfos: nfos.cpu_pin=%s: expected host CPU numbers, e.g. 0,1\n",
                core_param("nfos.cpu_pin"));
        return -EINVAL;
    }
    set[c / 64] = 1ULL << (c % 64);
    return (int)linuxu_host_call(SYS_SCHED_SETAFFINITY, 0, sizeof(set), (long)set, 0, 0);
}

void plat_smp_set_percpu(void *percpu)
{
    linuxu_host_call(SYS_ARCH_PRCTL, ARCH_SET_GS, (long)percpu, 0, 0, 0);
}

/* A new thread's first C (smp_thread_*.c call it on the thread). */
void linuxu_cpu_run(struct linuxu_cpu *c)
{
    int err;

    c->trace.entry = c->trace.cpl3 = arch_rdtsc();
    plat_smp_set_percpu(c->percpu);
    err = linuxu_pin((unsigned)(c - linuxu_cpus));
    __atomic_store_n(&c->up, err ? err : 1, __ATOMIC_RELEASE);
    if (err)
        return;
    c->entry(c->percpu);
}

int plat_smp_start(unsigned cpu, void (*entry)(void *percpu), void *percpu, void *area)
{
    struct linuxu_cpu *c = &linuxu_cpus[cpu];
    int err;

    if (cpu == 0 || cpu >= LINUXU_SMP_MAX)
        return -ENODEV;
    if (cpu == 1 && (err = linuxu_pin(0)))
        return err;
    c->entry = entry;
    c->percpu = percpu;
    c->trace.start = arch_rdtsc();
    if ((err = linuxu_thread_start(c, area)))
        return err;
    while (!__atomic_load_n(&c->up, __ATOMIC_ACQUIRE))
        linuxu_host_call(SYS_SCHED_YIELD, 0, 0, 0, 0, 0);
    if (c->up < 0)
        return c->up;
    __atomic_fetch_add(&linuxu_cpus_running, 1, __ATOMIC_RELAXED);
    return 0;
}

void plat_smp_idle(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns)
{
    long ts[2], *tsp = NULL;

    if (deadline_ns) {
        uint64_t now = plat_time_ns();

        if (now >= deadline_ns)
            return;
        ts[0] = (long)((deadline_ns - now) / NS);
        ts[1] = (long)((deadline_ns - now) % NS);
        tsp = ts;
    }
    linuxu_host_call(SYS_FUTEX, (long)word, FUTEX_WAIT_PRIVATE, val, (long)tsp, 0);
}

void plat_smp_wake(unsigned cpu, const volatile uint32_t *word)
{
    (void)cpu;
    linuxu_host_call(SYS_FUTEX, (long)word, FUTEX_WAKE_PRIVATE, 1, 0, 0);
}

void plat_smp_trace(unsigned cpu, struct plat_smp_trace *t)
{
    *t = cpu < LINUXU_SMP_MAX ? linuxu_cpus[cpu].trace : (struct plat_smp_trace){ 0 };
}
