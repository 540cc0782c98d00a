/* l2fwd: the forwarding network function, like DPDK's l2fwd and testpmd's
 * io and macswap modes. With two ports, what comes in on one goes out of
 * the other unchanged; with one port (or --macswap), frames go back out of
 * the port they came in on with source and destination MAC swapped. Frames
 * the tx ring does not take are freed and counted as drops. */
#include <stdio.h>
#include <string.h>
#include <nfos/nfapp.h>

static const char about[] =
    "  Two ports: port 0 <-> port 1, frames unchanged.\n"
    "  One port, or --macswap: back out of the same port, MACs swapped.\n"
    "  Two ports and two lcores (--cpus 2): one direction per lcore.\n" NFAPP_STATS_HELP;

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

/* One burst from in to out; returns frames forwarded. */
static inline uint16_t forward(struct nfapp *app, struct netdev *in, struct netdev *out, int swap,
                               uint16_t burst)
{
    struct netbuf *pkts[NETDEV_BURST_MAX];
    uint64_t t0 = nfapp_now();
    uint16_t n = netdev_rx_burst(in, 0, pkts, burst), sent, k;

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
    sent = netdev_tx_burst(out, 0, pkts, n);
    if (unlikely(sent < n)) {
        netbuf_free_bulk(pkts + sent, n - sent);
        app->c.drops += n - sent;
    }
    app->c.tx += sent;
    nfapp_busy(app, t0, n);
    return sent;
}

/* The direction lcore 1 forwards, with its own counters. */
struct l2fwd_side {
    struct nfapp app;
    struct netdev *in, *out;
    uint16_t burst;
    volatile int stop;
};

static int side_loop(void *arg)
{
    struct l2fwd_side *s = arg;

    while (!s->stop)
        forward(&s->app, s->in, s->out, 0, s->burst);
    return 0;
}

static void lcore_line(const struct nfapp *app, unsigned id, const struct nfapp_counters *c)
{
    printf("%s: lcore %u rx %llu pkts tx %llu pkts drops %llu | busy %.1f cycles/pkt\n", app->name,
           id, (unsigned long long)c->rx, (unsigned long long)c->tx, (unsigned long long)c->drops,
           c->busy_pkts ? (double)c->busy_cycles / (double)c->busy_pkts : 0.0);
}

/* Port a -> b on main and b -> a on lcore 1 until a limit or a stop; the
 * report adds lcore 1's counters to main's. */
static int forward_two_lcores(struct nfapp *app, struct netdev *a, struct netdev *b, uint16_t burst)
{
    static struct l2fwd_side side;
    struct nfapp_counters *m = &app->c, *c = &side.app.c;
    int err;

    side.app = *app;
    memset(c, 0, sizeof(*c));
    side.in = b;
    side.out = a;
    side.burst = burst;
    if ((err = lcore_launch(1, side_loop, &side))) {
        fprintf(stderr, "l2fwd: cannot launch on lcore 1 (error %d)\n", err);
        return 1;
    }
    while (!nfapp_poll(app, m->tx + __atomic_load_n(&c->tx, __ATOMIC_RELAXED)))
        forward(app, a, b, 0, burst);
    side.stop = 1;
    lcore_wait(1);
    lcore_line(app, 0, m);
    lcore_line(app, 1, c);
    m->rx += c->rx, m->tx += c->tx, m->drops += c->drops;
    m->rx_bytes += c->rx_bytes, m->tx_bytes += c->tx_bytes;
    m->busy_cycles += c->busy_cycles, m->busy_pkts += c->busy_pkts;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t burst = NFAPP_BURST;
    struct netdev *a, *b = NULL;
    bool swap = false;
    struct pool *pool;
    struct nfapp app;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_FLAG("--macswap", swap, "back out of the port they came in on, MACs swapped"),
        NFAPP_OPT_LIMITS(app, "PKTS", "frames forwarded"),
        NFAPP_OPT_BURST(burst, "frames"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "l2fwd", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)) || !(a = nfapp_port(&app, 0, pool)))
        return 2;
    if (netdev_count() > 1 && !swap && !(b = nfapp_port(&app, 1, pool)))
        return 2;
    if (b)
        printf("l2fwd: forwarding port 0 (%s) <-> port 1 (%s)\n", a->name, b->name);
    else
        printf("l2fwd: forwarding port 0 (%s) back to itself, MACs swapped\n", a->name);
    if (lcore_count() > (b ? 2u : 1u))
        printf("l2fwd: %u lcores, %u of them forward (one per direction)\n", lcore_count(),
               b ? 2 : 1);

    if (b && lcore_count() > 1) {
        if (forward_two_lcores(&app, a, b, (uint16_t)burst))
            return 1;
    } else if (b) {
        while (!nfapp_poll(&app, app.c.tx)) {
            forward(&app, a, b, 0, (uint16_t)burst);
            forward(&app, b, a, 0, (uint16_t)burst);
        }
    } else {
        while (!nfapp_poll(&app, app.c.tx))
            forward(&app, a, a, 1, (uint16_t)burst);
    }
    return nfapp_finish(&app);
}
