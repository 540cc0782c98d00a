/* What plat/linuxu's files share.
 *
 * Its own host system calls. In a musl image every libc call
 * lands in lib/syscall (the image's shim), which records some calls
 * instead of making them (signal masks, futexes): where plat/linuxu needs
 * the host itself, it calls the host. */
#ifndef LINUXU_PRIV_H
#define LINUXU_PRIV_H

long linuxu_host_call(long n, long a1, long a2, long a3, long a4, long a5);

/* CPUs running lcores, main's included (smp.c counts them; idle.c sleeps
 * only while it is 1). */
extern unsigned linuxu_cpus_running;

#endif /* LINUXU_PRIV_H */
