/* netdev: the network device API for apps, shaped like DPDK's ethdev.
 * Drivers see nfos/netdev_driver.h; the types both share are in
 * nfos/netdev_types.h.
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
 * the device's first cache line with queue 0's objects (checked in
 * netdev_types.h); no locks, one core per queue. tx_burst takes ownership
 * of the netbufs it accepts (it frees them once the device is done); those
 * it does not accept stay the caller's. Every queue keeps its own counters
 * (packets, bytes, errors, drops, empty polls) in its own cache line;
 * netdev_stats() gathers them.
 *
 * Slow-path calls return 0 or a negative errno and print nothing unless
 * nfos.verbose is set; the app decides what to tell the user. */
#ifndef NFOS_NETDEV_H
#define NFOS_NETDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/assert.h>
#include <nfos/compiler.h>
#include <nfos/netbuf.h> /* apps that poll ports use netbufs */
#include <nfos/netdev_types.h>

struct pool;

unsigned netdev_count(void);
/* The device of a port, or NULL. */
struct netdev *netdev_get(unsigned port);

/* A per-port command-line value: key "ip" reads netdev.ip= for port 0,
 * netdev1.ip= for port 1, and so on (./nfos run --ip sets it). NULL when
 * absent. Parsing is the caller's (lib/net has the parsers). */
const char *netdev_param(const struct netdev *dev, const char *key);

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
/* The same with nq rx and nq tx queues (queue pair i: rx and tx queue i),
 * all over pool. More than netdev_info's max_rx_queues/max_tx_queues is
 * -EINVAL with a line that says how many the device offers. */
int netdev_quick_start_queues(struct netdev *dev, struct pool *pool, uint16_t nq);

/* MACs as text, strict: "aa:bb:cc:dd:ee:ff" (either case), nothing around
 * it. 0 or -EINVAL (mac untouched). Any MAC, group ones too. */
int netdev_mac_parse(const char *s, uint8_t mac[NETDEV_MAC_LEN]);
/* Lower-case "aa:bb:cc:dd:ee:ff" into buf; returns buf. */
char *netdev_mac_str(const uint8_t mac[NETDEV_MAC_LEN], char buf[NETDEV_MAC_STRLEN]);

/* Receives up to n frames from queue q into pkts; returns how many. Fast
 * path. The port must be started and q set up (checked with
 * CONFIG_NFOS_DEBUG only). */
static inline uint16_t netdev_rx_burst(struct netdev *dev, uint16_t q, struct netbuf **pkts,
                                       uint16_t n)
{
    NFOS_ASSERT(dev->state == NETDEV_STARTED);
    NFOS_ASSERT(q < dev->conf.nb_rx_queues);
    return dev->rx_burst(dev->queue[q].rx, pkts, n);
}

/* Sends up to n frames on queue q; returns how many the device took. Fast
 * path; the same rules as netdev_rx_burst. */
static inline uint16_t netdev_tx_burst(struct netdev *dev, uint16_t q, struct netbuf **pkts,
                                       uint16_t n)
{
    NFOS_ASSERT(dev->state == NETDEV_STARTED);
    NFOS_ASSERT(q < dev->conf.nb_tx_queues);
    return dev->tx_burst(dev->queue[q].tx, pkts, n);
}

#endif /* NFOS_NETDEV_H */
