/* The system call table: entries come from the area files' linker set
 * (nfos_syscalls), are indexed by number at the first call, then every
 * call is one bounds check and one indirect call. Unknown numbers return
 * -ENOSYS and are named once on the console, whatever nfos.verbose says. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <nfos/plat/console.h>
#include <nfos/plat/exit.h>
#if CONFIG_LIBLCORE_SMP
#include <nfos/lcore.h>
#endif
#include "syscall_priv.h"

#define SYSCALL_NR_MAX 512

extern const struct syscall_entry __start_nfos_syscalls[], __stop_nfos_syscalls[];

static const char *const names[SYSCALL_NR_MAX] = {
#include <generated/syscall_names.h>
};

static struct {
    const struct syscall_entry *table[SYSCALL_NR_MAX];
    unsigned char reported[SYSCALL_NR_MAX / 8];
    int ready;
#if CONFIG_LIBLCORE_SMP
    struct lcore_lock lock;  /* every call but SYSCALL_F_NOLOCK ones */
    volatile unsigned owner; /* 1 + the lcore holding it, or 0 */
#endif
} sc;

void syscall_say(const char *fmt, ...)
{
    char buf[200];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(buf))
        n = sizeof(buf) - 1;
#if CONFIG_PLAT_LINUXU
    /* linuxu's console is stdio, which in a musl image calls the shim:
     * a report from inside the shim (its table being built) would recurse. */
    syscall_host(1 /* write */, 1, (long)buf, n, 0, 0, 0);
#else
    plat_console_write(buf, (size_t)n);
#endif
}

const char *syscall_name(long n)
{
    return n >= 0 && n < SYSCALL_NR_MAX ? names[n] : NULL;
}

static void table_build(void)
{
    const struct syscall_entry *e;

    for (e = __start_nfos_syscalls; e < __stop_nfos_syscalls; e++) {
        if (e->nr >= SYSCALL_NR_MAX || sc.table[e->nr]) {
            syscall_say("nfos: syscall table: %s (%u) is %s\n", e->name, e->nr,
                        e->nr >= SYSCALL_NR_MAX ? "out of range" : "defined twice");
            plat_exit(PLAT_EXIT_CRASH);
        }
        sc.table[e->nr] = e;
    }
    sc.ready = 1;
}

static long unknown(long n)
{
    if (n >= 0 && n < SYSCALL_NR_MAX) {
        if (sc.reported[n / 8] & (1u << (n % 8)))
            return -ENOSYS;
        sc.reported[n / 8] |= (unsigned char)(1u << (n % 8));
    }
    syscall_say("nfos: system call %s (%ld) is not implemented: -ENOSYS\n",
                syscall_name(n) ? syscall_name(n) : "?", n);
    return -ENOSYS;
}

long nfos_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    const struct syscall_entry *e;

    if (__builtin_expect(!sc.ready, 0))
        table_build();
    if ((unsigned long)n >= SYSCALL_NR_MAX || !(e = sc.table[n]))
        return unknown(n);
#if CONFIG_PLAT_LINUXU
    if (e->flags & SYSCALL_F_HOST)
        return syscall_host(n, a1, a2, a3, a4, a5, a6);
#endif
#if CONFIG_LIBLCORE_SMP
    if (!(e->flags & SYSCALL_F_NOLOCK)) {
        int taken = syscall_lock();
        long r = e->fn(a1, a2, a3, a4, a5, a6);

        syscall_unlock(taken);
        return r;
    }
#endif
    return e->fn(a1, a2, a3, a4, a5, a6);
}

int syscall_lock(void)
{
#if CONFIG_LIBLCORE_SMP
    unsigned me = lcore_id_early() + 1;

    /* A call made from inside one on this lcore (an mmap that fails says
     * so through write) nests instead of waiting for itself: only this
     * lcore ever stores me, so reading it unlocked is safe. */
    if (sc.owner == me)
        return 0;
    lcore_lock(&sc.lock);
    sc.owner = me;
    return 1;
#else
    return 0;
#endif
}

void syscall_unlock(int taken)
{
#if CONFIG_LIBLCORE_SMP
    if (taken) {
        sc.owner = 0;
        lcore_unlock(&sc.lock);
    }
#else
    (void)taken;
#endif
}
