/* Platform contract: the console. kvm writes and reads COM1, linuxu writes
 * stdout and reads stdin. Slow path only: on kvm every byte is a port
 * access (a VM exit). The line discipline (echo, editing, end of file) is
 * lib/syscall's, not the platform's. */
#ifndef NFOS_PLAT_CONSOLE_H
#define NFOS_PLAT_CONSOLE_H

#include <stddef.h>

/* Writes len bytes; never fails, never blocks for long. Any context. */
void plat_console_write(const char *buf, size_t len);

/* Reads up to len bytes the console received, without waiting: the count
 * (0: nothing now), or -ENODEV when this console has no input at all (no
 * receiver: nfvm's COM1; linuxu: stdin closed). Costs nothing until first
 * called. Any context, one reader at a time. */
long plat_console_read(char *buf, size_t len);

/* Waits until input may have arrived (or a while passed, or another
 * wake-up came): the caller reads again. kvm halts the CPU until the
 * UART's interrupt; linuxu sleeps in poll(). Blocks: never on a fast path. */
void plat_console_wait(void);

#endif /* NFOS_PLAT_CONSOLE_H */
