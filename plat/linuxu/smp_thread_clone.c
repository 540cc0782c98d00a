/* linuxu lcore threads in a musl image: a raw clone onto a stack from the
 * nfos heap. musl's pthread_create would make a thread of the image's
 * scheduler (lib/syscall), not a host thread. The new thread starts with
 * main's FS (TLS); lib/syscall gives each lcore its own musl thread before
 * main runs (its LCORE_START_HOOK), and nothing before that touches TLS. */
#include <errno.h>
#include "smp_priv.h"

#define THREAD_STACK (256 * 1024)
/* A thread sharing everything, as pthread_create asks; no TLS, no tids. */
#define CLONE_THREAD_FLAGS (0x100 | 0x200 | 0x400 | 0x800 | 0x10000 | 0x40000)
/* CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM */

/* x86_64/clone.S: clone, then fn(arg) on the new stack, then exit. */
long linuxu_clone(unsigned long flags, void *stack_top, void (*fn)(void *), void *arg);

size_t linuxu_thread_area_size(void)
{
    return THREAD_STACK;
}

static void thread_main(void *arg)
{
    linuxu_cpu_run(arg);
}

int linuxu_thread_start(struct linuxu_cpu *c, void *area)
{
    long r;

    if (!area)
        return -ENOMEM;
    r = linuxu_clone(CLONE_THREAD_FLAGS, (char *)area + THREAD_STACK, thread_main, c);
    return r < 0 ? (int)r : 0;
}
