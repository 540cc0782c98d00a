/* Process and ids: one process (pid 1 on kvm), root's ids, a uname that
 * says nfos; exit_group ends the image with its status. Threads' ids come
 * from the scheduler on both platforms (they are nfos's threads). */
#include <errno.h>
#include <string.h>
#include <nfos/plat/exit.h>
#include "syscall_priv.h"

struct k_utsname {
    char f[6][65]; /* sysname nodename release version machine domainname */
};

_Noreturn void syscall_exit_image(int status)
{
#if CONFIG_PLAT_LINUXU
    /* musl's exit has flushed stdio and run atexit: leave at once. */
    for (;;)
        syscall_host(231, status, 0, 0, 0, 0, 0);
#else
    plat_exit(status & 0xff);
#endif
}

static long sys_exit_group(long status, long a2, long a3, long a4, long a5, long a6)
{
    syscall_exit_image((int)status);
}

static long sys_exit(long status, long a2, long a3, long a4, long a5, long a6)
{
    sched_thread_exit();
}

static long sys_getpid(long a1, long a2, long a3, long a4, long a5, long a6)
{
    return 1;
}

static long sys_gettid(long a1, long a2, long a3, long a4, long a5, long a6)
{
    return sched_tid();
}

static long sys_zero(long a1, long a2, long a3, long a4, long a5, long a6)
{
    return 0;
}

static long sys_set_tid_address(long p, long a2, long a3, long a4, long a5, long a6)
{
    sched_set_tid_address((int *)p);
    return sched_tid();
}

static long sys_uname(long p, long a2, long a3, long a4, long a5, long a6)
{
    static const char *const v[6] = { "nfos", "nfos", "1.0", "nfos", "x86_64", "(none)" };
    struct k_utsname *u = (struct k_utsname *)p;
    int i;

    for (i = 0; i < 6; i++) {
        memset(u->f[i], 0, sizeof(u->f[i]));
        strcpy(u->f[i], v[i]);
    }
    return 0;
}

SYSCALL_DEFINE(231, exit_group, sys_exit_group, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(60, exit, sys_exit, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(39, getpid, sys_getpid, SYSCALL_F_HOST);
SYSCALL_DEFINE(110, getppid, sys_zero, SYSCALL_F_HOST);
SYSCALL_DEFINE(186, gettid, sys_gettid, SYSCALL_F_NOLOCK);
SYSCALL_DEFINE(102, getuid, sys_zero, SYSCALL_F_HOST);
SYSCALL_DEFINE(107, geteuid, sys_zero, SYSCALL_F_HOST);
SYSCALL_DEFINE(104, getgid, sys_zero, SYSCALL_F_HOST);
SYSCALL_DEFINE(108, getegid, sys_zero, SYSCALL_F_HOST);
SYSCALL_DEFINE(218, set_tid_address, sys_set_tid_address, 0);
SYSCALL_DEFINE(63, uname, sys_uname, SYSCALL_F_HOST);
