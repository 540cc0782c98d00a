/* Shared by lib/net's unit tests: a seeded PRNG, an independent reference
 * (checksum, frame builder, parser) written the plain way, byte by byte,
 * and frames whose bytes and checksums were computed outside this code. */
#ifndef NET_TEST_H
#define NET_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nfos/net_build.h>
#include <nfos/net_csum.h>
#include <nfos/net_parse.h>
#include <nfos/net_reasm.h>
#include <nfos/net_text.h>
#include <nfos/net_wire.h>

/* splitmix64: deterministic, seeded per test. */
uint64_t t_rand(uint64_t *state);
/* Uniform in [0, n), n > 0. */
uint32_t t_below(uint64_t *state, uint32_t n);
void t_fill(uint64_t *state, uint8_t *p, size_t n);

/* Big-endian 16/32-bit fields. */
uint16_t t_get16(const uint8_t *p);
void t_put16(uint8_t *p, uint16_t v);
void t_put32(uint8_t *p, uint32_t v);

/* RFC 1071 the slow way: the one's complement of the sum of big-endian
 * words, as a number (net_ntohs of what the library stores). */
uint16_t t_csum(const uint8_t *p, size_t n);
/* The same over a UDP datagram and its pseudo-header (addresses host order). */
uint16_t t_udp_csum(uint32_t sip, uint32_t dip, const uint8_t *udp, size_t n);

/* A frame to build, all numbers in host order. ethertype picks the layout:
 * ARP, IPv4 (UDP, ICMP or raw payload after the IPv4 header) or raw. */
struct tf {
    uint8_t dst[6], src[6];
    int vid; /* -1: untagged, else the whole TCI */
    uint16_t ethertype;
    unsigned ihl; /* 5..15, options are NOPs; 0 means 5 */
    uint8_t tos, ttl, proto;
    uint16_t id, frag;
    uint32_t sip, dip; /* also ARP spa, tpa */
    uint16_t sport, dport;
    bool udp_csum;
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id, icmp_seq;
    uint16_t arp_op;
    uint8_t sha[6], tha[6];
    const uint8_t *payload;
    size_t payload_len;
    size_t pad; /* zero bytes after the packet */
};

/* Writes the frame into buf (large enough); returns its length. */
size_t tf_build(uint8_t *buf, const struct tf *t);

/* The parser as the header specifies it, written independently. */
int t_parse(const uint8_t *f, size_t len, struct net_hdrs *h, unsigned flags);

/* Recomputes every checksum that lies whole inside f[0 .. len), the way a
 * well-meaning sender would, so that mutated fields reach deeper checks. */
void t_fix_csums(uint8_t *f, size_t len);

/* A malloc'ed copy of exactly len bytes (ASan then catches any read past
 * the end); free() it. */
uint8_t *t_exact(const uint8_t *src, size_t len);

void t_assert_hdrs_equal(const struct net_hdrs *a, const struct net_hdrs *b);

/* Frames computed outside this code (tests/frames.py), see net_test_util.c. */
struct t_known {
    const char *name;
    const uint8_t *bytes;
    size_t len;
    int kind;
    size_t end; /* where the IPv4 packet or ARP ends; len for OTHER */
};

extern const uint8_t kf_arp_request[60], kf_arp_reply_expect[42], kf_arp_gratuitous[42];
extern const uint8_t kf_icmp_request[60], kf_icmp_reply_expect[47];
extern const uint8_t kf_udp_hello[47], kf_udp_built[48], kf_udp_vlan_opts[53];
extern const uint8_t kf_tcp_syn[54], kf_udp_first_frag[50], kf_ipv6[62];

extern const struct t_known t_known_frames[];
extern const size_t t_known_count;

/* The addresses the known frames use. */
extern const uint8_t t_mac_a[6]; /* 02:00:00:00:00:01, 10.0.0.1 ("us") */
extern const uint8_t t_mac_b[6]; /* 52:54:00:12:34:56, 10.0.0.2 */
#define T_IP_A NET_IPV4(10, 0, 0, 1)
#define T_IP_B NET_IPV4(10, 0, 0, 2)

#endif /* NET_TEST_H */
