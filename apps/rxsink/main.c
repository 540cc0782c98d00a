/* rxsink: receives on one port, counts and frees. Stops after --count
 * packets, after --time seconds, or on SIGINT/SIGTERM (linuxu), then prints
 * its counters and the port's. */
#include <stdio.h>
#include <nfos/nfapp.h>

static const char about[] =
    "  Receives on port N (default 0), counts and drops every frame.\n" NFAPP_STATS_HELP;

int main(int argc, char **argv)
{
    struct netbuf *pkts[NETDEV_BURST_MAX];
    uint64_t burst = NFAPP_BURST;
    uint16_t port = 0;
    struct netdev *dev;
    struct pool *pool;
    struct nfapp app;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_U16("--port", "N", port, 0, NETDEV_MAX_PORTS - 1, "the port to receive on"),
        NFAPP_OPT_LIMITS(app, "PKTS", "frames received"),
        NFAPP_OPT_BURST(burst, "frames"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "rxsink", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)) || !(dev = nfapp_port(&app, port, pool)))
        return 2;
    printf("rxsink: receiving on port %u (%s)\n", dev->port, dev->name);

    while (!nfapp_poll(&app, app.c.rx)) {
        uint64_t t0 = nfapp_now();
        uint16_t n = netdev_rx_burst(dev, 0, pkts, (uint16_t)burst);
        uint16_t k;

        if (!n)
            continue;
        for (k = 0; k < n; k++)
            app.c.rx_bytes += pkts[k]->pkt_len;
        netbuf_free_bulk(pkts, n);
        app.c.rx += n;
        nfapp_busy(&app, t0, n);
    }
    return nfapp_finish(&app);
}
