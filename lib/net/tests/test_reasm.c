/* IPv4 reassembly: a datagram cut into fragments and fed in any order, with
 * repeats, comes out byte for byte as the frame it was cut from; overlaps,
 * bad lengths, datagrams that never finish and slot shortage are counted
 * and never produce a frame; random fragments never crash it. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

#define NOW 1000000000ULL

/* An unfragmented UDP frame with payload_len bytes of seeded payload. */
static size_t whole_frame(uint8_t *buf, size_t payload_len, uint16_t id, int vid, unsigned ihl,
                          uint64_t seed)
{
    static uint8_t payload[NET_IPV4_MAX_LEN];
    struct tf t = { .vid = vid,
                    .ethertype = NET_ETH_P_IPV4,
                    .ihl = ihl,
                    .ttl = 64,
                    .proto = NET_IP_PROTO_UDP,
                    .id = id,
                    .sip = 0x0a000001,
                    .dip = 0x0a000002,
                    .sport = 4000,
                    .dport = 11211,
                    .udp_csum = true,
                    .payload = payload,
                    .payload_len = payload_len };

    memcpy(t.dst, t_mac_b, 6);
    memcpy(t.src, t_mac_a, 6);
    t_fill(&seed, payload, payload_len);
    return tf_build(buf, &t);
}

/* Sets the 16-bit field at off of the IPv4 header at ip (hlen bytes) and
 * makes its checksum right again. */
static void ip_set16(uint8_t *ip, size_t hlen, size_t off, uint16_t v)
{
    t_put16(ip + off, v);
    t_put16(ip + 10, 0);
    t_put16(ip + 10, t_csum(ip, hlen));
}

/* The fragment of whole (l3 at l3_off) holding IP payload [off, off + n),
 * MF set when mf; returns its length. */
static size_t frag(uint8_t *out, const uint8_t *whole, size_t l3_off, size_t off, size_t n, bool mf)
{
    const uint8_t *ip = whole + l3_off;
    size_t hlen = (size_t)(ip[0] & 0xf) * 4;
    uint8_t *q = out + l3_off;

    memcpy(out, whole, l3_off + hlen);
    memcpy(q + hlen, ip + hlen + off, n);
    t_put16(q + 2, (uint16_t)(hlen + n));
    ip_set16(q, hlen, 6, (uint16_t)((mf ? NET_IPV4_MF : 0) | off / 8));
    return l3_off + hlen + n;
}

/* Parses f as a fragment and hands it over; returns what net_reasm_add did. */
static size_t feed(struct net_reasm *r, const uint8_t *f, size_t len, uint64_t now, uint8_t **out)
{
    struct net_hdrs h;

    cr_assert_eq(net_frame_parse(f, len, &h, 0), NET_KIND_IPV4_FRAG);
    return net_reasm_add(r, f, len, &h, now, out);
}

struct piece {
    size_t off, n;
    bool mf;
};

/* Cuts a datagram of ip_payload bytes into pieces of at most step (a
 * multiple of 8) bytes. */
static unsigned cut(struct piece *p, size_t ip_payload, size_t step)
{
    unsigned k = 0;
    size_t off;

    for (off = 0; off < ip_payload; off += step, k++) {
        p[k].off = off;
        p[k].n = ip_payload - off < step ? ip_payload - off : step;
        p[k].mf = off + step < ip_payload;
    }
    return k;
}

static uint8_t whole[NET_REASM_BUF_LEN], fbuf[2048];

/* Feeds pieces in the order given by idx; the last must complete it. */
static void reassemble(struct net_reasm *r, size_t wlen, size_t l3_off, const struct piece *p,
                       const unsigned *idx, unsigned k)
{
    uint8_t *out = NULL;
    size_t got = 0;
    unsigned i;

    for (i = 0; i < k; i++) {
        size_t n = frag(fbuf, whole, l3_off, p[idx[i]].off, p[idx[i]].n, p[idx[i]].mf);

        got = feed(r, fbuf, n, NOW + i, &out);
        if (i + 1 < k)
            cr_assert_eq(got, 0, "complete after %u of %u fragments", i + 1, k);
    }
    cr_assert_eq(got, wlen, "reassembled %zu bytes, want %zu", got, wlen);
    cr_assert_eq(memcmp(out, whole, wlen), 0, "reassembled frame differs from the original");
}

Test(reasm, in_order_and_shuffled_with_repeats)
{
    struct net_reasm r;
    struct piece p[64];
    unsigned idx[128], k, i, j, round;
    uint64_t rng = 7;

    cr_assert_eq(net_reasm_init(&r, 2, 0), 0);
    for (round = 0; round < 50; round++) {
        size_t plen = 1 + t_below(&rng, 8000), step = 8 * (1 + t_below(&rng, 180));
        size_t wlen = whole_frame(whole, plen, (uint16_t)round, -1, 5, round);
        unsigned n = 0;

        if ((plen + 8) / step >= 40) /* at most 40 pieces */
            step = ((plen + 8) / 40 + 8) & ~(size_t)7;
        if (step >= plen + 8) /* at least two */
            step = (plen + 8 + 15) / 16 * 8;
        k = cut(p, plen + 8, step);
        for (i = 0; i < k; i++)
            idx[n++] = i;
        if (round % 2) { /* shuffle, and repeat a few */
            for (i = n - 1; i > 0; i--) {
                unsigned t = idx[i];

                j = t_below(&rng, i + 1);
                idx[i] = idx[j];
                idx[j] = t;
            }
            for (i = 0; i < 3 && k > 1; i++) {
                j = t_below(&rng, n - 1); /* repeat one before the last */
                memmove(&idx[j + 1], &idx[j], (n - j) * sizeof(idx[0]));
                n++;
            }
        }
        reassemble(&r, wlen, NET_ETH_HLEN, p, idx, n);
    }
    cr_assert_eq(r.stats.reassembled, 50);
    cr_assert_eq(r.stats.dropped + r.stats.bad + r.stats.timeouts + r.stats.evictions, 0);
    net_reasm_fini(&r);
}

Test(reasm, vlan_tag_and_ip_options_kept)
{
    struct net_reasm r;
    struct piece p[8];
    unsigned idx[8] = { 2, 0, 1 }, k;
    size_t wlen = whole_frame(whole, 2000, 99, 0x0123, 8, 3);

    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    k = cut(p, 2008, 800);
    cr_assert_eq(k, 3);
    reassemble(&r, wlen, NET_ETH_HLEN + NET_VLAN_HLEN, p, idx, k);
    net_reasm_fini(&r);
}

Test(reasm, overlap_drops_the_datagram)
{
    struct net_reasm r;
    uint8_t *out;
    size_t wlen = whole_frame(whole, 3000, 5, -1, 5, 1), n;

    (void)wlen;
    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1600, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    n = frag(fbuf, whole, NET_ETH_HLEN, 1592, 1416, false); /* 8 bytes over the first */
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.dropped, 1);
    /* The rest of it alone starts a new datagram that never completes. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 1600, 1408, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.reassembled, 0);
    net_reasm_fini(&r);
}

Test(reasm, bad_lengths_and_ends)
{
    struct net_reasm r;
    uint8_t *out;
    size_t n;

    whole_frame(whole, 4000, 6, -1, 5, 2);
    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    /* A middle fragment whose length is not a multiple of 8. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1001, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.bad, 1);
    /* Two last fragments that disagree on the end. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 1600, 400, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    n = frag(fbuf, whole, NET_ETH_HLEN, 2400, 400, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.dropped, 1);
    /* A fragment past the end already known. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 1600, 400, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    n = frag(fbuf, whole, NET_ETH_HLEN, 2000, 800, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.dropped, 2);
    cr_assert_eq(r.stats.fragments, 5);
    net_reasm_fini(&r);
}

Test(reasm, beyond_64k_is_dropped)
{
    struct net_reasm r;
    uint8_t *out;
    size_t n;

    whole_frame(whole, 1000, 8, -1, 5, 4);
    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    /* Offset 65528 (the largest) with 200 bytes: the ping of death. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 0, 200, false);
    ip_set16(fbuf + NET_ETH_HLEN, 20, 6, 8191);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    cr_assert_eq(r.stats.dropped, 1);
    net_reasm_fini(&r);
}

Test(reasm, timeout_and_eviction)
{
    struct net_reasm r;
    uint8_t *out;
    size_t n;
    uint16_t id;

    cr_assert_eq(net_reasm_init(&r, 2, 1000), 0);
    whole_frame(whole, 3000, 1, -1, 5, 5);
    n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1600, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    /* The rest comes too late: the first part is gone. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 1600, 1408, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW + 1000, &out), 0);
    cr_assert_eq(r.stats.timeouts, 1);
    /* Three datagrams of one source, two slots: its oldest goes (it holds
     * its share: both). */
    for (id = 10; id < 13; id++) {
        whole_frame(whole, 3000, id, -1, 5, id);
        n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1600, true);
        cr_assert_eq(feed(&r, fbuf, n, NOW + 2000 + id, &out), 0);
    }
    cr_assert_eq(r.stats.limited, 1);
    cr_assert_eq(r.stats.evictions, 0);
    cr_assert_eq(r.stats.timeouts, 2, "the late half's own datagram timed out too");
    /* Datagram 12 is still there and completes. */
    n = frag(fbuf, whole, NET_ETH_HLEN, 1600, 1408, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW + 2100, &out), NET_ETH_HLEN + 20 + 3008);
    cr_assert_eq(memcmp(out, whole, NET_ETH_HLEN + 20 + 3008), 0);
    net_reasm_fini(&r);
}

Test(reasm, two_datagrams_interleaved)
{
    static uint8_t w2[NET_REASM_BUF_LEN];
    struct net_reasm r;
    uint8_t *out;
    size_t l1, l2, n;

    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    l2 = whole_frame(w2, 2500, 21, -1, 5, 21);
    l1 = whole_frame(whole, 2500, 20, -1, 5, 20);
    n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1480, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    n = frag(fbuf, w2, NET_ETH_HLEN, 1480, 1028, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    n = frag(fbuf, whole, NET_ETH_HLEN, 1480, 1028, false);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), l1);
    cr_assert_eq(memcmp(out, whole, l1), 0);
    n = frag(fbuf, w2, NET_ETH_HLEN, 0, 1480, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), l2);
    cr_assert_eq(memcmp(out, w2, l2), 0);
    net_reasm_fini(&r);
}

/* Random fragments of a few ids, all cut from one datagram: whatever comes
 * out is a valid IPv4 header, unfragmented, over a prefix of that
 * datagram's payload, and the counters agree with what came out. */
Test(reasm, random_fragments)
{
    struct net_reasm r;
    uint64_t rng = 11;
    unsigned i, done = 0;

    cr_assert_eq(net_reasm_init(&r, 3, 5000), 0);
    whole_frame(whole, 20000, 0, -1, 5, 9);
    for (i = 0; i < 200000; i++) {
        size_t off = 8 * t_below(&rng, 2600), n = 1 + t_below(&rng, 1400), len;
        bool mf = t_below(&rng, 4) != 0;
        uint8_t *out = NULL;
        struct net_hdrs h;

        if (off + n > 20008)
            off = 0;
        if (mf)
            n = (n + 7) & ~(size_t)7;
        len = frag(fbuf, whole, NET_ETH_HLEN, off, n, mf);
        ip_set16(fbuf + NET_ETH_HLEN, 20, 4, (uint16_t)t_below(&rng, 4)); /* id */
        if (net_frame_parse(fbuf, len, &h, 0) != NET_KIND_IPV4_FRAG)
            continue; /* offset 0 without MF: a whole datagram */
        len = net_reasm_add(&r, fbuf, len, &h, NOW + i, &out);
        if (len) {
            const uint8_t *ip = out + NET_ETH_HLEN;

            cr_assert_geq(len, NET_ETH_HLEN + 20);
            cr_assert_eq(t_get16(ip + 2), len - NET_ETH_HLEN);
            cr_assert_eq(t_get16(ip + 6) & (NET_IPV4_MF | NET_IPV4_OFF_MASK), 0);
            cr_assert_eq(t_csum(ip, 20), 0);
            cr_assert_eq(memcmp(ip + 20, whole + NET_ETH_HLEN + 20, len - NET_ETH_HLEN - 20), 0);
            done++;
        }
    }
    cr_assert_eq(r.stats.reassembled, done);
    cr_assert_gt(r.stats.dropped + r.stats.duplicates, 0);
    net_reasm_fini(&r);
}

/* The IPv4 source of frame f (Ethernet, no tag) set to src, its header
 * checksum made right. */
static void set_src(uint8_t *f, uint32_t src)
{
    ip_set16(f + NET_ETH_HLEN, 20, 12, (uint16_t)(src >> 16));
    ip_set16(f + NET_ETH_HLEN, 20, 14, (uint16_t)src);
}

/* One address floods: thousands of datagrams, each in many fragments that
 * never end, far more than the slots and the chunks hold. Another
 * address's datagram, started before the flood and finished during it,
 * and one started and finished in the middle of it, come out whole: the
 * flooder only ever loses its own. */
Test(reasm, a_flood_from_one_source_leaves_another_working)
{
    static uint8_t wb[NET_REASM_BUF_LEN], wc[NET_REASM_BUF_LEN], flood[NET_REASM_BUF_LEN];
    struct net_reasm r;
    uint8_t *out;
    size_t lb, lc, n;
    unsigned d, k;

    cr_assert_eq(net_reasm_init(&r, 0, 0), 0);
    lb = whole_frame(wb, 6000, 7, -1, 5, 70);
    set_src(wb, 0x0a000009);
    lc = whole_frame(wc, 3000, 8, -1, 5, 80);
    set_src(wc, 0x0a000009);
    whole_frame(flood, 20000, 0, -1, 5, 90);
    n = frag(fbuf, wb, NET_ETH_HLEN, 0, 1480, true);
    cr_assert_eq(feed(&r, fbuf, n, NOW, &out), 0);
    for (d = 0; d < 2000; d++) {
        for (k = 0; k < 12; k++) { /* 12 x 1480 bytes: 9 chunks, no end */
            n = frag(fbuf, flood, NET_ETH_HLEN, k * 1480, 1480, true);
            ip_set16(fbuf + NET_ETH_HLEN, 20, 4, (uint16_t)d); /* id */
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), 0);
        }
        if (d == 1000) { /* the second datagram, whole amid the flood */
            n = frag(fbuf, wc, NET_ETH_HLEN, 1480, 1528, false);
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), 0);
            n = frag(fbuf, wc, NET_ETH_HLEN, 0, 1480, true);
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), lc);
            cr_assert_eq(memcmp(out, wc, lc), 0);
        }
        if (d == 1500) { /* the rest of the first, 6008 bytes in all */
            n = frag(fbuf, wb, NET_ETH_HLEN, 1480, 1480, true);
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), 0);
            n = frag(fbuf, wb, NET_ETH_HLEN, 2960, 1480, true);
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), 0);
            n = frag(fbuf, wb, NET_ETH_HLEN, 4440, 1568, false);
            cr_assert_eq(feed(&r, fbuf, n, NOW + d, &out), lb);
            cr_assert_eq(memcmp(out, wb, lb), 0);
        }
    }
    cr_assert_eq(r.stats.reassembled, 2);
    cr_assert_gt(r.stats.limited, 1900, "the flooder lost its own datagrams");
    cr_assert_eq(r.stats.evictions, 0, "nobody else's");
    cr_assert_eq(r.stats.dropped + r.stats.timeouts, 0);
    net_reasm_fini(&r);
}

/* More sources than slots, each one fragment: the budget is fixed, the
 * oldest of the sources holding the most goes, and a datagram that then
 * completes is whole. */
Test(reasm, more_sources_than_slots)
{
    struct net_reasm r;
    uint8_t *out;
    size_t l, n;
    unsigned i;

    cr_assert_eq(net_reasm_init(&r, 8, 0), 0);
    l = whole_frame(whole, 2000, 3, -1, 5, 33);
    for (i = 0; i < 20; i++) {
        n = frag(fbuf, whole, NET_ETH_HLEN, 0, 1480, true);
        set_src(fbuf, 0x0b000000 + i);
        cr_assert_eq(feed(&r, fbuf, n, NOW + i, &out), 0);
    }
    cr_assert_eq(r.stats.evictions, 12);
    n = frag(fbuf, whole, NET_ETH_HLEN, 1480, 528, false);
    set_src(fbuf, 0x0b000000 + 19);
    cr_assert_eq(feed(&r, fbuf, n, NOW + 30, &out), l);
    set_src(whole, 0x0b000000 + 19);
    cr_assert_eq(memcmp(out, whole, l), 0);
    net_reasm_fini(&r);
}
