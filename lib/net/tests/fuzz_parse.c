/* libFuzzer harness for net_frame_parse and the in-place replies (make
 * fuzz). Input: one control byte, then the frame. The control byte picks
 * the parse flags (bits 0-1), whether the frame's checksums are made right
 * first so that mutations reach the checks behind them (bit 2), the address
 * we answer for (bit 3: 10.0.0.1, else the frame's own destination) and
 * the UDP reply's checksum mode and length (bits 4-7).
 *
 * Checked: net_frame_parse agrees with the reference parser written
 * independently from the header (tests/net_test_util.c), result and every
 * offset; it writes nothing; an accepted frame's payload lies inside it;
 * a reply is a documented error that leaves the frame untouched, or a
 * frame of the same kind that parses again; nothing is read or written
 * outside its buffer (ASan: each buffer is malloc'ed to its exact size). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

#include "fuzz_check.h"

static void hdrs_equal(const struct net_hdrs *a, const struct net_hdrs *b)
{
    CHECK(a->kind == b->kind && a->vlan == b->vlan && a->ip_proto == b->ip_proto &&
              a->vlan_tci == b->vlan_tci && a->ethertype == b->ethertype &&
              a->l3_off == b->l3_off && a->l4_off == b->l4_off &&
              a->payload_off == b->payload_off && a->payload_len == b->payload_len,
          "headers differ from the reference: l4 %u/%u payload %u+%u / %u+%u", a->l4_off, b->l4_off,
          a->payload_off, a->payload_len, b->payload_off, b->payload_len);
}

static bool refusal(int rc)
{
    return rc == -EINVAL || rc == -ENOMSG || rc == -EADDRNOTAVAIL || rc == -EHOSTUNREACH;
}

/* ARP and ICMP answers in place: a refusal leaves the frame as it was. */
static void reply_in_place(uint8_t *g, const uint8_t *f, size_t len, const struct net_hdrs *h,
                           unsigned flags, uint32_t our_ip)
{
    struct net_hdrs r;
    int rc = h->kind == NET_KIND_ARP ? net_arp_reply(g, len, h, t_mac_a, our_ip)
                                     : net_icmp_echo_reply(g, len, h, our_ip);

    if (rc < 0) {
        CHECK(refusal(rc), "reply error %d", rc);
        CHECK(memcmp(g, f, len) == 0, "a refused frame was changed");
        return;
    }
    CHECK((size_t)rc <= len, "reply of %d bytes from %zu", rc, len);
    CHECK(net_frame_parse(g, (size_t)rc, &r, flags) == h->kind, "the reply does not parse");
}

static void reply_udp(const uint8_t *f, size_t len, const struct net_hdrs *h, unsigned flags,
                      uint8_t ctl)
{
    size_t plen = ctl & 0x80 ? h->payload_len : (size_t)(ctl & 0x60) * 9 + (ctl & 7);
    enum net_udp_csum_mode mode = ctl & 0x80   ? NET_UDP_CSUM_KEEP
                                  : ctl & 0x10 ? NET_UDP_CSUM_FULL
                                               : NET_UDP_CSUM_NONE;
    size_t cap = NFOS_MAX(len, h->payload_off + plen);
    uint8_t *big = malloc(cap);
    struct net_hdrs r;
    int rc;

    memcpy(big, f, len);
    memset(big + len, 'v', cap - len);
    /* The reply drops the request's IPv4 options (never echoed). */
    size_t opts = (size_t)(h->l4_off - h->l3_off) - NET_IPV4_HLEN;

    rc = net_udp_reply(big, cap, h, plen, mode);
    CHECK(rc == (int)(h->payload_off - opts + plen), "UDP reply %d for %zu payload bytes", rc,
          plen);
    CHECK(net_frame_parse(big, (size_t)rc, &r, flags) == NET_KIND_UDP, "the UDP reply parses");
    CHECK(r.payload_len == plen, "reply payload %u, want %zu", r.payload_len, plen);
    free(big);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct net_hdrs h, ref;
    unsigned flags;
    uint8_t ctl, *f, *g;
    uint32_t our_ip;
    size_t len;
    int rc, ref_rc;

    if (size < 1 || size > 0xffff)
        return -1;
    ctl = data[0];
    len = size - 1;
    flags = ctl & 3;
    f = malloc(len ? len : 1);
    memcpy(f, data + 1, len);
    if (ctl & 4)
        t_fix_csums(f, len);
    g = malloc(len ? len : 1);
    memcpy(g, f, len);

    rc = net_frame_parse(g, len, &h, flags);
    ref_rc = t_parse(f, len, &ref, flags);
    CHECK(rc == ref_rc, "%s, the reference says %s", net_parse_result_name(rc),
          net_parse_result_name(ref_rc));
    CHECK(memcmp(g, f, len) == 0, "the parser wrote to the frame");
    if (rc >= 0) {
        hdrs_equal(&h, &ref);
        CHECK((size_t)h.payload_off + h.payload_len <= len, "payload beyond the frame");
        our_ip = T_IP_A;
        if (!(ctl & 8) && (h.kind == NET_KIND_ICMP || h.kind == NET_KIND_ARP))
            memcpy(&our_ip, f + h.l3_off + (h.kind == NET_KIND_ARP ? 24 : 16), 4);
        if (h.kind == NET_KIND_ARP || h.kind == NET_KIND_ICMP)
            reply_in_place(g, f, len, &h, flags, our_ip);
        else if (h.kind == NET_KIND_UDP)
            reply_udp(f, len, &h, flags, ctl);
        else
            CHECK(net_udp_reply(g, len, &h, 0, NET_UDP_CSUM_FULL) == -EINVAL, "not UDP");
    }
    free(g);
    free(f);
    return 0;
}
