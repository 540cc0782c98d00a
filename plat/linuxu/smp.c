/* linuxu CPUs: one pthread per lcore, pinned to a host CPU when
 * nfos.cpu_pin=C0,C1,... lists one per lcore. The GS base of each thread is
 * set with arch_prctl (glibc keeps its TLS in FS); an idle thread waits on
 * a futex. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <asm/prctl.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/smp.h>

#define LINUXU_SMP_MAX 64

static struct {
    struct linuxu_cpu {
        void (*entry)(void *);
        void *percpu;
        volatile int up;
        struct plat_smp_trace trace;
    } cpu[LINUXU_SMP_MAX];
} smp;

unsigned plat_smp_cpus(unsigned *max)
{
    *max = LINUXU_SMP_MAX;
    return 1;
}

size_t plat_smp_area_size(void)
{
    return 0;
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

static int linuxu_pin(unsigned cpu)
{
    long c = linuxu_pin_of(cpu);
    cpu_set_t set;

    if (c == -1)
        return 0;
    if (c < 0 || c >= CPU_SETSIZE) {
        fprintf(stderr, "nfos: nfos.cpu_pin=%s: expected host CPU numbers, e.g. 0,1\n",
                core_param("nfos.cpu_pin"));
        return -EINVAL;
    }
    CPU_ZERO(&set);
    CPU_SET(c, &set);
    return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

void plat_smp_set_percpu(void *percpu)
{
    syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)percpu);
}

static void *linuxu_thread(void *arg)
{
    struct linuxu_cpu *c = arg;

    int err;

    c->trace.entry = c->trace.cpl3 = arch_rdtsc();
    plat_smp_set_percpu(c->percpu);
    err = linuxu_pin((unsigned)(c - smp.cpu));
    __atomic_store_n(&c->up, err ? err : 1, __ATOMIC_RELEASE);
    if (err)
        return NULL;
    c->entry(c->percpu);
    return NULL;
}

int plat_smp_start(unsigned cpu, void (*entry)(void *percpu), void *percpu, void *area)
{
    struct linuxu_cpu *c = &smp.cpu[cpu];
    pthread_attr_t attr;
    pthread_t t;
    int err;

    (void)area;
    if (cpu == 0 || cpu >= LINUXU_SMP_MAX)
        return -ENODEV;
    if (cpu == 1 && (err = linuxu_pin(0)))
        return err;
    c->entry = entry;
    c->percpu = percpu;
    c->trace.start = arch_rdtsc();
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, linuxu_thread, c);
    pthread_attr_destroy(&attr);
    if (err)
        return -err;
    while (!__atomic_load_n(&c->up, __ATOMIC_ACQUIRE))
        sched_yield();
    return c->up < 0 ? c->up : 0;
}

void plat_smp_idle(const volatile uint32_t *word, uint32_t val)
{
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

void plat_smp_wake(unsigned cpu, const volatile uint32_t *word)
{
    (void)cpu;
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void plat_smp_trace(unsigned cpu, struct plat_smp_trace *t)
{
    *t = cpu < LINUXU_SMP_MAX ? smp.cpu[cpu].trace : (struct plat_smp_trace){ 0 };
}
