/* The TSC as DPDK's only timer: its frequency is what nfos measured at
 * boot (CPUID leaf, command line or calibration), never re-measured. */
#include <stdint.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include <nfos/plat/time.h>

#include "eal_private.h"

enum timer_source eal_timer_source = EAL_TIMER_TSC;

uint64_t get_tsc_freq(void)
{
    return plat_tsc_hz();
}

int rte_eal_timer_init(void)
{
    set_tsc_freq();
    return 0;
}
