/* net: byte-level helpers for Ethernet, ARP, IPv4, ICMP echo and UDP, and
 * the internet checksum. Protocol helpers, not a stack: no sockets, no
 * routing, no reassembly, no timers, no allocation, no printing.
 *
 * Conventions, for every function below:
 * - Frames are plain bytes: `uint8_t *frame, size_t len` (frame[0] is the
 *   Ethernet destination), never a netbuf. Nothing here reads or writes
 *   outside [frame, frame + len) (or + cap where a function says so).
 * - IPv4 addresses are uint32_t in network byte order, as they sit in the
 *   header (NET_IPV4(192, 168, 0, 1) makes one); MACs are uint8_t[6].
 *   Every other number a function takes or returns (ports, lengths,
 *   ethertypes, ids) is in host order. Wire structs hold network order.
 * - Checksums are 16-bit values in memory order: store them into a header
 *   as they are, without net_htons.
 * - Errors are negative errno values, except net_frame_parse, which returns
 *   a negative reason code (enum net_err) so that drops can be counted by
 *   cause.
 * - "Fast path" functions never block, print or allocate; the rest are for
 *   set-up and the command line. */
#ifndef NFOS_NET_H
#define NFOS_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfos/compiler.h>

/* --- Byte order ------------------------------------------------------- */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Constant expressions, for case labels and initialisers. */
#define NET_BE16(x) ((uint16_t)((((x)&0xffU) << 8) | (((x) >> 8) & 0xffU)))
#define NET_BE32(x)                                                                   \
    ((uint32_t)((((x)&0xffU) << 24) | (((x)&0xff00U) << 8) | (((x) >> 8) & 0xff00U) | \
                (((x) >> 24) & 0xffU)))
#else
#define NET_BE16(x) ((uint16_t)(x))
#define NET_BE32(x) ((uint32_t)(x))
#endif

static inline uint16_t net_htons(uint16_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap16(x);
#else
    return x;
#endif
}

static inline uint32_t net_htonl(uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap32(x);
#else
    return x;
#endif
}

static inline uint16_t net_ntohs(uint16_t x)
{
    return net_htons(x);
}

static inline uint32_t net_ntohl(uint32_t x)
{
    return net_htonl(x);
}

/* a.b.c.d in network byte order, a constant expression. */
#define NET_IPV4(a, b, c, d) \
    NET_BE32(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* --- Wire formats ----------------------------------------------------- */

#define NET_ETH_ALEN  6
#define NET_ETH_HLEN  14 /* untagged Ethernet header */
#define NET_VLAN_HLEN 4  /* one 802.1Q tag */

#define NET_ETH_P_IPV4 0x0800
#define NET_ETH_P_ARP  0x0806
#define NET_ETH_P_VLAN 0x8100 /* 802.1Q C-tag: net_frame_parse skips one */
#define NET_ETH_P_QINQ 0x88a8 /* 802.1ad S-tag: not skipped, kind OTHER */
#define NET_ETH_P_IPV6 0x86dd

#define NET_VLAN_VID_MASK 0x0fff /* of the TCI; the top 4 bits are PCP and DEI */

struct net_eth_hdr {
    uint8_t dst[NET_ETH_ALEN];
    uint8_t src[NET_ETH_ALEN];
    uint16_t type;
} __nfos_packed;

/* Sits where net_eth_hdr.type was; its type is the inner ethertype. */
struct net_vlan_hdr {
    uint16_t tci;
    uint16_t type;
} __nfos_packed;

#define NET_ARP_HTYPE_ETH  1
#define NET_ARP_OP_REQUEST 1
#define NET_ARP_OP_REPLY   2
#define NET_ARP_LEN        28 /* IPv4 over Ethernet */

/* ARP for IPv4 over Ethernet (RFC 826), the only kind net_frame_parse
 * accepts. */
struct net_arp_hdr {
    uint16_t htype; /* NET_ARP_HTYPE_ETH */
    uint16_t ptype; /* NET_ETH_P_IPV4 */
    uint8_t hlen;   /* 6 */
    uint8_t plen;   /* 4 */
    uint16_t op;
    uint8_t sha[NET_ETH_ALEN];
    uint32_t spa;
    uint8_t tha[NET_ETH_ALEN];
    uint32_t tpa;
} __nfos_packed;

#define NET_IP_PROTO_ICMP 1
#define NET_IP_PROTO_TCP  6
#define NET_IP_PROTO_UDP  17

#define NET_IPV4_HLEN        20 /* without options */
#define NET_IPV4_MAX_LEN     65535
#define NET_IPV4_DF          0x4000 /* frag_off, host order */
#define NET_IPV4_MF          0x2000
#define NET_IPV4_OFF_MASK    0x1fff
#define NET_IPV4_TTL_DEFAULT 64

struct net_ipv4_hdr {
    uint8_t ver_ihl; /* version 4 in the high nibble, IHL (32-bit words) low */
    uint8_t tos;     /* DSCP and ECN */
    uint16_t total_len;
    uint16_t id;
    uint16_t frag_off; /* flags (DF, MF) and the offset in 8-byte units */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    uint32_t src;
    uint32_t dst;
    /* options, up to 40 bytes, when IHL > 5 */
} __nfos_packed;

#define NET_ICMP_ECHO_REPLY   0
#define NET_ICMP_ECHO_REQUEST 8
#define NET_ICMP_HLEN         8

/* Every ICMP message starts with type, code, csum and 4 more bytes; for
 * echo they are id and seq. */
struct net_icmp_echo {
    uint8_t type;
    uint8_t code;
    uint16_t csum;
    uint16_t id;
    uint16_t seq;
} __nfos_packed;

#define NET_UDP_HLEN 8

struct net_udp_hdr {
    uint16_t sport;
    uint16_t dport;
    uint16_t len; /* header and payload */
    uint16_t csum;
} __nfos_packed;

_Static_assert(sizeof(struct net_eth_hdr) == NET_ETH_HLEN, "Ethernet header");
_Static_assert(sizeof(struct net_vlan_hdr) == NET_VLAN_HLEN, "802.1Q tag");
_Static_assert(sizeof(struct net_arp_hdr) == NET_ARP_LEN, "ARP");
_Static_assert(sizeof(struct net_ipv4_hdr) == NET_IPV4_HLEN, "IPv4 header");
_Static_assert(sizeof(struct net_icmp_echo) == NET_ICMP_HLEN, "ICMP echo header");
_Static_assert(sizeof(struct net_udp_hdr) == NET_UDP_HLEN, "UDP header");

/* An untagged Ethernet/IPv4 (no options)/UDP header, as net_udp_build
 * writes it; the payload follows at this offset. */
#define NET_UDP_FRAME_HLEN (NET_ETH_HLEN + NET_IPV4_HLEN + NET_UDP_HLEN)
#define NET_ARP_FRAME_LEN  (NET_ETH_HLEN + NET_ARP_LEN)

/* --- Address helpers (fast path) --------------------------------------- */

/* Multicast or broadcast: the group bit of the first octet. */
static inline bool net_mac_is_group(const uint8_t mac[NET_ETH_ALEN])
{
    return mac[0] & 1;
}

static inline bool net_mac_is_broadcast(const uint8_t mac[NET_ETH_ALEN])
{
    return (mac[0] & mac[1] & mac[2] & mac[3] & mac[4] & mac[5]) == 0xff;
}

/* A plausible unicast source: not 0.0.0.0 and below 224.0.0.0 (so not
 * multicast, class E or the limited broadcast). Subnet broadcasts cannot be
 * told apart without the prefix. */
static inline bool net_ipv4_is_unicast(uint32_t addr)
{
    return addr != 0 && net_ntohl(addr) < 0xe0000000U;
}

/* The netmask of a prefix length 0..32, in network order. */
static inline uint32_t net_ipv4_prefix_mask(unsigned prefix)
{
    return prefix == 0 ? 0 : net_htonl(~0U << (32 - NFOS_MIN(prefix, 32U)));
}

static inline bool net_ipv4_same_subnet(uint32_t a, uint32_t b, unsigned prefix)
{
    return ((a ^ b) & net_ipv4_prefix_mask(prefix)) == 0;
}

/* --- Checksums (fast path) --------------------------------------------- */

/* The 16-bit one's complement sum of buf[0 .. len) added to sum, as an
 * unfolded 32-bit partial sum. Any alignment, any length: an odd last byte
 * is padded with zero. Partial sums chain (pass one as the next sum) only
 * when every piece but the last has an even length. */
uint32_t net_csum_partial(const void *buf, size_t len, uint32_t sum);

/* Adds two partial sums with end-around carry. */
static inline uint32_t net_csum_add(uint32_t a, uint32_t b)
{
    uint32_t s = a + b;

    return s + (s < b);
}

/* Reduces a 64-bit sum of memory-order words to a 32-bit partial sum. */
static inline uint32_t net_csum_reduce64(uint64_t sum)
{
    return net_csum_add((uint32_t)sum, (uint32_t)(sum >> 32));
}

/* Folds a partial sum to 16 bits and complements it: the checksum to store.
 * Over data that includes a correct checksum the result is 0. */
static inline uint16_t net_csum_fold(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The internet checksum of buf[0 .. len) (RFC 1071). */
static inline uint16_t net_csum(const void *buf, size_t len)
{
    return net_csum_fold(net_csum_partial(buf, len, 0));
}

/* RFC 1624 eqn. 3: the checksum csum after a 16-bit field (aligned on an
 * even offset) changed from old to new, all three in memory order. The same
 * as recomputing, except over data that became all zero: 0, not 0xffff. */
static inline uint16_t net_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
    uint32_t sum = (uint16_t)~csum + (uint32_t)(uint16_t)~old + new_;

    return net_csum_fold(sum);
}

/* The same for a 32-bit field (an address) at an even offset. */
static inline uint16_t net_csum_update32(uint16_t csum, uint32_t old, uint32_t new_)
{
    return net_csum_fold(net_csum_reduce64((uint64_t)(uint16_t)~csum + (uint32_t)~old + new_));
}

/* The checksum of an IPv4 header of IHL * 4 bytes (the caller has checked
 * that they are readable): 0 when the stored checksum is right. */
static inline uint16_t net_ipv4_csum(const struct net_ipv4_hdr *ip)
{
    return net_csum(ip, (size_t)(ip->ver_ihl & 0xf) * 4);
}

/* Computes and stores ip->csum over IHL * 4 bytes. */
static inline void net_ipv4_csum_set(struct net_ipv4_hdr *ip)
{
    ip->csum = 0;
    ip->csum = net_ipv4_csum(ip);
}

/* The partial sum of the IPv4 pseudo-header of a UDP or TCP segment. */
static inline uint32_t net_ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t l4_len)
{
    return net_csum_reduce64((uint64_t)src + dst + net_htons(proto) + net_htons((uint16_t)l4_len));
}

/* The UDP checksum over the pseudo-header and udp_len bytes of header and
 * payload as they are: 0 when a non-zero stored checksum is right. */
static inline uint16_t net_udp_csum(uint32_t src, uint32_t dst, const void *udp, size_t udp_len)
{
    return net_csum_fold(
        net_csum_partial(udp, udp_len, net_ipv4_pseudo_sum(src, dst, NET_IP_PROTO_UDP, udp_len)));
}

/* Computes and stores udp->csum over net_ntohs(udp->len) bytes (readable,
 * the caller has checked), sending a computed 0 as 0xffff (RFC 768). */
static inline void net_udp_csum_set(struct net_udp_hdr *udp, uint32_t src, uint32_t dst)
{
    uint16_t c;

    udp->csum = 0;
    c = net_udp_csum(src, dst, udp, net_ntohs(udp->len));
    udp->csum = c ? c : 0xffff;
}

/* --- Parsing (fast path) ----------------------------------------------- */

/* What a frame is, net_frame_parse's non-negative results. */
enum net_kind {
    NET_KIND_ARP,        /* ARP request or reply, IPv4 over Ethernet */
    NET_KIND_ICMP,       /* IPv4 ICMP, any type, checksum verified */
    NET_KIND_UDP,        /* IPv4 UDP, lengths and checksum verified */
    NET_KIND_IPV4_FRAG,  /* an IPv4 fragment (MF or offset): L4 not parsed */
    NET_KIND_IPV4_OTHER, /* IPv4 with another protocol (TCP, ...) */
    NET_KIND_OTHER,      /* another ethertype (IPv6, LLDP, a second tag ...) */
    NET_KIND_COUNT
};

/* Why net_frame_parse refused a frame: it returns -NET_ERR_*. Listed in the
 * order the checks run; the first failing check decides. */
enum net_err {
    NET_ERR_NONE,           /* never returned: net_parse_stats.err[0] stays 0 */
    NET_ERR_ETH_TRUNC,      /* shorter than an Ethernet header */
    NET_ERR_VLAN_TRUNC,     /* 802.1Q tag cut short */
    NET_ERR_ARP_TRUNC,      /* fewer than 28 bytes of ARP */
    NET_ERR_ARP_HTYPE,      /* hardware type not Ethernet */
    NET_ERR_ARP_PTYPE,      /* protocol type not IPv4 */
    NET_ERR_ARP_HLEN,       /* hardware address length not 6 */
    NET_ERR_ARP_PLEN,       /* protocol address length not 4 */
    NET_ERR_ARP_OP,         /* neither request nor reply */
    NET_ERR_IPV4_TRUNC,     /* fewer than 20 bytes of IPv4 header */
    NET_ERR_IPV4_VERSION,   /* version not 4 */
    NET_ERR_IPV4_IHL,       /* IHL below 5 */
    NET_ERR_IPV4_LEN_SHORT, /* total length below IHL * 4 */
    NET_ERR_IPV4_LEN_LONG,  /* total length beyond the frame */
    NET_ERR_IPV4_CSUM,      /* header checksum wrong */
    NET_ERR_ICMP_TRUNC,     /* ICMP message shorter than 8 bytes */
    NET_ERR_ICMP_CSUM,      /* ICMP checksum wrong */
    NET_ERR_UDP_TRUNC,      /* IP payload shorter than a UDP header */
    NET_ERR_UDP_LEN_SHORT,  /* UDP length below 8 */
    NET_ERR_UDP_LEN_LONG,   /* UDP length beyond the IP payload */
    NET_ERR_UDP_CSUM,       /* non-zero UDP checksum wrong */
    NET_ERR_COUNT
};

/* net_frame_parse flags: checksums a device has already verified. */
#define NET_PARSE_IPV4_CSUM_OK 0x1 /* skip the IPv4 header checksum */
#define NET_PARSE_L4_CSUM_OK   0x2 /* skip the ICMP and UDP checksums */

/* Where the layers of a parsed frame start, as offsets from frame[0]. */
struct net_hdrs {
    uint8_t kind;         /* enum net_kind */
    uint8_t vlan;         /* 1 when one 802.1Q tag was skipped */
    uint8_t ip_proto;     /* IPv4 protocol; 0 for ARP and OTHER */
    uint16_t vlan_tci;    /* host order, 0 untagged; VID = tci & NET_VLAN_VID_MASK */
    uint16_t ethertype;   /* host order, inside the tag */
    uint16_t l3_off;      /* ARP or IPv4 header: 14, or 18 when tagged */
    uint16_t l4_off;      /* IPv4: l3_off + IHL * 4; otherwise l3_off */
    uint16_t payload_off; /* after the UDP/ICMP header, or the ARP packet;
                           * for IPV4_FRAG and IPV4_OTHER l4_off, for
                           * OTHER l3_off */
    uint32_t payload_len; /* as far as the UDP length (UDP) or the IPv4
                           * total length (other IPv4) says, or (OTHER) to
                           * the end of the frame; never Ethernet padding */
};

/* Classifies frame[0 .. len) and fills *h (meaningful only when the result
 * is >= 0). Returns an enum net_kind, or -NET_ERR_* for the first check that
 * failed, with the order given in enum net_err. Checks: lengths at every
 * layer, the IPv4 version, IHL, total length and header checksum, the ICMP
 * checksum, the UDP length and a non-zero UDP checksum, and the ARP
 * hardware/protocol types and lengths and op. Reads nothing at or beyond
 * frame + len. len must be below 4 GiB. Fast path; the checksums are the
 * only loops. */
int net_frame_parse(const uint8_t *frame, size_t len, struct net_hdrs *h, unsigned flags);

/* One counter per net_frame_parse result; they add up to the frames
 * counted. */
struct net_parse_stats {
    uint64_t kind[NET_KIND_COUNT]; /* accepted, by enum net_kind */
    uint64_t err[NET_ERR_COUNT];   /* refused, by enum net_err */
};

/* Counts a net_frame_parse result. */
static inline void net_parse_stats_count(struct net_parse_stats *s, int rc)
{
    if (likely(rc >= 0))
        s->kind[rc]++;
    else
        s->err[-rc]++;
}

/* Short lower-case names ("udp", "ipv4_csum"), indexed by enum value. */
extern const char *const net_kind_names[NET_KIND_COUNT];
extern const char *const net_err_names[NET_ERR_COUNT];

/* The name of a net_frame_parse result, or "?" out of range. */
static inline const char *net_parse_result_name(int rc)
{
    if (rc >= 0)
        return rc < NET_KIND_COUNT ? net_kind_names[rc] : "?";
    return rc > -NET_ERR_COUNT ? net_err_names[-rc] : "?";
}

/* The headers of a parsed frame, for a frame of the matching kind. */
static inline struct net_eth_hdr *net_hdrs_eth(uint8_t *frame)
{
    return (struct net_eth_hdr *)frame;
}

static inline struct net_arp_hdr *net_hdrs_arp(uint8_t *frame, const struct net_hdrs *h)
{
    return (struct net_arp_hdr *)(frame + h->l3_off);
}

static inline struct net_ipv4_hdr *net_hdrs_ipv4(uint8_t *frame, const struct net_hdrs *h)
{
    return (struct net_ipv4_hdr *)(frame + h->l3_off);
}

static inline struct net_udp_hdr *net_hdrs_udp(uint8_t *frame, const struct net_hdrs *h)
{
    return (struct net_udp_hdr *)(frame + h->l4_off);
}

static inline struct net_icmp_echo *net_hdrs_icmp(uint8_t *frame, const struct net_hdrs *h)
{
    return (struct net_icmp_echo *)(frame + h->l4_off);
}

/* --- Building frames (fast path) ---------------------------------------- */

/* The in-place reply functions take a frame and the *h net_frame_parse
 * filled for it (unchanged), rewrite the frame into the answer and return
 * its length (Ethernet padding dropped; a VLAN tag and IPv4 options kept),
 * or leave it untouched and return:
 *   -EINVAL         h is not of the kind the function answers, or does not
 *                   fit in len (a caller's mistake)
 *   -ENOMSG         not a request (ARP op, ICMP type or code)
 *   -EADDRNOTAVAIL  not for our_ip, or (ICMP) sent to a group MAC
 *   -EHOSTUNREACH   from a source that must not be answered: a group MAC,
 *                   or (ICMP) a non-unicast IPv4 address */

/* An ARP request for our_ip becomes the reply from our_mac, sent back to
 * the requester's Ethernet source. Probes (sender 0.0.0.0) are answered. */
int net_arp_reply(uint8_t *frame, size_t len, const struct net_hdrs *h,
                  const uint8_t our_mac[NET_ETH_ALEN], uint32_t our_ip);

/* Writes a broadcast ARP request for target_ip into frame[0 ..
 * NET_ARP_FRAME_LEN): gratuitous when target_ip == our_ip. Returns
 * NET_ARP_FRAME_LEN, or -ENOSPC when cap is smaller. */
int net_arp_request_build(uint8_t *frame, size_t cap, const uint8_t our_mac[NET_ETH_ALEN],
                          uint32_t our_ip, uint32_t target_ip);

/* An ICMP echo request to our_ip becomes the echo reply: MACs, IPv4
 * addresses swapped, TTL NET_IPV4_TTL_DEFAULT, type 0, both checksums
 * updated incrementally (RFC 1624; an ICMP checksum of 0 is stored as the
 * equivalent 0xffff), payload untouched. */
int net_icmp_echo_reply(uint8_t *frame, size_t len, const struct net_hdrs *h, uint32_t our_ip);

/* What net_udp_reply does with the UDP checksum. */
enum net_udp_csum_mode {
    NET_UDP_CSUM_NONE, /* store 0: no checksum */
    NET_UDP_CSUM_FULL, /* compute it over the new payload */
    NET_UDP_CSUM_KEEP, /* payload and length unchanged: swapping addresses
                        * and ports leaves the received checksum right */
};

/* Turns a received UDP frame around in place: MACs, IPv4 addresses and
 * ports swapped, TTL NET_IPV4_TTL_DEFAULT, and a payload of payload_len
 * bytes, which the caller has written (or left) at frame + h->payload_off;
 * cap is how many bytes frame may hold. Fixes the UDP and IPv4 lengths and
 * checksums. Returns the new frame length, or -EINVAL (not UDP, or KEEP with
 * another length), -ENOSPC (past cap), -EMSGSIZE (over 64 KiB of IPv4).
 * Does not look at addresses: the caller decides whom it answers. */
int net_udp_reply(uint8_t *frame, size_t cap, const struct net_hdrs *h, size_t payload_len,
                  enum net_udp_csum_mode mode);

/* net_udp_reply with the UDP checksum from payload_sum, the partial sum
 * of the payload_len bytes of payload as net_csum_partial gives it (or
 * partial sums of its pieces added with net_csum_add, every piece but the
 * last of even length): for a caller that knows it without reading the
 * payload back. Same returns. */
int net_udp_reply_sum(uint8_t *frame, size_t cap, const struct net_hdrs *h, size_t payload_len,
                      uint32_t payload_sum);

/* The two ends of a UDP flow, for net_udp_build. */
struct net_udp_flow {
    uint8_t src_mac[NET_ETH_ALEN];
    uint8_t dst_mac[NET_ETH_ALEN];
    uint32_t src_ip; /* network order */
    uint32_t dst_ip;
    uint16_t src_port; /* host order */
    uint16_t dst_port;
    uint8_t ttl; /* 0: NET_IPV4_TTL_DEFAULT */
};

/* Writes an untagged Ethernet/IPv4/UDP header into frame[0 ..
 * NET_UDP_FRAME_HLEN) in front of the payload_len bytes the caller has put
 * at frame + NET_UDP_FRAME_HLEN: DSCP 0, DF set, the given IP id (host
 * order), the IPv4 checksum, and the UDP checksum when udp_csum (else 0).
 * Returns the frame length, or -ENOSPC (past cap) or -EMSGSIZE (over 64 KiB
 * of IPv4). */
int net_udp_build(uint8_t *frame, size_t cap, const struct net_udp_flow *f, size_t payload_len,
                  uint16_t ip_id, bool udp_csum);

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

/* --- IPv4 reassembly ------------------------------------------------------ */

/* Datagrams reassembled at once by default, and how long one may take. */
#define NET_REASM_SLOTS_DEFAULT 4
#define NET_REASM_TIMEOUT_NS    (2ULL * 1000 * 1000 * 1000)
/* Fragments one datagram may come in; more and it is dropped (each
 * fragment costs a scan of those before it). */
#define NET_REASM_FRAGS_MAX 64
/* A slot's buffer: room for the longest Ethernet and IPv4 headers in front
 * of the payload, then the largest payload. */
#define NET_REASM_PAYLOAD_OFF (NET_ETH_HLEN + NET_VLAN_HLEN + 60)
#define NET_REASM_BUF_LEN     (NET_REASM_PAYLOAD_OFF + NET_IPV4_MAX_LEN - NET_IPV4_HLEN)

struct net_reasm_stats {
    uint64_t fragments;   /* fragments taken (counted in the results below) */
    uint64_t reassembled; /* datagrams made whole */
    uint64_t duplicates;  /* fragments that repeat a range already there: ignored */
    uint64_t dropped;     /* datagrams given up: overlapping fragments, beyond
                           * 65535 bytes, ends that disagree, too many fragments */
    uint64_t bad;         /* fragments refused alone: a middle fragment whose
                           * length is not a multiple of 8 */
    uint64_t timeouts;    /* datagrams not whole within the timeout */
    uint64_t evictions;   /* datagrams given up for a newer one: all slots busy */
};

/* One datagram being put together in a buffer of its own. */
struct net_reasm_slot {
    uint8_t *buf;     /* NET_REASM_BUF_LEN bytes: the frame being built */
    uint64_t expires; /* the caller's clock */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t used;
    uint16_t l3_off; /* the first fragment's Ethernet header length, 0 until it came */
    uint16_t hlen;   /* its IPv4 header length */
    uint32_t end;    /* payload bytes of the whole datagram, 0 until the last came */
    uint32_t have;   /* payload bytes in */
    uint16_t nfrags;
    struct {
        uint16_t off, len;
    } frags[NET_REASM_FRAGS_MAX];
};

/* IPv4 reassembly for a network function that must take datagrams larger
 * than a frame (a memcached set over UDP). A few datagrams at a time, each
 * copied as its fragments come into a frame-sized buffer of its own; the
 * oldest is given up for a new one when all slots are busy. A fragment
 * that overlaps another drops the whole datagram (what Linux does since
 * 4.19, RFC 5722's rule for IPv6: overlaps are how filters are evaded); one
 * that repeats another's exact range is ignored. */
struct net_reasm {
    struct net_reasm_slot *slots;
    unsigned nslots;
    uint64_t timeout_ns;
    struct net_reasm_stats stats;
};

/* nslots slots (0: NET_REASM_SLOTS_DEFAULT), each with its
 * NET_REASM_BUF_LEN-byte buffer, datagrams given up timeout_ns after
 * their first fragment (0: NET_REASM_TIMEOUT_NS). 0 or -ENOMEM. Slow path. */
int net_reasm_init(struct net_reasm *r, unsigned nslots, uint64_t timeout_ns);
void net_reasm_fini(struct net_reasm *r);

/* Takes one fragment: frame[0 .. len) that net_frame_parse classified as
 * NET_KIND_IPV4_FRAG into *h, at now_ns (the caller's clock). When it
 * completes its datagram, returns the length of the whole frame and points
 * *out at it: the first fragment's Ethernet header, its IPv4 header with
 * the fragment fields cleared and the length and checksum set, and the
 * payload; ready for net_frame_parse, the caller's to change (a reply may
 * be built over it) and valid until the next call. Otherwise returns 0
 * (kept, or ignored and counted). Never fails. */
size_t net_reasm_add(struct net_reasm *r, const uint8_t *frame, size_t len,
                     const struct net_hdrs *h, uint64_t now_ns, uint8_t **out);

/* --- Text, for the command line (slow path) ----------------------------- */

#define NET_IPV4_STRLEN 16 /* "255.255.255.255" and its NUL */
#define NET_MAC_STRLEN  18 /* "aa:bb:cc:dd:ee:ff" and its NUL */

/* Parses "a.b.c.d", or "a.b.c.d/p" when prefix is not NULL (plain gives
 * 32): decimal octets 0..255 and p 0..32, without signs, spaces, leading
 * zeros ("01") or anything after. Returns 0, or -EINVAL with *addr and
 * *prefix untouched. */
int net_ipv4_parse(const char *s, uint32_t *addr, unsigned *prefix);

/* Writes "a.b.c.d" into buf; returns buf. */
char *net_ipv4_format(uint32_t addr, char buf[NET_IPV4_STRLEN]);

/* Parses exactly "aa:bb:cc:dd:ee:ff": six pairs of hex digits (either
 * case) and colons. Returns 0, or -EINVAL with mac untouched. */
int net_mac_parse(const char *s, uint8_t mac[NET_ETH_ALEN]);

/* Writes lower-case "aa:bb:cc:dd:ee:ff" into buf; returns buf. */
char *net_mac_format(const uint8_t mac[NET_ETH_ALEN], char buf[NET_MAC_STRLEN]);

/* A locally administered unicast MAC (02 bit set, group bit clear) that
 * depends only on seed[0 .. len), for instances without a configured one. */
void net_mac_from_seed(uint8_t mac[NET_ETH_ALEN], const void *seed, size_t len);

#endif /* NFOS_NET_H */
