/* Signals: on kvm nothing ever delivers one, so sigaction and the mask are
 * recorded (and read back) and that is all; a signal a thread sends itself
 * (raise, abort) with a deadly default action ends the image. On
 * linuxu they are the host's (the platform's SIGSEGV and SIGINT handlers
 * rely on that); rt_sigreturn there is nfos_sigreturn in host_linuxu.S. */
#include <errno.h>
#include <string.h>
#include <nfos/plat/exit.h>
#include "syscall_priv.h"

#define NSIG    65
#define SIGABRT 6

struct k_sigaction {
    unsigned long handler, flags, restorer, mask;
};

static struct {
    struct k_sigaction act[NSIG];
    unsigned long mask;
} sig;

static long sys_rt_sigaction(long signo, long act, long old, long size, long a5, long a6)
{
    if (signo < 1 || signo >= NSIG || size != 8)
        return -EINVAL;
    if (old)
        memcpy((void *)old, &sig.act[signo], sizeof(struct k_sigaction));
    if (act)
        memcpy(&sig.act[signo], (const void *)act, sizeof(struct k_sigaction));
    return 0;
}

static long sys_rt_sigprocmask(long how, long set, long old, long size, long a5, long a6)
{
    unsigned long m;

    if (size != 8)
        return -EINVAL;
    if (old)
        *(unsigned long *)old = sig.mask;
    if (!set)
        return 0;
    m = *(const unsigned long *)set;
    if (how == 0)
        sig.mask |= m;
    else if (how == 1)
        sig.mask &= ~m;
    else if (how == 2)
        sig.mask = m;
    else
        return -EINVAL;
    return 0;
}

/* Whether a signal's default action ends a process (Linux's table): the
 * ones ignored by default (SIGCHLD, SIGCONT, SIGURG, SIGWINCH) and the
 * real-time ones (musl's internal SIGCANCEL among them) do not. */
static int default_kills(long signo)
{
    return signo < 32 && signo != 17 && signo != 18 && signo != 23 && signo != 28;
}

/* tkill/tgkill (raise, abort, pthread_kill, pthread_cancel): no handler
 * ever runs. A signal with a handler, ignored, or harmless by default is
 * recorded as sent and dropped (pthread_cancel still works at cancellation
 * points, which check the flag musl set); one whose default action kills
 * ends the image the way it would: abort's SIGABRT with PLAT_EXIT_ABORT. */
static long sys_tkill(long tid, long signo, long a3, long a4, long a5, long a6)
{
    if (signo < 0 || signo >= NSIG)
        return -EINVAL;
#if CONFIG_PLAT_LINUXU
    /* Every nfos thread is the one host thread: the host delivers it. */
    return syscall_host(234 /* tgkill */, syscall_host(39, 0, 0, 0, 0, 0, 0),
                        syscall_host(186, 0, 0, 0, 0, 0, 0), signo, 0, 0, 0);
#endif
    if (signo == 0 || sig.act[signo].handler != 0 /* SIG_DFL */ || !default_kills(signo))
        return 0;
    syscall_say("nfos: signal %ld raised with its default action: the image ends\n", signo);
    plat_exit(signo == SIGABRT ? PLAT_EXIT_ABORT : PLAT_EXIT_CRASH);
}

static long sys_tgkill(long tgid, long tid, long signo, long a4, long a5, long a6)
{
    return sys_tkill(tid, signo, 0, 0, 0, 0);
}

static long sys_sigaltstack(long ss, long old, long a3, long a4, long a5, long a6)
{
    if (old)
        memset((void *)old, 0, 24);
    return 0;
}

#if !CONFIG_PLAT_LINUXU
_Noreturn void nfos_sigreturn(void);
_Noreturn void nfos_sigreturn(void)
{
    syscall_say("nfos: rt_sigreturn without a signal\n");
    plat_exit(PLAT_EXIT_CRASH);
}
#endif

SYSCALL_DEFINE(13, rt_sigaction, sys_rt_sigaction, SYSCALL_F_HOST);
SYSCALL_DEFINE(14, rt_sigprocmask, sys_rt_sigprocmask, SYSCALL_F_HOST);
SYSCALL_DEFINE(131, sigaltstack, sys_sigaltstack, SYSCALL_F_HOST);
SYSCALL_DEFINE(200, tkill, sys_tkill, 0);
SYSCALL_DEFINE(234, tgkill, sys_tgkill, 0);
