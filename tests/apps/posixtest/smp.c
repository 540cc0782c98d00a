/* posixtest's SMP part: musl's pthread_create puts a thread on a free lcore
 * (lib/syscall), so with --cpus 2 the first thread runs on lcore 1 while
 * main runs on lcore 0, and mutexes, condition variables and join work
 * between two CPUs at once; a second thread, with no lcore free, shares
 * its creator's. A function launched with lcore_launch has musl's TLS
 * (errno, stdio's locks). With one lcore every thread is on lcore 0 and
 * the same checks hold. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <nfos/lcore.h>
#include "posixtest.h"

#define ROUNDS 20000
#define PINGS  500

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    volatile int started;
    long counter;
    int turn; /* ping-pong: 0 main's, 1 the thread's */
    int pings;
} smp = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static void *where(void *arg)
{
    (void)arg;
    return (void *)(uintptr_t)lcore_id();
}

/* Runs beside main: contends for the mutex, then plays ping-pong through
 * the condition variable; returns the lcore it ran on. */
static void *partner(void *arg)
{
    int i;

    (void)arg;
    __atomic_store_n(&smp.started, 1, __ATOMIC_RELEASE);
    for (i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&smp.lock);
        smp.counter++;
        pthread_mutex_unlock(&smp.lock);
    }
    pthread_mutex_lock(&smp.lock);
    while (smp.pings < PINGS) {
        while (smp.turn != 1)
            pthread_cond_wait(&smp.cond, &smp.lock);
        smp.pings++;
        smp.turn = 0;
        pthread_cond_signal(&smp.cond);
    }
    pthread_mutex_unlock(&smp.lock);
    return (void *)(uintptr_t)lcore_id();
}

static int launched(void *arg)
{
    char *p;

    (void)arg;
    errno = 0;
    p = malloc(100);
    free(p);
    errno = EDOM; /* this lcore's own errno */
    printf("# lcore_launch: lcore %u prints with musl's stdio\n", lcore_id());
    return p && errno == EDOM ? (int)lcore_id() : -1;
}

static void test_launch(unsigned n)
{
    int r;

    /* The lcore is free again once the thread placed there ended. */
    if (n < 2) {
        check(lcore_launch(1, launched, NULL) == -EINVAL, "lcore_launch: no lcore 1 here");
        return;
    }
    lcore_wait(1);
    errno = 0;
    r = lcore_launch(1, launched, NULL);
    check(r == 0 && lcore_wait(1) == 1 && errno == 0,
          "lcore_launch after the threads: lcore 1 runs with its own errno");
}

void test_smp(void)
{
    unsigned n = lcore_count(), expect = n > 1;
    pthread_t t, u;
    void *r = NULL, *ru = NULL;
    int i, ok;

    printf("# %u lcores\n", n);
    ok = !pthread_create(&t, NULL, partner, NULL);
    /* lcore 1 is taken: this one goes to lcore 2, or shares main's. */
    ok = ok && !pthread_create(&u, NULL, where, NULL);
    while (ok && n > 1 && !__atomic_load_n(&smp.started, __ATOMIC_ACQUIRE))
        sched_yield();
    for (i = 0; ok && i < ROUNDS; i++) {
        pthread_mutex_lock(&smp.lock);
        smp.counter++;
        pthread_mutex_unlock(&smp.lock);
    }
    pthread_mutex_lock(&smp.lock);
    for (i = 0; ok && i < PINGS; i++) {
        smp.turn = 1;
        pthread_cond_signal(&smp.cond);
        while (smp.turn != 0)
            pthread_cond_wait(&smp.cond, &smp.lock);
    }
    pthread_mutex_unlock(&smp.lock);
    ok = ok && !pthread_join(t, &r) && !pthread_join(u, &ru);
    printf("# the first thread ran on lcore %u, the second on lcore %u, main on %u\n",
           (unsigned)(uintptr_t)r, (unsigned)(uintptr_t)ru, lcore_id());
    check(ok && (uintptr_t)r == expect && (uintptr_t)ru == (n > 2 ? 2 : 0),
          "pthread_create: the first thread on a free lcore, the next on its creator's");
    check(ok && smp.counter == 2 * ROUNDS, "a mutex between lcores: 2 x 20000 increments");
    check(ok && smp.pings == PINGS, "a condition variable between lcores: 500 round trips");
    test_launch(n);
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *lock_held(void *arg)
{
    (void)arg;
    printf("# lock_held runs on lcore %u\n", lcore_id());
    pthread_mutex_lock(&held); /* main holds it and joins us: never */
    return NULL;
}

void smp_deadlock(void)
{
    pthread_t t;

    pthread_mutex_lock(&held);
    if (!pthread_create(&t, NULL, lock_held, NULL))
        pthread_join(t, NULL);
    printf("# smp_deadlock: the join returned\n");
}
