/* lcores in an image without CONFIG_LIBLCORE_SMP: one lcore, main, with the
 * whole API of nfos/lcore.h, so that apps written for N lcores run as they
 * are. No CPU is started, no GS base set, no lock taken; lcore.c is the
 * SMP version. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/arch/cpu.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/lcore.h>
#include <nfos/plat/time.h>
#include "lcore_priv.h"

/* LCORE_START_HOOK's linker set (weak: an image may have none). */
extern int (*const __start_nfos_lcore_hooks[])(void) __attribute__((weak));
extern int (*const __stop_nfos_lcore_hooks[])(void) __attribute__((weak));

struct lcore lcore_one;

static struct {
    char vars[LCORE_VAR_BYTES] __nfos_cache_aligned;
    size_t var_used;
    int ret; /* lcore_launch_all's on main */
    uint64_t total_cycles, idle_cycles, launches, wakeups;
} one;

int lcore_init(void)
{
    int (*const *h)(void);
    uint64_t v;
    int err;

    lcore_one.self = &lcore_one;
    lcore_one.vars = one.vars;
    err = core_param_u64("nfos.cpus", &v);
    if (err != -ENOENT && (err || v != 1)) {
        fprintf(stderr,
                "nfos: nfos.cpus=%s: this image runs one CPU (built without "
                "CONFIG_LIBLCORE_SMP; `./nfos run --cpus N` or `make SMP=1` builds "
                "its SMP variant)\n",
                core_param("nfos.cpus"));
        return -EINVAL;
    }
    for (h = __start_nfos_lcore_hooks; h && h < __stop_nfos_lcore_hooks; h++)
        if ((err = (*h)()))
            return err;
    return 0;
}

int lcore_launch(unsigned id, int (*fn)(void *), void *arg)
{
    return -EINVAL; /* no lcore but main */
}

int lcore_wait(unsigned id)
{
    return -EINVAL;
}

int lcore_running(unsigned id)
{
    return 0;
}

int lcore_launch_all(int (*fn)(void *), void *arg, int on_main)
{
    uint64_t t0 = arch_rdtsc();

    one.ret = on_main ? fn(arg) : 0;
    if (on_main) {
        one.total_cycles += arch_rdtsc() - t0;
        one.launches++;
    }
    return 0;
}

int lcore_wait_all(void)
{
    int r = one.ret;

    one.ret = 0;
    return r;
}

void lcore_barrier_init(struct lcore_barrier *b, unsigned n)
{
    b->n = n;
    b->arrived = 0;
    b->round = 0;
}

/* n is 1 here (no other lcore can arrive): each call is a round. */
void lcore_barrier_wait(struct lcore_barrier *b)
{
    b->round++;
}

/* Nothing else runs to change *word: wait for the deadline, if any. */
void lcore_sleep(const volatile uint32_t *word, uint32_t val, uint64_t deadline_ns)
{
    uint64_t t0 = arch_rdtsc();

    while (deadline_ns && *word == val && plat_time_ns() < deadline_ns)
        arch_pause();
    one.idle_cycles += arch_rdtsc() - t0;
    one.wakeups++;
}

void lcore_kick(unsigned id, const volatile uint32_t *word)
{
}

long lcore_var_alloc(size_t size, size_t align)
{
    return lcore_var_carve(&one.var_used, size, align);
}

void *lcore_var_of(unsigned id, long off)
{
    if (id != 0 || off < 0 || off >= LCORE_VAR_BYTES)
        return NULL;
    return one.vars + off;
}

int lcore_usage(unsigned id, struct lcore_usage *u)
{
    if (id != 0)
        return -EINVAL;
    u->busy_cycles = lcore_one.busy_cycles;
    u->total_cycles = one.total_cycles;
    u->idle_cycles = one.idle_cycles;
    u->launches = one.launches;
    u->wakeups = one.wakeups;
    return 0;
}
