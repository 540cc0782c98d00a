/* smptest: the in-image tests of lib/lcore and the per-lcore pool caches
 * (tests/guest/lcore.c), printed as TAP. Run with nfos.cpus=N (kvm: and
 * QEMU -smp N).
 *
 *   smptest N       also check that N lcores came up
 *   smptest fault   touch unmapped memory on lcore 1 on purpose: the image
 *                   must end in the platform's exception report (126)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/lcore.h>
#include "tap.h"

struct tap tap;

static int fault(void *arg)
{
    /* Far beyond any mapping on both platforms: a page fault / SIGSEGV. */
    *(volatile unsigned long *)0x7f0000000000UL = 42;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "fault")) {
        printf("smptest: lcore 1 touches 0x7f0000000000 on purpose\n");
        fflush(stdout);
        if (lcore_launch(1, fault, NULL))
            return 2;
        lcore_wait(1);
        printf("smptest: the fault did not happen\n");
        return 1;
    }
    if (argc > 2) {
        fprintf(stderr, "usage: smptest [LCORES | fault]\n");
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
