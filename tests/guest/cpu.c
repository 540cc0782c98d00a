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

void selftest_cpu(void)
{
	uint16_t cs;
	uint64_t cycles, ns;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	TAP_OK((cs & 3) == 3, "cpu: running at CPL%d", cs & 3);
	cycles = timed_loop(LOOP_ITERS);
	ns = cycles * 1000 / (plat_tsc_hz() / 1000000);
	TAP_OK(cycles > 0, "cpu: dec/jnz loop at CPL%d: %llu iterations in %llu ns "
	       "(%llu.%02llu TSC cycles per iteration)", cs & 3,
	       (unsigned long long)LOOP_ITERS, (unsigned long long)ns,
	       (unsigned long long)(cycles / LOOP_ITERS),
	       (unsigned long long)(cycles * 100 / LOOP_ITERS % 100));
	{
		double x = 1.5;
		volatile double y = 2.25;

		TAP_OK(x * y == 3.375, "cpu: SSE double arithmetic at CPL3");
	}
}
