/* Platform contract: time. Monotonic nanoseconds since boot and the TSC
 * frequency behind them. Tickless: there is no timer interrupt. */
#ifndef NFOS_PLAT_TIME_H
#define NFOS_PLAT_TIME_H

#include <stdint.h>
#include <nfos/compiler.h>

/* Finds the TSC frequency; the core calls it once, after the command line
 * is parsed (it may read nfos.tsc_khz) and before anything reads time. */
void plat_time_init(void);

/* Monotonic nanoseconds since the platform started. Fast path safe. */
uint64_t plat_time_ns(void);

/* TSC ticks per second, as found at boot (never 0). */
uint64_t plat_tsc_hz(void);

/* How plat_tsc_hz() was found: "cpuid-0x40000010", "cmdline", "pit", ... */
const char *plat_tsc_source(void);

/* For platforms that measure the TSC against another clock. measure(&err)
 * gives one rate over 10 ms (0: no clock to measure against) and the TSC
 * ticks its two ends may be off by; a stalled vCPU or preempted process
 * skews an end. A measurement whose ends are not good to 0.1% is not
 * used; one counts when the next agrees with it to 0.1%. Without
 * agreement the least good one wins (a stall only adds TSC ticks), or,
 * with no good one, the one with the tightest ends. Slow path. */
static inline uint64_t plat_tsc_settle(uint64_t (*measure)(uint64_t *err), int tries)
{
    uint64_t hz, err, prev = 0, least = UINT64_MAX, tight = 0, tight_err = UINT64_MAX;
    int i;

    for (i = 0; i < tries; i++) {
        hz = measure(&err);
        if (!hz)
            return 0;
        if (err < tight_err) {
            tight = hz;
            tight_err = err;
        }
        /* The interval is hz / 100 ticks: ends good to a thousandth of it. */
        if (err * 100000 >= hz) {
            prev = 0;
            continue;
        }
        if (prev && NFOS_MAX(hz, prev) - NFOS_MIN(hz, prev) < prev / 1000)
            return NFOS_MIN(hz, prev);
        prev = hz;
        least = NFOS_MIN(least, hz);
    }
    return least != UINT64_MAX ? least : tight;
}

#endif /* NFOS_PLAT_TIME_H */
