/* Platform contract: time. Monotonic nanoseconds since boot and the TSC
 * frequency behind them. Tickless: there is no timer interrupt. */
#ifndef NFOS_PLAT_TIME_H
#define NFOS_PLAT_TIME_H

#include <stdint.h>

/* Finds the TSC frequency; the core calls it once, after the command line
 * is parsed (it may read nfos.tsc_khz) and before anything reads time. */
void plat_time_init(void);

/* Monotonic nanoseconds since the platform started. Fast path safe. */
uint64_t plat_time_ns(void);

/* TSC ticks per second, as found at boot (never 0). */
uint64_t plat_tsc_hz(void);

/* How plat_tsc_hz() was found: "cpuid-0x40000010", "cmdline", "pit", ... */
const char *plat_tsc_source(void);

#endif /* NFOS_PLAT_TIME_H */
