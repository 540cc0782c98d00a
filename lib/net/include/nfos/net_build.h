/* net frame building: ARP, ICMP echo and UDP replies rewritten in place
 * over a parsed request, ARP requests and UDP frames built from scratch.
 * Fast path. */
#ifndef NFOS_NET_BUILD_H
#define NFOS_NET_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/net_parse.h>
#include <nfos/net_wire.h>

/* --- Building frames (fast path) ---------------------------------------- */

/* The in-place reply functions take a frame and the *h net_frame_parse
 * filled for it (unchanged), rewrite the frame into the answer and return
 * its length (Ethernet padding dropped, a VLAN tag kept; IPv4 options are
 * never echoed: the reply has a 20-byte IPv4 header, its ICMP or UDP part
 * moved up over the options, because a source route or record route option
 * copied into a reply would steer it or make it grow), or leave it
 * untouched and return:
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
 * ports swapped, TTL NET_IPV4_TTL_DEFAULT, IPv4 options dropped (the UDP
 * header and payload move up over them), and a payload of payload_len
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

#endif /* NFOS_NET_BUILD_H */
