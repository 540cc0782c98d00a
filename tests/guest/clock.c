/* In-image clock tests: monotonic nanoseconds and the TSC behind them. */
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/time.h>
#include "tap.h"

void selftest_clock(void)
{
    uint64_t prev = plat_time_ns(), t0 = prev, tsc0 = arch_rdtsc(), now, tsc1;
    int i, mono = 1;

    for (i = 0; i < 100000; i++) {
        now = plat_time_ns();
        if (now < prev)
            mono = 0;
        prev = now;
    }
    TAP_OK(mono, "clock: 100000 reads never go backwards");
    TAP_OK(plat_tsc_hz() > 0, "clock: TSC %llu Hz (%s)", (unsigned long long)plat_tsc_hz(),
           plat_tsc_source());
    /* Busy-wait 2 ms of clock time; the TSC must agree within 50%. */
    t0 = plat_time_ns();
    tsc0 = arch_rdtsc();
    while (plat_time_ns() - t0 < 2000000)
        ;
    tsc1 = arch_rdtsc();
    now = plat_time_ns();
    {
        uint64_t ns_from_tsc = (tsc1 - tsc0) * 1000 / (plat_tsc_hz() / 1000000);
        uint64_t ns = now - t0;

        TAP_OK(ns_from_tsc > ns / 2 && ns_from_tsc < ns * 2,
               "clock: %llu ns of clock = %llu ns of TSC", (unsigned long long)ns,
               (unsigned long long)ns_from_tsc);
    }
}
