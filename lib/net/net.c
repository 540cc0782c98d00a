/* The internet checksum loop and the frame parser: everything that reads a
 * received frame. Nothing here writes to a frame; net_build.c does. */
#include <string.h>

#include <nfos/net_csum.h>
#include <nfos/net_parse.h>

const char *const net_kind_names[NET_KIND_COUNT] = {
    [NET_KIND_ARP] = "arp",
    [NET_KIND_ICMP] = "icmp",
    [NET_KIND_UDP] = "udp",
    [NET_KIND_IPV4_FRAG] = "ipv4_frag",
    [NET_KIND_IPV4_OTHER] = "ipv4_other",
    [NET_KIND_OTHER] = "other",
};

const char *const net_err_names[NET_ERR_COUNT] = {
    [NET_ERR_NONE] = "none",
    [NET_ERR_ETH_TRUNC] = "eth_trunc",
    [NET_ERR_VLAN_TRUNC] = "vlan_trunc",
    [NET_ERR_ARP_TRUNC] = "arp_trunc",
    [NET_ERR_ARP_HTYPE] = "arp_htype",
    [NET_ERR_ARP_PTYPE] = "arp_ptype",
    [NET_ERR_ARP_HLEN] = "arp_hlen",
    [NET_ERR_ARP_PLEN] = "arp_plen",
    [NET_ERR_ARP_OP] = "arp_op",
    [NET_ERR_IPV4_TRUNC] = "ipv4_trunc",
    [NET_ERR_IPV4_VERSION] = "ipv4_version",
    [NET_ERR_IPV4_IHL] = "ipv4_ihl",
    [NET_ERR_IPV4_LEN_SHORT] = "ipv4_len_short",
    [NET_ERR_IPV4_LEN_LONG] = "ipv4_len_long",
    [NET_ERR_IPV4_CSUM] = "ipv4_csum",
    [NET_ERR_ICMP_TRUNC] = "icmp_trunc",
    [NET_ERR_ICMP_CSUM] = "icmp_csum",
    [NET_ERR_UDP_TRUNC] = "udp_trunc",
    [NET_ERR_UDP_LEN_SHORT] = "udp_len_short",
    [NET_ERR_UDP_LEN_LONG] = "udp_len_long",
    [NET_ERR_UDP_CSUM] = "udp_csum",
};

static inline uint64_t net_load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/*
 * Words are loaded in memory order, not swapped: the one's complement sum
 * is the same in either byte order (RFC 1071 2.B), so the result is right
 * once stored back in memory order. Each 64-bit load is split into its two
 * 32-bit halves and added to two 64-bit accumulators, which cannot carry
 * out before 16 GiB; 2^32 == 1 (mod 0xffff) makes that the same sum as
 * adding the 16-bit words. Unaligned loads cost nothing on x86-64, so odd
 * addresses take the same loop.
 */
uint32_t net_csum_partial(const void *buf, size_t len, uint32_t sum)
{
    const uint8_t *p = buf;
    uint64_t a = sum, b = 0, w;

    for (; len >= 32; p += 32, len -= 32) {
        w = net_load64(p);
        a += (uint32_t)w;
        b += w >> 32;
        w = net_load64(p + 8);
        a += (uint32_t)w;
        b += w >> 32;
        w = net_load64(p + 16);
        a += (uint32_t)w;
        b += w >> 32;
        w = net_load64(p + 24);
        a += (uint32_t)w;
        b += w >> 32;
    }
    for (; len >= 8; p += 8, len -= 8) {
        w = net_load64(p);
        a += (uint32_t)w;
        b += w >> 32;
    }
    if (len & 4) {
        uint32_t v;

        memcpy(&v, p, sizeof(v));
        a += v;
        p += 4;
    }
    if (len & 2) {
        uint16_t v;

        memcpy(&v, p, sizeof(v));
        b += v;
        p += 2;
    }
    if (len & 1) {
        /* The last byte is the first of a word whose second is 0. */
        uint8_t pair[2] = { p[0], 0 };
        uint16_t v;

        memcpy(&v, pair, sizeof(v));
        a += v;
    }
    return net_csum_reduce64(net_csum_reduce64(a) + (uint64_t)net_csum_reduce64(b));
}

static int net_parse_arp(const uint8_t *l3, size_t avail, struct net_hdrs *h)
{
    const struct net_arp_hdr *arp = (const struct net_arp_hdr *)l3;

    if (unlikely(avail < NET_ARP_LEN))
        return -NET_ERR_ARP_TRUNC;
    if (unlikely(arp->htype != NET_BE16(NET_ARP_HTYPE_ETH)))
        return -NET_ERR_ARP_HTYPE;
    if (unlikely(arp->ptype != NET_BE16(NET_ETH_P_IPV4)))
        return -NET_ERR_ARP_PTYPE;
    if (unlikely(arp->hlen != NET_ETH_ALEN))
        return -NET_ERR_ARP_HLEN;
    if (unlikely(arp->plen != 4))
        return -NET_ERR_ARP_PLEN;
    if (unlikely(arp->op != NET_BE16(NET_ARP_OP_REQUEST) && arp->op != NET_BE16(NET_ARP_OP_REPLY)))
        return -NET_ERR_ARP_OP;
    h->kind = NET_KIND_ARP;
    h->l4_off = h->l3_off;
    h->payload_off = h->l3_off + NET_ARP_LEN;
    h->payload_len = 0;
    return NET_KIND_ARP;
}

/* l4 holds l4_len bytes: the IPv4 payload up to the total length. */
static int net_parse_icmp(const uint8_t *l4, size_t l4_len, struct net_hdrs *h, unsigned flags)
{
    if (unlikely(l4_len < NET_ICMP_HLEN))
        return -NET_ERR_ICMP_TRUNC;
    if (!(flags & NET_PARSE_L4_CSUM_OK) && unlikely(net_csum(l4, l4_len) != 0))
        return -NET_ERR_ICMP_CSUM;
    h->kind = NET_KIND_ICMP;
    h->payload_off = h->l4_off + NET_ICMP_HLEN;
    h->payload_len = (uint32_t)(l4_len - NET_ICMP_HLEN);
    return NET_KIND_ICMP;
}

static int net_parse_udp(const struct net_ipv4_hdr *ip, const uint8_t *l4, size_t l4_len,
                         struct net_hdrs *h, unsigned flags)
{
    const struct net_udp_hdr *udp = (const struct net_udp_hdr *)l4;
    size_t ulen;

    if (unlikely(l4_len < NET_UDP_HLEN))
        return -NET_ERR_UDP_TRUNC;
    ulen = net_ntohs(udp->len);
    if (unlikely(ulen < NET_UDP_HLEN))
        return -NET_ERR_UDP_LEN_SHORT;
    if (unlikely(ulen > l4_len))
        return -NET_ERR_UDP_LEN_LONG;
    if (udp->csum != 0 && !(flags & NET_PARSE_L4_CSUM_OK) &&
        unlikely(net_udp_csum(ip->src, ip->dst, udp, ulen) != 0))
        return -NET_ERR_UDP_CSUM;
    h->kind = NET_KIND_UDP;
    h->payload_off = h->l4_off + NET_UDP_HLEN;
    h->payload_len = (uint32_t)(ulen - NET_UDP_HLEN);
    return NET_KIND_UDP;
}

static int net_parse_ipv4(const uint8_t *l3, size_t avail, struct net_hdrs *h, unsigned flags)
{
    const struct net_ipv4_hdr *ip = (const struct net_ipv4_hdr *)l3;
    size_t hlen, total;

    if (unlikely(avail < NET_IPV4_HLEN))
        return -NET_ERR_IPV4_TRUNC;
    if (unlikely(ip->ver_ihl >> 4 != 4))
        return -NET_ERR_IPV4_VERSION;
    hlen = (size_t)(ip->ver_ihl & 0xf) * 4;
    if (unlikely(hlen < NET_IPV4_HLEN))
        return -NET_ERR_IPV4_IHL;
    total = net_ntohs(ip->total_len);
    if (unlikely(total < hlen))
        return -NET_ERR_IPV4_LEN_SHORT;
    if (unlikely(total > avail))
        return -NET_ERR_IPV4_LEN_LONG;
    /* From here on only l3[0 .. total) is read. */
    if (!(flags & NET_PARSE_IPV4_CSUM_OK) && unlikely(net_ipv4_csum_len(ip, hlen) != 0))
        return -NET_ERR_IPV4_CSUM;

    h->ip_proto = ip->proto;
    h->l4_off = (uint16_t)(h->l3_off + hlen);
    if (unlikely(ip->frag_off & NET_BE16(NET_IPV4_MF | NET_IPV4_OFF_MASK))) {
        h->kind = NET_KIND_IPV4_FRAG;
    } else if (likely(ip->proto == NET_IP_PROTO_UDP)) {
        return net_parse_udp(ip, l3 + hlen, total - hlen, h, flags);
    } else if (ip->proto == NET_IP_PROTO_ICMP) {
        return net_parse_icmp(l3 + hlen, total - hlen, h, flags);
    } else {
        h->kind = NET_KIND_IPV4_OTHER;
    }
    h->payload_off = h->l4_off;
    h->payload_len = (uint32_t)(total - hlen);
    return h->kind;
}

int net_frame_parse(const uint8_t *frame, size_t len, struct net_hdrs *h, unsigned flags)
{
    const struct net_eth_hdr *eth = (const struct net_eth_hdr *)frame;
    uint16_t off = NET_ETH_HLEN, type;

    if (unlikely(len < NET_ETH_HLEN))
        return -NET_ERR_ETH_TRUNC;
    type = net_ntohs(eth->type);
    h->vlan = 0;
    h->vlan_tci = 0;
    if (type == NET_ETH_P_VLAN) {
        const struct net_vlan_hdr *tag = (const struct net_vlan_hdr *)(frame + NET_ETH_HLEN);

        if (unlikely(len < NET_ETH_HLEN + NET_VLAN_HLEN))
            return -NET_ERR_VLAN_TRUNC;
        h->vlan = 1;
        h->vlan_tci = net_ntohs(tag->tci);
        type = net_ntohs(tag->type);
        off += NET_VLAN_HLEN;
    }
    h->ethertype = type;
    h->ip_proto = 0;
    h->l3_off = off;
    if (likely(type == NET_ETH_P_IPV4))
        return net_parse_ipv4(frame + off, len - off, h, flags);
    if (type == NET_ETH_P_ARP)
        return net_parse_arp(frame + off, len - off, h);
    h->kind = NET_KIND_OTHER;
    h->l4_off = off;
    h->payload_off = off;
    h->payload_len = (uint32_t)(len - off);
    return NET_KIND_OTHER;
}
