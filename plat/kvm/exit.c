/* Ending the guest. QEMU's isa-debug-exit (iobase 0xf4, iosize 4) makes QEMU
 * exit with status*2+1. Without that device, the fallback is a triple fault,
 * which QEMU with -no-reboot turns into an exit (the status is lost). */
#include <stdio.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/console.h>
#include <nfos/plat/exit.h>
#include "kvm_priv.h"
#include "x86_64/cpu_defs.h"

/* Never set on kvm: QEMU is ended from outside. */
volatile int plat_stop_flag;

int plat_exit_line;

#define DEBUG_EXIT_PORT 0xf4

_Noreturn void plat_exit(int status)
{
    if (plat_exit_line) {
        char line[32];
        int n = snprintf(line, sizeof(line), "nfos: exit status %d\n", status & 0x7f);
        plat_console_write(line, (size_t)n);
    }
    arch_outl(DEBUG_EXIT_PORT, (uint32_t)status & 0x7f);

    /* Still here: no exit device. CPL3 cannot reset the CPU, but the TSS
     * is ordinary memory: a non-canonical RSP0 makes the next exception
     * undeliverable, which escalates to a triple fault. */
    *(volatile uint64_t *)(kvm_tss + TSS_RSP0_OFF) = 0x8000000000000000ULL;
    __asm__ __volatile__("ud2");
    for (;;)
        arch_pause();
}
