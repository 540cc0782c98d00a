/* Platform contract: ending the image with a status. kvm uses QEMU's
 * isa-debug-exit port (QEMU exits with status*2+1), linuxu calls exit(). */
#ifndef NFOS_PLAT_EXIT_H
#define NFOS_PLAT_EXIT_H

/* Status of an image ended by a CPU exception or a failed NFOS_ASSERT. */
#define PLAT_EXIT_CRASH 126
/* Status of abort(). */
#define PLAT_EXIT_ABORT 127

/* True once the outside asked the image to stop: SIGINT or SIGTERM on
 * linuxu; never on kvm (QEMU is ended from outside). Long-running apps poll
 * it (a plain load) and leave main() with their report. */
#include <stdbool.h>
extern volatile int plat_stop_flag;
static inline bool plat_stop_requested(void)
{
    return plat_stop_flag != 0;
}

/* Set from nfos.exitline=1 at boot: kvm's plat_exit first writes
 * "nfos: exit status N" on the console, for monitors that do not hand the
 * status on (libvirt ends every domain as "crashed"). Any exit: main's
 * return, exit(), a crash report (126), a failed boot (2). */
extern int plat_exit_line;

/* Ends the image; status 0..127 survives the kvm round trip. */
_Noreturn void plat_exit(int status);

#endif /* NFOS_PLAT_EXIT_H */
