/* kvgen: what kvgen.c (options, phases, reports) and kvnet.c (the DPDK
 * port, ARP, frames) share. One port, one core, one generator. */
#ifndef KVGEN_H
#define KVGEN_H

#include <signal.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "kvhist.h"
#include "kvkeys.h"
#include "kvproto.h"

#define KVGEN_BURST   32
#define KVGEN_IDS     65536 /* memcached request ids are 16 bits */
#define KVGEN_SPAN    32768 /* oldest unretired id to newest: a late reply never aliases */
#define KVGEN_HDR_LEN (RTE_ETHER_HDR_LEN + 20 + 8)

enum kvgen_op { KVGEN_GET, KVGEN_SET };
enum kvgen_state { KVGEN_FREE, KVGEN_QUEUED, KVGEN_OUT, KVGEN_DONE, KVGEN_LATE };

struct kvgen_req {
    uint64_t tsc; /* when it was sent */
    uint32_t key;
    uint8_t op;    /* enum kvgen_op */
    uint8_t state; /* enum kvgen_state */
};

/* Counters of one measurement (reset when a workload's window opens). */
struct kvgen_counters {
    uint64_t sent, sent_get, sent_set, tx_full; /* tx_full: offers a full port refused */
    uint64_t done, hits, misses, stored, errors, bad_value;
    uint64_t lost, late, unmatched;
    uint64_t malformed[KVP_BAD_NREASONS], bad_l3, other, arp;
    uint64_t idle_cycles; /* in loop iterations that moved nothing */
    struct kvhist lat;
};

struct kvgen {
    /* Fast path first. */
    uint16_t port;
    struct rte_mempool *pool;
    uint8_t tmpl_get[KVGEN_HDR_LEN], tmpl_set[KVGEN_HDR_LEN]; /* Ethernet, IPv4, UDP */
    uint16_t head, tail;                /* next id to send; oldest id not yet retired */
    uint32_t inflight, window;          /* queued or sent, not yet retired; at most that */
    struct rte_mbuf *pend[KVGEN_BURST]; /* built, refused by a full port: ids pend_first.. */
    unsigned npend;
    uint16_t pend_first;
    uint64_t timeout; /* cycles */
    int preload;      /* requests are the preload's sets, retried until stored */
    unsigned get_pct;
    struct kvkeys *keys;
    uint64_t version; /* of the next set's value */
    struct kvgen_counters c;

    /* Preload state. */
    uint64_t nkeys, next_key, acked;
    uint32_t *retry; /* ring of keys to send again */
    uint32_t retry_head, retry_tail;

    /* Addresses; network byte order where DPDK keeps them so. */
    struct rte_ether_addr mac, server_mac;
    uint32_t ip, server_ip; /* big-endian */
    uint16_t src_port, server_port;
    int server_mac_known;
    uint64_t tsc_hz;

    struct kvgen_req req[KVGEN_IDS];
};

/* Set by SIGINT/SIGTERM: every wait ends early. */
extern volatile sig_atomic_t kvgen_stop;

/* kvnet.c */
int kvnet_port_setup(struct kvgen *g, uint16_t port);
int kvnet_link_wait(struct kvgen *g, double seconds);
void kvnet_templates(struct kvgen *g);
void kvnet_arp_request(struct kvgen *g);
/* Takes one received frame (and frees it): ARP answered or learnt; a reply
 * from the server handed to kvgen_reply(); anything else counted. */
void kvnet_rx(struct kvgen *g, struct rte_mbuf *m, uint64_t now);

/* kvgen.c: one memcached reply from the server, by payload. */
void kvgen_reply(struct kvgen *g, const uint8_t *p, uint32_t len, uint64_t now);

#endif /* KVGEN_H */
