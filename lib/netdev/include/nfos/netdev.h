/* netdev: the network device API, shaped like DPDK's ethdev.
 *
 * Drivers (drivers/virtio-net, the linuxu backends, the null driver) fill a
 * struct netdev and register it at probe time; ports are numbered in
 * registration order. An app configures a port, sets up its queues with a
 * netbuf pool for receive, starts it, then polls:
 *
 *     n = netdev_rx_burst(dev, 0, pkts, 32);   ... process ...
 *     sent = netdev_tx_burst(dev, 0, pkts, n); netbuf_free_bulk(pkts + sent, n - sent);
 *
 * rx_burst/tx_burst are inline calls through two function pointers kept in
 * the device's first cache line with the queue pointers; no locks, one core
 * per queue. tx_burst takes ownership of the netbufs it accepts (it frees
 * them once the device is done); those it does not accept stay the
 * caller's. Every queue keeps its own counters (packets, bytes, errors,
 * drops, empty polls) in its own cache line; netdev_stats() gathers them.
 *
 * Slow-path calls return 0 or a negative errno and print nothing unless
 * nfos.verbose is set; the app decides what to tell the user. */
#ifndef NFOS_NETDEV_H
#define NFOS_NETDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/netbuf.h>

#define NETDEV_MAX_PORTS  8
#define NETDEV_MAX_QUEUES 8
#define NETDEV_NAME_MAX   32
#define NETDEV_BURST_MAX  64 /* drivers accept bursts up to this at least */

/* Per-queue counters, kept by drivers in their queue structs. */
struct netdev_queue_stats {
    uint64_t packets;     /* received / sent */
    uint64_t bytes;       /* their bytes (frame bytes, no virtio header) */
    uint64_t errors;      /* rx: bad descriptors or frames; tx: frames refused as bad */
    uint64_t drops;       /* rx: no netbuf to refill; tx: ring full (not taken) */
    uint64_t empty_polls; /* rx_burst calls that returned nothing */
} __nfos_cache_aligned;

struct netdev_stats {
    uint16_t nb_rxq, nb_txq;
    struct netdev_queue_stats rx[NETDEV_MAX_QUEUES];
    struct netdev_queue_stats tx[NETDEV_MAX_QUEUES];
    struct netdev_queue_stats rx_total, tx_total; /* sums over the queues */
};

struct netdev_info {
    const char *driver;     /* "virtio-net", "tap", "packet", "null", ... */
    uint16_t max_rx_queues; /* at least 1 */
    uint16_t max_tx_queues;
    uint16_t max_ring_size; /* descriptors per queue; 0: no limit */
    uint32_t min_mtu, max_mtu;
    uint32_t min_rx_buf; /* smallest netbuf data room rx accepts (bytes) */
};

struct netdev_conf {
    uint16_t nb_rx_queues; /* 1 .. info.max_rx_queues */
    uint16_t nb_tx_queues;
    uint32_t mtu; /* 0: keep the device's (1500 by default) */
    bool promisc;
};

struct netdev_link {
    bool up;
    uint32_t speed_mbps; /* 0: unknown */
    bool full_duplex;
};

struct netdev;

typedef uint16_t (*netdev_burst_fn)(void *queue, struct netbuf **pkts, uint16_t n);

/* Slow-path driver operations. configure, rxq_setup, txq_setup, start are
 * required; the rest may be NULL (the call then returns -ENOTSUP, except
 * stop and close which do nothing). Drivers need not check arguments the
 * netdev layer already checked (ranges, state). */
struct netdev_ops {
    int (*info)(struct netdev *dev, struct netdev_info *info);
    int (*configure)(struct netdev *dev, const struct netdev_conf *conf);
    /* Returns the queue object rx_burst will be called with. */
    int (*rxq_setup)(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool,
                     void **queue);
    int (*txq_setup)(struct netdev *dev, uint16_t q, uint16_t ring_size, void **queue);
    int (*start)(struct netdev *dev);
    void (*stop)(struct netdev *dev);
    void (*close)(struct netdev *dev);
    int (*set_promisc)(struct netdev *dev, bool on);
    int (*set_mtu)(struct netdev *dev, uint32_t mtu);
    int (*link)(struct netdev *dev, struct netdev_link *link);
    /* Adds the driver's queue counters into stats->rx[] / tx[]. */
    void (*stats)(struct netdev *dev, struct netdev_stats *stats);
    void (*stats_reset)(struct netdev *dev);
};

enum netdev_state {
    NETDEV_REGISTERED, /* probed, not configured */
    NETDEV_CONFIGURED,
    NETDEV_STARTED,
    NETDEV_STOPPED,
};

struct netdev {
    /* Hot: everything a burst reads. */
    netdev_burst_fn rx_burst;
    netdev_burst_fn tx_burst;
    void *rxq[NETDEV_MAX_QUEUES]; /* the drivers' queue objects */
    void *txq[NETDEV_MAX_QUEUES];
    /* Cold. */
    const struct netdev_ops *ops;
    void *priv; /* the driver's */
    char name[NETDEV_NAME_MAX];
    uint8_t mac[6];
    uint16_t port;
    uint32_t mtu;
    enum netdev_state state;
    struct netdev_conf conf;
    bool promisc;
    /* The port's command-line keys, "netdev" for port 0, "netdev1"... */
    char param_prefix[12];
} __nfos_cache_aligned;

/* Registers a probed device: assigns dev->port (registration order) and,
 * when the driver left it empty, dev->name ("net0"...). Called by drivers at
 * probe time. 0 or -ENOSPC (too many ports: printed). */
int netdev_register(struct netdev *dev);

/* A per-port command-line value: key "ip" reads netdev.ip= for port 0,
 * netdev1.ip= for port 1, and so on (./nfos run --ip sets it). NULL when
 * absent. Parsing is the caller's (lib/net has the parsers). */
const char *netdev_param(const struct netdev *dev, const char *key);

unsigned netdev_count(void);
/* The device of a port, or NULL. */
struct netdev *netdev_get(unsigned port);

int netdev_info(struct netdev *dev, struct netdev_info *info);
int netdev_configure(struct netdev *dev, const struct netdev_conf *conf);
/* ring_size 0 picks the driver's default. pool gives rx its netbufs. */
int netdev_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool);
int netdev_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size);
int netdev_start(struct netdev *dev);
void netdev_stop(struct netdev *dev);
int netdev_set_promisc(struct netdev *dev, bool on);
int netdev_set_mtu(struct netdev *dev, uint32_t mtu);
int netdev_link(struct netdev *dev, struct netdev_link *link);
int netdev_stats(struct netdev *dev, struct netdev_stats *stats);
void netdev_stats_reset(struct netdev *dev);

/* Configures one rx and one tx queue with default rings on pool, starts the
 * device and, with nfos.verbose, prints a line about it. The usual start of
 * an app. Returns 0 or a negative errno (and prints one line). */
int netdev_quick_start(struct netdev *dev, struct pool *pool);

/* "aa:bb:cc:dd:ee:ff" into buf (18 bytes). */
const char *netdev_mac_str(const uint8_t mac[6], char buf[18]);

/* Receives up to n frames from queue q into pkts; returns how many. */
static inline uint16_t netdev_rx_burst(struct netdev *dev, uint16_t q, struct netbuf **pkts,
                                       uint16_t n)
{
    return dev->rx_burst(dev->rxq[q], pkts, n);
}

/* Sends up to n frames on queue q; returns how many the device took. */
static inline uint16_t netdev_tx_burst(struct netdev *dev, uint16_t q, struct netbuf **pkts,
                                       uint16_t n)
{
    return dev->tx_burst(dev->txq[q], pkts, n);
}

#endif /* NFOS_NETDEV_H */
