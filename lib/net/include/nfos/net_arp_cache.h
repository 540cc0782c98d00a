/* net ARP cache: IPv4 -> MAC, caller-owned, one thread. */
#ifndef NFOS_NET_ARP_CACHE_H
#define NFOS_NET_ARP_CACHE_H

#include <stdint.h>
#include <nfos/net_wire.h>

/* --- ARP cache (fast path lookups, caller-owned, one thread) ------------ */

#define NET_ARP_CACHE_SIZE 64

struct net_arp_cache_stats {
    uint64_t hits;      /* lookups that found a fresh entry */
    uint64_t misses;    /* lookups that found nothing */
    uint64_t stale;     /* lookups that found an entry older than max_age */
    uint64_t inserts;   /* new entries */
    uint64_t updates;   /* inserts of an address already there */
    uint64_t evictions; /* least recently used entries dropped when full */
};

/* Fully associative, LRU on a generation counter: a lookup scans 64
 * addresses (four cache lines). Slot i is free while ip[i] is 0. */
struct net_arp_cache {
    uint32_t ip[NET_ARP_CACHE_SIZE];      /* network order */
    uint64_t used[NET_ARP_CACHE_SIZE];    /* generation of the last hit or insert */
    uint64_t born_ns[NET_ARP_CACHE_SIZE]; /* caller's clock at the last insert */
    uint8_t mac[NET_ARP_CACHE_SIZE][NET_ETH_ALEN];
    uint64_t gen;
    struct net_arp_cache_stats stats;
};

/* Empties the cache and its counters. */
void net_arp_cache_init(struct net_arp_cache *c);

/* Records ip -> mac at now_ns (the caller's clock, any origin), replacing
 * the entry for ip or, when the cache is full, the least recently used
 * one. Returns 0, or -EINVAL for ip 0.0.0.0 or a group MAC (values a packet
 * can carry, so checked). */
int net_arp_cache_insert(struct net_arp_cache *c, uint32_t ip, const uint8_t mac[NET_ETH_ALEN],
                         uint64_t now_ns);

/* Copies the MAC of ip into mac. Returns 0; -ENOENT when ip is unknown;
 * -ESTALE, with mac filled all the same, when max_age_ns is non-zero and
 * the entry was inserted more than max_age_ns before now_ns (the caller
 * may use it while it asks again). */
int net_arp_cache_lookup(struct net_arp_cache *c, uint32_t ip, uint8_t mac[NET_ETH_ALEN],
                         uint64_t now_ns, uint64_t max_age_ns);

/* Forgets ip. Returns 0 or -ENOENT. */
int net_arp_cache_remove(struct net_arp_cache *c, uint32_t ip);

#endif /* NFOS_NET_ARP_CACHE_H */
