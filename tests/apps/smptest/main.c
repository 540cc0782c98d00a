/* smptest: the in-image tests of lib/lcore and the per-lcore pool caches
 * (tests/guest/lcore.c), printed as TAP. Run with nfos.cpus=N (kvm: and
 * QEMU -smp N); `smptest N` also checks that N lcores came up. */
#include <stdio.h>
#include <stdlib.h>
#include <nfos/lcore.h>
#include "tap.h"

struct tap tap;

int main(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "usage: smptest [LCORES]\n");
        return 2;
    }
    printf("TAP version 13\n");
    if (argc == 2)
        TAP_OK(lcore_count() == (unsigned)atoi(argv[1]), "%u lcores, %s expected", lcore_count(),
               argv[1]);
    printf("# lcore\n");
    selftest_lcore();
    printf("# pool cache\n");
    selftest_pool_cache();
    printf("1..%d\n", tap.n);
    printf("# %d passed, %d failed\n", tap.n - tap.failed, tap.failed);
    return tap.failed ? 1 : 0;
}
