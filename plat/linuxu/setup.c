/* linuxu: nfos as an ordinary Linux process on the host's libc. The process
 * entry is __wrap_main (linked with --wrap=main), which hands the process
 * arguments to the core; the app's main() is reached as __real_main.
 * Fatal signals end the process with a report and PLAT_EXIT_CRASH, as a CPU
 * exception ends a kvm image. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/plat/exit.h>

int __wrap_main(int argc, char **argv);

static char altstack[16384];

static void fatal_signal(int sig, siginfo_t *si, void *uc_)
{
    const ucontext_t *uc = uc_;
    char buf[256];
    int n;

    n = snprintf(buf, sizeof(buf),
                 "\nnfos: fatal signal %d (%s): address %p, rip %#llx, rsp %#llx\n", sig,
                 strsignal(sig), si->si_addr, (unsigned long long)uc->uc_mcontext.gregs[REG_RIP],
                 (unsigned long long)uc->uc_mcontext.gregs[REG_RSP]);
    fflush(stdout);
    if (write(2, buf, (size_t)n) < 0)
        _exit(PLAT_EXIT_CRASH);
    _exit(PLAT_EXIT_CRASH);
}

/* SIGINT/SIGTERM: the first asks the app to stop (plat_stop_requested),
 * a second one ends the process at once. A repeat within half a second is
 * the same request: Ctrl-C reaches every process of the terminal's group,
 * and timeout(1) forwards the signal to its child and then to its group, so
 * one request often arrives twice. */
static void stop_signal(int sig)
{
    static struct timespec first;
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (plat_stop_flag) {
        long long ms =
            (now.tv_sec - first.tv_sec) * 1000LL + (now.tv_nsec - first.tv_nsec) / 1000000;

        if (ms >= 500)
            _exit(128 + sig);
        return;
    }
    first = now;
    plat_stop_flag = 1;
}

static void catch_fatal_signals(void)
{
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
    struct sigaction sa;
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    size_t i;

    sigaltstack(&ss, NULL);
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = fatal_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    signal(SIGINT, stop_signal);
    signal(SIGTERM, stop_signal);
}

int __wrap_main(int argc, char **argv)
{
    core_boottrace_mark(CORE_BT_ENTRY, arch_rdtsc());
    /* Line-buffered even into a pipe: tests and tools read lines. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    catch_fatal_signals();
    core_boot(argc - 1, argv + 1);
}
