/* COM1 console output, polled and unbuffered (serial_in.c reads). The UART
 * is not programmed: QEMU's and Firecracker's 16550 need no baud set-up,
 * and every port access is a VM exit (~25 us under nested PVM), so a whole
 * buffer goes out with one `rep outsb`. Also the libc-free printing helpers
 * of the trap report. */
#include <stddef.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/console.h>
#include "kvm_priv.h"

#define COM1 0x3f8

void plat_console_write(const char *buf, size_t len)
{
    if (len)
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
