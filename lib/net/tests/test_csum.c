/* The checksums against the slow reference: every length 0..2000 at every
 * alignment, chaining, the pseudo-header, the 0 -> 0xffff rule, and the
 * RFC 1624 updates against recomputation. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <string.h>

#include "net_test.h"

static void rfc1071_example(void)
{
    /* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2. */
    static const uint8_t w[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

    cr_assert_eq(ntohs(net_csum(w, 8)), (uint16_t)~0xddf2);
    cr_assert_eq(ntohs(net_csum(w + 1, 7)), t_csum(w + 1, 7));
}

static void well_known_ipv4_header(void)
{
    /* The widely quoted example header; its checksum is b861. */
    uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

    cr_assert_eq(net_ipv4_csum((struct net_ipv4_hdr *)h), 0);
    net_ipv4_csum_set((struct net_ipv4_hdr *)h);
    cr_assert_eq(h[10], 0xb8);
    cr_assert_eq(h[11], 0x61);
}

static void every_length_and_alignment_matches_the_reference(void)
{
    static uint8_t buf[2000 + 64];
    uint64_t seed = 1;
    size_t len, align;

    t_fill(&seed, buf, sizeof(buf));
    for (len = 0; len <= 2000; len++) {
        for (align = 0; align < 8; align++) {
            const uint8_t *p = buf + align;
            uint32_t start = (uint32_t)t_rand(&seed);
            /* The reference cannot take a 32-bit start: fold it to a word
             * (in memory order, like every partial sum) and add that. */
            uint16_t start16 = ntohs((uint16_t)~net_csum_fold(start));
            uint32_t ref = (uint16_t)~t_csum(p, len) + (uint32_t)start16;

            cr_assert_eq(ntohs(net_csum(p, len)), t_csum(p, len), "len %zu align %zu", len, align);
            cr_assert_eq(ntohs(net_csum_fold(net_csum_partial(p, len, start))),
                         (uint16_t) ~((ref & 0xffff) + (ref >> 16)), "len %zu align %zu start", len,
                         align);
        }
    }
}

static void all_ones_data_does_not_overflow(void)
{
    static uint8_t buf[65536];

    memset(buf, 0xff, sizeof(buf));
    cr_assert_eq(ntohs(net_csum(buf, sizeof(buf))), t_csum(buf, sizeof(buf)));
    cr_assert_eq(ntohs(net_csum(buf, 65535)), t_csum(buf, 65535));
    cr_assert_eq(ntohs(net_csum_fold(net_csum_partial(buf, 4096, 0xffffffffU))), 0);
}

static void partial_sums_chain_at_even_splits(void)
{
    uint8_t buf[301];
    uint64_t seed = 2;
    size_t cut;

    t_fill(&seed, buf, sizeof(buf));
    for (cut = 0; cut <= sizeof(buf); cut += 2) {
        uint32_t s = net_csum_partial(buf, cut, 0);

        s = net_csum_partial(buf + cut, sizeof(buf) - cut, s);
        cr_assert_eq(net_csum_fold(s), net_csum(buf, sizeof(buf)), "cut %zu", cut);
        s = net_csum_add(net_csum_partial(buf, cut, 0),
                         net_csum_partial(buf + cut, sizeof(buf) - cut, 0));
        cr_assert_eq(net_csum_fold(s), net_csum(buf, sizeof(buf)), "add, cut %zu", cut);
    }
}

static void udp_pseudo_header_matches_the_reference(void)
{
    uint8_t udp[1500];
    uint64_t seed = 3;
    int i;

    for (i = 0; i < 3000; i++) {
        size_t n = 8 + t_below(&seed, sizeof(udp) - 8 + 1);
        uint32_t sip = (uint32_t)t_rand(&seed), dip = (uint32_t)t_rand(&seed);

        t_fill(&seed, udp, n);
        cr_assert_eq(ntohs(net_udp_csum(htonl(sip), htonl(dip), udp, n)),
                     t_udp_csum(sip, dip, udp, n), "n %zu", n);
    }
}

Test(csum, random_data_matches_the_reference)
{
    every_length_and_alignment_matches_the_reference();
    partial_sums_chain_at_even_splits();
    udp_pseudo_header_matches_the_reference();
}

static void udp_zero_is_sent_as_ffff(void)
{
    uint8_t buf[8 + 2];
    struct net_udp_hdr *udp = (struct net_udp_hdr *)buf;
    uint32_t sip = 0x0a000002, dip = 0x0a000001;
    uint16_t c;

    /* Choose the last payload word so that the sum is all ones. */
    t_put16(buf, 1000);
    t_put16(buf + 2, 2000);
    t_put16(buf + 4, sizeof(buf));
    t_put16(buf + 6, 0);
    t_put16(buf + 8, 0);
    c = t_udp_csum(sip, dip, buf, sizeof(buf));
    t_put16(buf + 8, c);
    cr_assert_eq(t_udp_csum(sip, dip, buf, sizeof(buf)), 0);

    net_udp_csum_set(udp, htonl(sip), htonl(dip));
    cr_assert_eq(udp->csum, 0xffff);
    cr_assert_eq(net_udp_csum(htonl(sip), htonl(dip), buf, sizeof(buf)), 0, "0xffff must verify");
}

/* A random 20-byte header (never all zero) with a correct checksum. */
static void random_header(uint64_t *seed, uint8_t h[20])
{
    t_fill(seed, h, 20);
    h[0] |= 1;
    t_put16(h + 10, 0);
    t_put16(h + 10, t_csum(h, 20));
}

static void update16_equals_recomputation(void)
{
    uint64_t seed = 4;
    uint8_t h[20];
    int i;

    for (i = 0; i < 200000; i++) {
        size_t off = 2 * t_below(&seed, 10);
        uint16_t old, new_, csum, upd;

        if (off == 10)
            continue;
        random_header(&seed, h);
        memcpy(&csum, h + 10, 2);
        memcpy(&old, h + off, 2);
        /* Edge values as often as random ones. */
        switch (t_below(&seed, 4)) {
        case 0:
            new_ = 0;
            break;
        case 1:
            new_ = 0xffff;
            break;
        default:
            new_ = (uint16_t)t_rand(&seed);
        }
        upd = net_csum_update16(csum, old, new_);
        memcpy(h + off, &new_, 2);
        t_put16(h + 10, 0);
        cr_assert_eq(ntohs(upd), t_csum(h, 20), "off %zu old %04x new %04x", off, old, new_);
    }
}

static void update32_equals_recomputation(void)
{
    uint64_t seed = 5;
    uint8_t h[20];
    int i;

    for (i = 0; i < 200000; i++) {
        size_t off = 2 * t_below(&seed, 9);
        uint32_t old, new_;
        uint16_t csum, upd;

        if (off == 8 || off == 10)
            continue;
        random_header(&seed, h);
        memcpy(&csum, h + 10, 2);
        memcpy(&old, h + off, 4);
        new_ = t_below(&seed, 4) == 0 ? 0xffffffffU * t_below(&seed, 2) : (uint32_t)t_rand(&seed);
        upd = net_csum_update32(csum, old, new_);
        memcpy(h + off, &new_, 4);
        t_put16(h + 10, 0);
        cr_assert_eq(ntohs(upd), t_csum(h, 20), "off %zu", off);
    }
}

Test(csum, incremental_updates_equal_recomputation)
{
    update16_equals_recomputation();
    update32_equals_recomputation();
}

static void byte_order_helpers(void)
{
    cr_assert_eq(net_htons(0x1234), htons(0x1234));
    cr_assert_eq(net_ntohs(0x1234), ntohs(0x1234));
    cr_assert_eq(net_htonl(0x12345678), htonl(0x12345678));
    cr_assert_eq(net_ntohl(0x12345678), ntohl(0x12345678));
    cr_assert_eq(NET_BE16(0x0800), htons(0x0800));
    cr_assert_eq(NET_BE32(0xc0a80001), htonl(0xc0a80001));
    cr_assert_eq(NET_IPV4(192, 168, 0, 1), inet_addr("192.168.0.1"));
}

static void address_helpers(void)
{
    static const uint8_t bc[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const uint8_t almost[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe };

    cr_assert(net_mac_is_broadcast(bc));
    cr_assert(!net_mac_is_broadcast(mc));
    cr_assert(!net_mac_is_broadcast(almost));
    cr_assert(net_mac_is_group(bc) && net_mac_is_group(mc));
    cr_assert(!net_mac_is_group(t_mac_a) && !net_mac_is_group(t_mac_b));

    cr_assert(net_ipv4_is_unicast(NET_IPV4(10, 0, 0, 1)));
    cr_assert(net_ipv4_is_unicast(NET_IPV4(223, 255, 255, 255)));
    cr_assert(!net_ipv4_is_unicast(0));
    cr_assert(!net_ipv4_is_unicast(NET_IPV4(224, 0, 0, 1)));
    cr_assert(!net_ipv4_is_unicast(NET_IPV4(255, 255, 255, 255)));

    cr_assert_eq(net_ipv4_prefix_mask(0), 0);
    cr_assert_eq(net_ipv4_prefix_mask(8), NET_IPV4(255, 0, 0, 0));
    cr_assert_eq(net_ipv4_prefix_mask(23), NET_IPV4(255, 255, 254, 0));
    cr_assert_eq(net_ipv4_prefix_mask(32), 0xffffffffU);
    cr_assert(net_ipv4_same_subnet(NET_IPV4(10, 1, 2, 3), NET_IPV4(10, 1, 3, 4), 23));
    cr_assert(!net_ipv4_same_subnet(NET_IPV4(10, 1, 2, 3), NET_IPV4(10, 1, 4, 4), 23));
    cr_assert(net_ipv4_same_subnet(NET_IPV4(1, 2, 3, 4), NET_IPV4(200, 2, 3, 4), 0));
}

Test(csum, known_values_and_helpers)
{
    rfc1071_example();
    well_known_ipv4_header();
    all_ones_data_does_not_overflow();
    udp_zero_is_sent_as_ffff();
    byte_order_helpers();
    address_helpers();
}
