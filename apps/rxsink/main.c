/* rxsink: receives on one port, counts and frees. Stops after --count
 * packets, after --time seconds, or on SIGINT/SIGTERM (linuxu), then prints
 * its counters and the port's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/nfapp.h>

static const char usage[] = "usage: rxsink [--port N] [--count PKTS] [--time SECONDS] [--burst N]\n"
                            "  Receives on port N (default 0), counts and drops every frame.\n"
                            "  --count PKTS     stop after PKTS frames (K/M/G suffixes)\n"
                            "  --time SECONDS   stop after SECONDS\n"
                            "  --burst N        frames per rx burst (1..64, default 32)\n"
                            "  nfos.stats=N on the command line prints counters every N seconds.\n";

int main(int argc, char **argv)
{
    struct netbuf *pkts[NETDEV_BURST_MAX];
    uint64_t count = 0, port = 0, burst = NFAPP_BURST;
    double seconds = 0;
    struct netdev *dev;
    struct pool *pool;
    struct nfapp app;
    int i;

    for (i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--count")) {
            bad = nfapp_parse_count(v, &count), i++;
        } else if (!strcmp(argv[i], "--time")) {
            bad = nfapp_parse_seconds(v, &seconds), i++;
        } else if (!strcmp(argv[i], "--port")) {
            bad = nfapp_parse_count(v, &port) || port >= NETDEV_MAX_PORTS, i++;
        } else if (!strcmp(argv[i], "--burst")) {
            bad = nfapp_parse_count(v, &burst) || !burst || burst > NETDEV_BURST_MAX, i++;
        } else {
            fprintf(stderr, "rxsink: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "rxsink: bad value '%s' for %s\n%s", v ? v : "(none)", argv[i - 1],
                    usage);
            return 2;
        }
    }

    nfapp_init(&app, "rxsink", count, seconds);
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)))
        return 2;
    if (!(dev = nfapp_port(&app, (unsigned)port, pool)))
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
