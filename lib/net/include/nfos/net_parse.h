/* net parsing: one validating pass over a frame that says what it is and
 * where its headers are, or why it is dropped (enum net_err, counted by
 * cause). Fast path. */
#ifndef NFOS_NET_PARSE_H
#define NFOS_NET_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/net_wire.h>

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

#endif /* NFOS_NET_PARSE_H */
