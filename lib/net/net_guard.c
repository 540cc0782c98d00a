/* The slow halves of net_guard.h: the filter's bitmaps, the reason a source
 * was refused, and the rate limiter's table. The fast checks are inline in
 * the header. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/net_guard.h>

const char *const net_src_names[NET_SRC_COUNT] = {
    [NET_SRC_OK] = "ok",
    [NET_SRC_MAC_GROUP] = "mac_group",
    [NET_SRC_IP_ZERO] = "ip_zero",
    [NET_SRC_IP_LOOPBACK] = "ip_loopback",
    [NET_SRC_IP_MULTICAST] = "ip_multicast",
    [NET_SRC_IP_BROADCAST] = "ip_broadcast",
    [NET_SRC_IP_RESERVED] = "ip_reserved",
    [NET_SRC_IP_OURS] = "ip_ours",
    [NET_SRC_PORT_ZERO] = "port_zero",
    [NET_SRC_PORT_OURS] = "port_ours",
    [NET_SRC_PORT_SERVICE] = "port_service",
};

/* Source ports never answered, and why. Most are in CISA's list of UDP
 * amplification vectors (alert TA14-017A and its updates) or in the Loop
 * DoS disclosure (CVE-2024-2169): services that answer a datagram of
 * any content, so that a request forged from them makes them answer our
 * reply, and us theirs. */
const uint16_t net_src_ports[] = {
    7,     /* echo (RFC 862): sends every datagram back, the oldest loop */
    9,     /* discard (RFC 863): never sends, so a datagram from it is forged */
    11,    /* systat, active users (RFC 866): answers anything (Loop DoS) */
    13,    /* daytime (RFC 867): answers anything (Loop DoS) */
    17,    /* quote of the day (RFC 865): answers anything */
    19,    /* chargen (RFC 864): answers anything, up to 512 bytes; the
            * echo-chargen loop of CERT CA-1996-01 */
    37,    /* time (RFC 868): answers anything (Loop DoS) */
    53,    /* DNS: answers queries and errors (amplification, Loop DoS) */
    69,    /* TFTP: answers malformed packets with an error (Loop DoS) */
    111,   /* portmapper/rpcbind: amplification */
    123,   /* NTP: amplification (monlist), answers errors (Loop DoS) */
    137,   /* NetBIOS name service: amplification */
    161,   /* SNMP: amplification (GetBulk) */
    389,   /* CLDAP: amplification */
    427,   /* SLP: amplification (CVE-2023-29552) */
    520,   /* RIP v1: amplification */
    623,   /* IPMI over RMCP: amplification */
    1434,  /* MS SQL browser: amplification */
    1900,  /* SSDP: amplification */
    3283,  /* Apple Remote Desktop (ARMS): amplification */
    3702,  /* WS-Discovery: amplification */
    5353,  /* mDNS: amplification */
    5683,  /* CoAP: amplification */
    10074, /* Mitel MiCollab TP-240: amplification */
    11211, /* memcached: the 2018 reflection, and a loop partner whatever our port */
    27015, /* Steam game servers: amplification */
    27960, /* Quake 3 servers: amplification */
};
const size_t net_src_ports_count = sizeof(net_src_ports) / sizeof(net_src_ports[0]);

static void bit_set(uint64_t *map, unsigned i)
{
    map[i >> 6] |= 1ULL << (i & 63);
}

void net_src_filter_init(struct net_src_filter *f, uint32_t ip, unsigned prefix,
                         uint16_t service_port)
{
    unsigned o;
    size_t i;

    memset(f, 0, sizeof(*f));
    f->ip = ip;
    f->bcast = 0xffffffffU;
    if (prefix <= 30)
        f->bcast = ip | ~net_ipv4_prefix_mask(prefix);
    bit_set(f->octets, 0);
    bit_set(f->octets, 127);
    for (o = 224; o < 256; o++)
        bit_set(f->octets, o);
    bit_set(f->ports, 0);
    if (service_port)
        bit_set(f->ports, service_port);
    for (i = 0; i < net_src_ports_count; i++)
        bit_set(f->ports, net_src_ports[i]);
    f->service_port = service_port;
}

int net_src_reason(const struct net_src_filter *f, const uint8_t *frame, const struct net_hdrs *h)
{
    const struct net_ipv4_hdr *ip = (const struct net_ipv4_hdr *)(frame + h->l3_off);
    uint32_t src = net_ntohl(ip->src);
    unsigned o = src >> 24, port;

    if (frame[6] & 1)
        return NET_SRC_MAC_GROUP;
    if (o == 0)
        return NET_SRC_IP_ZERO;
    if (o == 127)
        return NET_SRC_IP_LOOPBACK;
    if (o >= 224 && o < 240)
        return NET_SRC_IP_MULTICAST;
    if (src == 0xffffffffU || ip->src == f->bcast)
        return NET_SRC_IP_BROADCAST;
    if (o >= 240)
        return NET_SRC_IP_RESERVED;
    if (ip->src == f->ip)
        return NET_SRC_IP_OURS;
    if (h->kind != NET_KIND_UDP)
        return NET_SRC_OK;
    port = net_ntohs(((const struct net_udp_hdr *)(frame + h->l4_off))->sport);
    if (port == 0)
        return NET_SRC_PORT_ZERO;
    if (port == f->service_port)
        return NET_SRC_PORT_OURS;
    if (f->ports[port >> 6] >> (port & 63) & 1)
        return NET_SRC_PORT_SERVICE;
    return NET_SRC_OK;
}

int net_ratelimit_init(struct net_ratelimit *r, unsigned slots, uint64_t interval, unsigned burst,
                       uint64_t key)
{
    unsigned bits = 0;

    memset(r, 0, sizeof(*r));
    if (!slots)
        slots = NET_RATELIMIT_SLOTS_DEFAULT;
    if (!NFOS_IS_POW2(slots) || slots < 2 || slots > (1U << 30) || !interval || !burst ||
        interval > UINT64_MAX / burst)
        return -EINVAL;
    while ((1U << bits) < slots)
        bits++;
    r->tat = calloc(slots, sizeof(*r->tat));
    if (!r->tat)
        return -ENOMEM;
    r->shift = 64 - bits;
    /* splitmix64's finaliser: any key given becomes a well-spread odd
     * multiplier (multiply-shift hashing wants a random odd one). */
    key += 0x9e3779b97f4a7c15ULL;
    key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ULL;
    key = (key ^ (key >> 27)) * 0x94d049bb133111ebULL;
    r->key = (key ^ (key >> 31)) | 1;
    r->interval = interval;
    r->tolerance = interval * (burst - 1);
    return 0;
}

void net_ratelimit_fini(struct net_ratelimit *r)
{
    free(r->tat);
    r->tat = NULL;
}
