/* The boot sequence, in order. Platforms get here at CPL3 (kvm) or from the
 * process entry (linuxu) with the command line split into words. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/time.h>
#if CONFIG_LIBALLOC
#include <nfos/alloc.h>
#endif
#if CONFIG_LIBBUS
#include <nfos/bus.h>
#endif
#if CONFIG_LIBMUSL && CONFIG_PLAT_KVM
#include <nfos/musl.h>
#endif
#if CONFIG_LIBLCORE
#include <nfos/lcore.h>
#endif
#include "core_priv.h"

#ifndef NFOS_APP_NAME
#define NFOS_APP_NAME "app"
#endif
#define CORE_APP_ARGV_MAX 128

/* On linuxu the process entry is plat/linuxu's __wrap_main (ld --wrap), so
 * the app's own main is reached as __real_main. */
#if CONFIG_PLAT_LINUXU
int __real_main(int argc, char **argv);
#define app_main __real_main
#else
int main(int argc, char **argv);
#define app_main main
#endif

static char *app_argv[CORE_APP_ARGV_MAX + 1] = { NFOS_APP_NAME };

_Noreturn void core_boot(int argc, char **argv)
{
    int app_argc = 1;

    /* 1. The command line: OS parameters and the app's argv. */
    int bad_params = core_params_parse(argc, argv, &app_argc, app_argv, CORE_APP_ARGV_MAX);
    if (core_param("nfos.exitline") && *core_param("nfos.exitline") != '0')
        plat_exit_line = 1;
    if (bad_params)
        plat_exit(2);

    /* 2. Time: the TSC frequency (nfos.tsc_khz may override it). */
    plat_time_init();

    /* 3. Memory: one page allocator per RAM region, set up lazily. */
#if CONFIG_LIBALLOC
    if (alloc_init())
        plat_exit(2);
#endif
    core_boottrace_mark(CORE_BT_MEMORY, arch_rdtsc());

#if CONFIG_LIBMUSL && CONFIG_PLAT_KVM
    /* 3b. musl: TLS, environment, constructors (linuxu: its crt1 did). */
    musl_libc_start(app_argv[0]);
#endif

    /* 4. lcores: the other CPUs started, each halted until main launches
     *    work on it (nfos.cpus=N); before the devices, whose pools get
     *    per-lcore caches. */
#if CONFIG_LIBLCORE
    if (lcore_init())
        plat_exit(2);
#else
    if (core_param("nfos.cpus") && strcmp(core_param("nfos.cpus"), "1")) {
        core_err("nfos.cpus=%s: this app runs on one CPU (its image has no lib/lcore)",
                 core_param("nfos.cpus"));
        plat_exit(2);
    }
#endif

        /* 5. Devices: every linked bus scanned, its devices probed once. */
#if CONFIG_LIBBUS
    if (bus_probe_all())
        plat_exit(2);
#endif
    core_boottrace_mark(CORE_BT_DEVICES, arch_rdtsc());

    /* 6. The app. */
    core_boottrace_mark(CORE_BT_MAIN, arch_rdtsc());
    if (core_param("nfos.boottrace") && *core_param("nfos.boottrace") != '0')
        core_boottrace_print();
    exit(app_main(app_argc, app_argv));
}
