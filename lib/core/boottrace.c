/* Boot trace: TSC stamps of the boot stages, printed as nanoseconds since
 * the first stamp with nfos.boottrace=1. Printing happens once, right before
 * main(), so a boot without the flag pays nothing but the stamps. */
#include <stdint.h>
#include <stdio.h>
#include <nfos/core.h>
#include <nfos/plat/time.h>
#include "core_priv.h"

static const char *const stage_names[CORE_BT_COUNT] = {
    "entry", "longmode", "cpl3", "memory", "devices", "main",
};

static uint64_t stamps[CORE_BT_COUNT];

void core_boottrace_mark(enum core_bt_stage stage, uint64_t tsc)
{
    if (stage < CORE_BT_COUNT)
        stamps[stage] = tsc;
}

uint64_t core_boottrace_tsc(enum core_bt_stage stage)
{
    return stage < CORE_BT_COUNT ? stamps[stage] : 0;
}

void core_boottrace_print(void)
{
    uint64_t hz = plat_tsc_hz(), t0 = 0;
    int i;

    for (i = 0; i < CORE_BT_COUNT; i++) {
        uint64_t d;

        if (!stamps[i])
            continue;
        if (!t0)
            t0 = stamps[i];
        d = stamps[i] - t0;
        printf("boottrace: %-8s %10llu ns %12llu cycles\n", stage_names[i],
               (unsigned long long)(d * 1000000ULL / (hz / 1000)), (unsigned long long)d);
    }
    printf("boottrace: tsc %llu Hz (%s)\n", (unsigned long long)hz, plat_tsc_source());
    fflush(stdout);
}
