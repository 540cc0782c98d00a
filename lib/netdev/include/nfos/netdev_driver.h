/* netdev for drivers: the slow-path ops a driver implements, registration,
 * and the port parameters every driver reads the same way (netdevN.KEY=,
 * the port's MAC). Apps use nfos/netdev.h. */
#ifndef NFOS_NETDEV_DRIVER_H
#define NFOS_NETDEV_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/netdev.h> /* drivers call the app API too (netdev_count) */
#include <nfos/netdev_types.h>

struct pool;

/* Slow-path driver operations. configure, rxq_setup, txq_setup, start are
 * required; the rest may be NULL (the call then returns -ENOTSUP, except
 * stop and close which do nothing). Drivers need not check arguments the
 * netdev layer already checked (ranges, state). The burst functions are
 * not here: they sit in struct netdev's first cache line (rx_burst,
 * tx_burst, of type netdev_burst_fn). */
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

/* Registers a probed device (ops, rx_burst and tx_burst set): assigns
 * dev->port (registration order) and, when the driver left it empty,
 * dev->name ("net0"...). Called by drivers at probe time. 0 or -ENOSPC
 * (too many ports: printed). */
int netdev_register(struct netdev *dev);

/* The port the next netdev_register() assigns: a driver reads its port's
 * parameters before registering (the MAC must be right when registration
 * prints it). */
unsigned netdev_next_port(void);

/* A port's parameter prefix into buf: "netdev" for port 0, "netdevN";
 * returns buf. */
char *netdev_port_prefix(unsigned port, char buf[NETDEV_PARAM_PREFIX_MAX]);

/* The command-line value of key for a port: netdev.KEY= for port 0,
 * netdevN.KEY= for port N; NULL when absent. netdev_param() is this for a
 * registered port. */
const char *netdev_port_param(unsigned port, const char *key);

/* The port's netdevN.mac=: 0 with mac set; -ENOENT when absent; -EINVAL
 * (mac untouched, nothing printed: the driver says which device) when it is
 * not a unicast aa:bb:cc:dd:ee:ff. */
int netdev_port_mac(unsigned port, uint8_t mac[NETDEV_MAC_LEN]);

/* A default MAC for a device with none of its own, locally administered
 * and unicast. From a seed (e.g. an interface name): FNV-1a of its bytes,
 * stable across runs and images. From a port number: 02:00:00:00:76:PORT. */
void netdev_mac_from_seed(uint8_t mac[NETDEV_MAC_LEN], const void *seed, size_t len);
void netdev_mac_from_port(uint8_t mac[NETDEV_MAC_LEN], unsigned port);

#endif /* NFOS_NETDEV_DRIVER_H */
