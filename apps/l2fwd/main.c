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
    "  One port, or --macswap: back out of the same port, MACs swapped.\n" NFAPP_STATS_HELP;

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

    if (b) {
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
