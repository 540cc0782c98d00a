/* netdev types shared by apps (nfos/netdev.h) and drivers
 * (nfos/netdev_driver.h): limits, counters, the port struct and its
 * fast-path layout. No functions here. */
#ifndef NFOS_NETDEV_TYPES_H
#define NFOS_NETDEV_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/compiler.h>

/* Queue pairs per port: CONFIG_LIBNETDEV_MAX_QUEUES (1 without SMP). */
#ifdef CONFIG_LIBNETDEV_MAX_QUEUES
#define NETDEV_MAX_QUEUES CONFIG_LIBNETDEV_MAX_QUEUES
#else
#define NETDEV_MAX_QUEUES 8
#endif

#define NETDEV_MAX_PORTS        8
#define NETDEV_NAME_MAX         32
#define NETDEV_BURST_MAX        64 /* drivers accept bursts up to this at least */
#define NETDEV_MAC_LEN          6
#define NETDEV_MAC_STRLEN       18 /* "aa:bb:cc:dd:ee:ff" and its NUL */
#define NETDEV_PARAM_PREFIX_MAX 17 /* "netdev" + any unsigned + NUL */

struct netbuf;
struct netdev_ops;

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
    uint64_t bufs_held; /* netbufs the driver holds now: posted for rx, sent and not
                         * yet reclaimed (nfapp's exit check of the pools) */
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

enum netdev_state {
    NETDEV_REGISTERED, /* probed, not configured */
    NETDEV_CONFIGURED,
    NETDEV_STARTED,
    NETDEV_STOPPED,
};

/* A driver's burst function: called with the queue object its rxq_setup or
 * txq_setup returned. Returns how many frames it took or gave. */
typedef uint16_t (*netdev_burst_fn)(void *queue, struct netbuf **pkts, uint16_t n);

/* The queue objects of one queue index, side by side: a burst on queue q
 * reads one of them and the burst function, all on the port's first cache
 * line for queues 0 to 2. */
struct netdev_queue_pair {
    void *rx;
    void *tx;
};

struct netdev {
    /* Hot, the first cache line: everything a burst reads. */
    netdev_burst_fn rx_burst;
    netdev_burst_fn tx_burst;
    struct netdev_queue_pair queue[NETDEV_MAX_QUEUES]; /* the drivers' queue objects */
    /* Cold. */
    const struct netdev_ops *ops;
    void *priv; /* the driver's */
    char name[NETDEV_NAME_MAX];
    uint8_t mac[NETDEV_MAC_LEN];
    uint16_t port;
    uint32_t mtu;
    enum netdev_state state;
    struct netdev_conf conf;
    bool promisc;
    /* The port's command-line keys, "netdev" for port 0, "netdev1"... */
    char param_prefix[NETDEV_PARAM_PREFIX_MAX];
} __nfos_cache_aligned;

_Static_assert(offsetof(struct netdev, rx_burst) < NFOS_CACHE_LINE &&
                   offsetof(struct netdev, tx_burst) < NFOS_CACHE_LINE,
               "the burst functions sit on the port's first cache line");
_Static_assert(offsetof(struct netdev, queue[0].tx) + sizeof(void *) <= NFOS_CACHE_LINE,
               "queue 0's rx and tx objects sit on the port's first cache line");

#endif /* NFOS_NETDEV_TYPES_H */
