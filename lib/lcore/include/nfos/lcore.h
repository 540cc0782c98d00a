/* lcore: one run-to-completion loop per CPU, in DPDK's shape. lcore 0 (the
 * main lcore) runs main(); every other lcore waits, halted, until main
 * launches a function on it, runs it to completion and waits again.
 *
 *   lcore_id()/lcore_count()        who am I, how many are there
 *   lcore_launch()/lcore_wait()     run fn(arg) on an lcore, collect its result
 *   lcore_barrier_*                 all launched lcores meet
 *   LCORE_VAR(off)                  this lcore's copy of a per-lcore variable
 *   lcore_busy_add()/lcore_usage()  busy-cycle accounting
 *
 * The count is nfos.cpus=N, else what the platform gives (kvm: every CPU in
 * the ACPI MADT; linuxu: 1); on linuxu nfos.lcore_pin=C0,C1,... pins lcore i
 * to host CPU Ci. The calling lcore is found through the GS base: no
 * lookup, no lock. In an image with lcores, malloc and stdio (nolibc's and
 * musl's) are safe from every lcore; musl's pthread_create puts a thread on
 * a free lcore (lib/syscall).
 *
 * Without CONFIG_LIBLCORE_SMP the image runs one lcore (lcore_one.c): the
 * same API, lcore_id() a constant 0, lcore_self() one static block, and
 * nfos.cpus=N with N > 1 refused at boot. */
#ifndef NFOS_LCORE_H
#define NFOS_LCORE_H

#include <stddef.h>
#include <stdint.h>

#if CONFIG_LIBLCORE_SMP
#define LCORE_MAX 16
#else
#define LCORE_MAX 1
#endif
#define LCORE_VAR_BYTES 1024 /* per-lcore variables, per lcore */

/* This lcore's block; GS base points at it. Fields are the library's. */
struct lcore {
    struct lcore *self; /* %gs:0 */
    unsigned id;        /* %gs:8 */
    unsigned cpu;
    uint64_t busy_cycles; /* lcore_busy_add() */
    char *vars;           /* LCORE_VAR_BYTES of per-lcore variables */
};

#if CONFIG_LIBLCORE_SMP
static inline struct lcore *lcore_self(void)
{
    struct lcore *lc;

    __asm__("movq %%gs:0, %0" : "=r"(lc));
    return lc;
}

/* 0 on the main lcore, 1 .. lcore_count()-1 on the others. Fast path. */
static inline unsigned lcore_id(void)
{
    unsigned id;

    __asm__("movl %%gs:8, %0" : "=r"(id));
    return id;
}

/* lcore_id() as an array index: the 32-bit load zero-extends into the
 * 64-bit register, which the compiler, told so, uses in an address
 * without a widening move of its own (the pool caches' lookup). */
static inline unsigned long lcore_index(void)
{
    unsigned long id;

    __asm__("movl %%gs:8, %k0" : "=r"(id));
    return id;
}
#else
extern struct lcore lcore_one; /* lcore_one.c: the one lcore's block */

static inline struct lcore *lcore_self(void)
{
    return &lcore_one;
}

static inline unsigned lcore_id(void)
{
    return 0;
}

static inline unsigned long lcore_index(void)
{
    return 0;
}
#endif

#if CONFIG_LIBLCORE_SMP
/* lcore_id() for code that may run before lcore_init (libc, heap): 0
 * until the lcores exist. Slow path (a call). */
unsigned lcore_id_early(void);

/* The number of lcores, main included (>= 1). */
unsigned lcore_count(void);
#else
/* One lcore: constants, so that the compiler drops every loop over the
 * other lcores. */
static inline unsigned lcore_id_early(void)
{
    return 0;
}

static inline unsigned lcore_count(void)
{
    return 1;
}
#endif

/* Starts the other lcores (called once by the boot sequence): 0 or -errno,
 * printed. */
int lcore_init(void);

/* Runs fn(arg) on lcore id (not 0). Returns 0, -EINVAL (no such lcore, or
 * 0), -EBUSY (it still runs an earlier launch, or another lcore is
 * launching on it right now). Any lcore may launch; lcore_wait, which
 * collects the result, belongs to the launcher. */
int lcore_launch(unsigned id, int (*fn)(void *), void *arg);

/* Waits until lcore id finished its launch; returns fn's result, 0 when
 * nothing was launched, -EINVAL for a bad id. Spins briefly, then sleeps
 * (linuxu: a futex; kvm: halted until the lcore's IPI). */
int lcore_wait(unsigned id);

/* 1 while lcore id runs a launched function, else 0 (a snapshot). */
int lcore_running(unsigned id);

/* Launches fn(arg) on every lcore but main, then runs it on main too when
 * on_main; lcore_wait_all() waits for them and returns the first nonzero
 * result (main's included), else 0. */
int lcore_launch_all(int (*fn)(void *), void *arg, int on_main);
int lcore_wait_all(void);

/* A barrier for n lcores: each lcore_barrier_wait() returns once n have
 * called it; reusable at once. Spins (no halt): for lcores that run. */
struct lcore_barrier {
    unsigned n;
    volatile unsigned arrived;
    volatile unsigned round;
};
void lcore_barrier_init(struct lcore_barrier *b, unsigned n);
void lcore_barrier_wait(struct lcore_barrier *b);

/* A spin lock for slow paths shared by lcores (heap, stdio, the musl
 * shim's threads): never held across a sleep, not recursive. */
struct lcore_lock {
    volatile uint32_t held;
};
#define LCORE_LOCK_INIT \
    {                   \
        0               \
    }
static inline void lcore_lock(struct lcore_lock *l)
{
    while (__atomic_exchange_n(&l->held, 1, __ATOMIC_ACQUIRE))
        while (__atomic_load_n(&l->held, __ATOMIC_RELAXED))
            __builtin_ia32_pause();
}
static inline void lcore_unlock(struct lcore_lock *l)
{
    __atomic_store_n(&l->held, 0, __ATOMIC_RELEASE);
}

/* Sleeping and waking an lcore, for libraries that block (the musl shim's
 * futexes): lcore_sleep returns once *word != val, after a wake-up or early
 * (the caller re-checks); with deadline_ns (the nfos clock, 0: none) it
 * returns by then too. lcore_kick wakes lcore id out of lcore_sleep(word,
 * ...) after *word changed. Any lcore. */
void lcore_sleep(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns);
void lcore_kick(unsigned id, const volatile uint32_t *word);

/* A library that must prepare every lcore before main runs (musl: each
 * lcore its own thread pointer) registers fn with LCORE_START_HOOK(fn):
 * lcore_init calls fn() on main once all lcores run; nonzero (-errno)
 * fails the boot. */
#define LCORE_START_HOOK(fn)                          \
    static int (*const __lcore_start_hook_##fn)(void) \
        __attribute__((used, section("nfos_lcore_hooks"), aligned(8))) = (fn)

/* Per-lcore variables: lcore_var_alloc reserves size bytes (aligned to
 * align, a power of two <= 64) in every lcore's area and returns its
 * offset, or -ENOMEM; zeroed. Slow path. LCORE_VAR(off) is this lcore's
 * copy (fast path: one %gs load), lcore_var_of(id, off) another's. */
long lcore_var_alloc(size_t size, size_t align);
#define LCORE_VAR(off) ((void *)(lcore_self()->vars + (off)))
void *lcore_var_of(unsigned id, long off);

/* Busy-cycle accounting: a poll loop adds the TSC cycles of the
 * iterations that found work; lcore_usage() reports them beside the
 * cycles spent in launched functions (total) and halted (idle). */
static inline void lcore_busy_add(uint64_t cycles)
{
    lcore_self()->busy_cycles += cycles;
}

struct lcore_usage {
    uint64_t busy_cycles;  /* lcore_busy_add() sums */
    uint64_t total_cycles; /* in launched functions */
    uint64_t idle_cycles;  /* waiting for a launch */
    uint64_t launches;
    uint64_t wakeups; /* returns from a halt (or futex wait) */
};
/* 0, or -EINVAL for a bad id. Values of a running lcore may lag. */
int lcore_usage(unsigned id, struct lcore_usage *u);

#endif /* NFOS_LCORE_H */
