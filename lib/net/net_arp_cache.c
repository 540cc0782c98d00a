/* A small ARP cache: 64 entries, fully associative, least recently used
 * out when full. No timers and no requests of its own: the caller passes
 * its clock and decides what to do about misses and stale entries. */
#include <errno.h>
#include <string.h>

#include <nfos/net_arp_cache.h>

void net_arp_cache_init(struct net_arp_cache *c)
{
    memset(c, 0, sizeof(*c));
}

/* The slot holding ip, or -1. With ip 0 it finds a free slot. */
static int net_arp_cache_find(const struct net_arp_cache *c, uint32_t ip)
{
    int i;

    for (i = 0; i < NET_ARP_CACHE_SIZE; i++)
        if (c->ip[i] == ip)
            return i;
    return -1;
}

static int net_arp_cache_lru(const struct net_arp_cache *c)
{
    int i, lru = 0;

    for (i = 1; i < NET_ARP_CACHE_SIZE; i++)
        if (c->used[i] < c->used[lru])
            lru = i;
    return lru;
}

int net_arp_cache_insert(struct net_arp_cache *c, uint32_t ip, const uint8_t mac[NET_ETH_ALEN],
                         uint64_t now_ns)
{
    int i;

    if (ip == 0 || net_mac_is_group(mac))
        return -EINVAL;
    i = net_arp_cache_find(c, ip);
    if (i >= 0) {
        c->stats.updates++;
    } else {
        i = net_arp_cache_find(c, 0);
        if (i < 0) {
            i = net_arp_cache_lru(c);
            c->stats.evictions++;
        }
        c->stats.inserts++;
        c->ip[i] = ip;
    }
    memcpy(c->mac[i], mac, NET_ETH_ALEN);
    c->born_ns[i] = now_ns;
    c->used[i] = ++c->gen;
    return 0;
}

int net_arp_cache_lookup(struct net_arp_cache *c, uint32_t ip, uint8_t mac[NET_ETH_ALEN],
                         uint64_t now_ns, uint64_t max_age_ns)
{
    int i = ip ? net_arp_cache_find(c, ip) : -1;

    if (i < 0) {
        c->stats.misses++;
        return -ENOENT;
    }
    memcpy(mac, c->mac[i], NET_ETH_ALEN);
    /* A clock that went backwards makes entries young, not stale. */
    if (max_age_ns && now_ns > c->born_ns[i] && now_ns - c->born_ns[i] > max_age_ns) {
        c->stats.stale++;
        return -ESTALE;
    }
    c->used[i] = ++c->gen;
    c->stats.hits++;
    return 0;
}

int net_arp_cache_remove(struct net_arp_cache *c, uint32_t ip)
{
    int i = ip ? net_arp_cache_find(c, ip) : -1;

    if (i < 0)
        return -ENOENT;
    c->ip[i] = 0;
    c->used[i] = 0;
    return 0;
}
