/* net guard: whom a network function may answer, and how often. A reply
 * to a forged source address is how a server becomes a reflector (the
 * memcached UDP amplification of 2018) or one end of a reply loop (the
 * "Loop DoS" of CVE-2024-2169: two servers answering each other's replies
 * for ever). net_src_check refuses the sources that cannot have asked;
 * net_ratelimit bounds the replies to each source address. Neither builds
 * or sends anything; the app counts what they refuse. */
#ifndef NFOS_NET_GUARD_H
#define NFOS_NET_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/net_parse.h>
#include <nfos/net_wire.h>

/* --- Who may be answered (fast path) ------------------------------------ */

/* Why a request is not answered: net_src_check's results, in the order
 * they are checked (the first that applies is given). */
enum net_src {
    NET_SRC_OK,
    NET_SRC_MAC_GROUP,    /* Ethernet source multicast or broadcast: forged */
    NET_SRC_IP_ZERO,      /* 0.0.0.0/8, "this network" (RFC 1122): no reply goes there */
    NET_SRC_IP_LOOPBACK,  /* 127.0.0.0/8 from a wire: forged (a Linux martian) */
    NET_SRC_IP_MULTICAST, /* 224.0.0.0/4: a reply would go to a whole group */
    NET_SRC_IP_BROADCAST, /* 255.255.255.255 or our subnet's broadcast address */
    NET_SRC_IP_RESERVED,  /* 240.0.0.0/4 (class E) but the limited broadcast */
    NET_SRC_IP_OURS,      /* our own address: the reply would come back to us */
    NET_SRC_PORT_ZERO,    /* UDP source port 0: no reply expected (RFC 768) */
    NET_SRC_PORT_OURS,    /* our own service port: another server, a reply loop */
    NET_SRC_PORT_SERVICE, /* a service that answers whatever comes (net_src_ports) */
    NET_SRC_COUNT
};

/* Short lower-case names ("mac_group", "port_service"), indexed by enum
 * net_src, for the apps' reports. */
extern const char *const net_src_names[NET_SRC_COUNT];

/* What net_src_check refuses for one port of an app: filled by
 * net_src_filter_init (slow path), then read only. The sets are bitmaps so
 * that the check is a few loads and compares and one branch. */
struct net_src_filter {
    uint32_t ip;           /* ours, network order */
    uint32_t bcast;        /* our subnet's broadcast (network order), or the limited one */
    uint64_t octets[4];    /* first octets of source addresses refused: 0, 127, 224..255 */
    uint64_t ports[1024];  /* UDP source ports refused, bit p of word p / 64 */
    uint16_t service_port; /* ours, host order; 0: none */
};

/* The UDP source ports of services that answer any datagram (so that a
 * request forged from one starts a loop or reflects off it), listed with
 * their reason in net_guard.c; net_src_filter_init refuses them. Ports in
 * Linux's and the BSDs' ephemeral ranges (32768 and up) are left out: a
 * real client may be given one. */
extern const uint16_t net_src_ports[];
extern const size_t net_src_ports_count;

/* Sets f up for our address ip (network order) with its prefix length
 * (0..32; the subnet's broadcast address is refused as a source for 0..30:
 * /31 and /32 have none, RFC 3021) and our UDP service port (host order; 0
 * for an app that serves no UDP): refuses port 0, service_port and every
 * port of net_src_ports. Slow path. */
void net_src_filter_init(struct net_src_filter *f, uint32_t ip, unsigned prefix,
                         uint16_t service_port);

/* The reason for a refused source, the slow half of net_src_check. */
int net_src_reason(const struct net_src_filter *f, const uint8_t *frame, const struct net_hdrs *h);

/* Whether the request in frame (parsed as h: IPv4, and for NET_KIND_UDP
 * its ports are checked too) may be answered: NET_SRC_OK, or the enum
 * net_src reason not to. Checks only the source; whether the request is for
 * us is the caller's (its destination address and port). Fast path: a few
 * loads and compares, one branch while sources are fine. */
static inline int net_src_check(const struct net_src_filter *f, const uint8_t *frame,
                                const struct net_hdrs *h)
{
    const struct net_ipv4_hdr *ip = (const struct net_ipv4_hdr *)(frame + h->l3_off);
    uint32_t src = ip->src;
    unsigned o = ((const uint8_t *)&ip->src)[0];
    uint64_t bad = (uint64_t)(frame[6] & 1) | (f->octets[o >> 6] >> (o & 63)) |
                   (uint64_t)(src == f->ip) | (uint64_t)(src == f->bcast);

    if (h->kind == NET_KIND_UDP) {
        unsigned p = net_ntohs(((const struct net_udp_hdr *)(frame + h->l4_off))->sport);

        bad |= f->ports[p >> 6] >> (p & 63);
    }
    if (unlikely(bad & 1))
        return net_src_reason(f, frame, h);
    return NET_SRC_OK;
}

/* Whether frame (parsed as h) is an ICMP echo request to our_ip: what
 * net_icmp_echo_reply answers, the source aside; the ICMP request to check
 * with net_src_check (and count by reason) before answering. */
static inline bool net_icmp_is_echo_request(const uint8_t *frame, const struct net_hdrs *h,
                                            uint32_t our_ip)
{
    const struct net_icmp_echo *icmp = (const struct net_icmp_echo *)(frame + h->l4_off);

    return h->kind == NET_KIND_ICMP && icmp->type == NET_ICMP_ECHO_REQUEST && icmp->code == 0 &&
           ((const struct net_ipv4_hdr *)(frame + h->l3_off))->dst == our_ip;
}

/* Per-reason counters, as an app keeps them. */
struct net_src_stats {
    uint64_t refused[NET_SRC_COUNT]; /* [NET_SRC_OK] stays 0 */
};

/* --- How often (fast path) ------------------------------------------------ */

/* A token bucket per source address, over a fixed table of slots indexed by
 * a keyed hash of the address, in the generic cell rate algorithm's form
 * (one 64-bit time per slot). Addresses that share a slot share its
 * bucket: the replies to any one address never exceed the rate, whatever
 * other addresses do (a flood forged from many sources can only slow the
 * clients it collides with, and the key, random per start, keeps anyone
 * from choosing whom). Times are the caller's clock (TSC cycles). */
struct net_ratelimit {
    uint64_t *tat;      /* per slot: when its bucket is full again ("theoretical arrival") */
    uint32_t shift;     /* 64 - log2(slots) */
    uint64_t key;       /* the hash key, odd */
    uint64_t interval;  /* clock ticks per reply: the rate */
    uint64_t tolerance; /* how far ahead of now a slot may run: the burst */
};

#define NET_RATELIMIT_SLOTS_DEFAULT 4096

/* slots (a power of two from 2; 0: NET_RATELIMIT_SLOTS_DEFAULT) buckets that each
 * refill one reply per interval clock ticks (> 0) up to burst (>= 1)
 * replies, hashed with key (anything; random at start). 0, -EINVAL or
 * -ENOMEM. Slow path. */
int net_ratelimit_init(struct net_ratelimit *r, unsigned slots, uint64_t interval, unsigned burst,
                       uint64_t key);
void net_ratelimit_fini(struct net_ratelimit *r);

static inline uint64_t *net_ratelimit_slot(const struct net_ratelimit *r, uint32_t src)
{
    return &r->tat[((uint64_t)(src ^ (uint32_t)(r->key >> 32)) * r->key) >> r->shift];
}

/* Whether src (network order) may have a reply at now: true takes one
 * from its bucket. A bucket that replies of several datagrams overdrew
 * (net_ratelimit_charge) refuses until it has paid back. */
static inline bool net_ratelimit_take(struct net_ratelimit *r, uint32_t src, uint64_t now)
{
    uint64_t *tat = net_ratelimit_slot(r, src), t = *tat > now ? *tat : now;

    if (t - now > r->tolerance)
        return false;
    *tat = t + r->interval;
    return true;
}

/* Charges src n more replies after the fact (the rest of a reply of n + 1
 * datagrams that net_ratelimit_take let through). */
static inline void net_ratelimit_charge(struct net_ratelimit *r, uint32_t src, unsigned n)
{
    *net_ratelimit_slot(r, src) += (uint64_t)n * r->interval;
}

#endif /* NFOS_NET_GUARD_H */
