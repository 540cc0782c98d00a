/* DPDK lcores on nfos lcores: lcore i is vCPU i, core i, socket 0. A
 * remote launch is an nfos lcore launch; between launches the worker
 * halts in nfos's lcore loop (no pipes, no pthread per lcore).
 *
 * TLS: DPDK's per-lcore variables and musl's own state (errno, stdio
 * locks) live at the FS base. A worker borrows a musl thread: a pthread
 * that publishes its thread pointer and then sleeps for good on the main
 * lcore, its thread area serving the worker from then on (set with
 * wrfsbase, as lib/syscall does for musl's threads). musl is thereby in
 * its threaded mode, with locks. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_per_lcore.h>

#include <nfos/lcore.h>

#include "eal_private.h"
#include "eal_thread.h"
#include "eal_nfos.h"

#define FUTEX_WAIT 0

/* One worker: its borrowed thread pointer and the launch handshake
 * (rte_eal_remote_launch returns only once the worker took the call). */
struct eal_nfos_worker {
    volatile uintptr_t tp;
    volatile uint32_t acked;
    uint32_t launched; /* main's count */
    int tls_set;       /* the worker's */
    uint32_t never;    /* the borrowed thread sleeps on it */
} __rte_cache_aligned;

static struct eal_nfos_worker workers[RTE_MAX_LCORE];

unsigned eal_cpu_core_id(unsigned lcore_id)
{
    return lcore_id;
}

unsigned eal_cpu_socket_id(unsigned cpu_id __rte_unused)
{
    return 0;
}

int eal_cpu_detected(unsigned lcore_id)
{
    return lcore_id < lcore_count();
}

int rte_sys_gettid(void)
{
    return (int)syscall(SYS_gettid);
}

int rte_thread_setname(pthread_t id __rte_unused, const char *name __rte_unused)
{
    return 0; /* nothing shows thread names */
}

int rte_thread_getname(pthread_t id __rte_unused, char *name __rte_unused, size_t len __rte_unused)
{
    return -ENOTSUP;
}

/* The borrowed thread: runs once on the main lcore, then sleeps. */
static void *eal_nfos_tls_donor(void *arg)
{
    struct eal_nfos_worker *w = arg;

    __atomic_store_n(&w->tp, (uintptr_t)pthread_self(), __ATOMIC_RELEASE);
    for (;;)
        syscall(SYS_futex, &w->never, FUTEX_WAIT, 0, NULL, NULL, 0);
    return NULL;
}

static int eal_nfos_tls_borrow(struct eal_nfos_worker *w)
{
    pthread_attr_t attr;
    pthread_t t;
    int err;

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 16384);
    err = pthread_create(&t, &attr, eal_nfos_tls_donor, w);
    pthread_attr_destroy(&attr);
    if (err)
        return -err;
    while (!__atomic_load_n(&w->tp, __ATOMIC_ACQUIRE))
        sched_yield(); /* lets the new thread run (one vCPU, cooperative) */
    return 0;
}

/* One call on worker lcore_id (the nfos lcore function). */
static int eal_nfos_worker_run(void *arg)
{
    unsigned lcore_id = (unsigned)(uintptr_t)arg;
    struct eal_nfos_worker *w = &workers[lcore_id];
    struct lcore_config *lc = &lcore_config[lcore_id];
    lcore_function_t *f;
    int ret;

    if (!w->tls_set) {
        __asm__ __volatile__("wrfsbase %0" ::"r"(w->tp) : "memory");
        w->tls_set = 1;
        __rte_thread_init(lcore_id, &lc->cpuset);
    }
    __atomic_store_n(&lc->state, RUNNING, __ATOMIC_RELEASE);
    __atomic_add_fetch(&w->acked, 1, __ATOMIC_RELEASE);
    while ((f = __atomic_load_n(&lc->f, __ATOMIC_ACQUIRE)) == NULL)
        rte_pause();
    ret = f(lc->arg);
    lc->ret = ret;
    lc->f = NULL;
    lc->arg = NULL;
    __atomic_store_n(&lc->state, WAIT, __ATOMIC_RELEASE);
    return 0;
}

int eal_thread_wake_worker(unsigned int worker_id)
{
    struct eal_nfos_worker *w = &workers[worker_id];
    int err;

    lcore_wait(worker_id); /* the previous call's nfos side is over */
    err = lcore_launch(worker_id, eal_nfos_worker_run, (void *)(uintptr_t)worker_id);
    if (err)
        return err;
    w->launched++;
    while (__atomic_load_n(&w->acked, __ATOMIC_ACQUIRE) != w->launched) {
        eal_nfos_alarm_poll();
        rte_pause();
    }
    return 0;
}

/* DPDK's eal_thread_loop (pipes) is not used: workers run
 * eal_nfos_worker_run, one launch at a time. */
void eal_thread_wait_command(void)
{
    rte_panic("EAL: eal_thread_loop is not used on nfos\n");
}

void eal_thread_ack_command(void)
{
    rte_panic("EAL: eal_thread_loop is not used on nfos\n");
}

int eal_nfos_workers_start(void)
{
    unsigned i;
    int err;

    /* main() runs on nfos lcore 0: DPDK's ids are nfos's. */
    if (rte_get_main_lcore() != 0) {
        printf("EAL: --main-lcore %u: on nfos the main lcore is lcore 0\n", rte_get_main_lcore());
        return -1;
    }
    RTE_LCORE_FOREACH_WORKER(i)
    {
        if (i >= lcore_count()) {
            printf("EAL: lcore %u: this image runs %u lcores (nfos.cpus / --cpus)\n", i,
                   lcore_count());
            return -1;
        }
        err = eal_nfos_tls_borrow(&workers[i]);
        if (err) {
            printf("EAL: lcore %u: no thread area (%d)\n", i, err);
            return -1;
        }
        lcore_config[i].state = WAIT;
        lcore_config[i].thread_id = (pthread_t)workers[i].tp;
    }
    return 0;
}
