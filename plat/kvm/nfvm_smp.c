/* SMP under nfvm (nfos/plat/nfvm_abi.h): nfvm starts every vCPU itself,
 * each AP directly at kvm_nfvm_ap_start64 at CPL3 on its own block's stack
 * and TSS, so no INIT/SIPI, trampoline or CPL0 instruction runs. An AP
 * sleeps in nfvm until main starts it; idle CPUs sleep in nfvm and are
 * woken through it (there is no LAPIC). smp.c calls in here when the boot
 * info announced several vCPUs; QEMU's path never reaches this file. */
#include <errno.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/nfvm_abi.h>
#include <nfos/plat/smp.h>
#include <nfos/plat/time.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define AP_START_WAIT 3000000000ULL /* ns before giving up (nested KVM is slow) */
#define AP_GUEST_OFF  64            /* the image's part of a block's head page */

/* The image's part of an AP's block: the start handshake. */
struct kvm_nfvm_ap {
    volatile uint32_t go, up;
    void (*entry)(void *);
    void *percpu;
    volatile uint64_t woke_tsc;
};
_Static_assert(sizeof(struct nfvm_cpu) <= AP_GUEST_OFF, "the head nfvm writes");
_Static_assert(AP_GUEST_OFF + sizeof(struct kvm_nfvm_ap) <= NFVM_CPU_TSS_OFF, "the head page");

static struct {
    unsigned n; /* 0: not booted by nfvm's direct entry, or one vCPU */
    uint64_t block[KVM_SMP_MAX];
} nfvm_smp;

static struct kvm_nfvm_ap *ap_of(uint64_t block)
{
    return (struct kvm_nfvm_ap *)(uintptr_t)(block + AP_GUEST_OFF);
}

static void port_out(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}

int kvm_nfvm_smp_init(const struct nfvm_boot_info *bi)
{
    const uint64_t *table = (const uint64_t *)(uintptr_t)bi->cpu_table;
    unsigned i;

    if (bi->cpus == 1)
        return 0;
    if (bi->cpus == 0 || bi->cpus > KVM_SMP_MAX || !bi->cpu_table ||
        bi->cpu_table >= NFVM_CPU_BLOCKS_LIMIT)
        return -EINVAL;
    for (i = 1; i < bi->cpus; i++) {
        /* nfvm checked them; this only keeps a wild table from being used. */
        if (!table[i] || (table[i] & (NFOS_PAGE_SIZE - 1)) ||
            table[i] + NFVM_CPU_BLOCK_SIZE > NFVM_CPU_BLOCKS_LIMIT)
            return -EINVAL;
        nfvm_smp.block[i] = table[i];
    }
    nfvm_smp.n = bi->cpus;
    return 0;
}

unsigned kvm_nfvm_cpus(void)
{
    return nfvm_smp.n;
}

/* Where every AP starts (the note's ap_entry), at boot, before main has
 * even set up the IDT: it only waits, without a fault, until started. */
void kvm_nfvm_ap_start64(struct nfvm_cpu *c)
{
    struct kvm_nfvm_ap *ap = ap_of((uintptr_t)c);

    while (!__atomic_load_n(&ap->go, __ATOMIC_ACQUIRE))
        port_out(NFVM_PORT_CPU_WAIT, 0);
    ap->woke_tsc = arch_rdtsc();
    __asm__ __volatile__("wrgsbase %0" : : "r"(ap->percpu) : "memory");
    __atomic_store_n(&ap->up, 1, __ATOMIC_RELEASE);
    ap->entry(ap->percpu);
    kvm_puts("nfos: a CPU's entry returned\n");
    plat_exit(PLAT_EXIT_CRASH);
}

int kvm_nfvm_smp_start(unsigned cpu, void (*entry)(void *), void *percpu, struct plat_smp_trace *t)
{
    struct kvm_nfvm_ap *ap;
    uint64_t until;

    if (cpu == 0 || cpu >= nfvm_smp.n)
        return -ENODEV;
    ap = ap_of(nfvm_smp.block[cpu]);
    if (ap->go)
        return -EBUSY;
    ap->entry = entry;
    ap->percpu = percpu;
    t->start = arch_rdtsc();
    __atomic_store_n(&ap->go, 1, __ATOMIC_RELEASE);
    port_out(NFVM_PORT_CPU_WAKE, cpu);
    until = plat_time_ns() + AP_START_WAIT;
    while (!__atomic_load_n(&ap->up, __ATOMIC_ACQUIRE)) {
        if (plat_time_ns() > until)
            return -ETIMEDOUT;
        arch_pause();
    }
    /* Its first instruction after the wait was already at CPL3. */
    t->entry = t->cpl3 = ap->woke_tsc;
    return 0;
}

void kvm_nfvm_smp_idle(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns)
{
    uint64_t us = 0, now;

    if (*word != val)
        return;
    if (deadline_ns) {
        now = plat_time_ns();
        if (now >= deadline_ns)
            return;
        us = (deadline_ns - now) / 1000 + 1;
        if (us > UINT32_MAX)
            us = UINT32_MAX;
    }
    /* A wake-up sent since this CPU's last wait ends this one at once: the
     * check above and the sleep cannot miss one. */
    port_out(NFVM_PORT_CPU_WAIT, (uint32_t)us);
}

void kvm_nfvm_smp_wake(unsigned cpu)
{
    if (cpu < nfvm_smp.n)
        port_out(NFVM_PORT_CPU_WAKE, cpu);
}
