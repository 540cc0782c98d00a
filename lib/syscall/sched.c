/* Threads for musl's pthreads. nfos_clone makes a thread on the stack musl
 * gives it. With lcores, a new thread goes to a free lcore (one running no
 * launch) and runs there in parallel; otherwise it shares its creator's
 * lcore cooperatively: it runs until it blocks on a futex, sleeps, yields
 * or exits. No preemption, and a thread never moves to another lcore. Each
 * lcore's own context is a thread too (a musl thread adopted before main,
 * LCORE_START_HOOK), so a function launched on an lcore has TLS and may
 * block. A wake from another lcore kicks the waiter's lcore out of its
 * sleep. With nothing runnable anywhere, no sleeper and no launched lcore,
 * the image reports a deadlock and ends. Each thread has its own FS base:
 * wrfsbase on kvm, arch_prctl on linuxu. One lock covers all of this: it
 * is not a fast path. */
#include <errno.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/plat/exit.h>
#if CONFIG_LIBLCORE_SMP
#include <pthread.h>
#include <nfos/lcore.h>
#include <nfos/plat/time.h>
#endif
#include "syscall_priv.h"

#define NR                   CONFIG_LIBSYSCALL_THREADS_MAX
#define ADOPT_STACK          4096
#define CLONE_SETTLS         0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000

#if CONFIG_LIBLCORE_SMP
#define SCHED_CPUS LCORE_MAX
#define LOCK()     lcore_lock(&s.lock)
#define UNLOCK()   lcore_unlock(&s.lock)
#else
#define SCHED_CPUS 1
#define LOCK()     ((void)0)
#define UNLOCK()   ((void)0)
#endif

/* T_PARK: an lcore's own context while threads placed there run. */
enum thread_state { T_FREE, T_RUN, T_WAIT, T_SLEEP, T_DEAD, T_PARK };

struct thread {
    uint64_t rsp; /* saved by sched_switch */
    uint64_t fs;  /* the thread pointer */
    int tid;
    enum thread_state state;
    unsigned cpu;         /* the lcore it runs on, for good */
    int base;             /* an lcore's own context: never exits */
    volatile int *futex;  /* T_WAIT: the word waited on */
    uint64_t deadline_ns; /* T_WAIT/T_SLEEP: 0 = none */
    int timed_out;
    int *ctid; /* CLONE_CHILD_CLEARTID / set_tid_address */
    int (*func)(void *);
    void *arg;
};

/* One lcore's view; written under the lock (kick also read without). */
struct sched_cpu {
    int cur;                /* the thread running here */
    int base;               /* the lcore's own context (lcores but main) */
    int nr_placed;          /* threads nfos_clone put here (lcores but main) */
    volatile uint32_t kick; /* bumped when a thread here became runnable */
    int sleeping;           /* in lcore_sleep on kick */
    void *unmap_base;       /* a detached thread's stack, freed after it left */
    size_t unmap_len;
} __attribute__((aligned(64)));

static struct {
    struct thread t[NR];
    struct sched_cpu cpu[SCHED_CPUS];
    int next_tid;
    volatile int smp; /* every lcore adopted: lcore_id() tells the CPU */
    int adopt;        /* nfos_clone makes lcore adopt's own context */
    int fsgsbase;     /* kvm: CPUID says wrfsbase works */
#if CONFIG_LIBLCORE_SMP
    struct lcore_lock lock;
#endif
} s = { .t = { [0] = { .tid = 1, .state = T_RUN } }, .next_tid = 2 };

void sched_switch(uint64_t *save_rsp, uint64_t new_rsp);
void sched_thread_entry(void);
_Noreturn void sched_thread_return(int status);
int sched_thread_first(struct thread *t);
_Noreturn void nfos_unmapself(void *base, size_t len);
long nfos_set_fs_base(void *p);
int nfos_clone(int (*func)(void *), void *stack, int flags, void *arg, int *ptid, void *tls,
               int *ctid);

static inline unsigned here(void)
{
#if CONFIG_LIBLCORE_SMP
    unsigned id = 0;

    /* lcore_id(), but volatile: the compiler may not hoist the %gs load
     * above the check (the GS base is unset before lcore_init). */
    if (s.smp)
        __asm__ __volatile__("movl %%gs:8, %0" : "=r"(id));
    return id;
#else
    return 0;
#endif
}

static inline struct thread *self(void)
{
    return &s.t[s.cpu[here()].cur];
}

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
    self()->fs = (uint64_t)p;
    fs_load((uint64_t)p);
    return 0;
}

int sched_tid(void)
{
    return self()->tid;
}

/* Threads that can still end (an lcore's own context never does). */
static int nr_alive(void)
{
    int i, n = 0;

    for (i = 0; i < NR; i++)
        n += s.t[i].state != T_FREE && s.t[i].state != T_DEAD && !s.t[i].base;
    return n;
}

int sched_nr_alive(void)
{
    int n;

    LOCK();
    n = nr_alive();
    UNLOCK();
    return n;
}

/* Makes a thread on another lcore notice that one of its threads became
 * runnable (lock held). */
static void kick(unsigned cpu)
{
#if CONFIG_LIBLCORE_SMP
    struct sched_cpu *c = &s.cpu[cpu];

    if (cpu == here())
        return;
    __atomic_store_n(&c->kick, c->kick + 1, __ATOMIC_RELEASE);
    if (c->sleeping)
        lcore_kick(cpu, &c->kick);
#else
    (void)cpu;
#endif
}

static void make_runnable(struct thread *t)
{
    t->state = T_RUN;
    kick(t->cpu);
}

/* Wakes this lcore's timed waiters and sleepers whose deadline passed;
 * returns the earliest deadline still pending (0: none). */
static uint64_t wake_expired(unsigned cpu)
{
    uint64_t now = 0, next = 0;
    int i;

    for (i = 0; i < NR; i++) {
        struct thread *t = &s.t[i];

        if ((t->state != T_WAIT && t->state != T_SLEEP) || !t->deadline_ns || t->cpu != cpu)
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

/* The next runnable thread of this lcore after the current one (the
 * current one last), or -1. */
static int pick_next(unsigned cpu)
{
    int i, j, cur = s.cpu[cpu].cur;

    for (i = 1; i <= NR; i++) {
        j = (cur + i) % NR;
        if (s.t[j].state == T_RUN && s.t[j].cpu == cpu)
            return j;
    }
    return -1;
}

/* Nothing can ever run again: every thread waits without a deadline, and
 * no lcore runs a launched function (which might wake one). */
static int deadlocked(void)
{
    int i;

    for (i = 0; i < NR; i++) {
        const struct thread *t = &s.t[i];

        if ((t->state == T_WAIT || t->state == T_SLEEP) && t->deadline_ns)
            return 0;
        if (t->state != T_RUN)
            continue;
#if CONFIG_LIBLCORE_SMP
        if (t->base && !lcore_running(t->cpu))
            continue; /* an idle lcore */
#endif
        return 0;
    }
    return 1;
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

/* Nothing runnable here: sleeps until a kick or the deadline (0: none).
 * Lock held on entry and on return, dropped meanwhile. */
static void idle(unsigned cpu, uint64_t deadline)
{
#if CONFIG_LIBLCORE_SMP
    if (s.smp) {
        struct sched_cpu *c = &s.cpu[cpu];
        uint32_t seq = c->kick;
        uint64_t now = syscall_now_ns(), until = 0;

        if (deadline) {
            if (deadline <= now)
                return;
            until = plat_time_ns() + (deadline - now); /* plat's clock */
        }
        c->sleeping = 1;
        UNLOCK();
        lcore_sleep(&c->kick, seq, until);
        LOCK();
        c->sleeping = 0;
        return;
    }
#endif
    UNLOCK();
    idle_until(deadline);
    LOCK();
}

static void free_exited_stack(unsigned cpu)
{
    struct sched_cpu *c = &s.cpu[cpu];
    void *base = c->unmap_base;

    if (base) {
        c->unmap_base = NULL;
        nfos_syscall6(11 /* munmap */, (long)base, (long)c->unmap_len, 0, 0, 0, 0);
    }
}

/* Runs other threads of this lcore until the current one is runnable
 * again (lock held). */
static void schedule(void)
{
    unsigned cpu = here();
    struct sched_cpu *c = &s.cpu[cpu];
    struct thread *me = &s.t[c->cur];
    int next;

    for (;;) {
        uint64_t pending = wake_expired(cpu);

        next = pick_next(cpu);
        if (next >= 0)
            break;
        if (!pending && deadlocked()) {
            syscall_say("nfos: deadlock: thread %d waits (futex %p) and no thread can run\n",
                        me->tid, (void *)me->futex);
            plat_exit(PLAT_EXIT_CRASH);
        }
        idle(cpu, pending);
    }
    if (next != c->cur) {
        int prev = c->cur;

        c->cur = next;
        fs_load(s.t[next].fs);
        sched_switch(&s.t[prev].rsp, s.t[next].rsp);
        /* Running again (as prev), on the same lcore. */
        free_exited_stack(cpu);
    }
}

/* A new thread's first C (switch.S): the lock is still the switcher's. */
int sched_thread_first(struct thread *t)
{
    free_exited_stack(t->cpu);
    UNLOCK();
    return t->func(t->arg);
}

int sched_yield_now(void)
{
    unsigned cpu;
    int r = 0;

    LOCK();
    cpu = here();
    wake_expired(cpu);
    if (pick_next(cpu) == s.cpu[cpu].cur)
        r = 1;
    else
        schedule();
    UNLOCK();
    return r;
}

long sched_futex_wait(volatile int *addr, int val, uint64_t deadline_ns)
{
    struct thread *me;
    long r;

    LOCK();
    me = self();
    if (*addr != val) {
        UNLOCK();
        return -EAGAIN;
    }
    me->state = T_WAIT;
    me->futex = addr;
    me->deadline_ns = deadline_ns;
    me->timed_out = 0;
    schedule();
    me->futex = NULL;
    r = me->timed_out ? -ETIMEDOUT : 0;
    UNLOCK();
    return r;
}

static long futex_wake(volatile int *addr, int n, volatile int *addr2, int n2)
{
    long woken = 0;
    int i;

    for (i = 0; i < NR; i++) {
        struct thread *t = &s.t[i];

        if (t->state != T_WAIT || t->futex != addr)
            continue;
        if (woken < n) {
            t->deadline_ns = 0;
            make_runnable(t);
            woken++;
        } else if (addr2 && n2 > 0) {
            t->futex = addr2;
            n2--;
        }
    }
    return woken;
}

long sched_futex_wake(volatile int *addr, int n, volatile int *addr2, int n2)
{
    long woken;

    LOCK();
    woken = futex_wake(addr, n, addr2, n2);
    UNLOCK();
    return woken;
}

/* Threads on the caller's lcore besides it (lock held). */
static int others_here(void)
{
    const struct thread *me = self();
    unsigned cpu = here();
    int i, others = 0;

    for (i = 0; i < NR; i++) {
        const struct thread *t = &s.t[i];

        others += t != me && t->cpu == cpu && t->state != T_FREE && t->state != T_DEAD &&
                  t->state != T_PARK;
    }
    return others;
}

int sched_alone(void)
{
    int others;

    LOCK();
    others = others_here();
    UNLOCK();
    return !others;
}

void sched_sleep_until(uint64_t deadline_ns)
{
    struct thread *me;

    LOCK();
    me = self();
    if (!others_here()) {
        /* Alone here: nothing to switch to, and nothing to wake but time. */
        UNLOCK();
        idle_until(deadline_ns);
        return;
    }
    me->state = T_SLEEP;
    me->deadline_ns = deadline_ns;
    schedule();
    UNLOCK();
}

void sched_set_tid_address(int *ctid)
{
    self()->ctid = ctid;
}

_Noreturn void sched_thread_exit(void)
{
    struct sched_cpu *c;
    struct thread *me;
    unsigned cpu;

    LOCK();
    cpu = here();
    c = &s.cpu[cpu];
    me = &s.t[c->cur];
    if (me->ctid) {
        *me->ctid = 0;
        futex_wake(me->ctid, 1 << 30, NULL, 0);
    }
    me->state = T_DEAD;
    /* The last thread placed on an lcore hands it back to its own
     * context, which then ends its launch (sched_lcore_run). */
    if (cpu && !me->base && --c->nr_placed == 0 && s.t[c->base].state == T_PARK)
        s.t[c->base].state = T_RUN;
    if (nr_alive() == 0)
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
    struct sched_cpu *c;

    /* Still on that stack: the next thread to run here frees it. */
    LOCK();
    c = &s.cpu[here()];
    c->unmap_base = base;
    c->unmap_len = len;
    UNLOCK();
    sched_thread_exit();
}

#if CONFIG_LIBLCORE_SMP
/* Launched on a free lcore by place(): its own context parks while the
 * threads placed there run, and the launch ends with the last of them. */
static int sched_lcore_run(void *unused)
{
    struct sched_cpu *c;
    struct thread *me;

    (void)unused;
    LOCK();
    c = &s.cpu[here()];
    me = &s.t[c->base];
    while (c->nr_placed > 0) {
        me->state = T_PARK;
        schedule();
    }
    UNLOCK();
    return 0;
}
#endif

/* Whether slot i is some lcore's current thread (a dead one may still be
 * running on its stack, waiting for another thread to switch to). */
static int is_current(int i)
{
    unsigned cpu;

    for (cpu = 0; cpu < SCHED_CPUS; cpu++)
        if (s.cpu[cpu].cur == i)
            return 1;
    return 0;
}

/* The lcore a new thread runs on (lock held): a free one, else the
 * creator's. */
static unsigned place(void)
{
    unsigned cpu = here();

#if CONFIG_LIBLCORE_SMP
    unsigned i;

    for (i = 1; s.smp && i < lcore_count(); i++) {
        if (!s.cpu[i].nr_placed && !lcore_running(i) && !lcore_launch(i, sched_lcore_run, NULL)) {
            s.cpu[i].nr_placed = 1;
            return i;
        }
    }
#endif
    if (cpu)
        s.cpu[cpu].nr_placed++;
    return cpu;
}

int nfos_clone(int (*func)(void *), void *stack, int flags, void *arg, int *ptid, void *tls,
               int *ctid)
{
    struct thread *t = NULL;
    uint64_t *sp;
    int i;

    LOCK();
    for (i = 0; i < NR; i++) {
        if (s.t[i].state == T_FREE || (s.t[i].state == T_DEAD && !is_current(i))) {
            t = &s.t[i];
            break;
        }
    }
    if (!t) {
        UNLOCK();
        return -EAGAIN;
    }
    *t = (struct thread){ .tid = s.next_tid++, .state = T_RUN, .func = func, .arg = arg };
    t->fs = flags & CLONE_SETTLS ? (uint64_t)tls : self()->fs;
    if (flags & CLONE_CHILD_CLEARTID)
        t->ctid = ctid;
    if (flags & CLONE_CHILD_SETTID)
        *ctid = t->tid;
    if (flags & CLONE_PARENT_SETTID)
        *ptid = t->tid;
    if (SCHED_CPUS > 1 && s.adopt) {
        /* Not a new thread: lcore adopt's own context gets its TLS (only
         * with more than one lcore: the test lets a one-CPU build drop it). */
        t->base = 1;
        t->cpu = (unsigned)s.adopt;
        s.cpu[t->cpu].base = s.cpu[t->cpu].cur = i;
        UNLOCK();
        return t->tid;
    }
    /* sched_switch's frame: r15 r14 r13(t) r12(first C) rbx rbp, return. */
    sp = (uint64_t *)((uintptr_t)stack & ~(uintptr_t)15) - 2;
    *--sp = (uint64_t)sched_thread_entry;
    *--sp = 0;                            /* rbp */
    *--sp = 0;                            /* rbx */
    *--sp = (uint64_t)sched_thread_first; /* r12 */
    *--sp = (uint64_t)t;                  /* r13 */
    *--sp = 0;                            /* r14 */
    *--sp = 0;                            /* r15 */
    t->rsp = (uint64_t)sp;
    t->cpu = place();
    i = t->tid;
    UNLOCK();
    return i;
}

#if CONFIG_LIBLCORE_SMP
static void *sched_never(void *unused)
{
    return unused; /* an adopted thread's start routine never runs */
}

static int sched_lcore_adopt(void *unused)
{
    (void)unused;
    fs_load(s.t[s.cpu[lcore_id()].cur].fs);
    return 0;
}

/* Before main: every lcore but main gets its own musl thread (TLS, a tid
 * for stdio's locks, and musl switched to taking locks), made by musl's
 * own pthread_create with nfos_clone in adopt mode. */
static int sched_lcores_adopt(void)
{
    pthread_attr_t attr;
    pthread_t t;
    unsigned i;
    int err = 0;

    if (lcore_count() < 2)
        return 0;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, ADOPT_STACK); /* never used */
    for (i = 1; i < lcore_count() && !err; i++) {
        s.adopt = (int)i;
        err = pthread_create(&t, &attr, sched_never, NULL);
        s.adopt = 0;
        if (!err && !(err = -lcore_launch(i, sched_lcore_adopt, NULL)))
            lcore_wait(i);
    }
    pthread_attr_destroy(&attr);
    if (err) {
        syscall_say("nfos: lcore %u gets no musl thread (error %d)\n", i - 1, err);
        return -err;
    }
    __atomic_store_n(&s.smp, 1, __ATOMIC_RELEASE);
    return 0;
}
LCORE_START_HOOK(sched_lcores_adopt);
#endif
