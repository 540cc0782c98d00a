/* Alarms without a timer thread: a short list the main lcore runs when it
 * polls (eal_nfos_alarm_poll: while it waits on workers, and from the
 * alarm calls themselves). A callback never runs on a worker, nor before
 * its time; it may run late when the main lcore is busy elsewhere. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_alarm.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_spinlock.h>

#include "eal_private.h"
#include "eal_nfos.h"

#define EAL_NFOS_ALARMS 64

struct eal_nfos_alarm {
    uint64_t due; /* TSC; 0 = free slot */
    rte_eal_alarm_callback cb;
    void *arg;
};

static struct {
    rte_spinlock_t lock;
    struct eal_nfos_alarm a[EAL_NFOS_ALARMS];
    int running; /* the main lcore is inside a callback */
} alarms = { .lock = RTE_SPINLOCK_INITIALIZER };

int rte_eal_alarm_init(void)
{
    return 0;
}

void rte_eal_alarm_cleanup(void)
{
    rte_spinlock_lock(&alarms.lock);
    for (unsigned i = 0; i < EAL_NFOS_ALARMS; i++)
        alarms.a[i].due = 0;
    rte_spinlock_unlock(&alarms.lock);
}

void eal_nfos_alarm_poll(void)
{
    uint64_t now = rte_get_tsc_cycles();

    if (rte_lcore_id() != rte_get_main_lcore() || alarms.running)
        return;
    for (unsigned i = 0; i < EAL_NFOS_ALARMS; i++) {
        struct eal_nfos_alarm *al = &alarms.a[i];
        rte_eal_alarm_callback cb;
        void *arg;

        rte_spinlock_lock(&alarms.lock);
        if (!al->due || al->due > now) {
            rte_spinlock_unlock(&alarms.lock);
            continue;
        }
        cb = al->cb;
        arg = al->arg;
        al->due = 0;
        rte_spinlock_unlock(&alarms.lock);
        alarms.running = 1;
        cb(arg);
        alarms.running = 0;
    }
}

int rte_eal_alarm_set(uint64_t us, rte_eal_alarm_callback cb, void *arg)
{
    uint64_t due = rte_get_tsc_cycles() + us * (rte_get_tsc_hz() / 1000000) + 1;
    int ret = -ENOMEM;

    if (us < 1 || us > (UINT64_MAX - US_PER_S) || cb == NULL) {
        rte_errno = EINVAL;
        return -EINVAL;
    }
    rte_spinlock_lock(&alarms.lock);
    for (unsigned i = 0; i < EAL_NFOS_ALARMS; i++) {
        if (!alarms.a[i].due) {
            alarms.a[i] = (struct eal_nfos_alarm){ .due = due, .cb = cb, .arg = arg };
            ret = 0;
            break;
        }
    }
    rte_spinlock_unlock(&alarms.lock);
    if (ret)
        rte_errno = -ret;
    eal_nfos_alarm_poll();
    return ret;
}

/* arg (void *)-1 cancels every alarm of cb. Returns how many. */
int rte_eal_alarm_cancel(rte_eal_alarm_callback cb, void *arg)
{
    int n = 0;

    if (!cb) {
        rte_errno = EINVAL;
        return -1;
    }
    rte_spinlock_lock(&alarms.lock);
    for (unsigned i = 0; i < EAL_NFOS_ALARMS; i++) {
        struct eal_nfos_alarm *al = &alarms.a[i];

        if (al->due && al->cb == cb && (arg == (void *)-1 || al->arg == arg)) {
            al->due = 0;
            n++;
        }
    }
    rte_spinlock_unlock(&alarms.lock);
    if (!n)
        rte_errno = ENOENT;
    return n;
}
