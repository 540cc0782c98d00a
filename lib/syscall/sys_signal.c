/* Signals: on kvm nothing ever delivers one, so sigaction and the mask are
 * recorded (and read back) and that is all; a signal a thread sends itself
 * (raise, abort) ends the image the way its default action would. On
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

/* tkill/tgkill to itself: no handler ever runs; the default action of
 * abort's SIGABRT and the fatal signals ends the image. */
static long sys_tkill(long tid, long signo, long a3, long a4, long a5, long a6)
{
    if (signo < 0 || signo >= NSIG)
        return -EINVAL;
    if (signo == 0)
        return 0;
    syscall_say("nfos: signal %ld raised (not delivered: no signals in an nfos image)\n", signo);
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
