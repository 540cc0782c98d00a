/* nfos core: the boot sequence, the command line and the boot trace.
 * Platform-neutral; platforms call core_boot() once they can print.
 *
 * Command line: OS parameters `key[=value]` first (`nfos.*` keys are the
 * OS's own and are checked; other dotted keys, e.g. `netdev.ip=`, belong to
 * libraries), then `--`, then the app's argv. Words without `=` before `--`
 * also go to the app, as Linux passes them to init. */
#ifndef NFOS_CORE_H
#define NFOS_CORE_H

#include <stdbool.h>
#include <stdint.h>

/* Boot stages stamped with the TSC; printed with nfos.boottrace=1. */
enum core_bt_stage {
    CORE_BT_ENTRY,    /* first instruction (kvm: PVH entry, CPL0) */
    CORE_BT_LONGMODE, /* kvm: paging and long mode on */
    CORE_BT_CPL3,     /* kvm: first instruction at CPL3 */
    CORE_BT_MEMORY,   /* allocators ready */
    CORE_BT_DEVICES,  /* buses probed */
    CORE_BT_MAIN,     /* right before the app's main() */
    CORE_BT_COUNT
};

/* Records stage at TSC value tsc. Boot path only. */
void core_boottrace_mark(enum core_bt_stage stage, uint64_t tsc);
/* The TSC value of a stage, 0 if it was not stamped. */
uint64_t core_boottrace_tsc(enum core_bt_stage stage);

/* Splits s in place into words (double quotes group, no escapes); returns
 * the count, CORE_CMDLINE_EQUOTE or CORE_CMDLINE_E2BIG. */
#define CORE_CMDLINE_EQUOTE (-1)
#define CORE_CMDLINE_E2BIG  (-2)
int core_cmdline_split(char *s, char **argv, int max);

/* Parses the command line words (argv[0] is not a program name), runs the
 * init sequence and calls the app's main(); exits with its status. */
_Noreturn void core_boot(int argc, char **argv);

/* Command-line parameters, valid once core_boot() has parsed them.
 * core_param(): the value ("" for a bare key) or NULL when absent.
 * core_param_u64(): 0, -ENOENT when absent, -EINVAL when not a number; K, M
 * and G suffixes multiply by 1024s. */
const char *core_param(const char *key);
int core_param_u64(const char *key, uint64_t *value);
/* nfos.verbose=N (0 when absent). */
unsigned core_verbose(void);

/* Prints "nfos: panic: ..." and ends the image with PLAT_EXIT_CRASH. */
_Noreturn void core_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* NFOS_CORE_H */
