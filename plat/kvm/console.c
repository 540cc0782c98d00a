/* COM1 console output, polled and unbuffered (serial_in.c reads). The UART
 * is not programmed: QEMU's and Firecracker's 16550 need no baud set-up,
 * and every port access is a VM exit (~25 us under nested PVM), so a whole
 * buffer goes out with one `rep outsb` (one exit under hardware KVM; under
 * nested PVM one a byte, hence nfvm's buffer port below). Also the
 * libc-free printing helpers of the trap report. */
#include <stddef.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/console.h>
#include <nfos/plat/nfvm_abi.h>
#include "kvm_priv.h"

#define COM1 0x3f8

/* Under nfvm (its boot info says so), one outl names the whole buffer:
 * under nested PVM `rep outsb` exits once a byte (~25 us each), which made
 * the boot trace's 300 bytes cost more than the boot. The record lives on
 * the caller's stack, so CPUs never share one; a stack or buffer that the
 * record cannot name takes the UART's way. */
static int console_buf(const char *buf, size_t len)
{
    struct nfvm_console_buf rec __attribute__((aligned(8)));

    if (kvm_idle_nfvm <= 0 || !(kvm_idle_nfvm & NFVM_BOOT_F_CONSOLE_BUF) ||
        (uintptr_t)&rec > UINT32_MAX - sizeof(rec) || len > UINT32_MAX)
        return 0;
    rec.addr = (uintptr_t)buf;
    rec.len = (uint32_t)len;
    rec.reserved = 0;
    /* The memory clobber keeps the record's stores before the exit. */
    __asm__ __volatile__("outl %0, %1"
                         :
                         : "a"((uint32_t)(uintptr_t)&rec), "Nd"((uint16_t)NFVM_PORT_CONSOLE_BUF)
                         : "memory");
    return 1;
}

void plat_console_write(const char *buf, size_t len)
{
    if (len && !console_buf(buf, len))
        arch_outsb(COM1, buf, len);
}

void kvm_puts(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    plat_console_write(s, n);
}

void kvm_puthex(uint64_t v)
{
    char buf[18] = "0x";
    int i;

    for (i = 0; i < 16; i++)
        buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    plat_console_write(buf, sizeof(buf));
}

void kvm_putdec(uint64_t v)
{
    char buf[20];
    int i = sizeof(buf);

    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    plat_console_write(buf + i, sizeof(buf) - i);
}
