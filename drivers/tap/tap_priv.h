/* tap: the queues and their bursts, apart from the device set-up so that
 * unit tests can drive them over any datagram fd (a socketpair). */
#ifndef NFOS_TAP_PRIV_H
#define NFOS_TAP_PRIV_H

#include <stdint.h>
#include <nfos/netdev_driver.h>

/* Segments a chained frame may have on tx (one writev). */
#define TAP_TX_SEGS_MAX 64

struct tap_rxq {
    struct netdev_queue_stats stats;
    int fd;
    uint16_t port;
    struct pool *pool;
    /* A netbuf taken for a read() that found nothing (EAGAIN) or a frame
     * that was refused: kept for the next read instead of a put and a get. */
    struct netbuf *spare;
} __nfos_cache_aligned;

struct tap_txq {
    struct netdev_queue_stats stats;
    int fd;
} __nfos_cache_aligned;

/* rx: up to n read()s, one frame each, into netbufs of q->pool. Stops at
 * EAGAIN (nothing queued) or when the pool is empty (the frames wait in
 * the kernel's queue, whose overflow the kernel counts). A frame longer
 * than the netbuf's tailroom is counted in errors and dropped. */
uint16_t tap_rx_burst(void *queue, struct netbuf **pkts, uint16_t n);

/* tx: one write() per frame (writev for a chain), then frees it. A frame
 * the kernel refuses is counted in errors and freed all the same; EAGAIN
 * or ENOBUFS stop the burst and leave the rest to the caller (drops). */
uint16_t tap_tx_burst(void *queue, struct netbuf **pkts, uint16_t n);

/* Gives back the spare netbuf (before the pool goes away). */
void tap_rxq_flush(struct tap_rxq *q);

#endif /* NFOS_TAP_PRIV_H */
