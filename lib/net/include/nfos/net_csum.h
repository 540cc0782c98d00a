/* net checksums: the internet checksum (full, partial, RFC 1624
 * incremental) and the IPv4 and UDP ones over their pseudo-header. Fast
 * path. */
#ifndef NFOS_NET_CSUM_H
#define NFOS_NET_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <nfos/compiler.h>
#include <nfos/net_wire.h>

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

/* The checksum of an IPv4 header of hlen bytes (readable, the caller has
 * checked): 0 when the stored checksum is right. The usual 20 bytes as
 * five 32-bit words summed inline, not a call. */
static inline uint16_t net_ipv4_csum_len(const void *ip, size_t hlen)
{
    uint32_t w[5];

    if (likely(hlen == NET_IPV4_HLEN)) {
        memcpy(w, ip, sizeof(w));
        return net_csum_fold(net_csum_reduce64((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]));
    }
    return net_csum(ip, hlen);
}

/* The checksum of an IPv4 header of IHL * 4 bytes (the caller has checked
 * that they are readable): 0 when the stored checksum is right. */
static inline uint16_t net_ipv4_csum(const struct net_ipv4_hdr *ip)
{
    return net_ipv4_csum_len(ip, (size_t)(ip->ver_ihl & 0xf) * 4);
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

#endif /* NFOS_NET_CSUM_H */
