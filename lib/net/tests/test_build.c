/* The frame writers: each result compared byte for byte with the known
 * frames or with what the reference builder makes of the same fields, each
 * refusal with its errno and an untouched frame. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

#define IP_A 0x0a000001 /* host order, for struct tf */
#define IP_B 0x0a000002

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void parse_ok(const uint8_t *f, size_t len, struct net_hdrs *h, int kind)
{
    cr_assert_eq(net_frame_parse(f, len, h, 0), kind);
}

/* Calls a reply function through fn on an exactly sized copy; on failure
 * the frame must be as it was. Returns the copy (free it) and rc. */
typedef int (*reply_fn)(uint8_t *f, size_t len, const struct net_hdrs *h);

static uint8_t *try_reply(const uint8_t *f, size_t len, reply_fn fn, int *rc)
{
    uint8_t *copy = t_exact(f, len);
    struct net_hdrs h;

    cr_assert_geq(net_frame_parse(copy, len, &h, 0), 0);
    *rc = fn(copy, len, &h);
    if (*rc < 0)
        cr_assert_eq(memcmp(copy, f, len), 0, "a refused frame is untouched");
    return copy;
}

/* The reply to f must be want[0 .. wn), byte for byte. */
static void expect_reply(const uint8_t *f, size_t len, reply_fn fn, const uint8_t *want, size_t wn)
{
    uint8_t *g;
    int rc;

    g = try_reply(f, len, fn, &rc);
    cr_assert_eq(rc, wn, "reply length %d, want %zu", rc, wn);
    cr_assert_eq(memcmp(g, want, wn), 0);
    free(g);
}

static void expect_refusal(const uint8_t *f, size_t len, reply_fn fn, int err, const char *what)
{
    int rc;

    free(try_reply(f, len, fn, &rc));
    cr_assert_eq(rc, err, "%s: %d", what, rc);
}

static int arp_reply_a(uint8_t *f, size_t len, const struct net_hdrs *h)
{
    return net_arp_reply(f, len, h, t_mac_a, T_IP_A);
}

static int icmp_reply_a(uint8_t *f, size_t len, const struct net_hdrs *h)
{
    return net_icmp_echo_reply(f, len, h, T_IP_A);
}

static int udp_keep(uint8_t *f, size_t len, const struct net_hdrs *h)
{
    return net_udp_reply(f, len, h, h->payload_len, NET_UDP_CSUM_KEEP);
}

static struct tf arp_tf(int vid, uint16_t op, const uint8_t *sha, uint32_t spa, uint32_t tpa)
{
    struct tf t = { .vid = vid, .ethertype = NET_ETH_P_ARP, .arp_op = op, .sip = spa, .dip = tpa };

    memcpy(t.dst, bcast, 6);
    memcpy(t.src, sha, 6);
    memcpy(t.sha, sha, 6);
    return t;
}

static void arp_reply_known_frame(void)
{
    expect_reply(kf_arp_request, sizeof(kf_arp_request), arp_reply_a, kf_arp_reply_expect,
                 sizeof(kf_arp_reply_expect));
}

static void arp_reply_tagged_and_probe(void)
{
    uint8_t req[64], want[64];
    struct tf t = arp_tf(0x0123, NET_ARP_OP_REQUEST, t_mac_b, 0, IP_A);
    size_t n = tf_build(req, &t);

    /* A probe (RFC 5227: sender 0.0.0.0) from a tagged port. */
    t.arp_op = NET_ARP_OP_REPLY;
    memcpy(t.dst, t_mac_b, 6);
    memcpy(t.src, t_mac_a, 6);
    memcpy(t.sha, t_mac_a, 6);
    memcpy(t.tha, t_mac_b, 6);
    t.sip = IP_A;
    t.dip = 0;
    expect_reply(req, n, arp_reply_a, want, tf_build(want, &t));
}

static void arp_reply_refusals(void)
{
    uint8_t req[64], grp[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
    struct tf t = arp_tf(-1, NET_ARP_OP_REPLY, t_mac_b, IP_B, IP_A);
    size_t n = tf_build(req, &t);
    uint8_t *f;
    struct net_hdrs h;

    expect_refusal(req, n, arp_reply_a, -ENOMSG, "a reply");
    t = arp_tf(-1, NET_ARP_OP_REQUEST, t_mac_b, IP_B, IP_B);
    n = tf_build(req, &t);
    expect_refusal(req, n, arp_reply_a, -EADDRNOTAVAIL, "for someone else");
    t = arp_tf(-1, NET_ARP_OP_REQUEST, grp, IP_B, IP_A);
    n = tf_build(req, &t);
    expect_refusal(req, n, arp_reply_a, -EHOSTUNREACH, "from a group MAC");
    expect_refusal(kf_udp_hello, sizeof(kf_udp_hello), arp_reply_a, -EINVAL, "not ARP");

    f = t_exact(kf_arp_request, sizeof(kf_arp_request));
    parse_ok(f, sizeof(kf_arp_request), &h, NET_KIND_ARP);
    cr_assert_eq(net_arp_reply(f, 41, &h, t_mac_a, T_IP_A), -EINVAL, "h past len");
    free(f);
}

static void arp_request(void)
{
    uint8_t *f = malloc(NET_ARP_FRAME_LEN), want[64];
    struct tf t = arp_tf(-1, NET_ARP_OP_REQUEST, t_mac_a, IP_A, IP_B);
    size_t wn = tf_build(want, &t);

    cr_assert_eq(net_arp_request_build(f, NET_ARP_FRAME_LEN, t_mac_a, T_IP_A, T_IP_A),
                 NET_ARP_FRAME_LEN);
    cr_assert_eq(memcmp(f, kf_arp_gratuitous, NET_ARP_FRAME_LEN), 0, "gratuitous");
    cr_assert_eq(net_arp_request_build(f, NET_ARP_FRAME_LEN, t_mac_a, T_IP_A, T_IP_B), wn);
    cr_assert_eq(memcmp(f, want, wn), 0, "who-has 10.0.0.2");
    free(f);

    f = malloc(NET_ARP_FRAME_LEN - 1);
    cr_assert_eq(net_arp_request_build(f, NET_ARP_FRAME_LEN - 1, t_mac_a, T_IP_A, T_IP_B), -ENOSPC);
    free(f);
}

Test(build, arp)
{
    arp_reply_known_frame();
    arp_reply_tagged_and_probe();
    arp_reply_refusals();
    arp_request();
}

static void icmp_echo_reply_known_frame(void)
{
    expect_reply(kf_icmp_request, sizeof(kf_icmp_request), icmp_reply_a, kf_icmp_reply_expect,
                 sizeof(kf_icmp_reply_expect));
}

static struct tf icmp_tf(uint64_t *seed, const uint8_t *payload, size_t len)
{
    struct tf t = { .vid = t_below(seed, 2) ? -1 : (int)t_below(seed, 0x10000),
                    .ethertype = NET_ETH_P_IPV4,
                    .ihl = 5 + t_below(seed, 3),
                    .tos = (uint8_t)t_rand(seed),
                    .ttl = (uint8_t)t_rand(seed),
                    .proto = NET_IP_PROTO_ICMP,
                    .id = (uint16_t)t_rand(seed),
                    .frag = t_below(seed, 2) ? NET_IPV4_DF : 0,
                    .sip = IP_B,
                    .dip = IP_A,
                    .icmp_type = NET_ICMP_ECHO_REQUEST,
                    .icmp_id = (uint16_t)t_rand(seed),
                    .icmp_seq = (uint16_t)t_rand(seed),
                    .payload = payload,
                    .payload_len = len,
                    .pad = t_below(seed, 3) };

    memcpy(t.dst, t_mac_a, 6);
    memcpy(t.src, t_mac_b, 6);
    return t;
}

/* Byte for byte, but for an ICMP checksum of 0, which may be 0xffff. */
static void same_icmp_reply(const uint8_t *got, const uint8_t *want, size_t n, size_t icmp)
{
    uint16_t c = t_get16(got + icmp + 2), w = t_get16(want + icmp + 2);

    cr_assert_eq(memcmp(got, want, icmp + 2), 0);
    cr_assert(c == w || (w == 0 && c == 0xffff), "ICMP checksum %04x, want %04x", c, w);
    cr_assert_eq(memcmp(got + icmp + 4, want + icmp + 4, n - icmp - 4), 0);
}

static void icmp_echo_reply_every_payload_length(void)
{
    uint8_t payload[600], req[700], want[700], *f;
    uint64_t seed = 10;
    size_t len, n, wn;
    int rc;

    t_fill(&seed, payload, sizeof(payload));
    for (len = 0; len <= sizeof(payload); len++) {
        struct tf t = icmp_tf(&seed, payload, len);

        n = tf_build(req, &t);
        t.pad = 0;
        memcpy(t.dst, t_mac_b, 6);
        memcpy(t.src, t_mac_a, 6);
        t.sip = IP_A;
        t.dip = IP_B;
        t.ttl = NET_IPV4_TTL_DEFAULT;
        t.icmp_type = NET_ICMP_ECHO_REPLY;
        t.ihl = 5; /* options are never echoed */
        wn = tf_build(want, &t);
        f = try_reply(req, n, icmp_reply_a, &rc);
        cr_assert_eq(rc, wn, "payload %zu", len);
        same_icmp_reply(f, want, wn, wn - len - 8);
        free(f);
    }
}

static void icmp_echo_reply_all_zero(void)
{
    struct tf t = { .vid = -1,
                    .ethertype = NET_ETH_P_IPV4,
                    .ttl = 1,
                    .proto = NET_IP_PROTO_ICMP,
                    .sip = IP_B,
                    .dip = IP_A,
                    .icmp_type = NET_ICMP_ECHO_REQUEST };
    uint8_t req[64], *f;
    struct net_hdrs h;
    int rc;

    memcpy(t.dst, t_mac_a, 6);
    memcpy(t.src, t_mac_b, 6);
    /* id 0, seq 0, no payload: the reply's ICMP bytes are all zero. */
    f = try_reply(req, tf_build(req, &t), icmp_reply_a, &rc);
    cr_assert_eq(rc, 14 + 20 + 8);
    cr_assert_eq(t_get16(f + 36), 0xffff);
    cr_assert_eq(net_frame_parse(f, (size_t)rc, &h, 0), NET_KIND_ICMP);
    free(f);
}

static void icmp_echo_reply_refusals(void)
{
    uint8_t payload[3] = { 1, 2, 3 }, req[128];
    uint64_t seed = 11;
    struct tf t = icmp_tf(&seed, payload, sizeof(payload)), base = t;
    static const uint32_t bad_src[] = { 0, 0xffffffff, 0xe0000001, 0xf0000001 };
    size_t i;

    t.icmp_type = NET_ICMP_ECHO_REPLY;
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -ENOMSG, "an echo reply");
    t = base;
    t.icmp_type = 3; /* destination unreachable */
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -ENOMSG, "unreachable");
    t = base;
    t.icmp_code = 1;
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -ENOMSG, "code 1");
    t = base;
    t.dip = IP_B;
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -EADDRNOTAVAIL, "another IP");
    t = base;
    memcpy(t.dst, bcast, 6);
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -EADDRNOTAVAIL, "broadcast MAC");
    for (i = 0; i < NFOS_ARRAY_SIZE(bad_src); i++) {
        t = base;
        t.sip = bad_src[i];
        expect_refusal(req, tf_build(req, &t), icmp_reply_a, -EHOSTUNREACH, "bad source IP");
    }
    t = base;
    t.src[0] |= 1;
    expect_refusal(req, tf_build(req, &t), icmp_reply_a, -EHOSTUNREACH, "group source MAC");
    expect_refusal(kf_udp_hello, sizeof(kf_udp_hello), icmp_reply_a, -EINVAL, "not ICMP");
}

/* A loose source route (and a record route) in a request: the reply must
 * not carry them, or it would travel the route the sender chose. */
static void icmp_echo_reply_drops_source_route(void)
{
    static const uint8_t opts[12] = { 0x83, 7, 4, 192, 168, 9, 9, 7, 3, 4, 0, 0 };
    uint8_t payload[32] = "a reply takes no route of ours", req[128], *f;
    uint64_t seed = 14;
    struct tf t = icmp_tf(&seed, payload, sizeof(payload));
    struct net_hdrs h;
    size_t n;
    int rc;

    t.vid = -1;
    t.ihl = 8;
    t.pad = 0;
    n = tf_build(req, &t);
    memcpy(req + 14 + 20, opts, sizeof(opts));
    t_fix_csums(req, n);
    f = try_reply(req, n, icmp_reply_a, &rc);
    cr_assert_eq(rc, 14 + 20 + 8 + 32);
    cr_assert_eq(net_frame_parse(f, (size_t)rc, &h, 0), NET_KIND_ICMP);
    cr_assert_eq(h.l4_off, 14 + 20, "no options");
    cr_assert_eq(f[h.l4_off], NET_ICMP_ECHO_REPLY);
    cr_assert_eq(memcmp(f + h.payload_off, payload, sizeof(payload)), 0);
    free(f);
}

Test(build, icmp)
{
    icmp_echo_reply_known_frame();
    icmp_echo_reply_every_payload_length();
    icmp_echo_reply_all_zero();
    icmp_echo_reply_refusals();
    icmp_echo_reply_drops_source_route();
}

static struct tf udp_tf(int vid, unsigned ihl, const uint8_t *payload, size_t len, bool csum)
{
    struct tf t = { .vid = vid,
                    .ethertype = NET_ETH_P_IPV4,
                    .ihl = ihl,
                    .ttl = NET_IPV4_TTL_DEFAULT,
                    .proto = NET_IP_PROTO_UDP,
                    .id = 0x4242,
                    .frag = NET_IPV4_DF,
                    .sip = IP_A,
                    .dip = IP_B,
                    .sport = 7,
                    .dport = 5000,
                    .udp_csum = csum,
                    .payload = payload,
                    .payload_len = len };

    memcpy(t.dst, t_mac_b, 6);
    memcpy(t.src, t_mac_a, 6);
    return t;
}

static const struct net_udp_flow flow_ab = {
    .src_mac = { 0x02, 0, 0, 0, 0, 0x01 },
    .dst_mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
    .src_ip = T_IP_A,
    .dst_ip = T_IP_B,
    .src_port = 7,
    .dst_port = 5000,
};

static void udp_build_known_frame(void)
{
    uint8_t *f = malloc(sizeof(kf_udp_built));

    memcpy(f + NET_UDP_FRAME_HLEN, "world!", 6);
    cr_assert_eq(net_udp_build(f, sizeof(kf_udp_built), &flow_ab, 6, 0x4242, true),
                 sizeof(kf_udp_built));
    cr_assert_eq(memcmp(f, kf_udp_built, sizeof(kf_udp_built)), 0);
    free(f);
}

static void udp_build_every_payload_length(void)
{
    static uint8_t payload[1500], f[1600], want[1600];
    struct net_udp_flow fl = flow_ab;
    uint64_t seed = 12;
    size_t len, wn;

    t_fill(&seed, payload, sizeof(payload));
    for (len = 0; len <= sizeof(payload); len++) {
        bool csum = len & 1;
        struct tf t = udp_tf(-1, 5, payload, len, csum);

        t.ttl = (uint8_t)(1 + t_below(&seed, 255));
        t.id = (uint16_t)t_rand(&seed);
        fl.ttl = t.ttl;
        wn = tf_build(want, &t);
        memcpy(f + NET_UDP_FRAME_HLEN, payload, len);
        cr_assert_eq(net_udp_build(f, NET_UDP_FRAME_HLEN + len, &fl, len, t.id, csum), wn);
        cr_assert_eq(memcmp(f, want, wn), 0, "payload %zu", len);
    }
}

static void udp_build_limits(void)
{
    size_t max = NET_IPV4_MAX_LEN - 28, cap = NET_UDP_FRAME_HLEN + max;
    uint8_t *f = calloc(1, cap);
    struct net_hdrs h;

    cr_assert_eq(net_udp_build(f, cap, &flow_ab, max, 1, true), (int)cap);
    parse_ok(f, cap, &h, NET_KIND_UDP);
    cr_assert_eq(h.payload_len, max);
    cr_assert_eq(net_udp_build(f, cap, &flow_ab, max + 1, 1, true), -EMSGSIZE);
    cr_assert_eq(net_udp_build(f, cap - 1, &flow_ab, max, 1, true), -ENOSPC);
    cr_assert_eq(net_udp_build(f, NET_UDP_FRAME_HLEN - 1, &flow_ab, 0, 1, true), -ENOSPC);
    cr_assert_eq(net_udp_build(f, NET_UDP_FRAME_HLEN, &flow_ab, 0, 1, true), NET_UDP_FRAME_HLEN);
    free(f);
}

static void udp_build_sends_a_zero_checksum_as_ffff(void)
{
    uint8_t f[NET_UDP_FRAME_HLEN + 2];
    struct net_hdrs h;
    uint16_t c;

    memset(f + NET_UDP_FRAME_HLEN, 0, 2);
    cr_assert_eq(net_udp_build(f, sizeof(f), &flow_ab, 2, 1, true), sizeof(f));
    /* A last word of the old checksum makes the new sum all ones. */
    c = t_get16(f + 40);
    t_put16(f + NET_UDP_FRAME_HLEN, c);
    cr_assert_eq(net_udp_build(f, sizeof(f), &flow_ab, 2, 1, true), sizeof(f));
    cr_assert_eq(t_get16(f + 40), 0xffff);
    parse_ok(f, sizeof(f), &h, NET_KIND_UDP);
}

Test(build, udp_build_frames)
{
    udp_build_known_frame();
    udp_build_every_payload_length();
    udp_build_sends_a_zero_checksum_as_ffff();
    udp_build_limits();
}

/* The reply to udp_tf(vid, ihl, req payload) with payload p of len bytes. */
static size_t udp_reply_want(uint8_t *want, int vid, unsigned ihl, const uint8_t *p, size_t len,
                             bool csum)
{
    struct tf t = udp_tf(vid, ihl, p, len, csum);

    t.ihl = 5; /* the request's options are never echoed */
    memcpy(t.dst, t_mac_a, 6);
    memcpy(t.src, t_mac_b, 6);
    t.sip = IP_B;
    t.dip = IP_A;
    t.sport = 5000;
    t.dport = 7;
    return tf_build(want, &t);
}

static void udp_reply_keep(void)
{
    uint8_t want[64], *f;
    size_t wn = udp_reply_want(want, -1, 5, (const uint8_t *)"world!", 6, true);
    int rc;

    expect_reply(kf_udp_built, sizeof(kf_udp_built), udp_keep, want, wn);

    /* VLAN, IP options, no checksum: the 0 stays, the options go (the
     * UDP header and payload move up over them). */
    f = try_reply(kf_udp_vlan_opts, sizeof(kf_udp_vlan_opts), udp_keep, &rc);
    cr_assert_eq(rc, sizeof(kf_udp_vlan_opts) - 4);
    cr_assert_eq(f[18], 0x45, "IHL 5");
    cr_assert_eq(t_get16(f + 18 + 2), 20 + 8 + 3, "IPv4 total length");
    cr_assert_eq(t_csum(f + 18, 20), 0, "IPv4 checksum");
    cr_assert_eq(t_get16(f + 18 + 20 + 6), 0);
    cr_assert_eq(t_get16(f + 18 + 20), 4321, "ports swapped");
    cr_assert_eq(memcmp(f + 18 + 12, kf_udp_vlan_opts + 18 + 16, 4), 0, "addresses swapped");
    cr_assert_eq(memcmp(f + 18 + 28, kf_udp_vlan_opts + 18 + 32, 3), 0, "payload moved up");
    free(f);
}

static void udp_reply_new_payloads(void)
{
    static uint8_t req[2100], want[2100], payload[2000], f[2100];
    uint64_t seed = 13;
    size_t rlen, n, wn;
    uint32_t sum;
    int i;

    t_fill(&seed, payload, sizeof(payload));
    for (i = 0; i < 3000; i++) {
        int vid = t_below(&seed, 2) ? -1 : 42;
        unsigned ihl = 5 + t_below(&seed, 4);
        enum net_udp_csum_mode mode = t_below(&seed, 2) ? NET_UDP_CSUM_FULL : NET_UDP_CSUM_NONE;
        struct tf t = udp_tf(vid, ihl, payload + 1000, t_below(&seed, 300), t_below(&seed, 2));
        struct net_hdrs h;

        t.ttl = 3;
        t.pad = t_below(&seed, 4);
        n = tf_build(req, &t);
        rlen = t_below(&seed, 1001);
        wn = udp_reply_want(want, vid, ihl, payload, rlen, mode == NET_UDP_CSUM_FULL);
        memcpy(f, req, n);
        parse_ok(f, n, &h, NET_KIND_UDP);
        memcpy(f + h.payload_off, payload, rlen);
        cr_assert_eq(net_udp_reply(f, h.payload_off + rlen, &h, rlen, mode), wn);
        cr_assert_eq(memcmp(f, want, wn), 0, "case %d", i);
        if (mode != NET_UDP_CSUM_FULL)
            continue;
        /* The same reply from the payload's sum, given whole or in two
         * pieces (the first of even length). */
        memcpy(f, req, n);
        memcpy(f + h.payload_off, payload, rlen);
        if (t_below(&seed, 2)) {
            sum = net_csum_partial(payload, rlen, 0);
        } else {
            size_t cut = t_below(&seed, rlen + 1) & ~(size_t)1;

            sum = net_csum_add(net_csum_partial(payload, cut, 0),
                               net_csum_partial(payload + cut, rlen - cut, 0));
        }
        cr_assert_eq(net_udp_reply_sum(f, h.payload_off + rlen, &h, rlen, sum), wn);
        cr_assert_eq(memcmp(f, want, wn), 0, "case %d from the sum", i);
    }
}

static void udp_reply_refusals(void)
{
    uint8_t *f = malloc(sizeof(kf_udp_hello));
    struct net_hdrs h;
    size_t max = NET_IPV4_MAX_LEN - 28;

    memcpy(f, kf_udp_hello, sizeof(kf_udp_hello));
    parse_ok(f, sizeof(kf_udp_hello), &h, NET_KIND_UDP);
    cr_assert_eq(net_udp_reply(f, sizeof(kf_udp_hello), &h, 4, NET_UDP_CSUM_KEEP), -EINVAL);
    cr_assert_eq(net_udp_reply(f, sizeof(kf_udp_hello), &h, 5, (enum net_udp_csum_mode)3), -EINVAL);
    cr_assert_eq(net_udp_reply(f, sizeof(kf_udp_hello), &h, 6, NET_UDP_CSUM_FULL), -ENOSPC);
    cr_assert_eq(net_udp_reply(f, SIZE_MAX, &h, max + 1, NET_UDP_CSUM_FULL), -EMSGSIZE);
    cr_assert_eq(net_udp_reply_sum(f, sizeof(kf_udp_hello), &h, 6, 0), -ENOSPC);
    cr_assert_eq(net_udp_reply_sum(f, SIZE_MAX, &h, max + 1, 0), -EMSGSIZE);
    cr_assert_eq(memcmp(f, kf_udp_hello, sizeof(kf_udp_hello)), 0, "untouched");
    h.kind = NET_KIND_ICMP;
    cr_assert_eq(net_udp_reply(f, sizeof(kf_udp_hello), &h, 5, NET_UDP_CSUM_FULL), -EINVAL);
    cr_assert_eq(net_udp_reply_sum(f, sizeof(kf_udp_hello), &h, 5, 0), -EINVAL);
    h.kind = NET_KIND_UDP;
    cr_assert_eq(net_udp_reply(f, sizeof(kf_udp_hello), &h, 0, NET_UDP_CSUM_FULL), 42);
    parse_ok(f, 42, &h, NET_KIND_UDP);
    cr_assert_eq(h.payload_len, 0);
    free(f);
}

Test(build, udp_reply_frames)
{
    udp_reply_keep();
    udp_reply_new_payloads();
    udp_reply_refusals();
}
