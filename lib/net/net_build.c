/* Frames written: ARP replies and requests, ICMP echo replies, UDP frames
 * built or turned around. The in-place replies trust the net_hdrs that
 * net_frame_parse filled (it checked every length) and re-check only that
 * it fits the frame. */
#include <errno.h>
#include <string.h>

#include <nfos/net_build.h>
#include <nfos/net_csum.h>

/* A 16-bit word of the header as two bytes hi, lo, in memory order. */
static inline uint16_t net_word(uint8_t hi, uint8_t lo)
{
    return net_htons((uint16_t)(hi << 8 | lo));
}

static __nfos_always_inline void net_eth_swap(struct net_eth_hdr *eth)
{
    uint8_t tmp[NET_ETH_ALEN];

    memcpy(tmp, eth->dst, NET_ETH_ALEN);
    memcpy(eth->dst, eth->src, NET_ETH_ALEN);
    memcpy(eth->src, tmp, NET_ETH_ALEN);
}

/* Swaps the addresses (which leaves every checksum as it was) and sets the
 * TTL to the default, updating the header checksum. */
static __nfos_always_inline void net_ipv4_turn(struct net_ipv4_hdr *ip)
{
    uint32_t src = ip->src;
    uint16_t old = net_word(ip->ttl, ip->proto);

    ip->src = ip->dst;
    ip->dst = src;
    ip->ttl = NET_IPV4_TTL_DEFAULT;
    ip->csum = net_csum_update16(ip->csum, old, net_word(ip->ttl, ip->proto));
}

/* Drops the IPv4 options of a frame being turned into a reply: the l4_len
 * bytes of ICMP or UDP after them move up behind a 20-byte header, and the
 * header says so (its checksum is the caller's to set, net_ipv4_csum_set).
 * Replies never echo options: a source or record route copied into one
 * would steer it elsewhere or make it grow. Rare: requests carry none. */
static void net_ipv4_strip(uint8_t *frame, const struct net_hdrs *h, size_t l4_len)
{
    struct net_ipv4_hdr *ip = net_hdrs_ipv4(frame, h);

    memmove(frame + h->l3_off + NET_IPV4_HLEN, frame + h->l4_off, l4_len);
    ip->ver_ihl = 0x45;
}

static void net_arp_fill(struct net_arp_hdr *arp, uint16_t op, const uint8_t sha[NET_ETH_ALEN],
                         uint32_t spa, const uint8_t tha[NET_ETH_ALEN], uint32_t tpa)
{
    arp->htype = NET_BE16(NET_ARP_HTYPE_ETH);
    arp->ptype = NET_BE16(NET_ETH_P_IPV4);
    arp->hlen = NET_ETH_ALEN;
    arp->plen = 4;
    arp->op = net_htons(op);
    memcpy(arp->sha, sha, NET_ETH_ALEN);
    arp->spa = spa;
    memcpy(arp->tha, tha, NET_ETH_ALEN);
    arp->tpa = tpa;
}

int net_arp_reply(uint8_t *frame, size_t len, const struct net_hdrs *h,
                  const uint8_t our_mac[NET_ETH_ALEN], uint32_t our_ip)
{
    struct net_eth_hdr *eth = net_hdrs_eth(frame);
    struct net_arp_hdr *arp = net_hdrs_arp(frame, h);
    uint8_t asker[NET_ETH_ALEN];

    if (h->kind != NET_KIND_ARP || (size_t)h->l3_off + NET_ARP_LEN > len)
        return -EINVAL;
    if (arp->op != NET_BE16(NET_ARP_OP_REQUEST))
        return -ENOMSG;
    if (arp->tpa != our_ip)
        return -EADDRNOTAVAIL;
    if (net_mac_is_group(arp->sha))
        return -EHOSTUNREACH;
    /* RFC 826: the reply goes to the sender hardware address. */
    memcpy(asker, arp->sha, NET_ETH_ALEN);
    memcpy(eth->dst, asker, NET_ETH_ALEN);
    memcpy(eth->src, our_mac, NET_ETH_ALEN);
    net_arp_fill(arp, NET_ARP_OP_REPLY, our_mac, our_ip, asker, arp->spa);
    return h->l3_off + NET_ARP_LEN;
}

int net_arp_request_build(uint8_t *frame, size_t cap, const uint8_t our_mac[NET_ETH_ALEN],
                          uint32_t our_ip, uint32_t target_ip)
{
    static const uint8_t unknown[NET_ETH_ALEN];
    struct net_eth_hdr *eth = net_hdrs_eth(frame);

    if (cap < NET_ARP_FRAME_LEN)
        return -ENOSPC;
    memset(eth->dst, 0xff, NET_ETH_ALEN);
    memcpy(eth->src, our_mac, NET_ETH_ALEN);
    eth->type = NET_BE16(NET_ETH_P_ARP);
    net_arp_fill((struct net_arp_hdr *)(frame + NET_ETH_HLEN), NET_ARP_OP_REQUEST, our_mac, our_ip,
                 unknown, target_ip);
    return NET_ARP_FRAME_LEN;
}

int net_icmp_echo_reply(uint8_t *frame, size_t len, const struct net_hdrs *h, uint32_t our_ip)
{
    struct net_eth_hdr *eth = net_hdrs_eth(frame);
    struct net_ipv4_hdr *ip = net_hdrs_ipv4(frame, h);
    struct net_icmp_echo *icmp = net_hdrs_icmp(frame, h);
    uint16_t csum;

    if (h->kind != NET_KIND_ICMP || (size_t)h->payload_off + h->payload_len > len)
        return -EINVAL;
    if (icmp->type != NET_ICMP_ECHO_REQUEST || icmp->code != 0)
        return -ENOMSG;
    if (ip->dst != our_ip || net_mac_is_group(eth->dst))
        return -EADDRNOTAVAIL;
    if (!net_ipv4_is_unicast(ip->src) || net_mac_is_group(eth->src))
        return -EHOSTUNREACH;
    net_eth_swap(eth);
    net_ipv4_turn(ip);
    icmp->type = NET_ICMP_ECHO_REPLY;
    csum = net_csum_update16(icmp->csum, net_word(NET_ICMP_ECHO_REQUEST, 0),
                             net_word(NET_ICMP_ECHO_REPLY, 0));
    /* An all-zero reply (id, seq and payload 0) sums to 0, whose checksum
     * is 0xffff where the update gives 0; 0xffff verifies wherever 0 does. */
    icmp->csum = csum ? csum : 0xffff;
    if (unlikely(h->l4_off - h->l3_off != NET_IPV4_HLEN)) {
        size_t l4_len = (size_t)(h->payload_off - h->l4_off) + h->payload_len;

        net_ipv4_strip(frame, h, l4_len);
        ip->total_len = net_htons((uint16_t)(NET_IPV4_HLEN + l4_len));
        net_ipv4_csum_set(ip);
        return (int)(h->l3_off + NET_IPV4_HLEN + l4_len);
    }
    return h->payload_off + h->payload_len;
}

/* net_udp_reply and net_udp_reply_sum but for the UDP checksum: checks
 * the lengths, turns the frame around (options dropped), writes the new
 * lengths; *udpp: where the UDP header is now. */
static __nfos_always_inline int udp_turn(uint8_t *frame, size_t cap, const struct net_hdrs *h,
                                         size_t payload_len, struct net_udp_hdr **udpp)
{
    struct net_ipv4_hdr *ip = net_hdrs_ipv4(frame, h);
    struct net_udp_hdr *udp = net_hdrs_udp(frame, h);
    size_t opts = (size_t)(h->l4_off - h->l3_off) - NET_IPV4_HLEN;
    uint16_t port, total;

    if (payload_len > NET_IPV4_MAX_LEN - NET_IPV4_HLEN - NET_UDP_HLEN)
        return -EMSGSIZE;
    if (h->payload_off > cap || payload_len > cap - h->payload_off)
        return -ENOSPC;
    net_eth_swap(net_hdrs_eth(frame));
    net_ipv4_turn(ip);
    total = net_htons((uint16_t)(NET_IPV4_HLEN + NET_UDP_HLEN + payload_len));
    ip->csum = net_csum_update16(ip->csum, ip->total_len, total);
    ip->total_len = total;
    if (unlikely(opts)) {
        net_ipv4_strip(frame, h, NET_UDP_HLEN + payload_len);
        net_ipv4_csum_set(ip);
        udp = (struct net_udp_hdr *)((uint8_t *)udp - opts);
    }
    port = udp->sport;
    udp->sport = udp->dport;
    udp->dport = port;
    udp->len = net_htons((uint16_t)(NET_UDP_HLEN + payload_len));
    *udpp = udp;
    return (int)(h->payload_off - opts + payload_len);
}

int net_udp_reply(uint8_t *frame, size_t cap, const struct net_hdrs *h, size_t payload_len,
                  enum net_udp_csum_mode mode)
{
    struct net_ipv4_hdr *ip = net_hdrs_ipv4(frame, h);
    struct net_udp_hdr *udp;
    int len;

    if (h->kind != NET_KIND_UDP || mode > NET_UDP_CSUM_KEEP ||
        (mode == NET_UDP_CSUM_KEEP && payload_len != h->payload_len))
        return -EINVAL;
    len = udp_turn(frame, cap, h, payload_len, &udp);
    if (len < 0)
        return len;
    if (mode == NET_UDP_CSUM_NONE)
        udp->csum = 0;
    else if (mode == NET_UDP_CSUM_FULL)
        net_udp_csum_set(udp, ip->src, ip->dst);
    return len;
}

int net_udp_reply_sum(uint8_t *frame, size_t cap, const struct net_hdrs *h, size_t payload_len,
                      uint32_t payload_sum)
{
    struct net_ipv4_hdr *ip = net_hdrs_ipv4(frame, h);
    size_t ulen = NET_UDP_HLEN + payload_len;
    struct net_udp_hdr *udp;
    uint16_t c;
    int len;

    if (h->kind != NET_KIND_UDP)
        return -EINVAL;
    len = udp_turn(frame, cap, h, payload_len, &udp);
    if (len < 0)
        return len;
    /* The header's words from the fields just stored, not read back as
     * one 8-byte load that would wait for the small stores to land. */
    c = net_csum_fold(
        net_csum_reduce64((uint64_t)net_ipv4_pseudo_sum(ip->src, ip->dst, NET_IP_PROTO_UDP, ulen) +
                          udp->sport + udp->dport + udp->len + payload_sum));
    udp->csum = c ? c : 0xffff;
    return len;
}

int net_udp_build(uint8_t *frame, size_t cap, const struct net_udp_flow *f, size_t payload_len,
                  uint16_t ip_id, bool udp_csum)
{
    struct net_eth_hdr *eth = net_hdrs_eth(frame);
    struct net_ipv4_hdr *ip = (struct net_ipv4_hdr *)(frame + NET_ETH_HLEN);
    struct net_udp_hdr *udp = (struct net_udp_hdr *)(frame + NET_ETH_HLEN + NET_IPV4_HLEN);

    if (payload_len > NET_IPV4_MAX_LEN - NET_IPV4_HLEN - NET_UDP_HLEN)
        return -EMSGSIZE;
    if (cap < NET_UDP_FRAME_HLEN || payload_len > cap - NET_UDP_FRAME_HLEN)
        return -ENOSPC;

    memcpy(eth->dst, f->dst_mac, NET_ETH_ALEN);
    memcpy(eth->src, f->src_mac, NET_ETH_ALEN);
    eth->type = NET_BE16(NET_ETH_P_IPV4);

    ip->ver_ihl = 0x45;
    ip->tos = 0;
    ip->total_len = net_htons((uint16_t)(NET_IPV4_HLEN + NET_UDP_HLEN + payload_len));
    ip->id = net_htons(ip_id);
    ip->frag_off = NET_BE16(NET_IPV4_DF);
    ip->ttl = f->ttl ? f->ttl : NET_IPV4_TTL_DEFAULT;
    ip->proto = NET_IP_PROTO_UDP;
    ip->src = f->src_ip;
    ip->dst = f->dst_ip;
    net_ipv4_csum_set(ip);

    udp->sport = net_htons(f->src_port);
    udp->dport = net_htons(f->dst_port);
    udp->len = net_htons((uint16_t)(NET_UDP_HLEN + payload_len));
    udp->csum = 0;
    if (udp_csum)
        net_udp_csum_set(udp, f->src_ip, f->dst_ip);
    return (int)(NET_UDP_FRAME_HLEN + payload_len);
}
