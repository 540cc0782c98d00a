/* The netdev registry and the checked slow-path calls around driver ops.
 * Port parameters and MACs are in netdev_param.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/netdev_driver.h>

static struct {
    struct netdev *dev[NETDEV_MAX_PORTS];
    unsigned count;
} netdevs;

int netdev_register(struct netdev *dev)
{
    NFOS_ASSERT(dev && dev->ops && dev->rx_burst && dev->tx_burst);
    NFOS_ASSERT(dev->ops->configure && dev->ops->rxq_setup && dev->ops->txq_setup &&
                dev->ops->start);
    if (netdevs.count == NETDEV_MAX_PORTS) {
        fprintf(stderr, "netdev: %s: too many ports (at most %d)\n", dev->name, NETDEV_MAX_PORTS);
        return -ENOSPC;
    }
    dev->port = (uint16_t)netdevs.count;
    if (!dev->name[0])
        snprintf(dev->name, sizeof(dev->name), "net%u", dev->port);
    netdev_port_prefix(dev->port, dev->param_prefix);
    if (!dev->mtu)
        dev->mtu = 1500;
    dev->state = NETDEV_REGISTERED;
    netdevs.dev[netdevs.count++] = dev;
    if (core_verbose()) {
        char mac[NETDEV_MAC_STRLEN];

        printf("netdev: port %u: %s, mac %s\n", dev->port, dev->name,
               netdev_mac_str(dev->mac, mac));
    }
    return 0;
}

unsigned netdev_count(void)
{
    return netdevs.count;
}

unsigned netdev_next_port(void)
{
    return netdevs.count;
}

struct netdev *netdev_get(unsigned port)
{
    return port < netdevs.count ? netdevs.dev[port] : NULL;
}

int netdev_info(struct netdev *dev, struct netdev_info *info)
{
    memset(info, 0, sizeof(*info));
    info->max_rx_queues = 1;
    info->max_tx_queues = 1;
    info->min_mtu = 68;
    info->max_mtu = 1500;
    return dev->ops->info ? dev->ops->info(dev, info) : 0;
}

int netdev_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    struct netdev_info info;
    int err;

    if (dev->state == NETDEV_STARTED)
        return -EBUSY;
    if ((err = netdev_info(dev, &info)))
        return err;
    if (conf->nb_rx_queues < 1 || conf->nb_rx_queues > info.max_rx_queues ||
        conf->nb_rx_queues > NETDEV_MAX_QUEUES || conf->nb_tx_queues < 1 ||
        conf->nb_tx_queues > info.max_tx_queues || conf->nb_tx_queues > NETDEV_MAX_QUEUES)
        return -EINVAL;
    if (conf->mtu && (conf->mtu < info.min_mtu || conf->mtu > info.max_mtu))
        return -EINVAL;
    if ((err = dev->ops->configure(dev, conf)))
        return err;
    dev->conf = *conf;
    if (conf->mtu)
        dev->mtu = conf->mtu;
    dev->promisc = conf->promisc;
    memset(dev->queue, 0, sizeof(dev->queue));
    dev->state = NETDEV_CONFIGURED;
    return 0;
}

int netdev_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool)
{
    if (dev->state != NETDEV_CONFIGURED && dev->state != NETDEV_STOPPED)
        return -EBUSY;
    if (q >= dev->conf.nb_rx_queues || !pool)
        return -EINVAL;
    return dev->ops->rxq_setup(dev, q, ring_size, pool, &dev->queue[q].rx);
}

int netdev_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size)
{
    if (dev->state != NETDEV_CONFIGURED && dev->state != NETDEV_STOPPED)
        return -EBUSY;
    if (q >= dev->conf.nb_tx_queues)
        return -EINVAL;
    return dev->ops->txq_setup(dev, q, ring_size, &dev->queue[q].tx);
}

int netdev_start(struct netdev *dev)
{
    unsigned q;
    int err;

    if (dev->state == NETDEV_STARTED)
        return 0;
    if (dev->state == NETDEV_REGISTERED)
        return -EINVAL;
    for (q = 0; q < dev->conf.nb_rx_queues; q++)
        if (!dev->queue[q].rx)
            return -EINVAL;
    for (q = 0; q < dev->conf.nb_tx_queues; q++)
        if (!dev->queue[q].tx)
            return -EINVAL;
    if ((err = dev->ops->start(dev)))
        return err;
    dev->state = NETDEV_STARTED;
    return 0;
}

void netdev_stop(struct netdev *dev)
{
    if (dev->state != NETDEV_STARTED)
        return;
    if (dev->ops->stop)
        dev->ops->stop(dev);
    dev->state = NETDEV_STOPPED;
}

int netdev_set_promisc(struct netdev *dev, bool on)
{
    int err;

    if (!dev->ops->set_promisc)
        return -ENOTSUP;
    if ((err = dev->ops->set_promisc(dev, on)))
        return err;
    dev->promisc = on;
    return 0;
}

int netdev_set_mtu(struct netdev *dev, uint32_t mtu)
{
    struct netdev_info info;
    int err;

    if (!dev->ops->set_mtu)
        return -ENOTSUP;
    if ((err = netdev_info(dev, &info)))
        return err;
    if (mtu < info.min_mtu || mtu > info.max_mtu)
        return -EINVAL;
    if ((err = dev->ops->set_mtu(dev, mtu)))
        return err;
    dev->mtu = mtu;
    return 0;
}

int netdev_link(struct netdev *dev, struct netdev_link *link)
{
    memset(link, 0, sizeof(*link));
    if (!dev->ops->link)
        return -ENOTSUP;
    return dev->ops->link(dev, link);
}

static void stats_add(struct netdev_queue_stats *sum, const struct netdev_queue_stats *q)
{
    sum->packets += q->packets;
    sum->bytes += q->bytes;
    sum->errors += q->errors;
    sum->drops += q->drops;
    sum->empty_polls += q->empty_polls;
}

int netdev_stats(struct netdev *dev, struct netdev_stats *stats)
{
    unsigned q;

    memset(stats, 0, sizeof(*stats));
    stats->nb_rxq = dev->conf.nb_rx_queues;
    stats->nb_txq = dev->conf.nb_tx_queues;
    if (!dev->ops->stats)
        return -ENOTSUP;
    dev->ops->stats(dev, stats);
    for (q = 0; q < stats->nb_rxq; q++)
        stats_add(&stats->rx_total, &stats->rx[q]);
    for (q = 0; q < stats->nb_txq; q++)
        stats_add(&stats->tx_total, &stats->tx[q]);
    return 0;
}

void netdev_stats_reset(struct netdev *dev)
{
    if (dev->ops->stats_reset)
        dev->ops->stats_reset(dev);
}

int netdev_quick_start(struct netdev *dev, struct pool *pool)
{
    return netdev_quick_start_queues(dev, pool, 1);
}

int netdev_quick_start_queues(struct netdev *dev, struct pool *pool, uint16_t nq)
{
    struct netdev_conf conf = { .nb_rx_queues = nq, .nb_tx_queues = nq };
    struct netdev_info info;
    const char *step;
    uint16_t q, offered;
    int err;

    step = "info";
    if ((err = netdev_info(dev, &info)))
        goto err_out;
    /* No port has more than NETDEV_MAX_QUEUES pairs (configure refuses
     * more): said here, the bound also tells the compiler that nq is 1 in
     * an image of one pair per port, so the loop below is one set-up. */
    offered = NFOS_MIN(NFOS_MIN(info.max_rx_queues, info.max_tx_queues), NETDEV_MAX_QUEUES);
    if (nq < 1 || nq > offered) {
        fprintf(stderr, "netdev: port %u (%s): %u queue pairs asked, %s offers %u\n", dev->port,
                dev->name, nq, info.driver ? info.driver : "the driver", offered);
        return -EINVAL;
    }
    step = "configure";
    if ((err = netdev_configure(dev, &conf)))
        goto err_out;
    for (q = 0; q < nq; q++) {
        step = "rx queue set-up";
        if ((err = netdev_rxq_setup(dev, q, 0, pool)))
            goto err_out;
        step = "tx queue set-up";
        if ((err = netdev_txq_setup(dev, q, 0)))
            goto err_out;
    }
    step = "start";
    if ((err = netdev_start(dev)))
        goto err_out;
    if (core_verbose()) {
        char mac[NETDEV_MAC_STRLEN];

        printf("netdev: port %u (%s) started, mac %s, mtu %u", dev->port, dev->name,
               netdev_mac_str(dev->mac, mac), dev->mtu);
        printf(nq > 1 ? ", %u queue pairs\n" : "\n", nq);
    }
    return 0;

err_out:
    fprintf(stderr, "netdev: port %u (%s): %s failed: %s\n", dev->port, dev->name, step,
            strerror(-err));
    return err;
}
