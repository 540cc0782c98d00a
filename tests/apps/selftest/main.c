/* selftest: the in-image tests (tests/guest/), printed as TAP.
 *
 *   selftest          run every group; exit 0 when all pass, 1 otherwise
 *   selftest fault    touch unmapped memory on purpose: the image must end
 *                     in the platform's exception report (status 126)
 */
#include <stdio.h>
#include <string.h>
#include "tap.h"

struct tap tap;

static const struct {
    const char *name;
    void (*run)(void);
} groups[] = {
    { "cpu", selftest_cpu },     { "clock", selftest_clock }, { "memmap", selftest_memmap },
    { "alloc", selftest_alloc }, { "pool", selftest_pool },   { "printf", selftest_printf },
    { "libc", selftest_libc },
};

static void fault(void)
{
    /* Far beyond any mapping on both platforms: a page fault / SIGSEGV. */
    volatile unsigned long *p = (volatile unsigned long *)0x7f0000000000UL;

    printf("selftest: touching %p on purpose\n", (void *)p);
    fflush(stdout);
    *p = 42;
    printf("selftest: the fault did not happen\n");
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc > 1 && !strcmp(argv[1], "fault")) {
        fault();
        return 1;
    }
    if (argc > 1) {
        fprintf(stderr, "usage: selftest [fault]\n");
        return 2;
    }
    printf("TAP version 13\n");
    for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        printf("# %s\n", groups[i].name);
        groups[i].run();
    }
    printf("1..%d\n", tap.n);
    printf("# %d passed, %d failed\n", tap.n - tap.failed, tap.failed);
    return tap.failed ? 1 : 0;
}
