/* c2c: how long a cache line takes to go from one core to another and back.
 *
 *     c2c CORE_A CORE_B [ROUNDS]
 *
 * Two threads pinned to CORE_A and CORE_B pass a counter back and forth in
 * one cache line, ROUNDS times (default 20000) in each of 5 batches, and
 * the median batch's TSC cycles per round trip is printed:
 *
 *     c2c: cores 0 1: 145.2 cycles per round trip (batches 139.1-171.3)
 *
 * On a virtual machine the host may move the two virtual CPUs between
 * sibling hyperthreads, cores sharing a cache and cores that do not; every
 * cross-core transfer of the packet benchmarks then costs several times
 * more, and this figure says which placement a run started in. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <x86intrin.h>

#define BATCHES 5

static volatile uint64_t line __attribute__((aligned(64)));
static volatile int stop;

static int pin(int core)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(core, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* Answers every odd value with the next even one. */
static void *echo(void *arg)
{
    uint64_t v;

    if (pin(*(int *)arg)) {
        perror("c2c: sched_setaffinity");
        exit(2);
    }
    while (!stop) {
        v = line;
        if (v & 1)
            line = v + 1;
    }
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* A core number, or -1 said on stderr. */
static int core(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (*s < '0' || *s > '9' || *end || v >= CPU_SETSIZE) {
        fprintf(stderr, "c2c: bad core '%s'\n", s);
        return -1;
    }
    return (int)v;
}

int main(int argc, char **argv)
{
    int a, b, i, k;
    long rounds = 20000;
    double per[BATCHES];
    pthread_t t;
    char *end;

    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: c2c CORE_A CORE_B [ROUNDS]\n");
        return 2;
    }
    if ((a = core(argv[1])) < 0 || (b = core(argv[2])) < 0)
        return 2;
    if (argc == 4 && ((rounds = strtol(argv[3], &end, 10)) <= 0 || *end)) {
        fprintf(stderr, "c2c: bad ROUNDS '%s'\n", argv[3]);
        return 2;
    }
    if (pin(a)) {
        perror("c2c: sched_setaffinity");
        return 2;
    }
    if (pthread_create(&t, NULL, echo, &b)) {
        fprintf(stderr, "c2c: cannot start a thread\n");
        return 2;
    }
    for (k = 0; k < BATCHES; k++) {
        uint64_t t0 = __rdtsc(), v;

        for (i = 0; i < rounds; i++) {
            v = line + 1; /* odd: for the echo thread to answer */
            line = v;
            while (line == v)
                ;
        }
        per[k] = (double)(__rdtsc() - t0) / (double)rounds;
    }
    stop = 1;
    pthread_join(t, NULL);
    qsort(per, BATCHES, sizeof(per[0]), cmp);
    printf("c2c: cores %d %d: %.1f cycles per round trip (batches %.1f-%.1f)\n", a, b,
           per[BATCHES / 2], per[0], per[BATCHES - 1]);
    return 0;
}
