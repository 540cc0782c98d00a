/* COM1's receiver: reads what arrived (LSR data ready, then RBR) and waits
 * for more by halting until the UART's interrupt (IRQ 4 through the IOAPIC
 * to the wake vector). Every port access is a VM exit, so nothing here
 * runs unless a read is waiting: no polling otherwise, and the interrupt
 * is enabled (IER) only for the length of a wait. Without a routable IOAPIC
 * the wait polls once a millisecond. Under nfvm (no interrupt controller)
 * the wait sleeps in nfvm until COM1 has a byte (kvm_nfvm_console_wait).
 * No UART (the scratch register does not hold a value) means no input. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/console.h>
#include <nfos/plat/mmio.h>
#include <nfos/plat/time.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

#define COM1          0x3f8
#define UART_RBR      0
#define UART_IER      1
#define UART_LSR      5
#define UART_SCR      7
#define IER_RDI       0x01
#define LSR_DR        0x01
#define LSR_OE        0x02
#define LSR_BAD       0x1c /* parity, framing error, break: the byte is junk */
#define SCR_PROBE     0xa5
#define COM1_ISA_IRQ  4
#define POLL_NS       1000000ULL
#define MADT_ENTRIES  44
#define MADT_IOAPIC   1
#define MADT_OVERRIDE 2
#define IOAPIC_VER    0x01
#define IOAPIC_REDIR  0x10
#define RTE_LOW       (1u << 13) /* polarity: active low */
#define RTE_LEVEL     (1u << 15)

static struct {
    int probed, present;
    int route;         /* 0: not tried; 1: IRQ routed; -1: none, poll */
    uintptr_t ioapic;  /* its MMIO base */
    unsigned pin;      /* the IOAPIC input COM1's IRQ reaches */
    uint32_t rte;      /* the entry's low word, unmasked */
    int dest;          /* the LAPIC the entry names now, -1: none yet */
    uint64_t overruns; /* bytes the UART lost before we read */
    uint64_t junk;     /* bytes with a parity/framing error or a break */
} in = { .dest = -1 };

static int uart_present(void)
{
    if (!in.probed) {
        in.probed = 1;
        arch_outb(COM1 + UART_SCR, SCR_PROBE);
        in.present = arch_inb(COM1 + UART_SCR) == SCR_PROBE;
    }
    return in.present;
}

long plat_console_read(char *buf, size_t len)
{
    size_t n = 0;
    uint8_t lsr;

    if (!uart_present())
        return -ENODEV;
    while (n < len && ((lsr = arch_inb(COM1 + UART_LSR)) & LSR_DR)) {
        char c = (char)arch_inb(COM1 + UART_RBR);

        in.overruns += !!(lsr & LSR_OE);
        if (lsr & LSR_BAD)
            in.junk++;
        else
            buf[n++] = c;
    }
    return (long)n;
}

static void ioapic_write(unsigned reg, uint32_t v)
{
    *(volatile uint32_t *)in.ioapic = reg;
    *(volatile uint32_t *)(in.ioapic + 0x10) = v;
}

static uint32_t ioapic_read(uintptr_t base, unsigned reg)
{
    *(volatile uint32_t *)base = reg;
    return *(volatile uint32_t *)(base + 0x10);
}

/* The GSI and polarity/trigger flags of ISA IRQ 4 (identity, edge, high,
 * unless the MADT overrides it), then the IOAPIC serving that GSI. */
static int route_find(const uint8_t *madt)
{
    uint32_t len, gsi = COM1_ISA_IRQ, off, addr, base, v;
    uint16_t flags = 0;

    memcpy(&len, madt + 4, 4);
    for (off = MADT_ENTRIES; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1])
        if (madt[off] == MADT_OVERRIDE && madt[off + 1] >= 10 && off + 10 <= len &&
            madt[off + 2] == 0 && madt[off + 3] == COM1_ISA_IRQ) {
            memcpy(&gsi, madt + off + 4, 4);
            memcpy(&flags, madt + off + 8, 2);
        }
    for (off = MADT_ENTRIES; off + 2 <= len && madt[off + 1] >= 2; off += madt[off + 1]) {
        if (madt[off] != MADT_IOAPIC || madt[off + 1] < 12 || off + 12 > len)
            continue;
        memcpy(&addr, madt + off + 4, 4);
        memcpy(&base, madt + off + 8, 4);
        if (gsi < base || plat_mmio_map(addr, NFOS_PAGE_SIZE))
            continue;
        v = ioapic_read(addr, IOAPIC_VER);
        if (gsi - base > ((v >> 16) & 0xff))
            continue;
        in.ioapic = addr;
        in.pin = gsi - base;
        in.rte = KVM_VEC_WAKE | ((flags & 3) == 3 ? RTE_LOW : 0) |
                 (((flags >> 2) & 3) == 3 ? RTE_LEVEL : 0);
        return 0;
    }
    return -ENODEV;
}

static int route(void)
{
    const uint8_t *madt;

    if (!in.route) {
        madt = plat_acpi_table("APIC");
        in.route = madt && !kvm_halt_enable() && !route_find(madt) ? 1 : -1;
    }
    return in.route > 0;
}

void plat_console_wait(void)
{
    uint64_t until;
    int dest;

    if (!uart_present() || kvm_nfvm_console_wait() == 0)
        return;
    if (!route()) {
        until = plat_time_ns() + POLL_NS;
        while (plat_time_ns() < until)
            arch_pause();
        return;
    }
    dest = (int)kvm_lapic_id();
    if (dest != in.dest) {
        ioapic_write(IOAPIC_REDIR + 2 * in.pin + 1, (uint32_t)dest << 24);
        ioapic_write(IOAPIC_REDIR + 2 * in.pin, in.rte);
        in.dest = dest;
    }
    /* Data already there raises the line now: the interrupt stays pending
     * (interrupts are off at CPL3) and ends the halt at once. */
    arch_outb(COM1 + UART_IER, IER_RDI);
    kvm_smp_halt();
    arch_outb(COM1 + UART_IER, 0);
}
