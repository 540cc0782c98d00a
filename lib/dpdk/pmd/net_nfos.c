/* net_nfos: a DPDK ethdev over each nfos netdev port (virtio-net on pci or
 * mmio, vhost-user, tap, packet, null: whatever the image probed). The
 * vdev net_nfosN drives nfos port N (or port=M); with no net_nfos on the
 * command line, every nfos port gets one, in port order, at the vdev scan
 * of rte_eal_init. The ethdev calls map onto netdev calls one to one;
 * the bursts are in net_nfos_rxtx.c, the buffers in mempool_nfos.c.
 *
 * Not here: MAC changes and filters, offloads, interrupts (link or rx),
 * per-queue start and stop, and queues beyond what the nfos driver has. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bus_vdev_driver.h>
#include <ethdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_devargs.h>
#include <rte_kvargs.h>
#include <rte_malloc.h>
#include <rte_mbuf_pool_ops.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/netdev.h>

#include "net_nfos_priv.h"

#define NFOS_PMD_NAME     "net_nfos"
#define NFOS_PMD_ARG_PORT "port"
/* Descriptors when the app asks for 0 and the driver has no limit. */
#define NFOS_PMD_RING_DEFAULT 256

RTE_LOG_REGISTER_DEFAULT(nfos_pmd_logtype, NOTICE);

static struct nfos_pmd_port *port_of(struct rte_eth_dev *dev)
{
    return dev->data->dev_private;
}

static int nfos_pmd_infos_get(struct rte_eth_dev *dev, struct rte_eth_dev_info *info)
{
    struct nfos_pmd_port *p = port_of(dev);
    struct netdev_info ni;
    int err;

    if ((err = netdev_info(p->nd, &ni)))
        return err;
    info->driver_name = NFOS_PMD_NAME;
    info->max_rx_queues = RTE_MIN(ni.max_rx_queues, (uint16_t)NETDEV_MAX_QUEUES);
    info->max_tx_queues = RTE_MIN(ni.max_tx_queues, (uint16_t)NETDEV_MAX_QUEUES);
    info->max_mac_addrs = 1;
    info->min_mtu = (uint16_t)ni.min_mtu;
    info->max_mtu = (uint16_t)RTE_MIN(ni.max_mtu, (uint32_t)UINT16_MAX - RTE_ETHER_HDR_LEN);
    info->max_rx_pktlen = info->max_mtu + RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    info->min_rx_bufsize = ni.min_rx_buf;
    info->rx_desc_lim.nb_max = ni.max_ring_size ? ni.max_ring_size : UINT16_MAX;
    info->rx_desc_lim.nb_min = 1;
    info->rx_desc_lim.nb_align = 1;
    info->tx_desc_lim = info->rx_desc_lim;
    info->default_rxportconf.ring_size = RTE_MIN(info->rx_desc_lim.nb_max, NFOS_PMD_RING_DEFAULT);
    info->default_txportconf.ring_size = info->default_rxportconf.ring_size;
    info->default_rxportconf.burst_size = 32;
    info->default_txportconf.burst_size = 32;
    info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
    return 0;
}

static int nfos_pmd_configure(struct rte_eth_dev *dev)
{
    struct rte_eth_dev_data *d = dev->data;
    struct netdev_conf conf = {
        .nb_rx_queues = d->nb_rx_queues,
        .nb_tx_queues = d->nb_tx_queues,
        .mtu = d->mtu,
        .promisc = d->promiscuous,
    };
    int err = netdev_configure(port_of(dev)->nd, &conf);

    if (err)
        NFOS_PMD_LOG(ERR, "%s: configure (%u rx, %u tx queues): %s", d->name, d->nb_rx_queues,
                     d->nb_tx_queues, strerror(-err));
    return err;
}

static int nfos_pmd_rxq_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
                              unsigned int socket, const struct rte_eth_rxconf *conf,
                              struct rte_mempool *mp)
{
    struct nfos_pmd_port *p = port_of(dev);
    struct pool *pool = dpdk_mempool_pool(mp);
    struct nfos_pmd_rxq *q;
    int err;

    if (!pool) {
        NFOS_PMD_LOG(ERR,
                     "%s: rx queue %u: mempool %s has ops '%s'; net_nfos receives into "
                     "mempools with ops '" DPDK_MEMPOOL_OPS_NFOS "' only (the default)",
                     dev->data->name, qid, mp->name, rte_mempool_get_ops(mp->ops_index)->name);
        return -EINVAL;
    }
    if ((err = netdev_rxq_setup(p->nd, qid, nb_desc, pool))) {
        NFOS_PMD_LOG(ERR, "%s: rx queue %u (%u descriptors): %s", dev->data->name, qid, nb_desc,
                     strerror(-err));
        return err;
    }
    q = rte_zmalloc_socket("nfos_rxq", sizeof(*q), RTE_CACHE_LINE_SIZE, socket);
    if (!q)
        return -ENOMEM;
    q->burst = p->nd->rx_burst;
    q->drvq = p->nd->queue[qid].rx;
    q->rearm = dpdk_mbuf_rearm(dev->data->port_id);
    q->qid = qid;
    q->nb_desc = nb_desc;
    q->mp = mp;
    dev->data->rx_queues[qid] = q;
    return 0;
}

static int nfos_pmd_txq_setup(struct rte_eth_dev *dev, uint16_t qid, uint16_t nb_desc,
                              unsigned int socket, const struct rte_eth_txconf *conf)
{
    struct nfos_pmd_port *p = port_of(dev);
    struct nfos_pmd_txq *q;
    int err;

    if ((err = netdev_txq_setup(p->nd, qid, nb_desc))) {
        NFOS_PMD_LOG(ERR, "%s: tx queue %u (%u descriptors): %s", dev->data->name, qid, nb_desc,
                     strerror(-err));
        return err;
    }
    if (!p->copy_pool) {
        snprintf(p->copy_name, sizeof(p->copy_name), "%s-copy", dev->data->name);
        p->copy_pool = netbuf_pool_create(p->copy_name, NFOS_PMD_COPY_BUFS, 0, NETBUF_HEADROOM,
                                          RTE_MBUF_DEFAULT_DATAROOM + RTE_ETHER_CRC_LEN);
        if (!p->copy_pool)
            return -ENOMEM;
    }
    q = rte_zmalloc_socket("nfos_txq", sizeof(*q), RTE_CACHE_LINE_SIZE, socket);
    if (!q)
        return -ENOMEM;
    q->burst = p->nd->tx_burst;
    q->drvq = p->nd->queue[qid].tx;
    q->copy_pool = p->copy_pool;
    q->qid = qid;
    q->nb_desc = nb_desc;
    dev->data->tx_queues[qid] = q;
    return 0;
}

static void nfos_pmd_rxq_release(struct rte_eth_dev *dev, uint16_t qid)
{
    rte_free(dev->data->rx_queues[qid]);
    dev->data->rx_queues[qid] = NULL;
}

static void nfos_pmd_txq_release(struct rte_eth_dev *dev, uint16_t qid)
{
    rte_free(dev->data->tx_queues[qid]);
    dev->data->tx_queues[qid] = NULL;
}

static void nfos_pmd_queue_states(struct rte_eth_dev *dev, uint8_t state)
{
    uint16_t q;

    for (q = 0; q < dev->data->nb_rx_queues; q++)
        dev->data->rx_queue_state[q] = state;
    for (q = 0; q < dev->data->nb_tx_queues; q++)
        dev->data->tx_queue_state[q] = state;
}

static int nfos_pmd_link_update(struct rte_eth_dev *dev, int wait)
{
    struct rte_eth_link link = {
        .link_speed = RTE_ETH_SPEED_NUM_UNKNOWN,
        .link_duplex = RTE_ETH_LINK_FULL_DUPLEX,
        .link_autoneg = RTE_ETH_LINK_FIXED,
    };
    struct netdev_link nl;
    int err = netdev_link(port_of(dev)->nd, &nl);

    if (err == -ENOTSUP) { /* a driver without a link: up while started */
        nl.up = dev->data->dev_started;
        nl.speed_mbps = 0;
        nl.full_duplex = true;
    } else if (err) {
        return err;
    }
    link.link_status = nl.up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    if (nl.speed_mbps)
        link.link_speed = nl.speed_mbps;
    if (!nl.full_duplex)
        link.link_duplex = RTE_ETH_LINK_HALF_DUPLEX;
    return rte_eth_linkstatus_set(dev, &link);
}

static int nfos_pmd_start(struct rte_eth_dev *dev)
{
    int err = netdev_start(port_of(dev)->nd);

    if (err) {
        NFOS_PMD_LOG(ERR, "%s: start: %s", dev->data->name, strerror(-err));
        return err;
    }
    nfos_pmd_queue_states(dev, RTE_ETH_QUEUE_STATE_STARTED);
    dev->data->dev_started = 1;
    nfos_pmd_link_update(dev, 0);
    return 0;
}

static int nfos_pmd_stop(struct rte_eth_dev *dev)
{
    netdev_stop(port_of(dev)->nd);
    nfos_pmd_queue_states(dev, RTE_ETH_QUEUE_STATE_STOPPED);
    dev->data->dev_started = 0;
    nfos_pmd_link_update(dev, 0);
    return 0;
}

static int nfos_pmd_close(struct rte_eth_dev *dev)
{
    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return 0;
    netdev_stop(port_of(dev)->nd);
    /* mac_addrs points into dev_private: not for rte_eth_dev_release_port
     * to free on its own. The copy pool stays: buffers the driver still
     * holds may belong to it, and the nfos port outlives the ethdev. */
    dev->data->mac_addrs = NULL;
    return 0;
}

/* A driver without a promiscuous switch receives every frame: enabling is
 * then a no-op, disabling impossible. */
static int nfos_pmd_promisc(struct rte_eth_dev *dev, bool on)
{
    int err = netdev_set_promisc(port_of(dev)->nd, on);

    return err == -ENOTSUP && on ? 0 : err;
}

static int nfos_pmd_promisc_on(struct rte_eth_dev *dev)
{
    return nfos_pmd_promisc(dev, true);
}

static int nfos_pmd_promisc_off(struct rte_eth_dev *dev)
{
    return nfos_pmd_promisc(dev, false);
}

/* nfos drivers filter no multicast: every group is received. */
static int nfos_pmd_allmulti_on(struct rte_eth_dev *dev)
{
    return 0;
}

static int nfos_pmd_mtu_set(struct rte_eth_dev *dev, uint16_t mtu)
{
    return netdev_set_mtu(port_of(dev)->nd, mtu);
}

static int nfos_pmd_stats_get(struct rte_eth_dev *dev, struct rte_eth_stats *st)
{
    struct netdev_stats ns;
    uint16_t q;
    int err;

    if ((err = netdev_stats(port_of(dev)->nd, &ns)))
        return err;
    st->ipackets = ns.rx_total.packets;
    st->ibytes = ns.rx_total.bytes;
    st->ierrors = ns.rx_total.errors;
    st->imissed = ns.rx_total.drops; /* no netbuf to post: the device dropped */
    st->opackets = ns.tx_total.packets;
    st->obytes = ns.tx_total.bytes;
    st->oerrors = ns.tx_total.errors;
    for (q = 0; q < ns.nb_rxq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
        st->q_ipackets[q] = ns.rx[q].packets;
        st->q_ibytes[q] = ns.rx[q].bytes;
        st->q_errors[q] = ns.rx[q].errors;
    }
    for (q = 0; q < ns.nb_txq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
        st->q_opackets[q] = ns.tx[q].packets;
        st->q_obytes[q] = ns.tx[q].bytes;
    }
    for (q = 0; q < dev->data->nb_tx_queues; q++) {
        const struct nfos_pmd_txq *t = dev->data->tx_queues[q];

        if (t)
            st->oerrors += t->dropped;
    }
    return 0;
}

static int nfos_pmd_stats_reset(struct rte_eth_dev *dev)
{
    uint16_t q;

    netdev_stats_reset(port_of(dev)->nd);
    for (q = 0; q < dev->data->nb_tx_queues; q++) {
        struct nfos_pmd_txq *t = dev->data->tx_queues[q];

        if (t)
            t->copies = t->dropped = 0;
    }
    return 0;
}

/* net_nfos's own counters, summed over the tx queues. */
static const char *const nfos_pmd_xstat_names[] = { "tx_copies", "tx_dropped_unsendable" };
#define NFOS_PMD_NB_XSTATS RTE_DIM(nfos_pmd_xstat_names)

static int nfos_pmd_xstats_get(struct rte_eth_dev *dev, struct rte_eth_xstat *xs, unsigned n)
{
    uint64_t v[NFOS_PMD_NB_XSTATS] = { 0 };
    unsigned i;
    uint16_t q;

    if (!xs || n < NFOS_PMD_NB_XSTATS)
        return NFOS_PMD_NB_XSTATS;
    for (q = 0; q < dev->data->nb_tx_queues; q++) {
        const struct nfos_pmd_txq *t = dev->data->tx_queues[q];

        if (t) {
            v[0] += t->copies;
            v[1] += t->dropped;
        }
    }
    for (i = 0; i < NFOS_PMD_NB_XSTATS; i++) {
        xs[i].id = i;
        xs[i].value = v[i];
    }
    return NFOS_PMD_NB_XSTATS;
}

static int nfos_pmd_xstats_names(struct rte_eth_dev *dev, struct rte_eth_xstat_name *names,
                                 unsigned size)
{
    unsigned i;

    if (names && size >= NFOS_PMD_NB_XSTATS)
        for (i = 0; i < NFOS_PMD_NB_XSTATS; i++)
            snprintf(names[i].name, sizeof(names[i].name), "%s", nfos_pmd_xstat_names[i]);
    return NFOS_PMD_NB_XSTATS;
}

static void nfos_pmd_rxq_info(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_rxq_info *qi)
{
    const struct nfos_pmd_rxq *q = dev->data->rx_queues[qid];

    qi->mp = q->mp;
    qi->nb_desc = q->nb_desc;
}

static void nfos_pmd_txq_info(struct rte_eth_dev *dev, uint16_t qid, struct rte_eth_txq_info *qi)
{
    const struct nfos_pmd_txq *q = dev->data->tx_queues[qid];

    qi->nb_desc = q->nb_desc;
}

static const struct eth_dev_ops nfos_pmd_ops = {
    .dev_configure = nfos_pmd_configure,
    .dev_start = nfos_pmd_start,
    .dev_stop = nfos_pmd_stop,
    .dev_close = nfos_pmd_close,
    .dev_infos_get = nfos_pmd_infos_get,
    .link_update = nfos_pmd_link_update,
    .promiscuous_enable = nfos_pmd_promisc_on,
    .promiscuous_disable = nfos_pmd_promisc_off,
    .allmulticast_enable = nfos_pmd_allmulti_on,
    .mtu_set = nfos_pmd_mtu_set,
    .stats_get = nfos_pmd_stats_get,
    .stats_reset = nfos_pmd_stats_reset,
    .xstats_get = nfos_pmd_xstats_get,
    .xstats_get_names = nfos_pmd_xstats_names,
    .xstats_reset = nfos_pmd_stats_reset,
    .rxq_info_get = nfos_pmd_rxq_info,
    .txq_info_get = nfos_pmd_txq_info,
    .rx_queue_setup = nfos_pmd_rxq_setup,
    .tx_queue_setup = nfos_pmd_txq_setup,
    .rx_queue_release = nfos_pmd_rxq_release,
    .tx_queue_release = nfos_pmd_txq_release,
};

/* The nfos port a vdev drives: port=N, else the number its name ends in
 * (net_nfos3: port 3). -1 when neither says. */
static int nfos_pmd_port_arg(struct rte_vdev_device *vdev)
{
    const char *name = rte_vdev_device_name(vdev), *args = rte_vdev_device_args(vdev);
    const char *s = name + strlen(name);
    struct rte_kvargs *kv;
    int port = -1;

    if (args && *args) {
        const char *v;
        char *end;

        if (!(kv = rte_kvargs_parse(args, (const char *const[]){ NFOS_PMD_ARG_PORT, NULL })))
            return -1;
        if ((v = rte_kvargs_get(kv, NFOS_PMD_ARG_PORT)) && *v) {
            long l = strtol(v, &end, 10);

            port = *end || l < 0 || l >= NETDEV_MAX_PORTS ? -1 : (int)l;
        }
        rte_kvargs_free(kv);
        return port;
    }
    while (s > name && s[-1] >= '0' && s[-1] <= '9')
        s--;
    return *s ? atoi(s) : -1;
}

/* Which nfos ports have an ethdev already (one each). */
static struct rte_eth_dev *nfos_pmd_bound[NETDEV_MAX_PORTS];

static int nfos_pmd_probe(struct rte_vdev_device *vdev)
{
    const char *name = rte_vdev_device_name(vdev);
    int port = nfos_pmd_port_arg(vdev);
    struct rte_eth_dev *eth;
    struct nfos_pmd_port *p;
    struct netdev *nd;

    if (rte_eal_process_type() != RTE_PROC_PRIMARY)
        return -ENOTSUP;
    if (port < 0 || !(nd = netdev_get((unsigned)port))) {
        NFOS_PMD_LOG(ERR, "%s: no nfos port %d (the image has %u; give port=N)", name, port,
                     netdev_count());
        return -EINVAL;
    }
    if (nfos_pmd_bound[port]) {
        NFOS_PMD_LOG(ERR, "%s: nfos port %d is %s's already", name, port,
                     nfos_pmd_bound[port]->data->name);
        return -EEXIST;
    }
    if (!(eth = rte_eth_vdev_allocate(vdev, sizeof(*p))))
        return -ENOMEM;
    p = eth->data->dev_private;
    p->nd = nd;
    memcpy(p->mac.addr_bytes, nd->mac, RTE_ETHER_ADDR_LEN);
    eth->data->mac_addrs = &p->mac;
    eth->data->mtu = (uint16_t)nd->mtu;
    eth->data->promiscuous = nd->promisc;
    eth->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS;
    eth->dev_ops = &nfos_pmd_ops;
    eth->rx_pkt_burst = nfos_pmd_rx_burst;
    eth->tx_pkt_burst = nfos_pmd_tx_burst;
    nfos_pmd_bound[port] = eth;
    /* rte_pktmbuf_pool_create() now makes mbufs that are netbufs, unless
     * the user chose ops (--mbuf-pool-ops-name), which win. */
    if (rte_mbuf_set_platform_mempool_ops(DPDK_MEMPOOL_OPS_NFOS) &&
        strcmp(rte_mbuf_platform_mempool_ops(), DPDK_MEMPOOL_OPS_NFOS))
        NFOS_PMD_LOG(WARNING, "mbuf pools keep ops '%s'", rte_mbuf_platform_mempool_ops());
    rte_eth_dev_probing_finish(eth);
    NFOS_PMD_LOG(INFO, "%s: nfos port %d (%s)", name, port, nd->name);
    return 0;
}

static int nfos_pmd_remove(struct rte_vdev_device *vdev)
{
    struct rte_eth_dev *eth = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
    unsigned i;

    if (!eth)
        return 0;
    for (i = 0; i < NETDEV_MAX_PORTS; i++)
        if (nfos_pmd_bound[i] == eth)
            nfos_pmd_bound[i] = NULL;
    nfos_pmd_close(eth);
    return rte_eth_dev_release_port(eth);
}

static struct rte_vdev_driver nfos_pmd_driver = {
    .probe = nfos_pmd_probe,
    .remove = nfos_pmd_remove,
};

RTE_PMD_REGISTER_VDEV(net_nfos, nfos_pmd_driver);
RTE_PMD_REGISTER_PARAM_STRING(net_nfos, NFOS_PMD_ARG_PORT "=<int>");

/* At the vdev scan: one net_nfosN per nfos port, unless the command line
 * names net_nfos devices itself (then those alone). Once: a later scan
 * (hotplug) must not add them again. */
static void nfos_pmd_scan(void *arg)
{
    static bool done;
    struct rte_devargs *da;
    char name[32];
    unsigned i;

    if (done)
        return;
    done = true;
    RTE_EAL_DEVARGS_FOREACH("vdev", da)
    if (!strncmp(da->name, NFOS_PMD_NAME, strlen(NFOS_PMD_NAME)))
        return;
    for (i = 0; i < netdev_count(); i++) {
        snprintf(name, sizeof(name), NFOS_PMD_NAME "%u", i);
        if (rte_devargs_add(RTE_DEVTYPE_VIRTUAL, name))
            NFOS_PMD_LOG(ERR, "cannot add %s for nfos port %u", name, i);
    }
}

RTE_INIT(nfos_pmd_scan_register)
{
    rte_vdev_add_custom_scan(nfos_pmd_scan, NULL);
}
