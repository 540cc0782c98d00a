/* kvstore's front end: frames come and go through nfos netdev queue pairs,
 * lcores are nfos lcores. kvreq.c and lcores.c include it as <kvio.h> from
 * the app's include path (Makefile.uk), so that kvstore-dpdk, which
 * compiles the same files, brings its own (rte_eth bursts). Fast path:
 * inline, the netdev calls themselves. */
#ifndef KVSTORE_KVIO_H
#define KVSTORE_KVIO_H

#include <stdint.h>
#include <nfos/lcore.h>
#include <nfos/netdev.h>

/* A port's queue pair as one lcore polls it. */
struct kvio_port {
    struct netdev *dev;
    uint16_t q;
};

static inline uint16_t kvio_rx(const struct kvio_port *io, struct netbuf **pkts, uint16_t n)
{
    return netdev_rx_burst(io->dev, io->q, pkts, n);
}

/* Takes what it returns; the rest stays the caller's. */
static inline uint16_t kvio_tx(const struct kvio_port *io, struct netbuf **pkts, uint16_t n)
{
    return netdev_tx_burst(io->dev, io->q, pkts, n);
}

/* The same port's queue pair q (another lcore's). */
static inline void kvio_port_queue(struct kvio_port *io, uint16_t q)
{
    io->q = q;
}

static inline unsigned kvio_lcore_count(void)
{
    return lcore_count();
}

static inline int kvio_lcore_launch(unsigned l, int (*fn)(void *), void *arg)
{
    return lcore_launch(l, fn, arg);
}

static inline void kvio_lcore_wait(unsigned l)
{
    lcore_wait(l);
}

#endif /* KVSTORE_KVIO_H */
