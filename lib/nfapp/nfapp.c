/* Shared network-function app plumbing: start-up (the command line, the
 * clock), ports, pool, limits, reports. */
#include <stdio.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/nfapp.h>
#include <nfos/plat/exit.h>
#include <nfos/plat/idle.h>
#include <nfos/plat/time.h>

enum {
    NFAPP_IDLE_POLLING, /* counting empty polls */
    NFAPP_IDLE_ARMED,   /* plat_idle_arm done: one more empty round, then sleep */
    NFAPP_IDLE_COUNTED, /* a period counted where the platform cannot sleep */
};

int nfapp_start(struct nfapp *app, const char *name, const char *about,
                const struct nfapp_opt *opts, int argc, char **argv)
{
    uint64_t every = 0, idle_us;
    int rc;

    memset(app, 0, sizeof(*app));
    app->name = name;
    if ((rc = nfapp_args_parse(name, about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    app->tsc_hz = plat_tsc_hz();
    app->max_cycles = (uint64_t)(app->max_seconds * (double)app->tsc_hz);
    core_param_u64("nfos.stats", &every);
    idle_us = NFAPP_IDLE_US;
    core_param_u64("nfos.idle_us", &idle_us);
    app->idle.cycles = idle_us * (app->tsc_hz / 1000000);
    app->report_every = every * app->tsc_hz;
    app->start_tsc = app->last_tsc = arch_rdtsc();
    app->next_report_tsc = app->report_every ? app->start_tsc + app->report_every : UINT64_MAX;
    return NFAPP_RUN;
}

struct pool *nfapp_pool(struct nfapp *app, unsigned count)
{
    struct pool *p = netbuf_pool_create(app->name, count, 0, NETBUF_HEADROOM, NETBUF_DATA_ROOM);

    if (!p)
        fprintf(stderr, "%s: cannot make a pool of %u packet buffers; give the guest more RAM\n",
                app->name, count);
    else if (app->npools < NFAPP_POOLS_MAX)
        app->pools[app->npools++] = p;
    return p;
}

struct netdev *nfapp_port(struct nfapp *app, unsigned port, struct pool *pool)
{
    return nfapp_port_queues(app, port, pool, 1);
}

struct netdev *nfapp_port_queues(struct nfapp *app, unsigned port, struct pool *pool, uint16_t nq)
{
    struct netdev *dev = netdev_get(port);

    if (!dev) {
        fprintf(stderr,
                "%s: no network port %u (%u found); attach one: ./nfos run %s --net tap:IF "
                "(or netdev%s.dev=... on linuxu)\n",
                app->name, port, netdev_count(), app->name, port ? "N" : "");
        return NULL;
    }
    if (netdev_quick_start_queues(dev, pool, nq))
        return NULL;
    return dev;
}

uint16_t nfapp_port_max_queues(unsigned port)
{
    struct netdev *dev = netdev_get(port);
    struct netdev_info info;

    if (!dev || netdev_info(dev, &info))
        return 0;
    return NFOS_MIN(info.max_rx_queues, info.max_tx_queues);
}

static double mpps(uint64_t pkts, uint64_t cycles, uint64_t hz)
{
    return cycles ? (double)pkts * (double)hz / (double)cycles / 1e6 : 0.0;
}

static void report(struct nfapp *app, const struct nfapp_counters *c, uint64_t cycles,
                   const char *tag)
{
    double secs = (double)cycles / (double)app->tsc_hz;
    double busy = c->busy_pkts ? (double)c->busy_cycles / (double)c->busy_pkts : 0.0;

    printf("%s: %srx %llu pkts %.3f Mpp/s | tx %llu pkts %.3f Mpp/s | drops %llu | busy %.1f "
           "cycles/pkt | %.2f s\n",
           app->name, tag, (unsigned long long)c->rx, mpps(c->rx, cycles, app->tsc_hz),
           (unsigned long long)c->tx, mpps(c->tx, cycles, app->tsc_hz),
           (unsigned long long)c->drops, busy, secs);
}

/* The earliest TSC the app must run again by: its report, its end, its
 * own timer; UINT64_MAX when none. */
static uint64_t idle_deadline(const struct nfapp *app)
{
    uint64_t d = app->next_report_tsc;

    if (app->max_cycles && app->start_tsc + app->max_cycles < d)
        d = app->start_tsc + app->max_cycles;
    if (app->wake_tsc && app->wake_tsc < d)
        d = app->wake_tsc;
    return d;
}

/* Sleeps until a frame or the deadline; the timeout in nanoseconds. */
static void idle_sleep(struct nfapp *app, uint64_t now)
{
    uint64_t d = idle_deadline(app), ns = 0, slept = 0;
    int rc;

    if (d != UINT64_MAX) {
        if (d <= now)
            return; /* due now: the app runs it first */
        ns = (uint64_t)((double)(d - now) * 1e9 / (double)app->tsc_hz);
        ns = ns ? ns : 1;
    } else if (!netdev_count()) {
        return; /* nothing could wake it */
    }
    rc = plat_idle_sleep(ns, &slept);
    if (rc < 0) {
        app->idle.unsupported = 1;
        return;
    }
    app->idle.sleeps++;
    app->idle.slept_ns += slept;
    if (rc == PLAT_IDLE_WOKE_DEVICE)
        app->idle.woken_frame++;
    else
        app->idle.woken_timer++;
}

/* A poll that moved nothing: after idle.cycles of them, arm; after one
 * more empty round, sleep. */
static void __attribute__((noinline)) idle_poll(struct nfapp *app)
{
    struct nfapp_idle *id = &app->idle;
    uint64_t now = arch_rdtsc();

    if (!id->since) {
        id->since = now;
        return;
    }
    if (id->state == NFAPP_IDLE_ARMED) {
        idle_sleep(app, now);
        id->state = NFAPP_IDLE_POLLING;
        id->since = 0;
        return;
    }
    if (id->state == NFAPP_IDLE_COUNTED || now - id->since < id->cycles)
        return;
    id->periods++;
    if (!id->unsupported && plat_idle_arm() == 0) {
        id->state = NFAPP_IDLE_ARMED;
    } else {
        id->unsupported = 1;
        id->state = NFAPP_IDLE_COUNTED;
    }
}

bool nfapp_poll(struct nfapp *app, uint64_t pkts_for_limit)
{
    uint64_t now;

    if (app->max_pkts && pkts_for_limit >= app->max_pkts)
        return true;
    if (unlikely(plat_stop_requested()))
        return true;
    if (app->idle.cycles) {
        uint64_t mark = app->c.rx + app->c.tx + pkts_for_limit;

        if (mark != app->idle.mark) {
            if (unlikely(app->idle.state == NFAPP_IDLE_ARMED))
                plat_idle_disarm(); /* the second poll found work: no sleep */
            app->idle.mark = mark;
            app->idle.since = 0;
            app->idle.state = NFAPP_IDLE_POLLING;
        } else {
            idle_poll(app);
        }
    }
    if (!app->max_cycles && app->next_report_tsc == UINT64_MAX)
        return false;
    now = arch_rdtsc();
    if (now >= app->next_report_tsc) {
        struct nfapp_counters d = app->c;

        d.rx -= app->last.rx;
        d.tx -= app->last.tx;
        d.drops -= app->last.drops;
        d.busy_cycles -= app->last.busy_cycles;
        d.busy_pkts -= app->last.busy_pkts;
        report(app, &d, now - app->last_tsc, "interval ");
        app->last = app->c;
        app->last_tsc = now;
        app->next_report_tsc = now + app->report_every;
    }
    return app->max_cycles && now - app->start_tsc >= app->max_cycles;
}

/* Every buffer of the app's pools is home, in a driver's rings, or lost
 * (the app or a driver dropped it without a free). The drivers' counts are
 * summed over all ports: apps give every port one pool, so the total is
 * that pool's. */
int nfapp_pools_check(struct nfapp *app)
{
    uint64_t total = 0, home = 0, held = 0, out, bad = 0;
    unsigned i, port;
    bool ok;

    for (port = 0; port < netdev_count(); port++) {
        struct netdev *dev = netdev_get(port);
        struct netdev_stats s;

        if (dev->state == NETDEV_STARTED)
            netdev_stop(dev);
        if (dev->state == NETDEV_STOPPED && !netdev_stats(dev, &s))
            held += s.bufs_held;
    }
    for (i = 0; i < app->npools; i++) {
        total += pool_capacity(app->pools[i]);
        /* Cached objects are home too (every lcore's cache). */
        home += pool_capacity(app->pools[i]) - pool_in_use(app->pools[i]);
        bad += app->pools[i]->stats.bad_puts;
    }
    out = total - home;
    ok = out == held && !bad;
    printf("%s: netbufs: %llu in %u pool(s), %llu home, %llu in port rings, %lld lost, %llu "
           "double frees: %s\n",
           app->name, (unsigned long long)total, app->npools, (unsigned long long)home,
           (unsigned long long)held, (long long)(out - held), (unsigned long long)bad,
           ok ? "balanced" : "NOT balanced");
    return ok ? 0 : -1;
}

static void idle_report(const struct nfapp *app)
{
    const struct nfapp_idle *id = &app->idle;

    if (!id->periods)
        return;
    if (id->unsupported && !id->sleeps) {
        printf("%s: idle: %llu periods, 0 sleeps (this platform cannot sleep the CPU: polled)\n",
               app->name, (unsigned long long)id->periods);
        return;
    }
    printf("%s: idle: %llu periods, %llu sleeps (%llu woken by a frame, %llu by a timer), %.3f s "
           "asleep\n",
           app->name, (unsigned long long)id->periods, (unsigned long long)id->sleeps,
           (unsigned long long)id->woken_frame, (unsigned long long)id->woken_timer,
           (double)id->slept_ns / 1e9);
}

int nfapp_finish(struct nfapp *app)
{
    unsigned port;

    report(app, &app->c, arch_rdtsc() - app->start_tsc, "total ");
    idle_report(app);
    for (port = 0; port < netdev_count(); port++) {
        struct netdev *dev = netdev_get(port);
        struct netdev_stats s;

        if (dev->state != NETDEV_STARTED || netdev_stats(dev, &s))
            continue;
        printf("%s: port %u %s: rx %llu pkts %llu bytes %llu errors %llu drops %llu empty-polls "
               "| tx %llu pkts %llu bytes %llu errors %llu drops\n",
               app->name, port, dev->name, (unsigned long long)s.rx_total.packets,
               (unsigned long long)s.rx_total.bytes, (unsigned long long)s.rx_total.errors,
               (unsigned long long)s.rx_total.drops, (unsigned long long)s.rx_total.empty_polls,
               (unsigned long long)s.tx_total.packets, (unsigned long long)s.tx_total.bytes,
               (unsigned long long)s.tx_total.errors, (unsigned long long)s.tx_total.drops);
    }
    return nfapp_pools_check(app) ? 1 : 0;
}
