/* Platform contract: the other CPUs. kvm: application processors found in
 * the ACPI MADT, started through the LAPIC (INIT/SIPI); linuxu: threads.
 * lib/lcore's SMP build (CONFIG_LIBLCORE_SMP; platforms link this only
 * then) is the only caller; apps use nfos/lcore.h. Every CPU runs with
 * its GS base pointing at a per-CPU block its starter chose (FS base stays
 * free for a libc's TLS). Slow path everywhere except plat_smp_idle/wake. */
#ifndef NFOS_PLAT_SMP_H
#define NFOS_PLAT_SMP_H

#include <stddef.h>
#include <stdint.h>

/* CPUs the image runs on unless told otherwise (kvm: the MADT's enabled
 * processors, 1 without a MADT; linuxu: 1); *max gets the most it can run
 * (kvm: the same; linuxu: any count, threads). */
unsigned plat_smp_cpus(unsigned *max);

/* Bytes of memory plat_smp_start needs per started CPU (its stacks, TSS,
 * GDT), to be given page aligned; 0 when it needs none. */
size_t plat_smp_area_size(void);

/* Starts CPU cpu (1 .. max-1) with its GS base at percpu; it calls
 * entry(percpu) at CPL3 on its own stack and never returns from it. area:
 * plat_smp_area_size() bytes, kept for good. Returns 0 once the CPU runs,
 * -ENODEV (no such CPU), -ETIMEDOUT (it never answered) or -errno. Prints
 * nothing; boot path of the main CPU only. */
int plat_smp_start(unsigned cpu, void (*entry)(void *percpu), void *percpu, void *area);

/* Sets the calling CPU's GS base (the main CPU, before any start). */
void plat_smp_set_percpu(void *percpu);

/* Sleeps while *word == val, and with deadline_ns (plat_time_ns; 0: none)
 * no later than that: linuxu waits on a futex; kvm halts the CPU (hlt at
 * CPL0 through syscall; the BSP's entry is set up at its first halt) until
 * an IPI, or with a deadline polls (no timer interrupt) for a short while.
 * May return early; the caller re-checks. */
void plat_smp_idle(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns);

/* Wakes CPU cpu from plat_smp_idle(word, ...) after *word changed. */
void plat_smp_wake(unsigned cpu, const volatile uint32_t *word);

/* TSC stamps of CPU cpu's start (0 where unknown): when it was asked to
 * start, its first instruction, its first instruction at CPL3. */
struct plat_smp_trace {
    uint64_t start, entry, cpl3;
};
void plat_smp_trace(unsigned cpu, struct plat_smp_trace *t);

#endif /* NFOS_PLAT_SMP_H */
