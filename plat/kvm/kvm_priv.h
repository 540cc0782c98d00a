/* plat/kvm internals shared between its files; not a public header. */
#ifndef NFOS_KVM_PRIV_H
#define NFOS_KVM_PRIV_H

#include <stdint.h>
#include <stddef.h>

/* PVH boot information (Xen's hvm_start_info, version 1). */
#define HVM_START_MAGIC 0x336ec578
struct hvm_start_info {
    uint32_t magic;
    uint32_t version;
    uint32_t flags;
    uint32_t nr_modules;
    uint64_t modlist_paddr;
    uint64_t cmdline_paddr;
    uint64_t rsdp_paddr;
    uint64_t memmap_paddr; /* version >= 1 */
    uint32_t memmap_entries;
    uint32_t reserved;
};

/* One boot module (modlist_paddr points to nr_modules of them). */
struct hvm_modlist_entry {
    uint64_t paddr;
    uint64_t size;
    uint64_t cmdline_paddr;
    uint64_t reserved;
};

struct hvm_memmap_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type; /* 1: RAM */
    uint32_t reserved;
};
#define HVM_MEMMAP_RAM 1

/* What trap_common (traps.S) pushes, lowest address first. */
struct kvm_trap_frame {
    uint64_t cr2;
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Written by entry.S at CPL0. */
extern uint64_t kvm_tsc_entry, kvm_tsc_longmode;
extern uint8_t kvm_tss[];
extern uint8_t kvm_idt[];
extern const uint8_t kvm_trap_stubs[];
extern uint64_t kvm_pdpt[];
extern const char __image_start[], __image_end[];

/* The TSC frequency nfvm's boot info gave, 0 when unknown or under PVH. */
extern uint64_t kvm_boot_tsc_khz;
/* nfvm serves its idle port (idle.c): its NFVM_BOOT_F_* flags (non-zero)
 * if yes, 0 no, -1 not known yet (a PVH boot: idle.c asks nfvm's CPUID
 * leaf at the first idle). */
extern int kvm_idle_nfvm;
/* nfvm's COM1 receives: sleep in nfvm until it has a byte (idle.c).
 * 0, or -ENOTSUP (not nfvm, or an nfvm without COM1 input). */
int kvm_nfvm_console_wait(void);

struct nfvm_boot_info;
void kvm_start64(uint32_t start_info);
void kvm_nfvm_start64(const struct nfvm_boot_info *bi);
_Noreturn void kvm_trap_report(struct kvm_trap_frame *f);
void kvm_traps_init(void);
void kvm_idt_set(unsigned vector, const void *handler);
/* The local APIC (lapic.c), for one CPU too: usable (1: the MADT's is the
 * usual xAPIC, mapped; 0: none, said once), an IPI, its LAPIC on. */
#define KVM_LAPIC_BASE 0xfee00000UL
static inline volatile uint32_t *kvm_lapic(unsigned reg)
{
    return (volatile uint32_t *)(uintptr_t)(KVM_LAPIC_BASE + reg);
}
int kvm_lapic_usable(void);
void kvm_lapic_icr(unsigned apic_id, uint32_t lo);
void kvm_lapic_enable(void);
/* Lets the calling CPU halt until the wake vector (lapic.c): its IDT
 * entries, the BSP's syscall entry, the BSP's LAPIC on. 0, -ENODEV
 * without a usable local APIC, or -ENOTSUP where CPL0 cannot halt (kvm-pvm:
 * the LAPIC is on, callers poll). Idempotent. kvm_halt_enabled: 1 once done. */
int kvm_halt_enable(void);
int kvm_halt_enabled(void);
/* Halts the calling CPU (CPL0 hlt) until an interrupt; kvm_halt_enable first. */
void kvm_smp_halt(void);
/* x86_64/halt.S's interrupt and #UD entries. */
extern const uint8_t kvm_smp_wake_irq[], kvm_smp_spurious_irq[], kvm_smp_ud_entry[];
/* The calling CPU's local APIC id (one MMIO read); after kvm_halt_enable. */
unsigned kvm_lapic_id(void);

#if CONFIG_LIBLCORE_SMP
/* The calling CPU's index (smp.c), -1 while only the BSP runs. */
int kvm_smp_cpu(void);

/* SMP under nfvm (nfvm_smp.c): the boot info's CPU table kept (0, or
 * -EINVAL for a table no nfvm writes); the vCPU count (0: not nfvm's
 * several); starting, idling and waking CPUs through nfvm's ports. */
struct nfvm_cpu;
struct plat_smp_trace;
int kvm_nfvm_smp_init(const struct nfvm_boot_info *bi);
unsigned kvm_nfvm_cpus(void);
void kvm_nfvm_ap_start64(struct nfvm_cpu *c);
int kvm_nfvm_smp_start(unsigned cpu, void (*entry)(void *), void *percpu, struct plat_smp_trace *t);
void kvm_nfvm_smp_idle(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns);
void kvm_nfvm_smp_wake(unsigned cpu);
#else
/* One CPU: no index to tell, and nfvm may start no other (the note says
 * cpus_max 1 and no AP entry, so nfvm refuses --cpus N itself). */
static inline int kvm_smp_cpu(void)
{
    return -1;
}
#define kvm_nfvm_smp_init(bi) ((bi)->cpus == 1 ? 0 : -1)
#endif
/* Also keeps the first boot module (the initrd) out of the free RAM. */
int kvm_memory_init(const struct hvm_start_info *si);
/* Keeps the PVH rsdp_paddr for plat_acpi_rsdp(). */
void kvm_acpi_init(const struct hvm_start_info *si);

/* Formats without the libc: the trap report must work when all else broke. */
void kvm_puts(const char *s);
void kvm_puthex(uint64_t v);
void kvm_putdec(uint64_t v);

#endif /* NFOS_KVM_PRIV_H */
