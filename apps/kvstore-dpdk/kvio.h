/* kvstore-dpdk's front end for kvstore's request path (apps/kvstore/kvio.h
 * is the other): frames come and go through rte_eth_rx_burst and
 * rte_eth_tx_burst, lcores are DPDK's. The mbufs are from an "nfos"
 * mempool, so each one is a netbuf (nfos/dpdk_mbuf.h: the mbuf sits at
 * netbuf + DPDK_MBUF_OFF, both describe one buffer): handing a burst across
 * writes the other header's few fields, no copy. Fast path: inline. */
#ifndef KVSTORE_DPDK_KVIO_H
#define KVSTORE_DPDK_KVIO_H

#include <stdint.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <nfos/dpdk_mbuf.h>

/* An ethdev port's queue pair as one lcore polls it. */
struct kvio_port {
    uint16_t port_id, q;
    uint64_t rearm; /* dpdk_mbuf_rearm(port_id) */
};

/* A received chain as the netbuf chain of the same buffers; the mbufs are
 * left free-shaped (next NULL, nb_segs 1), as the netbufs go back to the
 * nfos pool by netbuf_free. Jumbo frames only: kvreq drops them. */
static __attribute__((noinline, cold, unused)) struct netbuf *kvio_rx_chain(struct rte_mbuf *m)
{
    uint16_t segs = m->nb_segs;
    struct rte_mbuf *s = m->next, *next;
    struct netbuf *head = dpdk_netbuf_from_tx(m), *prev = head;

    m->next = NULL;
    m->nb_segs = 1;
    for (; s; s = next) {
        next = s->next;
        s->next = NULL;
        s->nb_segs = 1;
        prev->next = dpdk_netbuf_from_tx(s);
        prev = prev->next;
    }
    head->nb_segs = segs;
    return head;
}

/* A burst received, as netbufs (each mbuf of the nfos mempool the queues
 * were set up with: direct, refcnt 1). */
static inline uint16_t kvio_rx(const struct kvio_port *io, struct netbuf **pkts, uint16_t n)
{
    uint16_t got = rte_eth_rx_burst(io->port_id, io->q, (struct rte_mbuf **)(void *)pkts, n), i;

    for (i = 0; i < got; i++) {
        struct rte_mbuf *m;

        memcpy(&m, &pkts[i], sizeof(m)); /* the slot holds an mbuf pointer */
        pkts[i] = likely(m->nb_segs == 1) ? dpdk_netbuf_from_tx(m) : kvio_rx_chain(m);
    }
    return got;
}

/* Sends netbufs (one segment each, of the nfos mempool) as their mbufs;
 * takes what it returns, the rest stays the caller's, as netbufs again. */
static inline uint16_t kvio_tx(const struct kvio_port *io, struct netbuf **pkts, uint16_t n)
{
    struct rte_mbuf *m;
    uint16_t i, sent;

    for (i = 0; i < n; i++) {
        m = dpdk_mbuf_from_rx(pkts[i], io->rearm);
        memcpy(&pkts[i], &m, sizeof(m));
    }
    sent = rte_eth_tx_burst(io->port_id, io->q, (struct rte_mbuf **)(void *)pkts, n);
    for (i = sent; i < n; i++) {
        memcpy(&m, &pkts[i], sizeof(m));
        pkts[i] = dpdk_netbuf_of(m);
    }
    return sent;
}

/* The same port's queue pair q (another lcore's). */
static inline void kvio_port_queue(struct kvio_port *io, uint16_t q)
{
    io->q = q;
}

static inline unsigned kvio_lcore_count(void)
{
    return rte_lcore_count();
}

/* DPDK's id of the l-th lcore the EAL runs (-l may leave gaps). */
static inline unsigned kvio_lcore_id(unsigned l)
{
    unsigned id, k = 0;

    RTE_LCORE_FOREACH(id)
    if (k++ == l)
        return id;
    return RTE_MAX_LCORE;
}

static inline int kvio_lcore_launch(unsigned l, int (*fn)(void *), void *arg)
{
    return rte_eal_remote_launch(fn, arg, kvio_lcore_id(l));
}

static inline void kvio_lcore_wait(unsigned l)
{
    rte_eal_wait_lcore(kvio_lcore_id(l));
}

#endif /* KVSTORE_DPDK_KVIO_H */
