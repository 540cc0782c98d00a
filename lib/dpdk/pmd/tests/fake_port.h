/* What the host programs over net_nfos (tests/test_net_nfos.c,
 * bench/pps/pmdbench.c) share in place of a device: a fake nfos driver's
 * control side (queues set up on the port itself, start, stats from the
 * port's counters). Each program gives its own bursts, which count what
 * they move in the port's rx and tx. The calls lib/netdev, lib/netbuf and
 * lib/pool make into nfos's core and heap are tests/host/fakes.c's. */
#ifndef NET_NFOS_TESTS_FAKE_PORT_H
#define NET_NFOS_TESTS_FAKE_PORT_H

#include <stdint.h>
#include <nfos/netdev_driver.h>

struct fake_port {
    struct netdev dev;
    struct pool *rx_pool; /* what rx_queue_setup gave */
    struct netdev_queue_stats rx, tx;
};

/* Registers p as an nfos netdev whose queue objects are p itself, with
 * MAC 02:00:00:00:00:mac_last. 0 or netdev_register's error. */
int fake_port_register(struct fake_port *p, netdev_burst_fn rx, netdev_burst_fn tx,
                       uint8_t mac_last);

#endif /* NET_NFOS_TESTS_FAKE_PORT_H */
