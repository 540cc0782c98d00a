/* nettest: what a port driver reports, for the driver tests. Starts port 0
 * (promiscuous with --promisc), prints one line with its driver, MAC, MTU,
 * link and promiscuous state, waits --pause seconds without polling (so
 * that the kernel's queue overflows and its drops can be seen), receives
 * and frees frames until --count or --time, then prints the link again and
 * the counters. Traffic tests use l2fwd and rxsink; this app shows what
 * they do not.
 *
 * --misuse KIND makes one deliberate programming error after the start, for
 * the test that a debug build (make DEBUG=1) catches it with a failed
 * NFOS_ASSERT: rx-queue / tx-queue (a burst on queue 1, never set up), or
 * stopped (a burst after netdev_stop). A release build refuses the option:
 * there the error is undefined behaviour. */
#include <stdio.h>
#include <string.h>
#include <nfos/nfapp.h>

static void show(struct netdev *dev, const char *when)
{
    struct netdev_info info;
    struct netdev_link link;
    char mac[18];
    int err;

    netdev_info(dev, &info);
    err = netdev_link(dev, &link);
    printf("nettest: %s port %u %s driver %s mac %s mtu %u link %s speed %u promisc %s\n", when,
           dev->port, dev->name, info.driver, netdev_mac_str(dev->mac, mac), dev->mtu,
           err       ? "unknown"
           : link.up ? "up"
                     : "down",
           link.speed_mbps, dev->promisc ? "on" : "off");
}

/* One burst the API forbids (see the top of the file); returns only if the
 * debug checks did not end the image. */
static int misuse(struct netdev *dev, const char *kind, struct netbuf **pkts)
{
    printf("nettest: misuse %s\n", kind);
    fflush(stdout);
    if (!strcmp(kind, "rx-queue")) {
        netdev_rx_burst(dev, dev->conf.nb_rx_queues, pkts, NFAPP_BURST);
    } else if (!strcmp(kind, "tx-queue")) {
        netdev_tx_burst(dev, dev->conf.nb_tx_queues, pkts, 0);
    } else {
        netdev_stop(dev);
        netdev_rx_burst(dev, 0, pkts, NFAPP_BURST);
    }
    fprintf(stderr, "nettest: misuse %s was not caught\n", kind);
    return 1;
}

static int start(struct netdev *dev, struct pool *pool, bool promisc, uint16_t ring)
{
    struct netdev_conf conf = { .nb_rx_queues = 1, .nb_tx_queues = 1, .promisc = promisc };
    int err;

    if ((err = netdev_configure(dev, &conf)) || (err = netdev_rxq_setup(dev, 0, ring, pool)) ||
        (err = netdev_txq_setup(dev, 0, 0)) || (err = netdev_start(dev))) {
        fprintf(stderr, "nettest: port %u (%s): start failed: %s\n", dev->port, dev->name,
                strerror(-err));
        return err;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct netbuf *pkts[NFAPP_BURST];
    double pause = 0;
    uint16_t ring = 0;
    const char *misuse_kind = NULL, *lose = NULL;
    uint64_t t0;
    bool promisc = false;
    struct netdev *dev;
    struct pool *pool;
    struct nfapp app;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_FLAG("--promisc", promisc, "start port 0 promiscuous"),
        NFAPP_OPT_U16("--ring", "N", ring, 0, UINT16_MAX,
                      "rx ring size asked of the driver (0: its default)"),
        NFAPP_OPT_SECONDS("--pause", "SECONDS", pause, "wait SECONDS before the first poll"),
        NFAPP_OPT_LIMITS(app, "PKTS", "frames received"),
        NFAPP_OPT_CHOICE("--misuse", "rx-queue|tx-queue|stopped", misuse_kind,
                         "a deliberate API misuse a debug build must catch"),
        NFAPP_OPT_CHOICE("--lose", "leak|double-free", lose,
                         "lose one netbuf, or free one twice: the exit check must say so"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "nettest", NULL, opts, argc, argv)) != NFAPP_RUN)
        return rc;
#ifndef CONFIG_NFOS_DEBUG
    if (misuse_kind) {
        fprintf(stderr, "nettest: --misuse needs a debug build (make DEBUG=1)\n");
        return 2;
    }
#endif
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)))
        return 2;
    if (!(dev = netdev_get(0))) {
        fprintf(stderr, "nettest: no network port (netdev.dev=KIND:ARG)\n");
        return 2;
    }
    if (start(dev, pool, promisc, ring))
        return 1;
    show(dev, "started");
    if (misuse_kind)
        return misuse(dev, misuse_kind, pkts);
    for (t0 = nfapp_now(); nfapp_now() - t0 < (uint64_t)(pause * (double)app.tsc_hz);)
        ;
    while (!nfapp_poll(&app, app.c.rx)) {
        uint16_t n = netdev_rx_burst(dev, 0, pkts, NFAPP_BURST);

        app.c.rx += n;
        netbuf_free_bulk(pkts, n);
    }
    show(dev, "stopping");
    if (lose && (pkts[0] = netbuf_alloc(pool)) && !strcmp(lose, "double-free"))
        netbuf_free_bulk((struct netbuf *[]){ pkts[0], pkts[0] }, 2);
    return nfapp_finish(&app);
}
