/* kvstore: a memcached-compatible key-value store as a network function,
 * on nfos netdev ports. Speaks memcached's ASCII protocol over UDP (port
 * 11211 or --port) on every port with an address, answers ARP and ping;
 * the request path is kvreq.c (run to completion, replies built in place,
 * IP reassembly, whom it answers and how much), the lcores lcores.c, the
 * options and main loop kvrun.c, the memcached engine kv.c. This file: the
 * ports. kvstore-dpdk is the same over rte_eth bursts. Not here: TCP, the
 * binary and meta protocols. */
#include <stdio.h>
#include <string.h>
#if CONFIG_PLAT_LINUXU
#include <time.h>
#endif
#include <nfos/net.h>
#include <nfos/nfapp.h>
#include "kvrun.h"
#include "lcores.h"

static const char about[] =
    "  memcached's ASCII protocol over UDP on each port with an address:\n"
    "  ./nfos run kvstore --net tap:IF --ip ADDR/PREFIX (netdev.ip=, netdev1.ip=, ...).\n"
    "  Absolute expiry times count from --epoch: by default the host's clock on\n"
    "  linuxu; on kvm ./nfos run passes it (without it they are refused).\n"
    "  Requests from sources that cannot have asked (broadcast, multicast, our own\n"
    "  address or port, port 0, ports of services such as echo, DNS, NTP) are\n"
    "  dropped and counted by reason: no reflection, no reply loops.\n"
    "  With several lcores (--cpus N) lcore i serves queue pair i of every "
    "port.\n" NFAPP_STATS_HELP;

/* Port i started with one queue pair per lcore, as many as it offers (the
 * lcores past that have no queue on it), or NULL after one line. One
 * lcore: nfapp_port, as every app (a single-CPU image has only that). */
static struct netdev *queues_start(struct nfapp *app, unsigned i, struct pool *pool)
{
    struct netdev_conf conf = { 0 };
    struct netdev_info info;
    unsigned nr = lcores_count();
    struct netdev *dev;
    uint16_t q, nq = 0;
    int err;

    if (LCORE_MAX == 1 || nr == 1 || !(dev = netdev_get(i)))
        return nfapp_port(app, i, pool); /* (which says what is missing) */
    if (!(err = netdev_info(dev, &info))) {
        nq = (uint16_t)NFOS_MIN(NFOS_MIN(nr, NETDEV_MAX_QUEUES),
                                NFOS_MIN(info.max_rx_queues, info.max_tx_queues));
        conf.nb_rx_queues = conf.nb_tx_queues = nq;
        err = netdev_configure(dev, &conf);
    }
    for (q = 0; !err && q < nq; q++)
        if (!(err = netdev_rxq_setup(dev, q, 0, pool)))
            err = netdev_txq_setup(dev, q, 0);
    if (!err)
        err = netdev_start(dev);
    if (err) {
        fprintf(stderr, "kvstore: port %u (%s): cannot start %u queue pairs: %s\n", i, dev->name,
                nq, strerror(-err));
        return NULL;
    }
    printf("kvstore: port %u (%s): %u queue pair(s) for %u lcores (%s offers %u)\n", i, dev->name,
           nq, nr, info.driver, info.max_rx_queues);
    return dev;
}

/* Port i, queue pair 0 for lcore 0's worker: 0, or -1 after one line. */
static int port_open(struct nfapp *app, struct kvs_worker *w0, unsigned i, uint16_t udp_port)
{
    struct kvreq_port *p = &w0->ports[w0->nports];
    unsigned prefix = 32;
    struct netdev *dev;
    uint32_t ip, a;

    if (!(dev = queues_start(app, i, w0->lc.pool)) || nfapp_port_ipv4(app, dev, &ip))
        return -1;
    /* nfapp_port_ipv4 parsed it already; here for the prefix. */
    net_ipv4_parse(netdev_param(dev, "ip"), &a, &prefix);
    p->io.dev = dev;
    p->io.q = 0;
    p->port = dev->port;
    p->nq = dev->conf.nb_rx_queues;
    p->name = dev->name;
    memcpy(p->mac, dev->mac, sizeof(p->mac));
    if (kvreq_port_init(app, p, &w0->lc, ip, prefix, udp_port))
        return -1;
    w0->nports++;
    return 0;
}

int main(int argc, char **argv)
{
    struct kvs_worker *w0 = lcores_main();
    struct kvrun r = KVRUN_DEFAULTS;
    struct nfapp app;
    unsigned i;
    int rc;
    const struct nfapp_opt opts[] = { KVRUN_OPTS(app, r), NFAPP_OPT_END };

#if CONFIG_PLAT_LINUXU
    r.epoch = (uint64_t)time(NULL);
#endif
    if ((rc = nfapp_start(&app, "kvstore", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    if (kvrun_init(&app, &r))
        return 2;
    if (!(w0->lc.pool = nfapp_pool(&app, 2048 * lcores_count())))
        return 2;
    for (i = 0; i < nfapp_port_count(); i++)
        if (port_open(&app, w0, i, r.udp_port))
            return 2;
    return kvrun_loop(&app, &r);
}
