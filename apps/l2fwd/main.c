/* l2fwd: the forwarding network function, like DPDK's l2fwd and testpmd's
 * io and macswap modes. With two ports, what comes in on one goes out of
 * the other unchanged; with one port (or --macswap), frames go back out of
 * the port they came in on with source and destination MAC swapped. Frames
 * the tx ring does not take are freed and counted as drops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/nfapp.h>

static const char usage[] =
    "usage: l2fwd [--macswap] [--count PKTS] [--time SECONDS] [--burst N]\n"
    "  Two ports: port 0 <-> port 1, frames unchanged.\n"
    "  One port, or --macswap: back out of the same port, MACs swapped.\n"
    "  --count PKTS     stop after forwarding PKTS frames (K/M/G suffixes)\n"
    "  --time SECONDS   stop after SECONDS\n"
    "  --burst N        frames per burst (1..64, default 32)\n"
    "  nfos.stats=N on the command line prints counters every N seconds.\n";

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
    uint64_t count = 0, burst = NFAPP_BURST;
    struct netdev *a, *b = NULL;
    double seconds = 0;
    int swap = 0, i;
    struct pool *pool;
    struct nfapp app;

    for (i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--macswap")) {
            swap = 1;
        } else if (!strcmp(argv[i], "--count")) {
            bad = nfapp_parse_count(v, &count), i++;
        } else if (!strcmp(argv[i], "--time")) {
            bad = nfapp_parse_seconds(v, &seconds), i++;
        } else if (!strcmp(argv[i], "--burst")) {
            bad = nfapp_parse_count(v, &burst) || !burst || burst > NETDEV_BURST_MAX, i++;
        } else {
            fprintf(stderr, "l2fwd: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "l2fwd: bad value '%s' for %s\n%s", v ? v : "(none)", argv[i - 1],
                    usage);
            return 2;
        }
    }

    nfapp_init(&app, "l2fwd", count, seconds);
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)))
        return 2;
    if (!(a = nfapp_port(&app, 0, pool)))
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
