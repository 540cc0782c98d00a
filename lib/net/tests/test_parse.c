/* net_frame_parse on frames written out by hand: what each known frame
 * is, each malformation's own reason code, every prefix of every known
 * frame from an exactly sized buffer, the checksum-offload flags, and the
 * counters and names. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

/* Parses an exactly sized copy with the library and the reference, checks
 * that they agree, and returns the library's answer. */
static int parse(const uint8_t *f, size_t len, struct net_hdrs *h, unsigned flags)
{
    uint8_t *copy = t_exact(f, len);
    struct net_hdrs ref;
    int rc = net_frame_parse(copy, len, h, flags);

    cr_assert_eq(rc, t_parse(f, len, &ref, flags), "library %d (%s) vs reference %d", rc,
                 net_parse_result_name(rc), t_parse(f, len, &ref, flags));
    if (rc >= 0)
        t_assert_hdrs_equal(h, &ref);
    free(copy);
    return rc;
}

static void known_frames(void)
{
    struct net_hdrs h;
    size_t i;

    for (i = 0; i < t_known_count; i++) {
        const struct t_known *k = &t_known_frames[i];

        cr_assert_eq(parse(k->bytes, k->len, &h, 0), k->kind, "%s", k->name);
    }

    cr_assert_eq(parse(kf_udp_hello, sizeof(kf_udp_hello), &h, 0), NET_KIND_UDP);
    cr_assert_eq(h.ethertype, NET_ETH_P_IPV4);
    cr_assert_eq(h.vlan, 0);
    cr_assert_eq(h.ip_proto, NET_IP_PROTO_UDP);
    cr_assert_eq(h.l3_off, 14);
    cr_assert_eq(h.l4_off, 34);
    cr_assert_eq(h.payload_off, 42);
    cr_assert_eq(h.payload_len, 5);
    cr_assert_eq(memcmp(kf_udp_hello + h.payload_off, "hello", 5), 0);
    cr_assert_eq(net_ntohs(net_hdrs_udp((uint8_t *)kf_udp_hello, &h)->dport), 7);

    cr_assert_eq(parse(kf_udp_vlan_opts, sizeof(kf_udp_vlan_opts), &h, 0), NET_KIND_UDP);
    cr_assert_eq(h.vlan, 1);
    cr_assert_eq(h.vlan_tci & NET_VLAN_VID_MASK, 100);
    cr_assert_eq(h.vlan_tci >> 13, 1, "PCP");
    cr_assert_eq(h.l3_off, 18);
    cr_assert_eq(h.l4_off, 18 + 24, "IHL 6 honoured");
    cr_assert_eq(h.payload_off, 18 + 24 + 8);
    cr_assert_eq(h.payload_len, 3);

    cr_assert_eq(parse(kf_icmp_request, sizeof(kf_icmp_request), &h, 0), NET_KIND_ICMP);
    cr_assert_eq(h.payload_off, 42);
    cr_assert_eq(h.payload_len, 5, "Ethernet padding is not payload");

    cr_assert_eq(parse(kf_arp_request, sizeof(kf_arp_request), &h, 0), NET_KIND_ARP);
    cr_assert_eq(h.l3_off, 14);
    cr_assert_eq(h.payload_off, 42);
    cr_assert_eq(h.payload_len, 0);
    cr_assert_eq(net_hdrs_arp((uint8_t *)kf_arp_request, &h)->tpa, T_IP_A);

    cr_assert_eq(parse(kf_udp_first_frag, sizeof(kf_udp_first_frag), &h, 0), NET_KIND_IPV4_FRAG);
    cr_assert_eq(h.ip_proto, NET_IP_PROTO_UDP);
    cr_assert_eq(h.payload_off, 34, "a fragment's payload starts after the IPv4 header");
    cr_assert_eq(h.payload_len, 16);

    cr_assert_eq(parse(kf_tcp_syn, sizeof(kf_tcp_syn), &h, 0), NET_KIND_IPV4_OTHER);
    cr_assert_eq(h.ip_proto, NET_IP_PROTO_TCP);
    cr_assert_eq(h.payload_off, 34);
    cr_assert_eq(h.payload_len, 20);

    cr_assert_eq(parse(kf_ipv6, sizeof(kf_ipv6), &h, 0), NET_KIND_OTHER);
    cr_assert_eq(h.ethertype, NET_ETH_P_IPV6);
    cr_assert_eq(h.ip_proto, 0);
    cr_assert_eq(h.payload_off, 14);
    cr_assert_eq(h.payload_len, 48);
}

/* A copy of a known frame to break, with the IPv4 offset. */
struct bad {
    uint8_t f[128];
    size_t len;
    size_t l3;
};

static void bad_init(struct bad *b, const uint8_t *f, size_t len)
{
    memcpy(b->f, f, len);
    b->len = len;
    b->l3 = t_get16(f + 12) == 0x8100 ? 18 : 14;
}

/* Breaks the frame (field, value), optionally re-fixes the checksums, and
 * expects rc. */
static void expect(struct bad *b, int rc, const char *what)
{
    struct net_hdrs h;
    struct net_parse_stats st;

    memset(&st, 0, sizeof(st));
    cr_assert_eq(parse(b->f, b->len, &h, 0), rc, "%s: want %s", what, net_parse_result_name(rc));
    net_parse_stats_count(&st, rc);
    if (rc < 0)
        cr_assert_eq(st.err[-rc], 1, "%s counted in its own counter", what);
}

#define BAD(b, frame) bad_init(&(b), frame, sizeof(frame))

Test(parse, each_malformation_has_its_own_reason)
{
    struct bad b;

    BAD(b, kf_udp_hello);
    b.len = 13;
    expect(&b, -NET_ERR_ETH_TRUNC, "13 bytes");
    b.len = 0;
    expect(&b, -NET_ERR_ETH_TRUNC, "empty");

    BAD(b, kf_udp_vlan_opts);
    b.len = 17;
    expect(&b, -NET_ERR_VLAN_TRUNC, "tag cut");

    BAD(b, kf_arp_request);
    b.len = 14 + 27;
    expect(&b, -NET_ERR_ARP_TRUNC, "27 bytes of ARP");
    BAD(b, kf_arp_request);
    t_put16(b.f + 14, 6);
    expect(&b, -NET_ERR_ARP_HTYPE, "htype IEEE 802");
    BAD(b, kf_arp_request);
    t_put16(b.f + 16, NET_ETH_P_IPV6);
    expect(&b, -NET_ERR_ARP_PTYPE, "ptype IPv6");
    BAD(b, kf_arp_request);
    b.f[18] = 8;
    expect(&b, -NET_ERR_ARP_HLEN, "hlen 8");
    BAD(b, kf_arp_request);
    b.f[19] = 16;
    expect(&b, -NET_ERR_ARP_PLEN, "plen 16");
    BAD(b, kf_arp_request);
    t_put16(b.f + 20, 3);
    expect(&b, -NET_ERR_ARP_OP, "RARP request");
    t_put16(b.f + 20, 0);
    expect(&b, -NET_ERR_ARP_OP, "op 0");

    BAD(b, kf_udp_hello);
    b.len = 14 + 19;
    expect(&b, -NET_ERR_IPV4_TRUNC, "19 bytes of IPv4");
    BAD(b, kf_udp_hello);
    b.f[14] = 0x65;
    t_fix_csums(b.f, b.len);
    expect(&b, -NET_ERR_IPV4_VERSION, "version 6");
    b.f[14] = 0x05;
    expect(&b, -NET_ERR_IPV4_VERSION, "version 0");
    BAD(b, kf_udp_hello);
    b.f[14] = 0x44;
    expect(&b, -NET_ERR_IPV4_IHL, "IHL 4");
    b.f[14] = 0x40;
    expect(&b, -NET_ERR_IPV4_IHL, "IHL 0");
    BAD(b, kf_udp_hello);
    t_put16(b.f + 16, 19);
    expect(&b, -NET_ERR_IPV4_LEN_SHORT, "total 19");
    BAD(b, kf_udp_vlan_opts);
    t_put16(b.f + b.l3 + 2, 23);
    expect(&b, -NET_ERR_IPV4_LEN_SHORT, "total 23 under IHL 6");
    BAD(b, kf_udp_hello);
    t_put16(b.f + 16, (uint16_t)(b.len - 14 + 1));
    expect(&b, -NET_ERR_IPV4_LEN_LONG, "total one past the frame");
    BAD(b, kf_udp_hello);
    b.f[14] = 0x4f; /* 60 bytes of header in a 33-byte packet */
    t_put16(b.f + 16, 60);
    expect(&b, -NET_ERR_IPV4_LEN_LONG, "IHL 15 past the frame");
    BAD(b, kf_udp_hello);
    b.f[24] ^= 1;
    expect(&b, -NET_ERR_IPV4_CSUM, "header checksum");
    BAD(b, kf_udp_vlan_opts);
    b.f[b.l3 + 22] ^= 0x80; /* in the option */
    expect(&b, -NET_ERR_IPV4_CSUM, "option byte");

    BAD(b, kf_icmp_request);
    t_put16(b.f + 16, 20 + 7);
    t_fix_csums(b.f, b.len);
    expect(&b, -NET_ERR_ICMP_TRUNC, "7-byte ICMP");
    BAD(b, kf_icmp_request);
    b.f[46] ^= 0x01; /* the last, odd payload byte */
    expect(&b, -NET_ERR_ICMP_CSUM, "ICMP payload");

    BAD(b, kf_udp_hello);
    t_put16(b.f + 16, 20 + 7);
    t_fix_csums(b.f, b.len);
    expect(&b, -NET_ERR_UDP_TRUNC, "7-byte UDP");
    BAD(b, kf_udp_hello);
    t_put16(b.f + 38, 7);
    expect(&b, -NET_ERR_UDP_LEN_SHORT, "UDP length 7");
    t_put16(b.f + 38, 0);
    expect(&b, -NET_ERR_UDP_LEN_SHORT, "UDP length 0");
    BAD(b, kf_udp_hello);
    t_put16(b.f + 38, 14);
    expect(&b, -NET_ERR_UDP_LEN_LONG, "UDP length one past the IP payload");
    BAD(b, kf_udp_hello);
    b.f[46] ^= 0x20;
    expect(&b, -NET_ERR_UDP_CSUM, "UDP payload");
    BAD(b, kf_udp_hello);
    t_put16(b.f + 40, 0xffff);
    expect(&b, -NET_ERR_UDP_CSUM, "0xffff for a sum that is not 0");
}

static void oddities_that_parse(void)
{
    struct bad b;
    struct net_hdrs h;

    BAD(b, kf_udp_hello);
    t_put16(b.f + 40, 0);
    b.f[46] ^= 0x20;
    expect(&b, NET_KIND_UDP, "UDP checksum 0 is not checked");

    BAD(b, kf_udp_hello);
    t_put16(b.f + 38, 12); /* shorter than the IP payload: the rest is ignored */
    t_fix_csums(b.f, b.len);
    cr_assert_eq(parse(b.f, b.len, &h, 0), NET_KIND_UDP);
    cr_assert_eq(h.payload_len, 4);

    BAD(b, kf_udp_hello);
    t_put16(b.f + 20, 0); /* DF cleared */
    t_fix_csums(b.f, b.len);
    expect(&b, NET_KIND_UDP, "no DF");
    t_put16(b.f + 20, 0x8000); /* the reserved bit */
    t_fix_csums(b.f, b.len);
    expect(&b, NET_KIND_UDP, "reserved bit");
    t_put16(b.f + 20, NET_IPV4_MF);
    t_fix_csums(b.f, b.len);
    expect(&b, NET_KIND_IPV4_FRAG, "MF");
    t_put16(b.f + 20, NET_IPV4_DF | 1);
    t_fix_csums(b.f, b.len);
    expect(&b, NET_KIND_IPV4_FRAG, "offset 8");
    t_put16(b.f + 20, NET_IPV4_OFF_MASK);
    t_fix_csums(b.f, b.len);
    expect(&b, NET_KIND_IPV4_FRAG, "last offset");
    b.f[40] ^= 0x55; /* a fragment's UDP checksum is not looked at */
    expect(&b, NET_KIND_IPV4_FRAG, "fragment, UDP not parsed");

    BAD(b, kf_udp_hello);
    t_put16(b.f + 12, NET_ETH_P_QINQ);
    expect(&b, NET_KIND_OTHER, "an S-tag is not skipped");
    BAD(b, kf_udp_vlan_opts);
    t_put16(b.f + 16, NET_ETH_P_VLAN);
    cr_assert_eq(parse(b.f, b.len, &h, 0), NET_KIND_OTHER, "only one tag is skipped");
    cr_assert_eq(h.ethertype, NET_ETH_P_VLAN);
    cr_assert_eq(h.l3_off, 18);

    BAD(b, kf_arp_request);
    b.len = 14 + 28;
    expect(&b, NET_KIND_ARP, "unpadded ARP");

    BAD(b, kf_udp_hello);
    b.len = 14;
    cr_assert_eq(parse(b.f, b.len, &h, 0), -NET_ERR_IPV4_TRUNC);
    t_put16(b.f + 12, 0x88cc); /* LLDP */
    cr_assert_eq(parse(b.f, b.len, &h, 0), NET_KIND_OTHER);
    cr_assert_eq(h.payload_len, 0);
}

static void offload_flags_skip_only_their_checksums(void)
{
    struct bad b;
    struct net_hdrs h;

    BAD(b, kf_udp_hello);
    b.f[24] ^= 1;
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_L4_CSUM_OK), -NET_ERR_IPV4_CSUM);
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_IPV4_CSUM_OK), NET_KIND_UDP);

    BAD(b, kf_udp_hello);
    b.f[46] ^= 0x20;
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_IPV4_CSUM_OK), -NET_ERR_UDP_CSUM);
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_L4_CSUM_OK), NET_KIND_UDP);

    BAD(b, kf_icmp_request);
    b.f[46] ^= 1;
    cr_assert_eq(parse(b.f, b.len, &h, 0), -NET_ERR_ICMP_CSUM);
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_L4_CSUM_OK), NET_KIND_ICMP);

    BAD(b, kf_udp_hello);
    t_put16(b.f + 38, 14);
    cr_assert_eq(parse(b.f, b.len, &h, NET_PARSE_L4_CSUM_OK | NET_PARSE_IPV4_CSUM_OK),
                 -NET_ERR_UDP_LEN_LONG, "lengths are checked whatever the flags");
}

Test(parse, what_is_not_an_error)
{
    oddities_that_parse();
    offload_flags_skip_only_their_checksums();
}

/* What a prefix of n bytes of a known frame must give. */
static int prefix_expect(const struct t_known *k, size_t n)
{
    size_t l3 = t_get16(k->bytes + 12) == 0x8100 ? 18 : 14;
    uint16_t type = t_get16(k->bytes + l3 - 2);

    if (n < 14)
        return -NET_ERR_ETH_TRUNC;
    if (n < l3)
        return -NET_ERR_VLAN_TRUNC;
    if (type == NET_ETH_P_ARP && n < l3 + 28)
        return -NET_ERR_ARP_TRUNC;
    if (type == NET_ETH_P_IPV4 && n < l3 + 20)
        return -NET_ERR_IPV4_TRUNC;
    if (type == NET_ETH_P_IPV4 && n < k->end)
        return -NET_ERR_IPV4_LEN_LONG;
    return k->kind;
}

static void every_prefix_of_every_known_frame(void)
{
    struct net_hdrs h, whole;
    size_t i, n;

    for (i = 0; i < t_known_count; i++) {
        const struct t_known *k = &t_known_frames[i];

        cr_assert_eq(parse(k->bytes, k->len, &whole, 0), k->kind);
        for (n = 0; n <= k->len; n++) {
            int rc = parse(k->bytes, n, &h, 0);

            cr_assert_eq(rc, prefix_expect(k, n), "%s cut to %zu: %s", k->name, n,
                         net_parse_result_name(rc));
            if (rc >= 0 && k->kind != NET_KIND_OTHER)
                t_assert_hdrs_equal(&h, &whole);
        }
    }
}

Test(parse, known_frames_and_every_prefix)
{
    known_frames();
    every_prefix_of_every_known_frame();
}

Test(parse, counters_and_names)
{
    struct net_parse_stats st;
    uint64_t total = 0;
    const char *seen[NET_KIND_COUNT + NET_ERR_COUNT];
    size_t nseen = 0, i, j;
    int rc;

    memset(&st, 0, sizeof(st));
    for (rc = -(NET_ERR_COUNT - 1); rc < NET_KIND_COUNT; rc++) {
        const char *name = net_parse_result_name(rc);

        cr_assert(name && *name && strcmp(name, "?") != 0, "rc %d named", rc);
        for (j = 0; j < nseen; j++)
            cr_assert_str_neq(seen[j], name, "names are distinct");
        seen[nseen++] = name;
        net_parse_stats_count(&st, rc);
        net_parse_stats_count(&st, rc);
    }
    cr_assert_str_eq(net_parse_result_name(-NET_ERR_UDP_CSUM), "udp_csum");
    cr_assert_str_eq(net_parse_result_name(NET_KIND_ARP), "arp");
    cr_assert_str_eq(net_parse_result_name(NET_KIND_COUNT), "?");
    cr_assert_str_eq(net_parse_result_name(-NET_ERR_COUNT), "?");
    cr_assert_str_eq(net_err_names[NET_ERR_NONE], "none");
    cr_assert_eq(st.err[NET_ERR_NONE], 0);
    for (i = 1; i < NET_ERR_COUNT; i++) {
        cr_assert_eq(st.err[i], 2, "%s", net_err_names[i]);
        total += st.err[i];
    }
    for (i = 0; i < NET_KIND_COUNT; i++) {
        cr_assert_eq(st.kind[i], 2, "%s", net_kind_names[i]);
        total += st.kind[i];
    }
    cr_assert_eq(total, 2 * (NET_KIND_COUNT + NET_ERR_COUNT - 1));
}
