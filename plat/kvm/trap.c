/* Exceptions: the IDT (filled here, at CPL3, where it costs nothing: it is
 * ordinary memory loaded by lidt at boot) and the fatal report, which runs
 * at CPL3 on its own stack after traps.S saved the registers. There is no
 * recovery: every exception ends the image with PLAT_EXIT_CRASH. */
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/plat/exit.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define IDT_INTERRUPT_GATE 0x8e /* present, DPL0: `int n` from CPL3 faults */
#define BACKTRACE_MAX      16

static const char *const trap_names[KVM_NR_TRAPS] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87 floating point",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD floating point",
    "#VE virtualization",
    "#CP control protection",
};

/* An interrupt gate to CPL0 code (traps.S's stubs, smp.S's IPI entries). */
void kvm_idt_set(unsigned v, const void *handler)
{
    uint64_t h = (uint64_t)(uintptr_t)handler;
    uint8_t *e = kvm_idt + v * 16;

    e[0] = h & 0xff;
    e[1] = (h >> 8) & 0xff;
    e[2] = GDT_KCODE;
    e[3] = 0;
    e[4] = 0; /* IST: none, RSP0 from the TSS */
    e[5] = IDT_INTERRUPT_GATE;
    e[6] = (h >> 16) & 0xff;
    e[7] = (h >> 24) & 0xff;
    *(uint32_t *)(e + 8) = (uint32_t)(h >> 32);
    *(uint32_t *)(e + 12) = 0;
}

void kvm_traps_init(void)
{
    unsigned v;

    for (v = 0; v < KVM_NR_TRAPS; v++)
        kvm_idt_set(v, kvm_trap_stubs + v * KVM_TRAP_STUB_SIZE);
    /* The I/O bitmap's terminating byte (entry.S zeroed the rest). */
    kvm_tss[TSS_SIZE - 1] = 0xff;
}

#define REG(name, field)                                       \
    {                                                          \
        name, __builtin_offsetof(struct kvm_trap_frame, field) \
    }

/* The report's register lines, three to a line; NULL ends a line early. */
static const struct {
    const char *name;
    unsigned off;
} report_regs[] = {
    REG("error", error),   REG("cr2", cr2), { NULL, 0 },     REG("rip", rip), REG("cs", cs),
    REG("rflags", rflags), REG("rsp", rsp), REG("ss", ss),   REG("rbp", rbp), REG("rax", rax),
    REG("rbx", rbx),       REG("rcx", rcx), REG("rdx", rdx), REG("rsi", rsi), REG("rdi", rdi),
    REG("r8 ", r8),        REG("r9 ", r9),  REG("r10", r10), REG("r11", r11), REG("r12", r12),
    REG("r13", r13),       REG("r14", r14), REG("r15", r15), { NULL, 0 },
};

static void print_regs(const struct kvm_trap_frame *f)
{
    unsigned i;

    for (i = 0; i < NFOS_ARRAY_SIZE(report_regs); i++) {
        if (report_regs[i].name) {
            kvm_puts(i % 3 ? "  " : " ");
            kvm_puts(report_regs[i].name);
            kvm_puts(" ");
            kvm_puthex(*(const uint64_t *)((const char *)f + report_regs[i].off));
        }
        if (i % 3 == 2)
            kvm_puts("\n");
    }
}

/* A frame pointer is followed only while it stays inside the image's own
 * memory and moves up the stack, so a corrupt chain ends the walk. */
static int frame_ok(uint64_t fp, uint64_t prev)
{
    return fp > prev && !(fp & 7) && fp >= (uint64_t)(uintptr_t)__image_start &&
           fp + 16 <= (1ULL << 30);
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
    int i;

    kvm_puts("backtrace:\n  ");
    kvm_puthex(rip);
    kvm_puts("\n");
    for (i = 0; i < BACKTRACE_MAX && frame_ok(rbp, 0); i++) {
        const uint64_t *fp = (const uint64_t *)(uintptr_t)rbp;

        if (!fp[1])
            break;
        kvm_puts("  ");
        kvm_puthex(fp[1]);
        kvm_puts("\n");
        if (!frame_ok(fp[0], rbp))
            break;
        rbp = fp[0];
    }
}

_Noreturn void kvm_trap_report(struct kvm_trap_frame *f)
{
    static int reporting;

    if (reporting++) {
        kvm_puts("nfos: exception in the exception report\n");
        plat_exit(PLAT_EXIT_CRASH);
    }
    kvm_puts("\nnfos: fatal exception ");
    kvm_puthex(f->vector);
    kvm_puts(" (");
    kvm_puts(f->vector < NFOS_ARRAY_SIZE(trap_names) && trap_names[f->vector]
                 ? trap_names[f->vector]
                 : "reserved");
    kvm_puts(")");
    if (kvm_smp_cpu() >= 0) {
        kvm_puts(" on cpu ");
        kvm_putdec((uint64_t)kvm_smp_cpu());
    }
    kvm_puts("\n");
    print_regs(f);
    backtrace(f->rip, f->rbp);
    plat_exit(PLAT_EXIT_CRASH);
}
