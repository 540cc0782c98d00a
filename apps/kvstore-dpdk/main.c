/* kvstore-dpdk: kvstore over DPDK's ethdev API, the talk's "Unikraft using
 * DPDK (mbuf)" column: the same request path, memcached engine, lcores and
 * exit report (apps/kvstore: kvreq.c, kv.c, lcores.c, compiled unchanged
 * around this folder's kvio.h), with frames from rte_eth_rx_burst and
 * replies through rte_eth_tx_burst on every ethdev port, mbufs that are
 * netbufs, and kvstore's options and main loop (kvrun.c). This file: the
 * command line (the EAL's, then kvstore's options), the mempool, the
 * ports. A kvm image or a linuxu process (DPDK's archives link into
 * both). Not here: ports other than net_nfos ones (a port's address is its
 * nfos port's ip=). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if CONFIG_PLAT_LINUXU
#include <time.h>
#endif
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>
#include "kvrun.h"
#include "lcores.h"

#define NAME     "kvstore-dpdk"
#define ARGS_MAX 64

static const char about[] =
    "  kvstore over DPDK: memcached's ASCII protocol over UDP on each ethdev port\n"
    "  (net_nfos over every nfos port, mbufs that are netbufs), with the address\n"
    "  of its nfos port: ./nfos run " NAME " --net tap:IF --ip ADDR/PREFIX\n"
    "  [-- EAL-ARGS -- OPTIONS]. Without a second --, every argument is kvstore's.\n"
    "  Absolute expiry times count from --epoch: by default the host's clock on\n"
    "  linuxu; on kvm ./nfos run passes it (without it they are refused).\n"
    "  Requests from sources that cannot have asked are dropped and counted by\n"
    "  reason. With several lcores (--cpus N) lcore i serves queue\n"
    "  pair i of every port.\n" NFAPP_STATS_HELP;

/* argv is [EAL-ARGS] [-- OPTIONS]: the EAL's into eal[], kvstore's into
 * opt[] (both with argv[0] first). Without a "--" every argument is
 * kvstore's. ./nfos run puts "--epoch SECONDS" first (run.conf): before a
 * "--" that pair is kvstore's too. 0, or 2 after one line. */
static int args_split(int argc, char **argv, char **eal, int *neal, char **opt, int *nopt)
{
    int i, dash = 0, first = 1;

    if (argc > ARGS_MAX) {
        fprintf(stderr, NAME ": too many arguments (at most %d)\n", ARGS_MAX - 1);
        return 2;
    }
    for (i = 1; i < argc && !dash; i++)
        if (!strcmp(argv[i], "--"))
            dash = i;
    eal[0] = opt[0] = argv[0];
    *neal = *nopt = 1;
    if (dash && dash >= 3 && !strcmp(argv[1], "--epoch")) {
        opt[(*nopt)++] = argv[1];
        opt[(*nopt)++] = argv[2];
        first = 3;
    }
    for (i = first; dash && i < dash; i++)
        eal[(*neal)++] = argv[i];
    for (i = dash ? dash + 1 : 1; i < argc; i++)
        opt[(*nopt)++] = argv[i];
    eal[*neal] = opt[*nopt] = NULL;
    return 0;
}

/* The nfos port behind ethdev port pid: net_nfosN drives nfos port N
 * (net_nfos.c names them so), checked by its MAC; NULL after one line. */
static struct netdev *port_netdev(uint16_t pid, const char *name)
{
    struct rte_eth_dev_info info;
    struct rte_ether_addr mac;
    struct netdev *nd = NULL;
    const char *s = name + strlen(name);

    while (s > name && s[-1] >= '0' && s[-1] <= '9')
        s--;
    if (rte_eth_dev_info_get(pid, &info) || strcmp(info.driver_name, "net_nfos")) {
        fprintf(stderr,
                NAME ": port %u (%s) is no net_nfos port: " NAME " serves nfos ports, whose "
                     "address is theirs (--ip, netdev.ip=)\n",
                pid, name);
        return NULL;
    }
    if (!*s || strlen(s) > 3 /* atoi cannot overflow */ || !(nd = netdev_get((unsigned)atoi(s))) ||
        rte_eth_macaddr_get(pid, &mac) || memcmp(mac.addr_bytes, nd->mac, sizeof(nd->mac))) {
        fprintf(stderr,
                NAME ": port %u (%s): name net_nfos devices for their nfos port (net_nfosN)\n", pid,
                name);
        return NULL;
    }
    return nd;
}

/* Ethdev port pid started with one queue pair per lcore, as many as it
 * offers: how many, or 0 after one line. */
static uint16_t port_start(uint16_t pid, const char *name, struct rte_mempool *mp)
{
    struct rte_eth_conf conf = { 0 };
    struct rte_eth_dev_info info;
    int socket = rte_eth_dev_socket_id(pid), err;
    uint16_t q, nq = 0;

    if (!(err = rte_eth_dev_info_get(pid, &info))) {
        nq = (uint16_t)NFOS_MIN(lcores_count(), NFOS_MIN(info.max_rx_queues, info.max_tx_queues));
        err = rte_eth_dev_configure(pid, nq, nq, &conf);
    }
    for (q = 0; !err && q < nq; q++)
        if (!(err = rte_eth_rx_queue_setup(pid, q, 0, socket, NULL, mp)))
            err = rte_eth_tx_queue_setup(pid, q, 0, socket, NULL);
    if (!err)
        err = rte_eth_dev_start(pid);
    if (err) {
        fprintf(stderr, NAME ": port %u (%s): cannot start %u queue pairs: %s\n", pid, name, nq,
                rte_strerror(-err));
        return 0;
    }
    printf(NAME ": port %u (%s): %u queue pair(s) for %u lcores (%s offers %u)\n", pid, name, nq,
           lcores_count(), info.driver_name, info.max_rx_queues);
    return nq;
}

/* Ethdev port pid, queue pair 0 for lcore 0's worker: 0, or -1 after one
 * line. */
static int port_open(const struct nfapp *app, struct kvs_worker *w0, uint16_t pid,
                     struct rte_mempool *mp, uint16_t udp_port)
{
    static char names[NETDEV_MAX_PORTS][RTE_ETH_NAME_MAX_LEN];
    struct kvreq_port *p = &w0->ports[w0->nports];
    unsigned prefix = 32;
    struct netdev *nd;
    uint32_t ip, a;

    if (w0->nports == NETDEV_MAX_PORTS) {
        fprintf(stderr, NAME ": port %u: at most %d ports\n", pid, NETDEV_MAX_PORTS);
        return -1;
    }
    rte_eth_dev_get_name_by_port(pid, names[w0->nports]);
    p->name = names[w0->nports];
    if (!(nd = port_netdev(pid, p->name)) || nfapp_port_ipv4(app, nd, &ip))
        return -1;
    net_ipv4_parse(netdev_param(nd, "ip"), &a, &prefix); /* the prefix */
    if (!(p->nq = port_start(pid, p->name, mp)))
        return -1;
    p->io.port_id = pid;
    p->io.q = 0;
    p->io.rearm = dpdk_mbuf_rearm(pid);
    p->port = pid;
    memcpy(p->mac, nd->mac, sizeof(p->mac));
    if (kvreq_port_init(app, p, &w0->lc, ip, prefix, udp_port))
        return -1;
    w0->nports++;
    return 0;
}

/* The mbuf pool, whose nfos pool the request path allocates from and
 * nfapp checks at exit: NULL after one line. Its ops are nfos's whatever
 * --mbuf-pool-ops-name says: the request path needs mbufs that are
 * netbufs. No DPDK cache in front of it (the nfos pool has per-lcore
 * caches of its own, counted as home). */
static struct rte_mempool *pool_make(struct nfapp *app, unsigned count)
{
    struct rte_mempool *mp = rte_pktmbuf_pool_create_by_ops(
        "kvstore", count, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id(), DPDK_MEMPOOL_OPS_NFOS);
    struct pool *pool = mp ? dpdk_mempool_pool(mp) : NULL;

    if (!mp) {
        fprintf(stderr, NAME ": cannot make a pool of %u mbufs: %s (more EAL memory: -m)\n", count,
                rte_strerror(rte_errno));
        return NULL;
    }
    if (!pool) { /* cannot happen: the ops are named */
        fprintf(stderr, NAME ": mempool %s has no nfos pool\n", mp->name);
        return NULL;
    }
    if (app->npools < NFAPP_POOLS_MAX)
        app->pools[app->npools++] = pool;
    lcores_main()->lc.pool = pool;
    return mp;
}

int main(int argc, char **argv)
{
    char *eal[ARGS_MAX + 1], *opt[ARGS_MAX + 1];
    struct kvs_worker *w0 = lcores_main();
    struct kvrun r = KVRUN_DEFAULTS;
    struct rte_mempool *mp;
    int rc, neal, nopt;
    struct nfapp app;
    uint16_t pid;
    const struct nfapp_opt opts[] = { KVRUN_OPTS(app, r), NFAPP_OPT_END };

#if CONFIG_PLAT_LINUXU
    r.epoch = (uint64_t)time(NULL); /* as kvstore: the host's clock */
#endif
    if (args_split(argc, argv, eal, &neal, opt, &nopt))
        return 2;
    if (rte_eal_init(neal, eal) < 0) {
        fprintf(stderr, NAME ": rte_eal_init: %s\n", rte_strerror(rte_errno));
        return 2;
    }
    if ((rc = nfapp_start(&app, NAME, about, opts, nopt, opt)) != NFAPP_RUN)
        return rc;
    if (!rte_eth_dev_count_avail()) {
        fprintf(stderr, NAME ": no network port; attach one: ./nfos run " NAME " --net tap:IF "
                             "--ip ADDR/PREFIX\n");
        return 2;
    }
    if (kvrun_init(&app, &r) || !(mp = pool_make(&app, 2048 * lcores_count())))
        return 2;
    RTE_ETH_FOREACH_DEV(pid)
    if (port_open(&app, w0, pid, mp, r.udp_port))
        return 2;
    /* nfapp_finish, at its end, stops the nfos ports under net_nfos (their
     * drivers free what they hold) and accounts for every mbuf. */
    return kvrun_loop(&app, &r);
}
