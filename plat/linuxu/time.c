/* linuxu time: CLOCK_MONOTONIC for nanoseconds; the TSC frequency, which
 * cycle counts need, from nfos.tsc_khz, the kernel's tsc_freq_khz, or
 * measured against CLOCK_MONOTONIC (10 ms at least), on first use. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/time.h>

#define MEASURE_NS    10000000ULL /* 10 ms */
#define MEASURE_TRIES 8

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

/* CLOCK_MONOTONIC now and the TSC at it: the midpoint of TSC reads on
 * both sides; *width is their distance. */
static uint64_t mono_at(uint64_t *tsc, uint64_t *width)
{
    uint64_t a = arch_rdtsc(), n = mono_ns(), b = arch_rdtsc();

    *tsc = a + (b - a) / 2;
    *width = b - a;
    return n;
}

/* One measurement over MEASURE_NS; *err is the TSC ticks its ends may be
 * off by. */
static uint64_t measure_once(uint64_t *err)
{
    uint64_t t0, t1, w0, w1, n0, n1;

    n0 = mono_at(&t0, &w0);
    do {
        n1 = mono_at(&t1, &w1);
    } while (n1 - n0 < MEASURE_NS);
    *err = w0 + w1;
    return (t1 - t0) * 1000000000ULL / (n1 - n0);
}

/* A process preempted between reading the clock and the TSC skews that
 * end (seen under load: an app's --time 9 ending after 4.5 s): each end is
 * bracketed by TSC reads, and plat_tsc_settle keeps what agrees. */
static uint64_t measure_hz(void)
{
    return plat_tsc_settle(measure_once, MEASURE_TRIES);
}

void plat_time_init(void)
{
    clk.ns0 = mono_ns();
}

/* Found on first use: measuring costs 20 ms or more that most runs do not
 * need. */
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
