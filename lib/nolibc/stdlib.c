/* Ending the image, integer helpers and rand(). Heap, parsing and sorting
 * live in malloc.c, strtol.c and qsort.c; there is no atexit or getenv. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <nfos/plat/exit.h>

#include "nolibc_priv.h"

_Noreturn void exit(int status)
{
    nolibc_stdout_flush();
    plat_exit(status);
}

_Noreturn void abort(void)
{
    /* C's abort does not flush, but on a console the last buffered lines
     * are usually the ones that explain the abort. */
    nolibc_stdout_flush();
    fputs("abort()\n", stderr);
    /* 134 (128 + SIGABRT) is out of range of the kvm debug-exit port. */
    plat_exit(127);
}

int abs(int x)
{
    return x < 0 ? -x : x;
}

long labs(long x)
{
    return x < 0 ? -x : x;
}

long long llabs(long long x)
{
    return x < 0 ? -x : x;
}

/*
 * xorshift64* (Vigna): small, fast, and good enough for jitter and test
 * data; not for anything an attacker may predict. The state is the seed
 * xor a constant, so it is never zero for any 32-bit seed.
 */
#define RAND_MIX 0x9e3779b97f4a7c15ULL

static uint64_t rand_state = 1 ^ RAND_MIX; /* as if srand(1) */

void srand(unsigned int seed)
{
    rand_state = seed ^ RAND_MIX;
}

int rand(void)
{
    uint64_t x = rand_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rand_state = x;
    /* The top bits of the product are the best ones; keep 31. */
    return (int)((x * 0x2545f4914f6cdd1dULL) >> 33);
}
