/* kvm's local APIC as one CPU needs it too: the check that the MADT's
 * LAPIC is the usual xAPIC (MMIO at 0xfee00000, mapped user-accessible so
 * CPL3 reaches it), halting until an interrupt (the console's receiver,
 * serial_in.c; smp.c's wake-up IPI) and sending an IPI. Starting other
 * CPUs is smp.c's, in SMP images only. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <nfos/compiler.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/console.h>
#include <nfos/plat/mmio.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define LAPIC_ID      0x020
#define LAPIC_SVR     0x0f0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_SVR_ON  0x100
#define ICR_BUSY      (1u << 12)
#define ICR_MAX_SPINS 100000

static struct {
    int checked; /* the MADT was read */
    int ok;      /* the MADT's LAPIC is the usual one, mapped */
    int halts;   /* 0: not set up; 1: the BSP has wake-ups and a #UD entry;
                    -1: CPL0 cannot halt here (kvm-pvm), idle CPUs poll */
} lapic_st;

int kvm_lapic_usable(void)
{
    const uint8_t *madt;
    uint32_t addr;

    if (lapic_st.checked)
        return lapic_st.ok;
    lapic_st.checked = 1;
    madt = plat_acpi_table("APIC");
    if (!madt) /* nfvm, ACPI off */
        return 0;
    memcpy(&addr, madt + 36, 4);
    if (addr != KVM_LAPIC_BASE || plat_mmio_map(KVM_LAPIC_BASE, NFOS_PAGE_SIZE)) {
        /* Said, not silent: an -smp N guest would otherwise run one lcore
         * with no word why. */
        char line[96];
        int n = snprintf(line, sizeof(line),
                         "nfos: smp: local APIC at %#x unusable (expected %#x): one CPU\n",
                         (unsigned)addr, (unsigned)KVM_LAPIC_BASE);

        plat_console_write(line, (size_t)NFOS_MIN(n, (int)sizeof(line) - 1));
        return 0;
    }
    lapic_st.ok = 1;
    return 1;
}

/* Sends one IPI. The wait for the previous one is bounded: an xAPIC
 * clears the busy bit at once, and a stuck one must not hang main. */
void kvm_lapic_icr(unsigned apic_id, uint32_t lo)
{
    unsigned spins = ICR_MAX_SPINS;

    while ((*kvm_lapic(LAPIC_ICR_LO) & ICR_BUSY) && --spins)
        arch_pause();
    *kvm_lapic(LAPIC_ICR_HI) = (uint32_t)apic_id << 24;
    *kvm_lapic(LAPIC_ICR_LO) = lo;
}

/* Its LAPIC on, as the BSP's is by kvm_halt_enable. */
void kvm_lapic_enable(void)
{
    *kvm_lapic(LAPIC_SVR) = LAPIC_SVR_ON | KVM_VEC_SPURIOUS;
}

/* Whether a CPL0 hlt can be reached at all. Under kvm-pvm (nested KVM
 * without VT) the CPL0 that `syscall` enters is PVM's supervisor mode, whose
 * interrupt flag is paravirtual (kept in a PVCS, which nfos does not
 * register): `sti` there raises #GP, so nothing can halt until an interrupt.
 * Told apart at CPL3 without a fault: PVM runs guest code with the
 * hardware's IOPL 0, whatever entry.S's iretq asked for (3), and pushf reads
 * the hardware's flags. Idle lcores and the console's reader then poll. */
static int cpl0_halt_works(void)
{
    uint64_t flags;

    __asm__ __volatile__("pushfq; popq %0" : "=r"(flags));
    return ((flags >> 12) & 3) == 3;
}

int kvm_halt_enable(void)
{
    if (!kvm_lapic_usable())
        return -ENODEV;
    if (!lapic_st.halts) {
        lapic_st.halts = cpl0_halt_works() ? 1 : -1;
        if (lapic_st.halts > 0) {
            kvm_idt_set(KVM_VEC_WAKE, kvm_smp_wake_irq);
            kvm_idt_set(KVM_VEC_SPURIOUS, kvm_smp_spurious_irq);
            kvm_idt_set(KVM_VEC_UD, kvm_smp_ud_entry); /* the BSP's first halt */
        }
        /* Either way: INIT/SIPI and IPIs need it. An AP enables its own
         * LAPIC as it starts (kvm_ap_start). */
        kvm_lapic_enable();
    }
    return lapic_st.halts > 0 ? 0 : -ENOTSUP;
}

int kvm_halt_enabled(void)
{
    return lapic_st.halts > 0;
}

unsigned kvm_lapic_id(void)
{
    return *kvm_lapic(LAPIC_ID) >> 24;
}
