/* lcores: the per-lcore blocks, the launch/wait protocol and the barrier.
 * The platform starts the CPUs (nfos/plat/smp.h); this file decides what
 * they run: a loop that halts until main launches a function on it. No
 * scheduler, no locks: each block has one writer per field. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/alloc.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/lcore.h>
#include <nfos/plat/smp.h>
#include <nfos/plat/time.h>
#include "lcore_priv.h"

/* Pauses lcore_wait spins before it sleeps: a launch that ends within a
 * few microseconds is collected without a wake-up. */
#define LCORE_WAIT_SPINS 4096

/* One lcore. GS base points at pub. launch_seq (with the claim that lets
 * any lcore launch) and waiter are the launcher's, done_seq and the cycle
 * counters the lcore's own: on separate cache lines. */
struct lcore_state {
    struct lcore pub;
    int (*fn)(void *);
    void *arg;
    volatile uint32_t launch_seq;
    struct lcore_lock claim;
    volatile uint32_t waiter; /* 1 + the lcore sleeping in lcore_wait, or 0 */
    char pad0[NFOS_CACHE_LINE];
    volatile uint32_t done_seq;
    int ret;
    uint64_t total_cycles, idle_cycles, launches, wakeups;
    char vars[LCORE_VAR_BYTES] __nfos_cache_aligned;
} __nfos_cache_aligned;

_Static_assert(offsetof(struct lcore, self) == 0, "lcore_self() reads %gs:0");
_Static_assert(offsetof(struct lcore, id) == 8, "lcore_id() reads %gs:8");

/* LCORE_START_HOOK's linker set (weak: an image may have none). */
extern int (*const __start_nfos_lcore_hooks[])(void) __attribute__((weak));
extern int (*const __stop_nfos_lcore_hooks[])(void) __attribute__((weak));

static struct {
    struct lcore_state lc[LCORE_MAX];
    unsigned count;
    size_t var_used;
} lcores; /* zero-initialised: bss, not data in the image */

unsigned lcore_count(void)
{
    return lcores.count ? lcores.count : 1;
}

unsigned lcore_id_early(void)
{
    unsigned id = 0;

    /* Volatile: the %gs load must not be hoisted above the check (the GS
     * base is unset before lcore_init). */
    if (lcores.count)
        __asm__ __volatile__("movl %%gs:8, %0" : "=r"(id));
    return id;
}

/* What every lcore but main runs for good. */
static void lcore_loop(void *percpu)
{
    struct lcore_state *ls = percpu;

    for (;;) {
        uint32_t seq = __atomic_load_n(&ls->launch_seq, __ATOMIC_ACQUIRE);
        uint64_t t0 = arch_rdtsc();
        uint32_t waiter;

        if (seq == ls->done_seq) {
            plat_smp_idle(&ls->launch_seq, seq, 0);
            ls->idle_cycles += arch_rdtsc() - t0;
            ls->wakeups++;
            continue;
        }
        ls->ret = ls->fn(ls->arg);
        ls->total_cycles += arch_rdtsc() - t0;
        ls->launches++;
        /* Store, then load the waiter (lcore_wait: store waiter, then load
         * done_seq): sequentially consistent, so one of the two sees the
         * other and no wake-up is lost. */
        __atomic_store_n(&ls->done_seq, seq, __ATOMIC_SEQ_CST);
        waiter = __atomic_load_n(&ls->waiter, __ATOMIC_SEQ_CST);
        if (waiter)
            plat_smp_wake(lcores.lc[waiter - 1].pub.cpu, &ls->done_seq);
    }
}

static void lcore_setup(unsigned id)
{
    struct lcore_state *ls = &lcores.lc[id];

    ls->pub.self = &ls->pub;
    ls->pub.id = id;
    ls->pub.cpu = id;
    ls->pub.vars = ls->vars;
}

static void lcore_trace_print(void)
{
    uint64_t hz = plat_tsc_hz(), t0 = core_boottrace_tsc(CORE_BT_ENTRY);
    unsigned i;

    if (!hz)
        return;
#define NS(c) ((unsigned long long)((c)*1000000ULL / (hz / 1000)))
    for (i = 1; i < lcores.count; i++) {
        struct plat_smp_trace t;

        plat_smp_trace(i, &t);
        printf("boottrace: cpu%u start %llu ns, entry +%llu ns, cpl3 +%llu ns (%llu ns to start)\n",
               i, t.start > t0 ? NS(t.start - t0) : 0,
               t.entry > t.start ? NS(t.entry - t.start) : 0,
               t.cpl3 > t.entry && t.entry ? NS(t.cpl3 - t.entry) : 0,
               t.cpl3 > t.start ? NS(t.cpl3 - t.start) : 0);
    }
#undef NS
}

/* The lcore count: nfos.cpus=N, else the platform's. */
static int lcore_count_param(unsigned *n)
{
    unsigned max;
    uint64_t v;
    int err;

    *n = plat_smp_cpus(&max);
    err = core_param_u64("nfos.cpus", &v);
    if (err == -ENOENT) {
        *n = NFOS_MIN(*n, (unsigned)LCORE_MAX);
        return 0;
    }
    if (err || v < 1 || v > max || v > LCORE_MAX) {
        fprintf(stderr, "nfos: nfos.cpus=%s: expected 1 to %u (CPUs this image can run)\n",
                core_param("nfos.cpus"), NFOS_MIN(max, (unsigned)LCORE_MAX));
        return -EINVAL;
    }
    *n = (unsigned)v;
    return 0;
}

static int lcore_hooks_run(void)
{
    int (*const *h)(void);
    int err;

    for (h = __start_nfos_lcore_hooks; h && h < __stop_nfos_lcore_hooks; h++)
        if ((err = (*h)()))
            return err;
    return 0;
}

int lcore_init(void)
{
    const char *bt = core_param("nfos.boottrace");
    size_t area_size = plat_smp_area_size();
    unsigned n, i;
    int err;

    lcore_setup(0);
    plat_smp_set_percpu(&lcores.lc[0].pub);
    lcores.count = 1; /* lcore_id_early() may read GS from here on */
    err = lcore_count_param(&n);
    if (err)
        return err;
    for (i = 1; i < n; i++) {
        void *area = NULL;

        lcore_setup(i);
        if (area_size && (err = alloc_memalign(&area, NFOS_PAGE_SIZE, area_size))) {
            fprintf(stderr, "nfos: no memory for cpu %u's stacks (%d)\n", i, err);
            return err;
        }
        err = plat_smp_start(i, lcore_loop, &lcores.lc[i], area);
        if (err) {
            fprintf(stderr, "nfos: cpu %u did not start (error %d)\n", i, err);
            return err;
        }
        lcores.count = i + 1;
    }
    if (n > 1 && bt && *bt != '0')
        lcore_trace_print();
    return lcore_hooks_run();
}

int lcore_launch(unsigned id, int (*fn)(void *), void *arg)
{
    struct lcore_state *ls = &lcores.lc[id];

    if (id == 0 || id >= lcores.count || !fn)
        return -EINVAL;
    /* The claim only covers writing the launch: two launchers cannot both
     * see the lcore free and overwrite each other's fn. */
    if (__atomic_exchange_n(&ls->claim.held, 1, __ATOMIC_ACQUIRE))
        return -EBUSY;
    if (__atomic_load_n(&ls->done_seq, __ATOMIC_ACQUIRE) != ls->launch_seq) {
        lcore_unlock(&ls->claim);
        return -EBUSY;
    }
    ls->fn = fn;
    ls->arg = arg;
    __atomic_store_n(&ls->launch_seq, ls->launch_seq + 1, __ATOMIC_RELEASE);
    lcore_unlock(&ls->claim);
    plat_smp_wake(ls->pub.cpu, &ls->launch_seq);
    return 0;
}

int lcore_wait(unsigned id)
{
    struct lcore_state *ls = &lcores.lc[id];
    unsigned spins = 0;
    uint32_t done;

    if (id == 0 || id >= lcores.count)
        return -EINVAL;
    while ((done = __atomic_load_n(&ls->done_seq, __ATOMIC_ACQUIRE)) != ls->launch_seq) {
        if (++spins < LCORE_WAIT_SPINS) {
            arch_pause();
            continue;
        }
        __atomic_store_n(&ls->waiter, lcore_id() + 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&ls->done_seq, __ATOMIC_SEQ_CST) == done)
            lcore_sleep(&ls->done_seq, done, 0);
    }
    ls->waiter = 0;
    return ls->ret;
}

int lcore_running(unsigned id)
{
    const struct lcore_state *ls = &lcores.lc[id];

    return id && id < lcores.count &&
           __atomic_load_n(&ls->done_seq, __ATOMIC_ACQUIRE) != ls->launch_seq;
}

void lcore_sleep(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns)
{
    struct lcore_state *ls = (struct lcore_state *)lcore_self();
    uint64_t t0 = arch_rdtsc();

    plat_smp_idle(word, val, deadline_ns);
    ls->idle_cycles += arch_rdtsc() - t0;
    ls->wakeups++;
}

void lcore_kick(unsigned id, const volatile uint32_t *word)
{
    if (id < lcores.count)
        plat_smp_wake(lcores.lc[id].pub.cpu, word);
}

int lcore_launch_all(int (*fn)(void *), void *arg, int on_main)
{
    struct lcore_state *main_ls = &lcores.lc[0];
    unsigned i;
    int err;

    for (i = 1; i < lcores.count; i++)
        if ((err = lcore_launch(i, fn, arg)))
            return err;
    main_ls->ret = on_main ? fn(arg) : 0;
    return 0;
}

int lcore_wait_all(void)
{
    int first = lcores.lc[0].ret;
    unsigned i;

    lcores.lc[0].ret = 0;
    for (i = 1; i < lcores.count; i++) {
        int r = lcore_wait(i);

        if (!first)
            first = r;
    }
    return first;
}

void lcore_barrier_init(struct lcore_barrier *b, unsigned n)
{
    b->n = n;
    b->arrived = 0;
    b->round = 0;
}

void lcore_barrier_wait(struct lcore_barrier *b)
{
    unsigned round = __atomic_load_n(&b->round, __ATOMIC_ACQUIRE);

    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_ACQ_REL) == b->n) {
        b->arrived = 0;
        __atomic_store_n(&b->round, round + 1, __ATOMIC_RELEASE);
        return;
    }
    while (__atomic_load_n(&b->round, __ATOMIC_ACQUIRE) == round)
        arch_pause();
}

long lcore_var_alloc(size_t size, size_t align)
{
    return lcore_var_carve(&lcores.var_used, size, align);
}

void *lcore_var_of(unsigned id, long off)
{
    if (id >= lcores.count || off < 0 || off >= LCORE_VAR_BYTES)
        return NULL;
    return lcores.lc[id].vars + off;
}

int lcore_usage(unsigned id, struct lcore_usage *u)
{
    const struct lcore_state *ls = &lcores.lc[id];

    if (id >= lcores.count)
        return -EINVAL;
    u->busy_cycles = ls->pub.busy_cycles;
    u->total_cycles = ls->total_cycles;
    u->idle_cycles = ls->idle_cycles;
    u->launches = ls->launches;
    u->wakeups = ls->wakeups;
    return 0;
}
