/* net wire formats: byte order, the Ethernet, VLAN, ARP, IPv4, ICMP echo
 * and UDP headers as they sit in a frame, and address tests. The
 * conventions of every lib/net header are in nfos/net.h. */
#ifndef NFOS_NET_WIRE_H
#define NFOS_NET_WIRE_H

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

#endif /* NFOS_NET_WIRE_H */
