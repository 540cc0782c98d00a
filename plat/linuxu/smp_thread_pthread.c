/* linuxu lcore threads on glibc: detached pthreads, so that glibc gives
 * each its own TLS (errno, malloc's caches, stdio's lock owner). */
#define _GNU_SOURCE
#include <pthread.h>
#include "smp_priv.h"

static void *thread_main(void *arg)
{
    linuxu_cpu_run(arg);
    return NULL;
}

size_t linuxu_thread_area_size(void)
{
    return 0;
}

int linuxu_thread_start(struct linuxu_cpu *c, void *area)
{
    pthread_attr_t attr;
    pthread_t t;
    int err;

    (void)area;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, thread_main, c);
    pthread_attr_destroy(&attr);
    return -err;
}
