/* TSC time. The frequency comes, in this order, from nfos.tsc_khz=, nfvm's
 * boot info, KVM's
 * kvmclock (the boot path enables it with one wrmsr; KVM writes the TSC to
 * nanoseconds scale into kvm_pvclock), the hypervisor's CPUID leaf 0x40000010 (QEMU offers it with
 * +invtsc under KVM), CPUID 0x15, and last from PIT channel 0 over 10 ms. The PIT is read by
 * latching (not through port 0x61, which microvm lacks), and CMOS is never touched (it hangs on
 * microvm with rtc=off). No timer interrupt. */
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/time.h>
#include "kvm_priv.h"

#define PIT_HZ        1193182ULL
#define PIT_CH0       0x40
#define PIT_CMD       0x43
#define PIT_CAL_TICKS (PIT_HZ / 100) /* 10 ms */
#define PIT_PERIOD    0xffffU        /* the count's reload: 55 ms */
#define PIT_CAL_POLLS 100000         /* gives up when there is no PIT */
#define PIT_CAL_TRIES 8
#define FALLBACK_HZ   2000000000ULL

uint64_t kvm_boot_tsc_khz;

static struct {
    uint64_t hz;
    uint64_t tsc0;
    uint64_t mult; /* ns = (ticks * mult) >> 32 */
    const char *source;
} clk;

static uint16_t pit_read(void)
{
    uint8_t lo, hi;

    arch_outb(PIT_CMD, 0x00); /* latch channel 0 */
    lo = arch_inb(PIT_CH0);
    hi = arch_inb(PIT_CH0);
    return (uint16_t)(hi << 8 | lo);
}

/* A PIT count and the TSC at it: the midpoint of TSC reads on both sides;
 * *width is their distance, the reading's uncertainty. */
static uint16_t pit_read_tsc(uint64_t *tsc, uint64_t *width)
{
    uint64_t a = arch_rdtsc(), b;
    uint16_t c = pit_read();

    b = arch_rdtsc();
    *tsc = a + (b - a) / 2;
    *width = b - a;
    return c;
}

/* One measurement over PIT_CAL_TICKS: TSC Hz, or 0 without a PIT; *err is
 * the TSC ticks its two ends may be off by. The count may wrap between
 * two reads (the first read need not be near the top): counted modulo
 * the period. */
static uint64_t pit_measure(uint64_t *err)
{
    uint64_t t0, t1, w0, w1, ticks = 0;
    uint16_t prev, c;
    int i;

    arch_outb(PIT_CMD, 0x34); /* channel 0, lo/hi, rate generator */
    arch_outb(PIT_CH0, PIT_PERIOD & 0xff);
    arch_outb(PIT_CH0, PIT_PERIOD >> 8);
    prev = pit_read_tsc(&t0, &w0);
    for (i = 0; i < PIT_CAL_POLLS; i++) {
        c = pit_read_tsc(&t1, &w1);
        ticks += (prev - c + PIT_PERIOD) % PIT_PERIOD;
        prev = c;
        if (ticks >= PIT_CAL_TICKS) {
            *err = w0 + w1;
            return (t1 - t0) * PIT_HZ / ticks;
        }
    }
    return 0;
}

/* Every PIT read is an exit to the host (device emulation under QEMU TCG),
 * and a host under load may stall the vCPU, in a read or between two: a
 * stall in a read skews that end of the measurement, and one longer than
 * the counter's 55 ms period loses whole periods unseen (seen: 3.6x and
 * 6.5x the TSC's rate from a TCG guest on a loaded host, its 2 s timeouts
 * taking many seconds). plat_tsc_settle keeps what agrees. */
static uint64_t pit_calibrate(void)
{
    return plat_tsc_settle(pit_measure, PIT_CAL_TRIES);
}

/* struct pvclock_vcpu_time_info (KVM ABI). */
struct pvclock {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
};

extern volatile struct pvclock kvm_pvclock;

/* ns = ((tsc << shift) * mul) >> 32 (shift may be negative), so
 * hz = 1e9 * 2^32 / (mul * 2^shift). KVM derives mul from its TSC kHz. */
static uint64_t kvmclock_hz(void)
{
    uint32_t version, mul;
    int8_t shift;

    do {
        version = kvm_pvclock.version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        mul = kvm_pvclock.tsc_to_system_mul;
        shift = kvm_pvclock.tsc_shift;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
    } while ((version & 1) || version != kvm_pvclock.version);
    if (!version || !mul || shift > 31 || shift < -31)
        return 0;
    if (shift >= 0)
        return (uint64_t)((1000000000ULL << 32) / ((unsigned __int128)mul << shift));
    return (uint64_t)(((unsigned __int128)1000000000ULL << (32 - shift)) / mul);
}

static uint64_t cpuid_hz(const char **source)
{
    uint32_t r[4];

    arch_cpuid(0x40000000, 0, r);
    if (r[0] >= 0x40000010 && r[0] < 0x40000100) {
        arch_cpuid(0x40000010, 0, r);
        if (r[0]) {
            *source = "cpuid-0x40000010";
            return (uint64_t)r[0] * 1000;
        }
    }
    arch_cpuid(0, 0, r);
    if (r[0] >= 0x15) {
        arch_cpuid(0x15, 0, r);
        if (r[0] && r[1] && r[2]) {
            *source = "cpuid-0x15";
            return (uint64_t)r[2] * r[1] / r[0];
        }
    }
    return 0;
}

void plat_time_init(void)
{
    uint64_t khz;

    clk.tsc0 = core_boottrace_tsc(CORE_BT_ENTRY);
    if (!clk.tsc0)
        clk.tsc0 = arch_rdtsc();
    if (core_param_u64("nfos.tsc_khz", &khz) == 0 && khz) {
        clk.hz = khz * 1000;
        clk.source = "cmdline";
    }
    if (!clk.hz && kvm_boot_tsc_khz) {
        clk.hz = kvm_boot_tsc_khz * 1000;
        clk.source = "nfvm";
    }
    if (!clk.hz && (clk.hz = kvmclock_hz()))
        clk.source = "kvmclock";
    if (!clk.hz)
        clk.hz = cpuid_hz(&clk.source);
    if (!clk.hz) {
        clk.hz = pit_calibrate();
        clk.source = "pit";
    }
    if (!clk.hz) {
        clk.hz = FALLBACK_HZ;
        clk.source = "assumed (no PIT; pass nfos.tsc_khz=)";
    }
    clk.mult = (1000000000ULL << 32) / clk.hz;
}

uint64_t plat_time_ns(void)
{
    uint64_t d = arch_rdtsc() - clk.tsc0;

    return (uint64_t)(((unsigned __int128)d * clk.mult) >> 32);
}

uint64_t plat_tsc_hz(void)
{
    return clk.hz;
}

const char *plat_tsc_source(void)
{
    return clk.source;
}
