/* In-image CPU tests: nfos runs at CPL3, and there a tight loop runs at
 * native speed (under nested PVM, CPL0 would be ~10,000x slower). The loop
 * rate is printed as a diagnostic; the test checks the privilege level. */
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/time.h>
#include "tap.h"

#define LOOP_ITERS 10000000UL

static uint64_t timed_loop(unsigned long n)
{
    uint64_t t0 = arch_rdtsc();

    __asm__ __volatile__("1: dec %0\n\tjnz 1b" : "+r"(n));
    return arch_rdtsc() - t0;
}

/* AVX needs CR4.OSXSAVE and XCR0 set at boot; use a ymm register when the
 * CPU has AVX, after checking (xgetbv works at CPL3) that the OS enabled it. */
static void selftest_avx(void)
{
    uint32_t r[4];
    uint32_t xcr0_lo, xcr0_hi;
    uint64_t out[4] = { 0 };
    static const uint64_t in[4] = { 1, 2, 3, 4 };

    arch_cpuid(1, 0, r);
    if (!(r[2] & (1u << 28))) {
        TAP_OK(1, "cpu: no AVX on this CPU # SKIP");
        return;
    }
    TAP_OK(r[2] & (1u << 27), "cpu: OSXSAVE set by the boot");
    __asm__ __volatile__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    TAP_OK((xcr0_lo & 6) == 6, "cpu: XCR0 enables SSE and AVX state (%#x)", xcr0_lo);
    __asm__ __volatile__("vmovdqu %1, %%ymm0\n\tvmovdqu %%ymm0, %0" : "=m"(out) : "m"(in) : "xmm0");
    TAP_OK(out[0] == 1 && out[3] == 4, "cpu: a 256-bit AVX move at CPL3");
}

void selftest_cpu(void)
{
    uint16_t cs;
    uint64_t cycles, ns;

    __asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
    TAP_OK((cs & 3) == 3, "cpu: running at CPL%d", cs & 3);
    cycles = timed_loop(LOOP_ITERS);
    ns = cycles * 1000 / (plat_tsc_hz() / 1000000);
    TAP_OK(cycles > 0,
           "cpu: dec/jnz loop at CPL%d: %llu iterations in %llu ns "
           "(%llu.%02llu TSC cycles per iteration)",
           cs & 3, (unsigned long long)LOOP_ITERS, (unsigned long long)ns,
           (unsigned long long)(cycles / LOOP_ITERS),
           (unsigned long long)(cycles * 100 / LOOP_ITERS % 100));
    {
        double x = 1.5;
        volatile double y = 2.25;

        TAP_OK(x * y == 3.375, "cpu: SSE double arithmetic at CPL3");
    }
    selftest_avx();
}
