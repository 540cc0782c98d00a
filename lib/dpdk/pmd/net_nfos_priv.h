/* net_nfos internals: the queue and port structs the ethdev callbacks
 * (net_nfos.c) set up and the bursts (net_nfos_rxtx.c) run on. */
#ifndef NFOS_NET_NFOS_PRIV_H
#define NFOS_NET_NFOS_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_common.h>
#include <rte_log.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <nfos/netdev.h>

extern int nfos_pmd_logtype;
#define NFOS_PMD_LOG(level, fmt, ...) \
    rte_log(RTE_LOG_##level, nfos_pmd_logtype, "net_nfos: " fmt "\n", ##__VA_ARGS__)

/* Frames per driver call: what every nfos driver takes (NETDEV_BURST_MAX). */
#define NFOS_PMD_BURST NETDEV_BURST_MAX
/* Netbufs per port for the frames tx must copy (see net_nfos_rxtx.c). */
#define NFOS_PMD_COPY_BUFS 128

/* dev->data->rx_queues[q]: what rx_burst reads, all on one line. */
struct nfos_pmd_rxq {
    netdev_burst_fn burst; /* the nfos driver's rx_burst */
    void *drvq;            /* its queue object */
    uint64_t rearm;        /* dpdk_mbuf_rearm(the DPDK port id) */
    uint16_t qid;
    uint16_t nb_desc; /* as set up (the driver's default when 0) */
    struct rte_mempool *mp;
} __rte_cache_aligned;

/* dev->data->tx_queues[q]. */
struct nfos_pmd_txq {
    netdev_burst_fn burst;
    void *drvq;
    struct rte_mempool *mp; /* the last nfos mempool seen: its mbufs go as they are */
    struct pool *copy_pool; /* netbufs for frames that cannot */
    uint64_t copies;        /* frames sent as a copy */
    uint64_t dropped;       /* frames taken and dropped: too big to copy */
    bool full;              /* the driver's ring was full at the last burst */
    uint16_t qid;
    uint16_t nb_desc;
} __rte_cache_aligned;

/* The port's dev_private. */
struct nfos_pmd_port {
    struct netdev *nd;
    struct rte_ether_addr mac;
    struct pool *copy_pool;
    char copy_name[RTE_ETH_NAME_MAX_LEN + 8]; /* the pool keeps a pointer */
};

uint16_t nfos_pmd_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n);
uint16_t nfos_pmd_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n);

#endif /* NFOS_NET_NFOS_PRIV_H */
