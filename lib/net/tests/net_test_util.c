/* The reference side of lib/net's tests: a PRNG, the slow checksum, a
 * frame builder and a parser written from the header's contract, byte by
 * byte, sharing no code with lib/net, and the known frames. */
#ifndef NET_TEST_FUZZ /* libFuzzer harnesses take the reference without Criterion */
#include <criterion/criterion.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

/* The fuzz test mallocs and frees three million exactly sized buffers:
 * with ASan's 256 MB quarantine that is mostly page faults. A smaller one
 * still catches reads past the end, which is what the buffers are for. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "quarantine_size_mb=16";
}

uint64_t t_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t t_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)((t_rand(s) >> 32) * n >> 32);
}

void t_fill(uint64_t *s, uint8_t *p, size_t n)
{
    uint64_t r = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (i % 8 == 0)
            r = t_rand(s);
        p[i] = (uint8_t)(r >> (8 * (i % 8)));
    }
}

uint16_t t_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

void t_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void t_put32(uint8_t *p, uint32_t v)
{
    t_put16(p, (uint16_t)(v >> 16));
    t_put16(p + 2, (uint16_t)v);
}

static uint32_t t_sum(const uint8_t *p, size_t n, uint32_t sum)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    return sum;
}

static uint16_t t_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint16_t t_csum(const uint8_t *p, size_t n)
{
    return t_fold(t_sum(p, n, 0));
}

uint16_t t_udp_csum(uint32_t sip, uint32_t dip, const uint8_t *udp, size_t n)
{
    uint8_t ph[12];

    t_put32(ph, sip);
    t_put32(ph + 4, dip);
    ph[8] = 0;
    ph[9] = NET_IP_PROTO_UDP;
    t_put16(ph + 10, (uint16_t)n);
    return t_fold(t_sum(udp, n, t_sum(ph, 12, 0)));
}

static size_t tf_ipv4(uint8_t *p, const struct tf *t)
{
    size_t hlen = 4 * (t->ihl ? t->ihl : 5), l4 = t->payload_len, i;
    uint8_t *q = p + hlen;

    if (t->proto == NET_IP_PROTO_UDP) {
        t_put16(q, t->sport);
        t_put16(q + 2, t->dport);
        t_put16(q + 4, (uint16_t)(8 + t->payload_len));
        t_put16(q + 6, 0);
        if (t->payload_len)
            memcpy(q + 8, t->payload, t->payload_len);
        l4 += 8;
        if (t->udp_csum) {
            uint16_t c = t_udp_csum(t->sip, t->dip, q, l4);

            t_put16(q + 6, c ? c : 0xffff);
        }
    } else if (t->proto == NET_IP_PROTO_ICMP) {
        q[0] = t->icmp_type;
        q[1] = t->icmp_code;
        t_put16(q + 2, 0);
        t_put16(q + 4, t->icmp_id);
        t_put16(q + 6, t->icmp_seq);
        if (t->payload_len)
            memcpy(q + 8, t->payload, t->payload_len);
        l4 += 8;
        t_put16(q + 2, t_csum(q, l4));
    } else {
        if (t->payload_len)
            memcpy(q, t->payload, t->payload_len);
    }
    p[0] = (uint8_t)(0x40 | hlen / 4);
    p[1] = t->tos;
    t_put16(p + 2, (uint16_t)(hlen + l4));
    t_put16(p + 4, t->id);
    t_put16(p + 6, t->frag);
    p[8] = t->ttl;
    p[9] = t->proto;
    t_put16(p + 10, 0);
    t_put32(p + 12, t->sip);
    t_put32(p + 16, t->dip);
    for (i = 20; i < hlen; i++)
        p[i] = 1; /* NOP */
    t_put16(p + 10, t_csum(p, hlen));
    return hlen + l4;
}

size_t tf_build(uint8_t *buf, const struct tf *t)
{
    size_t off = 12, n;

    memcpy(buf, t->dst, 6);
    memcpy(buf + 6, t->src, 6);
    if (t->vid >= 0) {
        t_put16(buf + off, 0x8100);
        t_put16(buf + off + 2, (uint16_t)t->vid);
        off += 4;
    }
    t_put16(buf + off, t->ethertype);
    off += 2;
    if (t->ethertype == NET_ETH_P_ARP) {
        uint8_t *a = buf + off;

        t_put16(a, 1);
        t_put16(a + 2, 0x0800);
        a[4] = 6;
        a[5] = 4;
        t_put16(a + 6, t->arp_op);
        memcpy(a + 8, t->sha, 6);
        t_put32(a + 14, t->sip);
        memcpy(a + 18, t->tha, 6);
        t_put32(a + 24, t->dip);
        n = 28;
    } else if (t->ethertype == NET_ETH_P_IPV4) {
        n = tf_ipv4(buf + off, t);
    } else {
        if (t->payload_len)
            memcpy(buf + off, t->payload, t->payload_len);
        n = t->payload_len;
    }
    memset(buf + off + n, 0, t->pad);
    return off + n + t->pad;
}

static int t_parse_l4(const uint8_t *ip, const uint8_t *l4, size_t n, struct net_hdrs *h,
                      unsigned flags)
{
    bool check = !(flags & NET_PARSE_L4_CSUM_OK);
    size_t ulen;

    if (ip[9] == NET_IP_PROTO_ICMP) {
        if (n < 8)
            return -NET_ERR_ICMP_TRUNC;
        if (check && t_csum(l4, n) != 0)
            return -NET_ERR_ICMP_CSUM;
        h->kind = NET_KIND_ICMP;
        h->payload_off = h->l4_off + 8;
        h->payload_len = (uint32_t)(n - 8);
        return NET_KIND_ICMP;
    }
    if (n < 8)
        return -NET_ERR_UDP_TRUNC;
    ulen = t_get16(l4 + 4);
    if (ulen < 8)
        return -NET_ERR_UDP_LEN_SHORT;
    if (ulen > n)
        return -NET_ERR_UDP_LEN_LONG;
    if (check && t_get16(l4 + 6) != 0) {
        uint32_t sip = (uint32_t)t_get16(ip + 12) << 16 | t_get16(ip + 14);
        uint32_t dip = (uint32_t)t_get16(ip + 16) << 16 | t_get16(ip + 18);

        if (t_udp_csum(sip, dip, l4, ulen) != 0)
            return -NET_ERR_UDP_CSUM;
    }
    h->kind = NET_KIND_UDP;
    h->payload_off = h->l4_off + 8;
    h->payload_len = (uint32_t)(ulen - 8);
    return NET_KIND_UDP;
}

static int t_parse_ipv4(const uint8_t *f, size_t len, struct net_hdrs *h, unsigned flags)
{
    const uint8_t *ip = f + h->l3_off;
    size_t avail = len - h->l3_off, hlen, total;

    if (avail < 20)
        return -NET_ERR_IPV4_TRUNC;
    if (ip[0] >> 4 != 4)
        return -NET_ERR_IPV4_VERSION;
    hlen = (ip[0] & 15) * 4u;
    if (hlen < 20)
        return -NET_ERR_IPV4_IHL;
    total = t_get16(ip + 2);
    if (total < hlen)
        return -NET_ERR_IPV4_LEN_SHORT;
    if (total > avail)
        return -NET_ERR_IPV4_LEN_LONG;
    if (!(flags & NET_PARSE_IPV4_CSUM_OK) && t_csum(ip, hlen) != 0)
        return -NET_ERR_IPV4_CSUM;
    h->ip_proto = ip[9];
    h->l4_off = (uint16_t)(h->l3_off + hlen);
    h->payload_off = h->l4_off;
    h->payload_len = (uint32_t)(total - hlen);
    if (t_get16(ip + 6) & 0x3fff)
        h->kind = NET_KIND_IPV4_FRAG;
    else if (ip[9] == NET_IP_PROTO_UDP || ip[9] == NET_IP_PROTO_ICMP)
        return t_parse_l4(ip, ip + hlen, total - hlen, h, flags);
    else
        h->kind = NET_KIND_IPV4_OTHER;
    return h->kind;
}

int t_parse(const uint8_t *f, size_t len, struct net_hdrs *h, unsigned flags)
{
    const uint8_t *a;

    memset(h, 0, sizeof(*h));
    if (len < 14)
        return -NET_ERR_ETH_TRUNC;
    h->ethertype = t_get16(f + 12);
    h->l3_off = 14;
    if (h->ethertype == 0x8100) {
        if (len < 18)
            return -NET_ERR_VLAN_TRUNC;
        h->vlan = 1;
        h->vlan_tci = t_get16(f + 14);
        h->ethertype = t_get16(f + 16);
        h->l3_off = 18;
    }
    if (h->ethertype == 0x0800)
        return t_parse_ipv4(f, len, h, flags);
    h->l4_off = h->l3_off;
    if (h->ethertype != 0x0806) {
        h->kind = NET_KIND_OTHER;
        h->payload_off = h->l3_off;
        h->payload_len = (uint32_t)(len - h->l3_off);
        return NET_KIND_OTHER;
    }
    a = f + h->l3_off;
    if (len - h->l3_off < 28)
        return -NET_ERR_ARP_TRUNC;
    if (t_get16(a) != 1)
        return -NET_ERR_ARP_HTYPE;
    if (t_get16(a + 2) != 0x0800)
        return -NET_ERR_ARP_PTYPE;
    if (a[4] != 6)
        return -NET_ERR_ARP_HLEN;
    if (a[5] != 4)
        return -NET_ERR_ARP_PLEN;
    if (t_get16(a + 6) != 1 && t_get16(a + 6) != 2)
        return -NET_ERR_ARP_OP;
    h->kind = NET_KIND_ARP;
    h->payload_off = h->l3_off + 28;
    h->payload_len = 0;
    return NET_KIND_ARP;
}

void t_fix_csums(uint8_t *f, size_t len)
{
    size_t l3 = 14, hlen, total, ulen;
    uint8_t *ip, *l4;

    if (len >= 18 && t_get16(f + 12) == 0x8100)
        l3 = 18;
    if (len < l3 + 20 || t_get16(f + l3 - 2) != 0x0800)
        return;
    ip = f + l3;
    hlen = (ip[0] & 15) * 4u;
    total = t_get16(ip + 2);
    if (hlen < 20 || l3 + hlen > len)
        return;
    t_put16(ip + 10, 0);
    t_put16(ip + 10, t_csum(ip, hlen));
    if (total < hlen || l3 + total > len)
        return;
    l4 = ip + hlen;
    if (ip[9] == NET_IP_PROTO_ICMP && total - hlen >= 8) {
        t_put16(l4 + 2, 0);
        t_put16(l4 + 2, t_csum(l4, total - hlen));
    } else if (ip[9] == NET_IP_PROTO_UDP && total - hlen >= 8) {
        ulen = t_get16(l4 + 4);
        if (ulen >= 8 && ulen <= total - hlen) {
            uint32_t sip = (uint32_t)t_get16(ip + 12) << 16 | t_get16(ip + 14);
            uint32_t dip = (uint32_t)t_get16(ip + 16) << 16 | t_get16(ip + 18);
            uint16_t c;

            t_put16(l4 + 6, 0);
            c = t_udp_csum(sip, dip, l4, ulen);
            t_put16(l4 + 6, c ? c : 0xffff);
        }
    }
}

#ifndef NET_TEST_FUZZ
uint8_t *t_exact(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len);

    cr_assert(p != NULL || len == 0);
    if (len)
        memcpy(p, src, len);
    return p;
}

void t_assert_hdrs_equal(const struct net_hdrs *a, const struct net_hdrs *b)
{
    cr_assert_eq(a->kind, b->kind);
    cr_assert_eq(a->vlan, b->vlan);
    cr_assert_eq(a->ip_proto, b->ip_proto, "ip_proto %u vs %u", a->ip_proto, b->ip_proto);
    cr_assert_eq(a->vlan_tci, b->vlan_tci);
    cr_assert_eq(a->ethertype, b->ethertype);
    cr_assert_eq(a->l3_off, b->l3_off);
    cr_assert_eq(a->l4_off, b->l4_off, "l4_off %u vs %u", a->l4_off, b->l4_off);
    cr_assert_eq(a->payload_off, b->payload_off, "payload_off %u vs %u", a->payload_off,
                 b->payload_off);
    cr_assert_eq(a->payload_len, b->payload_len, "payload_len %u vs %u", a->payload_len,
                 b->payload_len);
}
#endif

const uint8_t t_mac_a[6] = { 0x02, 0, 0, 0, 0, 0x01 };
const uint8_t t_mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* Output of `python3 lib/net/tests/frames.py`. */
/* ARP who-has 10.0.0.1 tell 10.0.0.2 from 52:54:00:12:34:56, padded to 60 */
const uint8_t kf_arp_request[60] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06, 0x00,
    0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00,
    0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* its answer from 02:00:00:00:00:01 (no padding) */
const uint8_t kf_arp_reply_expect[42] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a, 0x00, 0x00, 0x02,
};
/* gratuitous ARP request for 10.0.0.1 from 02:00:00:00:00:01 */
const uint8_t kf_arp_gratuitous[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
};
/* ICMP echo request 10.0.0.2 -> 10.0.0.1, id 0x1234 seq 1, "hello", TTL 63, padded to 60: IPv4 csum
 * 0x68ea, ICMP csum 0xa1f8 */
const uint8_t kf_icmp_request[60] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00, 0x45,
    0x00, 0x00, 0x21, 0xbe, 0xef, 0x40, 0x00, 0x3f, 0x01, 0x68, 0xea, 0x0a, 0x00, 0x00, 0x02,
    0x0a, 0x00, 0x00, 0x01, 0x08, 0x00, 0xa1, 0xf8, 0x12, 0x34, 0x00, 0x01, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
/* its echo reply (TTL 64, no padding): IPv4 csum 0x67ea, ICMP csum 0xa9f8 */
const uint8_t kf_icmp_reply_expect[47] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x21, 0xbe, 0xef, 0x40, 0x00, 0x40, 0x01, 0x67, 0xea, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x02, 0x00, 0x00, 0xa9, 0xf8, 0x12, 0x34, 0x00, 0x01, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
/* UDP 10.0.0.2:5000 -> 10.0.0.1:7 "hello", DF, id 1: IPv4 csum 0x26c9, UDP csum 0x9470 */
const uint8_t kf_udp_hello[47] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x21, 0x00, 0x01, 0x40, 0x00, 0x40, 0x11, 0x26, 0xc9, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00,
    0x00, 0x01, 0x13, 0x88, 0x00, 0x07, 0x00, 0x0d, 0x94, 0x70, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
};
/* UDP 10.0.0.1:7 -> 10.0.0.2:5000 "world!", DF, id 0x4242: IPv4 csum 0xe486, UDP csum 0x8a43 */
const uint8_t kf_udp_built[48] = {
    0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x22, 0x42, 0x42, 0x40, 0x00, 0x40, 0x11, 0xe4, 0x86, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x02, 0x00, 0x07, 0x13, 0x88, 0x00, 0x0e, 0x8a, 0x43, 0x77, 0x6f, 0x72, 0x6c, 0x64, 0x21,
};
/* VLAN PCP 1 VID 100, IPv4 with router alert option (IHL 6), UDP 192.168.1.10:1234 ->
 * 192.168.1.20:4321 no checksum: IPv4 csum 0x6155 */
const uint8_t kf_udp_vlan_opts[53] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x81, 0x00,
    0x20, 0x64, 0x08, 0x00, 0x46, 0x00, 0x00, 0x23, 0x01, 0x02, 0x00, 0x00, 0x40, 0x11,
    0x61, 0x55, 0xc0, 0xa8, 0x01, 0x0a, 0xc0, 0xa8, 0x01, 0x14, 0x94, 0x04, 0x00, 0x00,
    0x04, 0xd2, 0x10, 0xe1, 0x00, 0x0b, 0x00, 0x00, 0x01, 0x02, 0x03,
};
/* TCP (header only, checksum not checked) 10.0.0.2 -> 10.0.0.1: IPv4 csum 0x26c7 */
const uint8_t kf_tcp_syn[54] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x28, 0x00, 0x07, 0x40, 0x00, 0x40, 0x06, 0x26, 0xc7, 0x0a, 0x00,
    0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
};
/* first fragment (MF) of a UDP datagram, 16 bytes of it: IPv4 csum 0x46be */
const uint8_t kf_udp_first_frag[50] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08,
    0x00, 0x45, 0x00, 0x00, 0x24, 0x00, 0x09, 0x20, 0x00, 0x40, 0x11, 0x46, 0xbe,
    0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x01, 0x13, 0x88, 0x00, 0x07, 0x00,
    0x18, 0x14, 0x69, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78, 0x78,
};
/* IPv6 (kind OTHER) */
const uint8_t kf_ipv6[62] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x86, 0xdd, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

const struct t_known t_known_frames[] = {
    { "arp_request", kf_arp_request, sizeof(kf_arp_request), NET_KIND_ARP, 42 },
    { "arp_reply", kf_arp_reply_expect, sizeof(kf_arp_reply_expect), NET_KIND_ARP, 42 },
    { "icmp_request", kf_icmp_request, sizeof(kf_icmp_request), NET_KIND_ICMP, 47 },
    { "icmp_reply", kf_icmp_reply_expect, sizeof(kf_icmp_reply_expect), NET_KIND_ICMP, 47 },
    { "udp_hello", kf_udp_hello, sizeof(kf_udp_hello), NET_KIND_UDP, 47 },
    { "udp_built", kf_udp_built, sizeof(kf_udp_built), NET_KIND_UDP, 48 },
    { "udp_vlan_opts", kf_udp_vlan_opts, sizeof(kf_udp_vlan_opts), NET_KIND_UDP, 53 },
    { "tcp_syn", kf_tcp_syn, sizeof(kf_tcp_syn), NET_KIND_IPV4_OTHER, 54 },
    { "udp_first_frag", kf_udp_first_frag, sizeof(kf_udp_first_frag), NET_KIND_IPV4_FRAG, 50 },
    { "ipv6", kf_ipv6, sizeof(kf_ipv6), NET_KIND_OTHER, 62 },
};
const size_t t_known_count = sizeof(t_known_frames) / sizeof(t_known_frames[0]);
