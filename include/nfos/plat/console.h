/* Platform contract: the console. kvm writes COM1, linuxu writes stdout.
 * Slow path only: on kvm every byte is a port write (a VM exit). */
#ifndef NFOS_PLAT_CONSOLE_H
#define NFOS_PLAT_CONSOLE_H

#include <stddef.h>

/* Writes len bytes; never fails, never blocks for long. Any context. */
void plat_console_write(const char *buf, size_t len);

#endif /* NFOS_PLAT_CONSOLE_H */
