/* DPDK lcores on nfos lcores: lcore i is vCPU i, core i, socket 0. A
 * remote launch is an nfos lcore launch; between launches the worker
 * halts in nfos's lcore loop (no pipes, no pthread per lcore).
 *
 * TLS: DPDK's per-lcore variables and musl's own state (errno, stdio
 * locks) live at the FS base. Every nfos lcore of a musl image has its own
 * musl thread from before main (lib/syscall's lcore start hook), so a
 * worker runs on its own thread area and musl is in its threaded mode,
 * with locks. */
#include <errno.h>
#include <pthread.h>
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

/* One worker: the launch handshake (rte_eal_remote_launch returns only
 * once the worker took the call). */
struct eal_nfos_worker {
    volatile uint32_t acked;
    uint32_t launched; /* main's count */
    int inited;        /* the worker's */
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

/* One call on worker lcore_id (the nfos lcore function). */
static int eal_nfos_worker_run(void *arg)
{
    unsigned lcore_id = (unsigned)(uintptr_t)arg;
    struct eal_nfos_worker *w = &workers[lcore_id];
    struct lcore_config *lc = &lcore_config[lcore_id];
    lcore_function_t *f;
    int ret;

    if (!w->inited) {
        w->inited = 1;
        lc->thread_id = pthread_self();
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
        lcore_config[i].state = WAIT;
    }
    return 0;
}
