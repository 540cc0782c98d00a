/* A million frames, mutated from valid ones (bits flipped, bytes and
 * 16-bit fields set to edge values, cut short, extended, or replaced by
 * random bytes; half of them with their checksums made right again so the
 * deeper checks are reached), each in a buffer of exactly its length (ASan
 * catches a read past it). Every frame goes through net_frame_parse, which
 * must agree with the reference parser, and every accepted one through the
 * in-place reply functions, whose output must parse again. Deterministic:
 * one seed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

#define FUZZ_FRAMES 1000000
#define FUZZ_MAX    2048

struct corpus {
    uint8_t f[48][1600];
    size_t len[48];
    size_t n;
};

static void corpus_add(struct corpus *c, const struct tf *t)
{
    c->len[c->n] = tf_build(c->f[c->n], t);
    c->n++;
}

static void corpus_build(struct corpus *c, uint64_t *seed)
{
    static uint8_t payload[1500];
    static const size_t lens[] = { 0, 1, 2, 5, 8, 18, 33, 64, 200, 1400 };
    size_t i;

    t_fill(seed, payload, sizeof(payload));
    c->n = 0;
    for (i = 0; i < t_known_count; i++) {
        memcpy(c->f[c->n], t_known_frames[i].bytes, t_known_frames[i].len);
        c->len[c->n++] = t_known_frames[i].len;
    }
    for (i = 0; i < NFOS_ARRAY_SIZE(lens) * 3; i++) {
        struct tf t = { .vid = i % 4 == 0 ? 0x2005 : -1,
                        .ethertype = NET_ETH_P_IPV4,
                        .ihl = i % 5 == 0 ? 5 + (unsigned)(i % 11) : 5,
                        .ttl = 64,
                        .proto = i % 3 == 0 ? NET_IP_PROTO_ICMP : NET_IP_PROTO_UDP,
                        .id = (uint16_t)i,
                        .frag = i % 2 ? NET_IPV4_DF : 0,
                        .sip = 0x0a000002,
                        .dip = 0x0a000001,
                        .sport = 5000,
                        .dport = 7,
                        .udp_csum = i % 4 != 1,
                        .icmp_type = i % 6 == 3 ? NET_ICMP_ECHO_REPLY : NET_ICMP_ECHO_REQUEST,
                        .payload = payload,
                        .payload_len = lens[i % NFOS_ARRAY_SIZE(lens)],
                        .pad = i % 7 == 0 ? 6 : 0 };

        memcpy(t.dst, t_mac_a, 6);
        memcpy(t.src, t_mac_b, 6);
        corpus_add(c, &t);
    }
    for (i = 0; i < 4; i++) {
        struct tf t = { .vid = i & 1 ? 7 : -1,
                        .ethertype = NET_ETH_P_ARP,
                        .arp_op = i < 2 ? NET_ARP_OP_REQUEST : NET_ARP_OP_REPLY,
                        .sip = 0x0a000002,
                        .dip = 0x0a000001,
                        .pad = i * 6 };

        memset(t.dst, 0xff, 6);
        memcpy(t.src, t_mac_b, 6);
        memcpy(t.sha, t_mac_b, 6);
        corpus_add(c, &t);
    }
    cr_assert_leq(c->n, NFOS_ARRAY_SIZE(c->len));
}

/* Mutates f[0 .. *len) in place; the buffer holds FUZZ_MAX bytes. */
static void mutate(uint64_t *s, uint8_t *f, size_t *len)
{
    static const uint8_t bytes[] = { 0, 1, 4, 5, 6, 8, 0x11, 0x40, 0x45, 0x46, 0x4f, 0x80, 0xff };
    static const uint16_t words[] = { 0,  1,      7,      8,      19,     20,     27,
                                      28, 0x0800, 0x0806, 0x8100, 0x2000, 0x3fff, 0xffff };
    size_t n = *len, at;
    unsigned k = 1 + t_below(s, 3);

    while (k--) {
        /* Mostly in the headers, where the checks are. */
        at = n ? t_below(s, (uint32_t)(t_below(s, 4) ? NFOS_MIN(n, 64) : n)) : 0;
        switch (t_below(s, 9)) {
        case 0:
        case 1:
            if (n)
                f[at] ^= (uint8_t)(1 << t_below(s, 8));
            break;
        case 2:
            if (n)
                f[at] = bytes[t_below(s, sizeof(bytes))];
            break;
        case 3:
        case 4:
            if (n >= 2) {
                uint16_t w = words[t_below(s, NFOS_ARRAY_SIZE(words))];

                if (t_below(s, 3) == 0) /* near the lengths that matter */
                    w = (uint16_t)(n - 14 - 2 + t_below(s, 10));
                t_put16(f + NFOS_MIN(at & ~(size_t)1, n - 2), w);
            }
            break;
        case 5:
            n = t_below(s, (uint32_t)n + 1);
            break;
        case 6: {
            size_t more = NFOS_MIN(t_below(s, 64), FUZZ_MAX - n);

            t_fill(s, f + n, more);
            n += more;
            break;
        }
        case 7:
            /* Random bytes, sometimes behind a plausible ethertype. */
            n = t_below(s, 120);
            t_fill(s, f, n);
            if (n >= 15 && t_below(s, 2)) {
                static const uint16_t types[] = { 0x0800, 0x0806, 0x8100 };

                t_put16(f + 12, types[t_below(s, 3)]);
                f[14] = 0x45;
            }
            break;
        default:
            break; /* unchanged */
        }
    }
    if (t_below(s, 2))
        t_fix_csums(f, n);
    *len = n;
}

/* What net_icmp_echo_reply must answer, from the frame's fields. */
static int icmp_expect(const uint8_t *f, const struct net_hdrs *h, uint32_t our_ip)
{
    const uint8_t *ip = f + h->l3_off, *icmp = f + h->l4_off;
    uint32_t src = (uint32_t)t_get16(ip + 12) << 16 | t_get16(ip + 14), dst;

    memcpy(&dst, ip + 16, 4);
    if (icmp[0] != 8 || icmp[1] != 0)
        return -ENOMSG;
    if (dst != our_ip || (f[0] & 1))
        return -EADDRNOTAVAIL;
    if (src == 0 || src >= 0xe0000000 || (f[6] & 1))
        return -EHOSTUNREACH;
    /* without the request's IPv4 options */
    return (int)(h->payload_off - (h->l4_off - h->l3_off - 20) + h->payload_len);
}

static int arp_expect(const uint8_t *f, const struct net_hdrs *h, uint32_t our_ip)
{
    const uint8_t *a = f + h->l3_off;

    if (t_get16(a + 6) != NET_ARP_OP_REQUEST)
        return -ENOMSG;
    if (memcmp(a + 24, &our_ip, 4) != 0)
        return -EADDRNOTAVAIL;
    if (a[8] & 1)
        return -EHOSTUNREACH;
    return h->l3_off + 28;
}

/* Runs the reply for h's kind on g, an exactly sized copy of f, and checks
 * the outcome against f. */
static void replies(uint64_t *s, const uint8_t *f, uint8_t *g, size_t len, const struct net_hdrs *h,
                    unsigned flags)
{
    uint8_t *big;
    struct net_hdrs r;
    uint32_t our_ip;
    size_t plen, cap;
    int rc = -EINVAL, want;

    switch (h->kind) {
    case NET_KIND_ARP:
        memcpy(&our_ip, f + h->l3_off + 24, 4);
        if (t_below(s, 4) == 0)
            our_ip = T_IP_A;
        want = arp_expect(f, h, our_ip);
        rc = net_arp_reply(g, len, h, t_mac_a, our_ip);
        cr_assert_eq(rc, want, "ARP reply %d, want %d", rc, want);
        if (rc > 0) {
            cr_assert_eq(net_frame_parse(g, (size_t)rc, &r, flags), NET_KIND_ARP);
            cr_assert_eq(t_get16(g + r.l3_off + 6), NET_ARP_OP_REPLY);
            cr_assert_eq(memcmp(g + r.l3_off + 24, f + h->l3_off + 14, 4), 0, "tpa = spa");
            cr_assert_eq(memcmp(g, f + h->l3_off + 8, 6), 0, "to the sender's MAC");
            cr_assert_eq(memcmp(g + 6, t_mac_a, 6), 0, "from ours");
        }
        break;
    case NET_KIND_ICMP:
        memcpy(&our_ip, f + h->l3_off + 16, 4);
        if (t_below(s, 4) == 0)
            our_ip = T_IP_A;
        want = icmp_expect(f, h, our_ip);
        rc = net_icmp_echo_reply(g, len, h, our_ip);
        cr_assert_eq(rc, want, "ICMP reply %d, want %d", rc, want);
        if (rc > 0) {
            cr_assert_eq(net_frame_parse(g, (size_t)rc, &r, flags), NET_KIND_ICMP,
                         "the reply parses");
            cr_assert_eq(g[r.l4_off], NET_ICMP_ECHO_REPLY);
            cr_assert_eq(g[r.l3_off], 0x45, "no IPv4 options echoed");
            cr_assert_eq(r.payload_len, h->payload_len);
            cr_assert_eq(memcmp(g, f + 6, 6), 0, "MACs swapped");
            cr_assert_eq(memcmp(g + 6, f, 6), 0);
            cr_assert_eq(memcmp(g + r.l3_off + 12, f + h->l3_off + 16, 4), 0, "IPs swapped");
            cr_assert_eq(memcmp(g + r.l3_off + 16, f + h->l3_off + 12, 4), 0);
            cr_assert_eq(memcmp(g + r.payload_off, f + h->payload_off, r.payload_len), 0);
        }
        break;
    case NET_KIND_UDP:
        /* A new payload up to 64 bytes longer, in a buffer of exactly cap. */
        plen = t_below(s, h->payload_len + 65);
        cap = NFOS_MAX(len, h->payload_off + plen);
        big = malloc(cap);
        memcpy(big, f, len);
        if (t_below(s, 3) == 0) {
            rc = net_udp_reply(big, cap, h, h->payload_len, NET_UDP_CSUM_KEEP);
            plen = h->payload_len;
        } else {
            bool full = t_below(s, 2);

            t_fill(s, big + h->payload_off, plen);
            rc = net_udp_reply(big, cap, h, plen, full ? NET_UDP_CSUM_FULL : NET_UDP_CSUM_NONE);
        }
        cr_assert_eq(rc, (int)(h->payload_off - (h->l4_off - h->l3_off - 20) + plen),
                     "UDP reply %d", rc);
        cr_assert_eq(net_frame_parse(big, (size_t)rc, &r, flags), NET_KIND_UDP,
                     "the reply parses: %s",
                     net_parse_result_name(net_frame_parse(big, (size_t)rc, &r, flags)));
        cr_assert_eq(r.payload_len, plen);
        cr_assert_eq(big[r.l3_off], 0x45, "no IPv4 options echoed");
        cr_assert_eq(memcmp(big + 6, f, 6), 0, "MACs swapped");
        cr_assert_eq(memcmp(big, f + 6, 6), 0);
        cr_assert_eq(memcmp(big + r.l4_off, f + h->l4_off + 2, 2), 0, "ports swapped");
        cr_assert_eq(memcmp(big + r.l4_off + 2, f + h->l4_off, 2), 0);
        free(big);
        break;
    default:
        cr_assert_eq(net_arp_reply(g, len, h, t_mac_a, T_IP_A), -EINVAL);
        cr_assert_eq(net_icmp_echo_reply(g, len, h, T_IP_A), -EINVAL);
        cr_assert_eq(net_udp_reply(g, len, h, 0, NET_UDP_CSUM_FULL), -EINVAL);
    }
    if (h->kind != NET_KIND_UDP && rc < 0)
        cr_assert_eq(memcmp(g, f, len), 0, "a refused frame is untouched");
}

Test(fuzz, a_million_mutated_frames)
{
    static struct corpus c;
    static uint8_t f[FUZZ_MAX];
    struct net_parse_stats st, ref_st;
    uint64_t s = 0x6e666f73ULL, total = 0;
    size_t i, len;

    memset(&st, 0, sizeof(st));
    memset(&ref_st, 0, sizeof(ref_st));
    corpus_build(&c, &s);
    for (i = 0; i < FUZZ_FRAMES; i++) {
        size_t pick = t_below(&s, (uint32_t)c.n);
        unsigned flags = t_below(&s, 8) ? 0 : t_below(&s, 4);
        struct net_hdrs h, ref;
        uint8_t *copy;
        int rc, ref_rc;

        len = c.len[pick];
        memcpy(f, c.f[pick], len);
        mutate(&s, f, &len);
        copy = t_exact(f, len);
        rc = net_frame_parse(copy, len, &h, flags);
        ref_rc = t_parse(f, len, &ref, flags);
        cr_assert_eq(rc, ref_rc, "frame %zu: %s, reference %s", i, net_parse_result_name(rc),
                     net_parse_result_name(ref_rc));
        cr_assert_eq(memcmp(copy, f, len), 0, "the parser writes nothing");
        net_parse_stats_count(&st, rc);
        if (ref_rc >= 0)
            ref_st.kind[ref_rc]++;
        else
            ref_st.err[-ref_rc]++;
        if (rc >= 0) {
            t_assert_hdrs_equal(&h, &ref);
            cr_assert_leq((size_t)h.payload_off + h.payload_len, len);
            replies(&s, f, copy, len, &h, flags);
        }
        free(copy);
    }

    for (i = 0; i < NET_KIND_COUNT; i++) {
        cr_assert_gt(st.kind[i], 0, "kind %s reached", net_kind_names[i]);
        cr_assert_eq(st.kind[i], ref_st.kind[i]);
        total += st.kind[i];
    }
    cr_assert_eq(st.err[NET_ERR_NONE], 0);
    for (i = 1; i < NET_ERR_COUNT; i++) {
        cr_assert_gt(st.err[i], 0, "reason %s reached", net_err_names[i]);
        cr_assert_eq(st.err[i], ref_st.err[i]);
        total += st.err[i];
    }
    cr_assert_eq(total, FUZZ_FRAMES, "the counters add up to the frames fed");
}
