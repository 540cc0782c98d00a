/* l2fwd: the forwarding network function, like DPDK's l2fwd and testpmd's
 * io and macswap modes. With two ports, what comes in on one goes out of
 * the other unchanged; with one port (or --macswap), frames go back out of
 * the port they came in on with source and destination MAC swapped. Frames
 * the tx ring does not take are freed and counted as drops. */
#include <stdio.h>
#include <string.h>
#include <nfos/lcore.h>
#include <nfos/nfapp.h>

static const char about[] =
    "  Two ports: port 0 <-> port 1, frames unchanged.\n"
    "  One port, or --macswap: back out of the same port, MACs swapped.\n"
    "  N lcores (--cpus N): lcore i polls queue pair i of every port (one pair per\n"
    "  lcore, as many as the ports offer); ports with one pair and two lcores: one\n"
    "  direction per lcore.\n" NFAPP_STATS_HELP;

static inline void macswap(struct netbuf *nb)
{
    uint8_t *e = netbuf_data(nb), t[6];

    if (nb->len < 12)
        return;
    memcpy(t, e, 6);
    memcpy(e, e + 6, 6);
    memcpy(e + 6, t, 6);
}

/* Frames ahead whose first line is prefetched while one is swapped: the
 * device wrote them from another core, so they are not in this one's cache. */
#define PREFETCH_AHEAD 3

/* One burst from in's queue q to out's; returns frames forwarded. */
static inline uint16_t forward(struct nfapp *app, struct netdev *in, struct netdev *out, int swap,
                               uint16_t q, uint16_t burst)
{
    struct netbuf *pkts[NETDEV_BURST_MAX];
    uint64_t t0 = nfapp_now();
    uint16_t n = netdev_rx_burst(in, q, pkts, burst), sent, k;

    if (!n)
        return 0;
    app->c.rx += n;
    if (swap)
        for (k = 0; k < n && k < PREFETCH_AHEAD; k++)
            nfos_prefetchw(netbuf_data(pkts[k]));
    for (k = 0; k < n; k++) {
        app->c.rx_bytes += pkts[k]->pkt_len;
        if (swap) {
            if (k + PREFETCH_AHEAD < n)
                nfos_prefetchw(netbuf_data(pkts[k + PREFETCH_AHEAD]));
            macswap(pkts[k]);
        }
    }
    sent = netdev_tx_burst(out, q, pkts, n);
    if (unlikely(sent < n)) {
        netbuf_free_bulk(pkts + sent, n - sent);
        app->c.drops += n - sent;
    }
    app->c.tx += sent;
    nfapp_busy(app, t0, n);
    return sent;
}

/* What one lcore forwards: in -> out on queue pair q, and out -> in too
 * when both (with one port, in == out and swap). */
struct l2fwd_job {
    struct netdev *in, *out;
    uint16_t q, burst;
    bool both, swap;
};

static inline void job_step(struct nfapp *app, const struct l2fwd_job *j)
{
    forward(app, j->in, j->out, j->swap, j->q, j->burst);
    if (j->both)
        forward(app, j->out, j->in, 0, j->q, j->burst);
}

/* An lcore other than main: its job and its own counters. */
struct l2fwd_worker {
    struct nfapp app;
    struct l2fwd_job job;
    volatile int stop;
} __nfos_cache_aligned;

static struct l2fwd_worker workers[LCORE_MAX];

static int worker_loop(void *arg)
{
    struct l2fwd_worker *w = arg;

    while (!w->stop)
        job_step(&w->app, &w->job);
    return 0;
}

static void lcore_line(const struct nfapp *app, unsigned id, const struct nfapp_counters *c,
                       const struct l2fwd_job *j)
{
    printf("%s: lcore %u rx %llu pkts tx %llu pkts drops %llu | busy %.1f cycles/pkt | queue "
           "pair %u\n",
           app->name, id, (unsigned long long)c->rx, (unsigned long long)c->tx,
           (unsigned long long)c->drops,
           c->busy_pkts ? (double)c->busy_cycles / (double)c->busy_pkts : 0.0, j->q);
}

/* The ports' own counters of each queue pair the lcores polled. */
static void queue_lines(const struct l2fwd_job *jobs, unsigned n)
{
    struct netdev *ports[2] = { jobs[0].in, jobs[0].out };
    struct netdev_stats st;
    unsigned p, q;

    for (p = 0; p < (ports[0] == ports[1] ? 1u : 2u); p++) {
        if (netdev_stats(ports[p], &st))
            continue;
        for (q = 0; q < n && q < st.nb_rxq; q++)
            printf("l2fwd: port %u queue pair %u: rx %llu pkts tx %llu pkts\n", ports[p]->port, q,
                   (unsigned long long)st.rx[q].packets, (unsigned long long)st.tx[q].packets);
    }
}

static uint64_t workers_tx(unsigned n)
{
    uint64_t tx = 0;

    for (unsigned i = 1; i < n; i++)
        tx += __atomic_load_n(&workers[i].app.c.tx, __ATOMIC_RELAXED);
    return tx;
}

/* jobs[i] on lcore i (0: main, here) until a limit or a stop; the report
 * adds the other lcores' counters to main's. */
static int forward_lcores(struct nfapp *app, const struct l2fwd_job *jobs, unsigned n)
{
    struct nfapp_counters *m = &app->c;
    unsigned i;
    int err;

    for (i = 1; i < n; i++) {
        workers[i].app = *app;
        memset(&workers[i].app.c, 0, sizeof(workers[i].app.c));
        workers[i].job = jobs[i];
        workers[i].stop = 0;
        if ((err = lcore_launch(i, worker_loop, &workers[i]))) {
            fprintf(stderr, "l2fwd: cannot launch on lcore %u (error %d)\n", i, err);
            n = i;
            break;
        }
    }
    if (i == n)
        while (!nfapp_poll(app, m->tx + workers_tx(n)))
            job_step(app, &jobs[0]);
    for (i = 1; i < n; i++)
        workers[i].stop = 1;
    lcore_wait_all();
    if (jobs[n - 1].q)
        queue_lines(jobs, n);
    lcore_line(app, 0, m, &jobs[0]);
    for (i = 1; i < n; i++) {
        const struct nfapp_counters *c = &workers[i].app.c;

        lcore_line(app, i, c, &jobs[i]);
        m->rx += c->rx, m->tx += c->tx, m->drops += c->drops;
        m->rx_bytes += c->rx_bytes, m->tx_bytes += c->tx_bytes;
        m->busy_cycles += c->busy_cycles, m->busy_pkts += c->busy_pkts;
    }
    return i == n ? 0 : 1;
}

/* Queue pairs per port: --queues, else one per lcore as far as the ports
 * offer; 0 after a line when --queues cannot be met. */
static uint16_t queue_pairs(uint64_t want, unsigned ports)
{
    uint16_t offer;

    if (LCORE_MAX == 1) /* a single-CPU image: --queues is 1 at most */
        return 1;
    offer = nfapp_port_max_queues(0);
    if (ports > 1)
        offer = NFOS_MIN(offer, nfapp_port_max_queues(1));
    if (want > lcore_count()) {
        fprintf(stderr,
                "l2fwd: --queues %llu: one lcore per queue pair, and there are %u "
                "(--cpus N)\n",
                (unsigned long long)want, lcore_count());
        return 0;
    }
    if (want)
        return (uint16_t)want; /* more than offered: the port start says so */
    if (lcore_count() > 1 && offer && offer < lcore_count())
        printf("l2fwd: the ports offer %u queue pair%s for %u lcores%s\n", offer,
               offer == 1 ? "" : "s", lcore_count(),
               offer == 1 ? " (no multiqueue)" : ": the others stay idle");
    return (uint16_t)NFOS_MAX(1, NFOS_MIN(offer, lcore_count()));
}

/* The lcores' jobs: one per queue pair; with one pair, two ports and two
 * lcores, one direction per lcore. Returns how many. */
static unsigned plan(struct l2fwd_job *jobs, struct netdev *a, struct netdev *b, uint16_t nq,
                     uint16_t burst)
{
    unsigned i;

    if (nq == 1 && b && lcore_count() > 1) {
        jobs[0] = (struct l2fwd_job){ .in = a, .out = b, .burst = burst };
        jobs[1] = (struct l2fwd_job){ .in = b, .out = a, .burst = burst };
        printf("l2fwd: 2 lcores, one direction each on queue pair 0\n");
        return 2;
    }
    for (i = 0; i < nq; i++)
        jobs[i] = (struct l2fwd_job){
            .in = a, .out = b ? b : a, .q = (uint16_t)i, .burst = burst, .both = b, .swap = !b
        };
    if (nq > 1)
        printf("l2fwd: %u lcores, lcore i on queue pair i of every port\n", nq);
    return nq;
}

int main(int argc, char **argv)
{
    uint64_t burst = NFAPP_BURST, want_queues = 0;
    struct l2fwd_job jobs[LCORE_MAX];
    struct netdev *a, *b = NULL;
    bool swap = false;
    struct pool *pool;
    struct nfapp app;
    unsigned ports, n;
    uint16_t nq;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_FLAG("--macswap", swap, "back out of the port they came in on, MACs swapped"),
        NFAPP_OPT_LIMITS(app, "PKTS", "frames forwarded"),
        NFAPP_OPT_BURST(burst, "frames"),
        NFAPP_OPT_COUNT("--queues", "N", want_queues, 1, NETDEV_MAX_QUEUES,
                        "queue pairs per port, one lcore each (default: one per lcore)"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "l2fwd", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    ports = netdev_count() > 1 && !swap ? 2 : 1;
    if (!(nq = queue_pairs(want_queues, ports)))
        return 2;
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)) || !(a = nfapp_port_queues(&app, 0, pool, nq)))
        return 2;
    if (ports > 1 && !(b = nfapp_port_queues(&app, 1, pool, nq)))
        return 2;
    if (b)
        printf("l2fwd: forwarding port 0 (%s) <-> port 1 (%s)\n", a->name, b->name);
    else
        printf("l2fwd: forwarding port 0 (%s) back to itself, MACs swapped\n", a->name);
    n = plan(jobs, a, b, nq, (uint16_t)burst);

    if (n > 1) {
        if (forward_lcores(&app, jobs, n))
            return 1;
    } else if (b) {
        while (!nfapp_poll(&app, app.c.tx)) {
            forward(&app, a, b, 0, 0, (uint16_t)burst);
            forward(&app, b, a, 0, 0, (uint16_t)burst);
        }
    } else {
        while (!nfapp_poll(&app, app.c.tx))
            forward(&app, a, a, 1, 0, (uint16_t)burst);
    }
    return nfapp_finish(&app);
}
