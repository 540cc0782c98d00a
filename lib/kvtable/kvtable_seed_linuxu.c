/* kvtable's hash key on linuxu (and in the host tests): getrandom(2), the
 * kernel's CSPRNG. It only fails before the kernel's pool is ready at boot
 * or under seccomp; then the clock, said once. (kvm: kvtable_seed.c.) */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "kvtable_priv.h"

const char *kvtable_seed_random(uint8_t key[16])
{
    struct timespec ts;
    uint64_t t;

    if (getrandom(key, 16, GRND_NONBLOCK) == 16)
        return "getrandom";
    clock_gettime(CLOCK_MONOTONIC, &ts);
    t = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) * 0x9e3779b97f4a7c15ULL;
    memcpy(key, &t, 8);
    t ^= (uint64_t)time(NULL) << 20;
    memcpy(key + 8, &t, 8);
    fprintf(stderr, "kvtable: getrandom failed: the hash key comes from the clock and can be "
                    "guessed\n");
    return "clock";
}
