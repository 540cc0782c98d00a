/* kvm SMP under QEMU: the application processors of the ACPI MADT, started with
 * INIT/SIPI through the xAPIC (MMIO at 0xfee00000, reachable at CPL3: the
 * MMIO hole is mapped user-accessible), one at a time. Under nfvm (its
 * boot info names several vCPUs) every call goes to nfvm_smp.c instead:
 * nfvm started the APs itself, at CPL3. Everything that can
 * be prepared at CPL3 is: each AP's TSS, GDT copy and stacks live in the
 * area its caller gives, and the AP runs only x86_64/smp.S's few CPL0
 * instructions before kvm_ap_start. No x2APIC, no timer: the only
 * interrupts are the wake-up IPI of an idle AP and the console's receiver
 * (serial_in.c), on the same vector. The LAPIC itself and the halt are
 * lapic.c's (a single-CPU image has them too); this file, smp.S and
 * nfvm_smp.c are linked only with CONFIG_LIBLCORE_SMP. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/console.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/mmio.h>
#include <nfos/plat/smp.h>
#include <nfos/plat/time.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define LAPIC_ID      0x020
#define ICR_ASSERT    (1u << 14)
#define ICR_INIT      (5u << 8)
#define ICR_STARTUP   (6u << 8)
#define MADT_ENTRIES  44
#define MADT_LAPIC    0
#define MADT_ENABLED  1
#define AP_FIRST_WAIT 100000000ULL  /* ns before the second SIPI */
#define AP_START_WAIT 3000000000ULL /* ns before giving up (TCG is slow) */
#define AP_GDT_BYTES  128
#define POLL_NS       100000ULL /* one plat_smp_idle with a deadline, at most */

/* What one AP needs for good; the caller's area (plat_smp_area_size). */
struct kvm_ap_area {
    uint8_t tss[TSS_SIZE] __attribute__((aligned(16)));
    uint64_t gdt[AP_GDT_BYTES / 8] __attribute__((aligned(16)));
    uint8_t stack0[KVM_STACK0_SIZE] __attribute__((aligned(16)));
    uint8_t stack3[KVM_STACK3_SIZE] __attribute__((aligned(16)));
};

/* The AP being started (one at a time); smp.S reads the first three. */
struct kvm_ap_boot {
    uint64_t gs, stack0, stack3;
    void (*entry)(void *);
    volatile uint64_t cpl3_tsc;
    volatile uint32_t up;
};
_Static_assert(offsetof(struct kvm_ap_boot, gs) == KVM_AP_BOOT_GS, "smp.S");
_Static_assert(offsetof(struct kvm_ap_boot, stack0) == KVM_AP_BOOT_STACK0, "smp.S");
_Static_assert(offsetof(struct kvm_ap_boot, stack3) == KVM_AP_BOOT_STACK3, "smp.S");

struct kvm_ap_boot kvm_ap_boot;
uint32_t kvm_ap_xcr0;

extern const uint8_t kvm_smp_tramp_start[], kvm_smp_tramp_end[], kvm_smp_tramp_tsc[],
    kvm_smp_tramp_cr4[], kvm_smp_tramp_gdtr[];
extern const uint8_t kvm_gdt[], kvm_gdt_limit[];
void kvm_ap_start(void);

static struct {
    int found; /* 0: MADT not read yet */
    unsigned n;
    uint8_t apic_id[KVM_SMP_MAX];
    struct plat_smp_trace trace[KVM_SMP_MAX];
    void *percpu[KVM_SMP_MAX]; /* each CPU's GS base: nfvm's kvm_smp_cpu */
} smp;

/* The BSP first, then every enabled processor of the MADT; 1 CPU when
 * there is no MADT (nfvm, ACPI off) or its LAPIC is not the usual one. */
static void smp_find(void)
{
    const uint8_t *madt = plat_acpi_table("APIC");
    uint32_t len, off;
    uint8_t bsp;

    smp.found = 1;
    smp.n = 1;
    if (kvm_nfvm_cpus()) {
        smp.n = kvm_nfvm_cpus();
        return;
    }
    if (!madt || !kvm_lapic_usable())
        return;
    memcpy(&len, madt + 4, 4);
    bsp = (uint8_t)(*kvm_lapic(LAPIC_ID) >> 24);
    smp.apic_id[0] = bsp;
    for (off = MADT_ENTRIES; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1]) {
        uint32_t flags;

        if (madt[off] != MADT_LAPIC || madt[off + 1] < 8 || off + 8 > len)
            continue;
        memcpy(&flags, madt + off + 4, 4);
        if ((flags & MADT_ENABLED) && madt[off + 3] != bsp && smp.n < KVM_SMP_MAX)
            smp.apic_id[smp.n++] = madt[off + 3];
    }
}

unsigned plat_smp_cpus(unsigned *max)
{
    if (!smp.found)
        smp_find();
    *max = smp.n;
    return smp.n;
}

size_t plat_smp_area_size(void)
{
    if (kvm_nfvm_cpus())
        return 0; /* nfvm's blocks hold the stacks and TSS */
    return NFOS_ALIGN_UP(sizeof(struct kvm_ap_area), NFOS_PAGE_SIZE);
}

/* CR4 and XCR0 as entry.S sets them, computed here at CPL3 so that the
 * BSP's boot path pays nothing for SMP. XCR0 from CPUID as entry.S does, not
 * by xgetbv: under kvm-pvm CPL3 code runs on the host CPU, and xgetbv there
 * reads the host's XCR0 (0x600e7 here, AMX included), which the AP's
 * emulated xsetbv refuses with #GP. */
static uint32_t smp_cr4(void)
{
    uint32_t r[4], cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;

    arch_cpuid(0, 0, r);
    if (r[0] >= 7) {
        arch_cpuid(7, 0, r);
        if (r[1] & 1)
            cr4 |= CR4_FSGSBASE;
    }
    arch_cpuid(1, 0, r);
    if (r[2] & (1u << 26)) {
        cr4 |= CR4_OSXSAVE;
        kvm_ap_xcr0 = 3 | (r[2] & (1u << 28) ? 4 : 0); /* x87 | SSE | AVX */
    }
    return cr4;
}

/* The AP's own TSS (rsp0, complete I/O bitmap) and GDT (the BSP's, with
 * this TSS in the GDT_TSS slot: ltr marks it busy, so none is shared). */
static int smp_area_fill(struct kvm_ap_area *a)
{
    uint64_t base = (uintptr_t)a->tss, limit = TSS_SIZE - 1;
    size_t gdt_len = (uintptr_t)kvm_gdt_limit + 1;
    uint64_t rsp0 = (uintptr_t)(a->stack0 + sizeof(a->stack0));

    if (gdt_len > sizeof(a->gdt) || GDT_TSS + 16 > gdt_len)
        return -ENOSPC;
    memset(a->tss, 0, sizeof(a->tss));
    memcpy(a->tss + TSS_RSP0_OFF, &rsp0, 8);
    *(uint16_t *)(a->tss + TSS_IOMAP_OFF) = TSS_HEAD_SIZE;
    a->tss[TSS_SIZE - 1] = 0xff;
    memcpy(a->gdt, kvm_gdt, gdt_len);
    a->gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
                          (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    a->gdt[GDT_TSS / 8 + 1] = base >> 32;
    return 0;
}

/* The trampoline page, with this AP's CR4 and GDT pointer. */
static void smp_tramp_fill(struct kvm_ap_area *a)
{
    uint8_t *t = (uint8_t *)KVM_SMP_TRAMPOLINE;
    uint32_t cr4 = smp_cr4(), gdt = (uint32_t)(uintptr_t)a->gdt;
    uint16_t limit = (uint16_t)(uintptr_t)kvm_gdt_limit;

    memcpy(t, kvm_smp_tramp_start, (size_t)(kvm_smp_tramp_end - kvm_smp_tramp_start));
    memset(t + (kvm_smp_tramp_tsc - kvm_smp_tramp_start), 0, 8);
    memcpy(t + (kvm_smp_tramp_cr4 - kvm_smp_tramp_start), &cr4, 4);
    memcpy(t + (kvm_smp_tramp_gdtr - kvm_smp_tramp_start), &limit, 2);
    memcpy(t + (kvm_smp_tramp_gdtr - kvm_smp_tramp_start) + 2, &gdt, 4);
}

static int smp_wait_up(uint64_t until)
{
    while (!__atomic_load_n(&kvm_ap_boot.up, __ATOMIC_ACQUIRE))
        if (plat_time_ns() > until)
            return 0;
    return 1;
}

int plat_smp_start(unsigned cpu, void (*entry)(void *percpu), void *percpu, void *area)
{
    struct kvm_ap_area *a = area;
    uint32_t sipi = ICR_STARTUP | ICR_ASSERT | (KVM_SMP_TRAMPOLINE >> 12);
    uint64_t t0;
    int err;

    if (!smp.found)
        smp_find();
    if (cpu == 0 || cpu >= smp.n)
        return -ENODEV;
    smp.percpu[cpu] = percpu;
    if (kvm_nfvm_cpus())
        return kvm_nfvm_smp_start(cpu, entry, percpu, &smp.trace[cpu]);
    if ((err = smp_area_fill(a)))
        return err;
    kvm_halt_enable();
    smp_tramp_fill(a);
    kvm_ap_boot.gs = (uintptr_t)percpu;
    kvm_ap_boot.stack0 = (uintptr_t)(a->stack0 + sizeof(a->stack0));
    kvm_ap_boot.stack3 = (uintptr_t)(a->stack3 + sizeof(a->stack3)) - 8; /* as if called */
    kvm_ap_boot.entry = entry;
    kvm_ap_boot.up = 0;

    smp.trace[cpu].start = arch_rdtsc();
    t0 = plat_time_ns();
    kvm_lapic_icr(smp.apic_id[cpu], ICR_INIT | ICR_ASSERT);
    kvm_lapic_icr(smp.apic_id[cpu], sipi);
    if (!smp_wait_up(t0 + AP_FIRST_WAIT)) {
        kvm_lapic_icr(smp.apic_id[cpu], sipi); /* the spec's second SIPI */
        if (!smp_wait_up(t0 + AP_START_WAIT))
            return -ETIMEDOUT;
    }
    memcpy(&smp.trace[cpu].entry,
           (uint8_t *)KVM_SMP_TRAMPOLINE + (kvm_smp_tramp_tsc - kvm_smp_tramp_start), 8);
    smp.trace[cpu].cpl3 = kvm_ap_boot.cpl3_tsc;
    return 0;
}

/* An AP's first C, at CPL3 on its own stack (smp.S's iretq). */
void kvm_ap_start(void)
{
    uint64_t tsc = arch_rdtsc();
    void (*entry)(void *) = kvm_ap_boot.entry;
    void *percpu = (void *)(uintptr_t)kvm_ap_boot.gs;

    kvm_lapic_enable();
    kvm_ap_boot.cpl3_tsc = tsc;
    __atomic_store_n(&kvm_ap_boot.up, 1, __ATOMIC_RELEASE);
    entry(percpu);
    kvm_puts("nfos: a CPU's entry returned\n");
    plat_exit(PLAT_EXIT_CRASH);
}

int kvm_smp_cpu(void)
{
    uint8_t id;
    unsigned i;

    if (smp.n < 2)
        return -1;
    if (kvm_nfvm_cpus()) { /* no LAPIC: the GS base tells */
        void *gs;

        __asm__ __volatile__("rdgsbase %0" : "=r"(gs));
        for (i = 0; i < smp.n; i++)
            if (gs && smp.percpu[i] == gs)
                return (int)i;
        return -1;
    }
    id = (uint8_t)(*kvm_lapic(LAPIC_ID) >> 24);
    for (i = 0; i < smp.n; i++)
        if (smp.apic_id[i] == id)
            return (int)i;
    return -1;
}

void plat_smp_set_percpu(void *percpu)
{
    uint32_t r[4];

    /* One CPUID (a VM exit): every CPU nfos runs on has leaf 7. */
    arch_cpuid(7, 0, r);
    if (!(r[1] & 1)) {
        kvm_puts("nfos: lib/lcore needs FSGSBASE (wrgsbase), which this CPU lacks\n");
        plat_exit(2);
    }
    smp.percpu[0] = percpu;
    __asm__ __volatile__("wrgsbase %0" : : "r"(percpu) : "memory");
}

void plat_smp_idle(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns)
{
    uint64_t until;

    if (kvm_nfvm_cpus()) {
        kvm_nfvm_smp_idle(word, val, deadline_ns);
        return;
    }
    if (!deadline_ns && kvm_halt_enabled()) {
        if (*word == val)
            kvm_smp_halt();
        return;
    }
    if (!deadline_ns) {
        /* No halt here (kvm-pvm, lapic.c): wait for the word itself, which
         * every wake-up changes first. The vCPU spins, once. */
        while (*word == val)
            arch_pause();
        return;
    }
    /* No timer interrupt ends a halt: with a deadline, poll politely, for
     * a while at most (the caller re-checks and comes back). */
    until = plat_time_ns() + POLL_NS;
    if (deadline_ns && deadline_ns < until)
        until = deadline_ns;
    while (*word == val && plat_time_ns() < until)
        arch_pause();
}

void plat_smp_wake(unsigned cpu, const volatile uint32_t *word)
{
    (void)word;
    if (kvm_nfvm_cpus())
        kvm_nfvm_smp_wake(cpu);
    else if (cpu < smp.n && kvm_halt_enabled())
        kvm_lapic_icr(smp.apic_id[cpu], KVM_VEC_WAKE | ICR_ASSERT);
}

void plat_smp_trace(unsigned cpu, struct plat_smp_trace *t)
{
    *t = cpu < KVM_SMP_MAX ? smp.trace[cpu] : (struct plat_smp_trace){ 0 };
}
