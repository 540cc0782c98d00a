/* kvstore's request path, whatever brings the frames: a received burst ->
 * parse -> whom we answer (net_src_check) -> IP reassembly -> the memcached
 * engine (kv.c: mcproto, kvtable) -> reply frames, built in place or in
 * fresh netbufs -> tx. How frames arrive and leave is the front end's
 * <kvio.h>, found on the app's include path (apps/kvstore/kvio.h: nfos
 * netdev queues; apps/kvstore-dpdk/kvio.h: rte_eth bursts): its rx and tx
 * are inline, so each image compiles this unit around its own bursts, with
 * no call through a pointer added. Not here: opening ports, lcores
 * (lcores.c), options (each app's main.c). */
#ifndef KVSTORE_KVREQ_H
#define KVSTORE_KVREQ_H

#include <stdbool.h>
#include <stdint.h>
#include <kvio.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>
#include "kv.h"

/* A burst received, on its way through the passes of kvreq_poll(). */
struct kvreq_inflight {
    struct netbuf *pkts[NFAPP_BURST];
    struct net_hdrs h[NFAPP_BURST];
    struct kv_get g[NFAPP_BURST];
    bool simple[NFAPP_BURST];
    int kind[NFAPP_BURST];
    uint16_t n, nreq;
};

/* Why a frame that parsed was not answered, where its parse counter does
 * not say (ARP and ICMP refused by net_arp_reply / net_icmp_echo_reply,
 * UDP and fragments not for us), so that a storm's frames add up. */
enum kvreq_na {
    NA_ARP_OP,
    NA_ARP_NOT_OURS,
    NA_ARP_SOURCE,
    NA_ICMP_TYPE,
    NA_ICMP_NOT_OURS,
    NA_ICMP_SOURCE,
    NA_UDP_NOT_OURS,
    NA_FRAG_NOT_OURS,
    NA_REASM_NOT_REQUEST,
    NA_COUNT
};

/* What the request path needs of the lcore it runs on: the memcached
 * engine (reply buffers, counters), the --udp-rate buckets, the pool reply
 * netbufs come from. */
struct kvreq_lcore {
    struct kv kv;
    uint64_t req_cycles, reqs;
    uint64_t now_tsc;               /* the current loop iteration's start */
    struct net_ratelimit ratelimit; /* --udp-rate, when rate_on */
    bool rate_on;
    struct pool *pool;
    struct netbuf *o[KV_MAX_DGRAMS]; /* send_dgrams' */
};

/* A port as one lcore serves it: its queue pair (io), its own bursts in
 * flight, reassembly and counters. */
struct kvreq_port {
    struct kvreq_lcore *lc;
    struct kvio_port io; /* the front end's queue pair */
    uint32_t ip;
    uint16_t udp_port;
    uint16_t port;  /* its number, for reports */
    uint16_t nq;    /* queue pairs the port has (lcores past them idle) */
    uint8_t mac[6]; /* ours, for ARP replies */
    const char *name;
    struct net_src_filter guard; /* whom we answer */
    struct net_src_stats src;    /* requests refused, by reason */
    struct net_parse_stats parse;
    uint64_t arp_replies, echo_replies, ignored, tx_nobuf;
    uint64_t na[NA_COUNT];
    struct kvreq_inflight fl[3]; /* fl[head] receives; see kvreq_poll() */
    unsigned head;
    struct net_reasm reasm; /* requests that came as IP fragments */
    uint64_t frag_replies;  /* requests served after reassembly */
};

/* Sets up port p of lcore lc: address ip/prefix (network order), UDP
 * port, MAC, name and number for the reports; io and nq are the caller's.
 * Announces the address (a gratuitous ARP, so that peers such as QEMU's
 * user network learn our MAC) and says what it serves. 0, or -ENOMEM
 * after one line. Slow path. */
int kvreq_port_init(const struct nfapp *app, struct kvreq_port *p, struct kvreq_lcore *lc,
                    uint32_t ip, unsigned prefix, uint16_t udp_port);

/* Copy of port p0 (set up by kvreq_port_init) for another lcore's queue
 * pair: its own reassembly and counters. 0, or -ENOMEM. Slow path. */
int kvreq_port_clone(struct kvreq_port *p, const struct kvreq_port *p0, struct kvreq_lcore *lc);

/* --udp-rate R for lc: a bucket per source address, refilled R times a
 * second, as deep as one second's worth; 0 leaves it off. 0, or -ENOMEM
 * after one line. Slow path. */
int kvreq_rate_init(const struct nfapp *app, struct kvreq_lcore *lc, uint64_t rate);

/* One loop iteration on port p: receive a burst, move the bursts in flight
 * on. The fast path; app's counters are the calling lcore's. */
void kvreq_poll(struct nfapp *app, struct kvreq_port *p);

/* Answers whatever waits on p (at the end, after the last poll). */
void kvreq_drain(struct nfapp *app, struct kvreq_port *p);

/* Adds port a's counters to t's (t: one port's over every lcore). */
void kvreq_port_add(struct kvreq_port *t, const struct kvreq_port *a);

/* The exit report's lines: every lcore's engine counters added up (s),
 * the busy cycles per request, the table's; then one port's counters
 * (kvreq_port_add's sum) each. */
void kvreq_report(const struct nfapp *app, const struct kv_stats *s, const struct kvtable *t,
                  uint64_t req_cycles, uint64_t reqs);
void kvreq_port_report(const struct nfapp *app, const struct kvreq_port *p);

/* d += a, both structs of uint64_t counters only. */
static inline void kvreq_add64(uint64_t *d, const uint64_t *a, size_t n)
{
    while (n--)
        *d++ += *a++;
}
#define KVREQ_ADD64(d, a) \
    kvreq_add64((uint64_t *)&(d), (const uint64_t *)&(a), sizeof(d) / sizeof(uint64_t))

#endif /* KVSTORE_KVREQ_H */
