/* Cooperative threads on one vCPU, for musl's pthreads: nfos_clone makes a
 * thread on the stack musl gives it; a thread runs until it blocks on a
 * futex, sleeps, yields, or exits. No preemption: a thread that spins
 * without a system call keeps the CPU. With nothing runnable and no
 * sleeper, the image reports a deadlock and ends. Each thread has its own
 * FS base (TLS): wrfsbase on kvm, arch_prctl on linuxu. */
#include <errno.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/exit.h>
#include "syscall_priv.h"

#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

enum thread_state { T_FREE, T_RUN, T_WAIT, T_SLEEP, T_DEAD };

struct thread {
    uint64_t rsp; /* saved by sched_switch */
    uint64_t fs;  /* the thread pointer */
    int tid;
    enum thread_state state;
    volatile int *futex;  /* T_WAIT: the word waited on */
    int futex_val;        /* ... and the value it had */
    uint64_t deadline_ns; /* T_WAIT/T_SLEEP: 0 = none */
    int timed_out;
    int *ctid; /* CLONE_CHILD_CLEARTID / set_tid_address */
};

static struct {
    struct thread t[CONFIG_LIBSYSCALL_THREADS_MAX];
    int cur;
    int next_tid;
    void *unmap_base; /* a detached thread's stack, freed after it left */
    size_t unmap_len;
    int fsgsbase; /* kvm: CPUID says wrfsbase works */
} s = { .t = { [0] = { .tid = 1, .state = T_RUN } }, .next_tid = 2 };

void sched_switch(uint64_t *save_rsp, uint64_t new_rsp);
void sched_thread_entry(void);
_Noreturn void sched_thread_return(int status);
_Noreturn void nfos_unmapself(void *base, size_t len);
long nfos_set_fs_base(void *p);
int nfos_clone(int (*func)(void *), void *stack, int flags, void *arg, int *ptid, void *tls,
               int *ctid);

static void fs_load(uint64_t fs)
{
#if defined(NFOS_UNIT_TEST)
    (void)fs; /* the host process's own TLS must stay */
#elif CONFIG_PLAT_LINUXU
    syscall_host(158 /* arch_prctl */, 0x1002 /* ARCH_SET_FS */, (long)fs, 0, 0, 0, 0);
#else
    __asm__ __volatile__("wrfsbase %0" ::"r"(fs) : "memory");
#endif
}

long nfos_set_fs_base(void *p)
{
#if !CONFIG_PLAT_LINUXU
    if (!s.fsgsbase) {
        uint32_t r[4];

        arch_cpuid(7, 0, r);
        if (!(r[1] & 1)) {
            syscall_say("nfos: this CPU has no FSGSBASE (wrfsbase): musl's TLS "
                        "cannot be set; use a newer -cpu\n");
            plat_exit(PLAT_EXIT_CRASH);
        }
        s.fsgsbase = 1;
    }
#endif
    s.t[s.cur].fs = (uint64_t)p;
    fs_load((uint64_t)p);
    return 0;
}

int sched_tid(void)
{
    return s.t[s.cur].tid;
}

int sched_nr_alive(void)
{
    int i, n = 0;

    for (i = 0; i < CONFIG_LIBSYSCALL_THREADS_MAX; i++)
        n += s.t[i].state != T_FREE && s.t[i].state != T_DEAD;
    return n;
}

/* Wakes timed waiters and sleepers whose deadline passed; returns the
 * earliest deadline still pending (0: none). */
static uint64_t wake_expired(void)
{
    uint64_t now = 0, next = 0;
    int i;

    for (i = 0; i < CONFIG_LIBSYSCALL_THREADS_MAX; i++) {
        struct thread *t = &s.t[i];

        /* With lcores, another one may have changed the word without a
         * wake that reaches this scheduler: the waiter runs and re-checks
         * (alone on its vCPU, a waiter wakes only by a wake, exactly). */
        if (t->state == T_WAIT && t->futex && *t->futex != t->futex_val && syscall_lcores_multi()) {
            t->state = T_RUN;
            t->deadline_ns = 0;
            continue;
        }
        if ((t->state != T_WAIT && t->state != T_SLEEP) || !t->deadline_ns)
            continue;
        if (!now)
            now = syscall_now_ns();
        if (t->deadline_ns <= now) {
            t->timed_out = t->state == T_WAIT;
            t->state = T_RUN;
        } else if (!next || t->deadline_ns < next) {
            next = t->deadline_ns;
        }
    }
    return next;
}

static int pick_next(void)
{
    int i, j;

    for (i = 1; i <= CONFIG_LIBSYSCALL_THREADS_MAX; i++) {
        j = (s.cur + i) % CONFIG_LIBSYSCALL_THREADS_MAX;
        if (s.t[j].state == T_RUN)
            return j;
    }
    return -1;
}

static void idle_until(uint64_t deadline)
{
#if CONFIG_PLAT_LINUXU
    uint64_t now = syscall_now_ns();

    if (deadline > now) {
        long ts[2] = { (long)((deadline - now) / 1000000000ULL),
                       (long)((deadline - now) % 1000000000ULL) };

        syscall_host(35 /* nanosleep */, (long)ts, 0, 0, 0, 0, 0);
    }
#else
    while (syscall_now_ns() < deadline)
        arch_pause();
#endif
}

static void free_exited_stack(void)
{
    void *base = s.unmap_base;

    if (base) {
        s.unmap_base = NULL;
        nfos_syscall6(11 /* munmap */, (long)base, (long)s.unmap_len, 0, 0, 0, 0);
    }
}

/* Runs other threads until the current one is runnable again. */
static void schedule(void)
{
    struct thread *me = &s.t[s.cur];
    int next;

    for (;;) {
        uint64_t pending = wake_expired();

        next = pick_next();
        if (next >= 0)
            break;
        if (me->state == T_RUN)
            return;
        if (!pending && syscall_lcores_multi()) {
            arch_pause(); /* another lcore may change a waited word */
            continue;
        }
        if (!pending) {
            syscall_say("nfos: deadlock: thread %d waits (futex %p) and no thread can run\n",
                        me->tid, (void *)me->futex);
            plat_exit(PLAT_EXIT_CRASH);
        }
        idle_until(pending);
    }
    if (next != s.cur) {
        int prev = s.cur;

        s.cur = next;
        fs_load(s.t[next].fs);
        sched_switch(&s.t[prev].rsp, s.t[next].rsp);
        /* Running again (as prev). */
        free_exited_stack();
    }
}

int sched_yield_now(void)
{
    wake_expired();
    if (pick_next() == s.cur)
        return 1;
    schedule();
    return 0;
}

long sched_futex_wait(volatile int *addr, int val, uint64_t deadline_ns)
{
    struct thread *me = &s.t[s.cur];

    if (*addr != val)
        return -EAGAIN;
    me->state = T_WAIT;
    me->futex = addr;
    me->futex_val = val;
    me->deadline_ns = deadline_ns;
    me->timed_out = 0;
    schedule();
    me->futex = NULL;
    return me->timed_out ? -ETIMEDOUT : 0;
}

long sched_futex_wake(volatile int *addr, int n, volatile int *addr2, int n2)
{
    long woken = 0;
    int i;

    for (i = 0; i < CONFIG_LIBSYSCALL_THREADS_MAX; i++) {
        struct thread *t = &s.t[i];

        if (t->state != T_WAIT || t->futex != addr)
            continue;
        if (woken < n) {
            t->state = T_RUN;
            t->deadline_ns = 0;
            woken++;
        } else if (addr2 && n2 > 0) {
            t->futex = addr2;
            n2--;
        }
    }
    return woken;
}

void sched_sleep_until(uint64_t deadline_ns)
{
    struct thread *me = &s.t[s.cur];

    if (sched_nr_alive() == 1) {
        idle_until(deadline_ns);
        return;
    }
    me->state = T_SLEEP;
    me->deadline_ns = deadline_ns;
    schedule();
}

void sched_set_tid_address(int *ctid)
{
    s.t[s.cur].ctid = ctid;
}

_Noreturn void sched_thread_exit(void)
{
    struct thread *me = &s.t[s.cur];

    if (me->ctid) {
        *me->ctid = 0;
        sched_futex_wake(me->ctid, 1 << 30, NULL, 0);
    }
    me->state = T_DEAD;
    if (sched_nr_alive() == 0)
        syscall_exit_image(0);
    schedule();
    __builtin_unreachable();
}

_Noreturn void sched_thread_return(int status)
{
    (void)status; /* musl's threads never return here: they call exit */
    sched_thread_exit();
}

_Noreturn void nfos_unmapself(void *base, size_t len)
{
    /* Still on that stack: the next thread to run frees it. */
    s.unmap_base = base;
    s.unmap_len = len;
    sched_thread_exit();
}

int nfos_clone(int (*func)(void *), void *stack, int flags, void *arg, int *ptid, void *tls,
               int *ctid)
{
    struct thread *t = NULL;
    uint64_t *sp;
    int i;

    for (i = 0; i < CONFIG_LIBSYSCALL_THREADS_MAX; i++) {
        if (s.t[i].state == T_FREE || s.t[i].state == T_DEAD) {
            t = &s.t[i];
            break;
        }
    }
    if (!t)
        return -EAGAIN;
    *t = (struct thread){ .tid = s.next_tid++, .state = T_RUN };
    t->fs = flags & CLONE_SETTLS ? (uint64_t)tls : s.t[s.cur].fs;
    if (flags & CLONE_CHILD_CLEARTID)
        t->ctid = ctid;
    if (flags & CLONE_CHILD_SETTID)
        *ctid = t->tid;
    if (flags & CLONE_PARENT_SETTID)
        *ptid = t->tid;
    /* sched_switch's frame: r15 r14 r13(arg) r12(func) rbx rbp, return. */
    sp = (uint64_t *)((uintptr_t)stack & ~(uintptr_t)15) - 2;
    *--sp = (uint64_t)sched_thread_entry;
    *--sp = 0;              /* rbp */
    *--sp = 0;              /* rbx */
    *--sp = (uint64_t)func; /* r12 */
    *--sp = (uint64_t)arg;  /* r13 */
    *--sp = 0;              /* r14 */
    *--sp = 0;              /* r15 */
    t->rsp = (uint64_t)sp;
    return t->tid;
}
