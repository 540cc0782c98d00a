/* libFuzzer harness for IPv4 reassembly (make fuzz). The input is a run of
 * records, each a fragment fed through net_frame_parse to net_reasm_add at
 * a clock that the record advances (so that timeouts happen):
 *
 *   byte 0 of the input: slots (1 + b % 8)
 *   record: ctl, src, id, off_lo, off_hi, len_lo, len_hi          (made)
 *           ctl with bit 3 set, len_lo, len_hi, then len raw bytes (raw)
 *   ctl bits 0-2: clock step of 300 ms x n; 4: VLAN tag; 5-6: option words;
 *   7: protocol UDP (else 99). Made fragments come from 10.0.0.(src % 4) with
 *   id (id % 8), offset in 8-byte units from off_lo and off_hi's low 5 bits,
 *   MF from off_hi bit 5, a payload of up to 1400 bytes whose every byte is
 *   a function of the datagram and its offset in it. Raw frames are
 *   anything; those from 10.0.0.0/30 are not fed (they would break the
 *   content check).
 *
 * Checked: each call has exactly one outcome among kept, duplicate, dropped,
 * bad and reassembled, as the counters say; a datagram made whole parses as
 * IPv4 (checksum, lengths) with its fragment fields cleared, is no longer
 * than a slot, and (made fragments) holds exactly the bytes its fragments
 * carried at their offsets; nothing is read or written outside a buffer
 * (ASan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_test.h"

#include "fuzz_check.h"

#define MADE_NET 0x0a000000u /* 10.0.0.0/30, host order */
#define MAX_RAW  1600

/* The byte at offset o of made datagram (src, id, proto). */
static uint8_t pat(uint32_t src, uint16_t id, uint8_t proto, uint32_t o)
{
    return (uint8_t)(o * 7 + (o >> 8) + src * 31 + id * 5 + proto);
}

/* Builds a made fragment into buf; returns its length. */
static size_t made(uint8_t *buf, const uint8_t *r)
{
    static uint8_t payload[1400];
    struct tf t = { .vid = r[0] & 0x10 ? 5 : -1,
                    .ethertype = NET_ETH_P_IPV4,
                    .ihl = 5 + ((r[0] >> 5) & 3),
                    .ttl = 64,
                    .proto = 99,
                    .id = r[2] % 8,
                    .sip = MADE_NET | (r[1] % 4),
                    .dip = 0x0a000101 };
    uint32_t off = (r[3] | (uint32_t)(r[4] & 0x1f) << 8) * 8, i;
    uint8_t proto = r[0] & 0x80 ? NET_IP_PROTO_UDP : 99, *ip;
    size_t plen = (r[5] | (size_t)r[6] << 8) % sizeof(payload), l3;

    for (i = 0; i < plen; i++)
        payload[i] = pat(t.sip, t.id, proto, off + i);
    t.frag = (uint16_t)(off / 8 | (r[4] & 0x20 ? NET_IPV4_MF : 0));
    t.payload = payload;
    t.payload_len = plen;
    memcpy(t.dst, t_mac_a, 6);
    memcpy(t.src, t_mac_b, 6);
    l3 = t.vid >= 0 ? 18 : 14;
    plen = tf_build(buf, &t);
    ip = buf + l3;
    ip[9] = proto; /* built raw (no L4 header), then labelled */
    t_put16(ip + 10, 0);
    t_put16(ip + 10, t_csum(ip, (size_t)(ip[0] & 15) * 4));
    return plen;
}

/* A whole datagram: checks its headers and, when made, its bytes. */
static void check_whole(const uint8_t *out, size_t n)
{
    struct net_hdrs h;
    const uint8_t *ip;
    uint32_t src, hlen, total, o;
    int rc = net_frame_parse(out, n, &h, 0);

    CHECK(n <= NET_REASM_BUF_LEN, "%zu bytes", n);
    CHECK(rc >= 0 || rc <= -NET_ERR_ICMP_TRUNC, "whole datagram refused: %s",
          net_parse_result_name(rc));
    CHECK(rc != NET_KIND_IPV4_FRAG, "still a fragment");
    ip = out + h.l3_off;
    hlen = (uint32_t)(ip[0] & 15) * 4;
    total = t_get16(ip + 2);
    CHECK(h.l3_off + total == n, "total length %u, frame %zu", total, n);
    CHECK((t_get16(ip + 6) & 0x3fff) == 0, "fragment fields left");
    src = (uint32_t)t_get16(ip + 12) << 16 | t_get16(ip + 14);
    if ((src & ~3u) != MADE_NET)
        return;
    for (o = 0; o < total - hlen; o++)
        CHECK(ip[hlen + o] == pat(src, t_get16(ip + 4), ip[9], o), "byte %u of %u wrong", o,
              total - hlen);
}

static uint64_t outcomes(const struct net_reasm_stats *s)
{
    return s->duplicates + s->dropped + s->bad + s->reassembled;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[MAX_RAW + 64];
    struct net_reasm r;
    uint64_t now = 1000000000ULL;
    size_t i = 1;

    if (size < 1)
        return -1;
    CHECK(net_reasm_init(&r, 1 + data[0] % 8, 0) == 0, "init");
    while (i < size) {
        const uint8_t *rec = data + i;
        struct net_hdrs h;
        uint8_t *f, *out = NULL;
        size_t len, n;
        uint64_t before, whole;

        if (rec[0] & 8) { /* raw */
            if (size - i < 3)
                break;
            len = NFOS_MIN((size_t)(rec[1] | rec[2] << 8) % (MAX_RAW + 1), size - i - 3);
            memcpy(frame, rec + 3, len);
            i += 3 + len;
        } else {
            if (size - i < 7)
                break;
            len = made(frame, rec);
            i += 7;
        }
        now += (rec[0] & 7) * 300000000ULL;
        f = malloc(len ? len : 1); /* exactly sized: ASan sees any read past it */
        memcpy(f, frame, len);
        if (net_frame_parse(f, len, &h, 0) != NET_KIND_IPV4_FRAG ||
            ((rec[0] & 8) &&
             ((uint32_t)t_get16(f + h.l3_off + 12) << 16 | t_get16(f + h.l3_off + 14)) >> 2 ==
                 MADE_NET >> 2)) {
            free(f);
            continue;
        }
        before = outcomes(&r.stats);
        whole = r.stats.reassembled;
        n = net_reasm_add(&r, f, len, &h, now, &out);
        CHECK(outcomes(&r.stats) - before <= 1, "two outcomes for one fragment");
        CHECK((n != 0) == (r.stats.reassembled == whole + 1), "returned %zu", n);
        if (n) {
            CHECK(out != NULL, "no frame");
            check_whole(out, n);
        }
        free(f);
    }
    CHECK(r.stats.fragments >= outcomes(&r.stats), "more outcomes than fragments");
    net_reasm_fini(&r);
    return 0;
}
