/* Unit tests for lcore_one.c, the lcores of a single-CPU image: the whole
 * API answers as one lcore would, nfos.cpus=N (N > 1) is refused, launches
 * on other lcores fail, launch_all runs on main, per-lcore variables and
 * the usage counters work. core_param and the clock are faked. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/core.h>
#include <nfos/lcore.h>
#include <nfos/plat/time.h>

#include "fakes.h"

static int runs;
static int count_run(void *arg)
{
    runs++;
    return *(int *)arg;
}

Test(lcore_one, one_lcore_without_cpus_or_with_cpus_1)
{
    fake_param_set("nfos.cpus", NULL);
    cr_assert_eq(lcore_init(), 0);
    fake_param_set("nfos.cpus", "1");
    cr_assert_eq(lcore_init(), 0);
    cr_assert_eq(lcore_count(), 1);
    cr_assert_eq(lcore_id(), 0);
    cr_assert_eq(lcore_index(), 0);
    cr_assert_eq(lcore_id_early(), 0);
    cr_assert_eq(lcore_self()->self, lcore_self());
}

Test(lcore_one, more_cpus_refused)
{
    fake_param_set("nfos.cpus", "2");
    cr_assert_eq(lcore_init(), -EINVAL);
    fake_param_set("nfos.cpus", "x");
    cr_assert_eq(lcore_init(), -EINVAL);
    fake_param_set("nfos.cpus", "0");
    cr_assert_eq(lcore_init(), -EINVAL);
}

Test(lcore_one, launches_run_on_main_only)
{
    int ret = 7;

    fake_param_set("nfos.cpus", NULL);
    cr_assert_eq(lcore_init(), 0);
    cr_assert_eq(lcore_launch(1, count_run, &ret), -EINVAL);
    cr_assert_eq(lcore_launch(0, count_run, &ret), -EINVAL);
    cr_assert_eq(lcore_wait(1), -EINVAL);
    cr_assert_eq(lcore_running(0), 0);
    runs = 0;
    cr_assert_eq(lcore_launch_all(count_run, &ret, 0), 0);
    cr_assert_eq(runs, 0);
    cr_assert_eq(lcore_wait_all(), 0);
    cr_assert_eq(lcore_launch_all(count_run, &ret, 1), 0);
    cr_assert_eq(runs, 1);
    cr_assert_eq(lcore_wait_all(), 7);
    cr_assert_eq(lcore_wait_all(), 0, "the result is collected once");
}

Test(lcore_one, barrier_of_one_returns)
{
    struct lcore_barrier b;

    lcore_barrier_init(&b, 1);
    lcore_barrier_wait(&b);
    lcore_barrier_wait(&b);
    cr_assert_eq(b.round, 2);
}

Test(lcore_one, per_lcore_variables)
{
    long a, b;

    cr_assert_eq(lcore_init(), 0);
    a = lcore_var_alloc(8, 8);
    b = lcore_var_alloc(64, 64);
    cr_assert(a >= 0 && b >= 0 && b % 64 == 0 && b >= a + 8);
    *(uint64_t *)LCORE_VAR(a) = 42;
    cr_assert_eq(*(uint64_t *)lcore_var_of(0, a), 42);
    cr_assert_null(lcore_var_of(1, a));
    cr_assert_eq(lcore_var_alloc(8, 3), -EINVAL);
    cr_assert_eq(lcore_var_alloc(LCORE_VAR_BYTES, 8), -ENOMEM);
}

Test(lcore_one, sleep_returns_and_usage_counts)
{
    volatile uint32_t word = 0;
    struct lcore_usage u;

    cr_assert_eq(lcore_init(), 0);
    lcore_sleep(&word, 0, 0); /* nothing else can change it: at once */
    lcore_sleep(&word, 0, plat_time_ns() + 10000000);
    lcore_kick(0, &word);
    lcore_busy_add(100);
    cr_assert_eq(lcore_usage(0, &u), 0);
    cr_assert_eq(u.wakeups, 2);
    cr_assert_geq(u.busy_cycles, 100);
    cr_assert_eq(lcore_usage(1, &u), -EINVAL);
}
