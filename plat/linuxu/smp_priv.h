/* plat/linuxu's lcore threads: what smp.c shares with the thread makers
 * (smp_thread_pthread.c for glibc, smp_thread_clone.c for musl). */
#ifndef LINUXU_SMP_PRIV_H
#define LINUXU_SMP_PRIV_H

#include <stddef.h>
#include <nfos/plat/smp.h>
#include "linuxu_priv.h"

#define LINUXU_SMP_MAX 64

struct linuxu_cpu {
    void (*entry)(void *);
    void *percpu;
    volatile int up; /* 1 once running, -errno when it could not */
    struct plat_smp_trace trace;
};
extern struct linuxu_cpu linuxu_cpus[LINUXU_SMP_MAX];

/* On the new thread: its GS base, its pin, then c->entry for good. */
void linuxu_cpu_run(struct linuxu_cpu *c);

/* Bytes of the area each thread is given (its stack), 0 for none. */
size_t linuxu_thread_area_size(void);
/* Starts a host thread that calls linuxu_cpu_run(c): 0 or -errno. */
int linuxu_thread_start(struct linuxu_cpu *c, void *area);

#endif /* LINUXU_SMP_PRIV_H */
