/* The null driver: netdev.dev=null[:SIZE]. rx_burst always returns a full
 * burst of SIZE-byte copies (default 64) of a fixed Ethernet/IPv4/UDP
 * template; tx_burst frees what it is given. For micro-benchmarks of the
 * layers above the driver: the cost left is netbuf, netdev and the app. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/netdev_driver.h>
#include <nfos/plat/idle.h>

#define NULL_SIZE_DEFAULT 64
#define NULL_SIZE_MAX     9000

struct null_rxq {
    struct netdev_queue_stats stats;
    struct pool *pool;
    uint32_t size;
    const uint8_t *template;
};

struct null_txq {
    struct netdev_queue_stats stats;
};

struct null_port {
    struct netdev dev;
    uint32_t size;
    struct null_rxq rxq[NETDEV_MAX_QUEUES];
    struct null_txq txq[NETDEV_MAX_QUEUES];
    uint8_t template[NULL_SIZE_MAX];
};

/* One port per vdev; at most NETDEV_MAX_PORTS exist at all. */
static struct null_port null_ports[NETDEV_MAX_PORTS];
static unsigned null_nr;

static uint16_t null_rx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct null_rxq *q = queue;
    uint16_t i;

    if (unlikely(netbuf_alloc_bulk(q->pool, pkts, n))) {
        q->stats.drops += n;
        q->stats.empty_polls++;
        return 0;
    }
    for (i = 0; i < n; i++) {
        memcpy(netbuf_data(pkts[i]), q->template, q->size);
        pkts[i]->len = pkts[i]->pkt_len = q->size;
    }
    q->stats.packets += n;
    q->stats.bytes += (uint64_t)n * q->size;
    return n;
}

static uint16_t null_tx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct null_txq *q = queue;
    uint16_t i;

    for (i = 0; i < n; i++) {
        q->stats.bytes += pkts[i]->pkt_len;
        netbuf_free(pkts[i]);
    }
    q->stats.packets += n;
    return n;
}

static int null_info(struct netdev *dev, struct netdev_info *info)
{
    struct null_port *p = nfos_container_of(dev, struct null_port, dev);

    info->driver = "null";
    info->max_rx_queues = NETDEV_MAX_QUEUES;
    info->max_tx_queues = NETDEV_MAX_QUEUES;
    info->max_mtu = NULL_SIZE_MAX;
    info->min_rx_buf = p->size;
    return 0;
}

static int null_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    (void)dev;
    (void)conf;
    return 0;
}

static int null_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool,
                          void **queue)
{
    struct null_port *p = nfos_container_of(dev, struct null_port, dev);
    struct netbuf *probe = netbuf_alloc(pool);
    uint32_t room;

    (void)ring_size;
    if (!probe)
        return -ENOBUFS;
    room = netbuf_tailroom(probe);
    netbuf_free(probe);
    if (room < p->size)
        return -EINVAL;
    memset(&p->rxq[q], 0, sizeof(p->rxq[q]));
    p->rxq[q].pool = pool;
    p->rxq[q].size = p->size;
    p->rxq[q].template = p->template;
    *queue = &p->rxq[q];
    return 0;
}

static int null_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, void **queue)
{
    struct null_port *p = nfos_container_of(dev, struct null_port, dev);

    (void)ring_size;
    memset(&p->txq[q], 0, sizeof(p->txq[q]));
    *queue = &p->txq[q];
    return 0;
}

static int null_start(struct netdev *dev)
{
    (void)dev;
    /* Frames on every poll, announced by no fd: an app with a null port
     * never sleeps (plat/idle.h). */
    plat_idle_unwatchable();
    return 0;
}

static int null_link(struct netdev *dev, struct netdev_link *link)
{
    (void)dev;
    link->up = true;
    link->full_duplex = true;
    return 0;
}

static void null_stats(struct netdev *dev, struct netdev_stats *stats)
{
    struct null_port *p = nfos_container_of(dev, struct null_port, dev);
    unsigned q;

    for (q = 0; q < stats->nb_rxq; q++)
        stats->rx[q] = p->rxq[q].stats;
    for (q = 0; q < stats->nb_txq; q++)
        stats->tx[q] = p->txq[q].stats;
}

static void null_stats_reset(struct netdev *dev)
{
    struct null_port *p = nfos_container_of(dev, struct null_port, dev);
    unsigned q;

    for (q = 0; q < NETDEV_MAX_QUEUES; q++) {
        memset(&p->rxq[q].stats, 0, sizeof(p->rxq[q].stats));
        memset(&p->txq[q].stats, 0, sizeof(p->txq[q].stats));
    }
}

static const struct netdev_ops null_ops = {
    .info = null_info,
    .configure = null_configure,
    .rxq_setup = null_rxq_setup,
    .txq_setup = null_txq_setup,
    .start = null_start,
    .link = null_link,
    .stats = null_stats,
    .stats_reset = null_stats_reset,
};

/* An Ethernet/IPv4/UDP frame from 02:00:00:00:00:01 10.0.0.1:1024 to
 * 02:00:00:00:00:02 10.0.0.2:1024, zero payload, lengths and IPv4 header
 * checksum for the frame size; UDP checksum 0 (none). */
static void null_template(uint8_t *t, uint32_t size)
{
    static const uint8_t head[42] = {
        0x02, 0,    0,    0,    0,  0x02, 0x02, 0, 0,  0,  0, 0x01, 0x08, 0x00, /* Ethernet */
        0x45, 0,    0,    50,   0,  0,    0x40, 0, 64, 17, 0, 0,                /* IPv4 */
        10,   0,    0,    1,    10, 0,    0,    2,                              /* addresses */
        0x04, 0x00, 0x04, 0x00, 0,  30,   0,    0,                              /* UDP */
    };
    uint32_t ip_len = size - 14, udp_len = size - 34, sum = 0;
    unsigned i;

    memset(t, 0, size);
    memcpy(t, head, NFOS_MIN(size, sizeof(head)));
    if (size >= sizeof(head)) {
        t[16] = (uint8_t)(ip_len >> 8);
        t[17] = (uint8_t)ip_len;
        t[38] = (uint8_t)(udp_len >> 8);
        t[39] = (uint8_t)udp_len;
        t[24] = t[25] = 0;
        for (i = 14; i < 34; i += 2)
            sum += (uint32_t)(t[i] << 8 | t[i + 1]);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        t[24] = (uint8_t)(~sum >> 8);
        t[25] = (uint8_t)~sum;
    }
}

static int null_probe(struct bus_device *bdev)
{
    struct vdev_device *v = nfos_container_of(bdev, struct vdev_device, dev);
    struct null_port *p;
    unsigned long size = NULL_SIZE_DEFAULT;
    char *end;

    if (null_nr == NETDEV_MAX_PORTS)
        return -ENOSPC;
    if (v->arg[0]) {
        size = strtoul(v->arg, &end, 10);
        if (*end || size < 60 || size > NULL_SIZE_MAX) {
            fprintf(stderr, "null: frame size '%s': expected 60..%d bytes\n", v->arg,
                    NULL_SIZE_MAX);
            return -EINVAL;
        }
    }
    p = &null_ports[null_nr++];
    p->size = (uint32_t)size;
    null_template(p->template, p->size);
    p->dev.ops = &null_ops;
    p->dev.rx_burst = null_rx;
    p->dev.tx_burst = null_tx;
    p->dev.mac[0] = 0x02; /* 02:00:00:00:00:02, locally administered */
    p->dev.mac[5] = 0x02;
    snprintf(p->dev.name, sizeof(p->dev.name), "null%u", v->index);
    bdev->priv = p;
    return netdev_register(&p->dev);
}

static const struct bus_driver null_driver = {
    .name = "null",
    .bus = "vdev",
    .ids = "null",
    .probe = null_probe,
};
BUS_DRIVER_REGISTER(null_driver);
