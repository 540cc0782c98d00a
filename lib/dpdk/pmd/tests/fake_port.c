/* See fake_port.h. */
#include <errno.h>
#include <string.h>

#include "fake_port.h"

static struct fake_port *port_of(struct netdev *dev)
{
    return nfos_container_of(dev, struct fake_port, dev);
}

static int fake_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    return 0;
}

static int fake_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring, struct pool *pool,
                          void **queue)
{
    port_of(dev)->rx_pool = pool;
    *queue = port_of(dev);
    return 0;
}

static int fake_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring, void **queue)
{
    *queue = port_of(dev);
    return 0;
}

static int fake_start(struct netdev *dev)
{
    return 0;
}

static void fake_stats(struct netdev *dev, struct netdev_stats *st)
{
    st->rx[0] = port_of(dev)->rx;
    st->tx[0] = port_of(dev)->tx;
}

static void fake_stats_reset(struct netdev *dev)
{
    memset(&port_of(dev)->rx, 0, sizeof(port_of(dev)->rx));
    memset(&port_of(dev)->tx, 0, sizeof(port_of(dev)->tx));
}

static const struct netdev_ops fake_ops = {
    .configure = fake_configure,
    .rxq_setup = fake_rxq_setup,
    .txq_setup = fake_txq_setup,
    .start = fake_start,
    .stats = fake_stats,
    .stats_reset = fake_stats_reset,
};

int fake_port_register(struct fake_port *p, netdev_burst_fn rx, netdev_burst_fn tx,
                       uint8_t mac_last)
{
    p->dev.ops = &fake_ops;
    p->dev.rx_burst = rx;
    p->dev.tx_burst = tx;
    p->dev.mac[0] = 0x02;
    p->dev.mac[5] = mac_last;
    return netdev_register(&p->dev);
}
