/* linuxu time: CLOCK_MONOTONIC for nanoseconds; the TSC frequency, which
 * cycle counts need, from nfos.tsc_khz, the kernel's tsc_freq_khz, or 20 ms
 * measured against CLOCK_MONOTONIC, on first use. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/time.h>

static struct {
    uint64_t hz;
    uint64_t ns0;
    const char *source;
} clk;

static uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t sysfs_khz(void)
{
    FILE *f = fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "r");
    unsigned long long khz = 0;

    if (!f)
        return 0;
    if (fscanf(f, "%llu", &khz) != 1)
        khz = 0;
    fclose(f);
    return khz;
}

static uint64_t measure_hz(void)
{
    uint64_t n0 = mono_ns(), t0 = arch_rdtsc(), n1, t1;

    do {
        n1 = mono_ns();
    } while (n1 - n0 < 20000000ULL);
    t1 = arch_rdtsc();
    return (t1 - t0) * 1000000000ULL / (n1 - n0);
}

void plat_time_init(void)
{
    clk.ns0 = mono_ns();
}

/* Found on first use: measuring costs 20 ms that most runs do not need. */
static void find_hz(void)
{
    uint64_t khz;

    if (core_param_u64("nfos.tsc_khz", &khz) == 0 && khz) {
        clk.hz = khz * 1000;
        clk.source = "cmdline";
    } else if ((khz = sysfs_khz())) {
        clk.hz = khz * 1000;
        clk.source = "sysfs tsc_freq_khz";
    } else {
        clk.hz = measure_hz();
        clk.source = "measured";
    }
}

uint64_t plat_time_ns(void)
{
    return mono_ns() - clk.ns0;
}

uint64_t plat_tsc_hz(void)
{
    if (!clk.hz)
        find_hz();
    return clk.hz;
}

const char *plat_tsc_source(void)
{
    if (!clk.hz)
        find_hz();
    return clk.source;
}
