/* IPv4 reassembly (RFC 791, with RFC 5722's rule on overlaps): a few
 * datagrams at a time, each put together in a buffer of its own. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/net_csum.h>
#include <nfos/net_parse.h>
#include <nfos/net_reasm.h>

int net_reasm_init(struct net_reasm *r, unsigned nslots, uint64_t timeout_ns)
{
    unsigned i;

    memset(r, 0, sizeof(*r));
    r->nslots = nslots ? nslots : NET_REASM_SLOTS_DEFAULT;
    r->timeout_ns = timeout_ns ? timeout_ns : NET_REASM_TIMEOUT_NS;
    if (!(r->slots = calloc(r->nslots, sizeof(*r->slots))))
        return -ENOMEM;
    for (i = 0; i < r->nslots; i++) {
        if (!(r->slots[i].buf = malloc(NET_REASM_BUF_LEN))) {
            net_reasm_fini(r);
            return -ENOMEM;
        }
    }
    return 0;
}

void net_reasm_fini(struct net_reasm *r)
{
    unsigned i;

    for (i = 0; r->slots && i < r->nslots; i++)
        free(r->slots[i].buf);
    free(r->slots);
    r->slots = NULL;
    r->nslots = 0;
}

/* The slot of (src, dst, id, proto), or a fresh one for it: a free slot or
 * the oldest busy one, given up. Slots past their time are freed first. */
static struct net_reasm_slot *net_reasm_slot(struct net_reasm *r, const struct net_ipv4_hdr *ip,
                                             uint64_t now_ns)
{
    struct net_reasm_slot *s, *free_slot = NULL, *oldest = NULL;
    unsigned i;

    for (i = 0; i < r->nslots; i++) {
        s = &r->slots[i];
        if (s->used && (int64_t)(now_ns - s->expires) >= 0) {
            s->used = 0;
            r->stats.timeouts++;
        }
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->src == ip->src && s->dst == ip->dst && s->id == ip->id && s->proto == ip->proto)
            return s;
        if (!oldest || (int64_t)(s->expires - oldest->expires) < 0)
            oldest = s;
    }
    if (!(s = free_slot)) {
        s = oldest;
        r->stats.evictions++;
    }
    s->used = 1;
    s->expires = now_ns + r->timeout_ns;
    s->src = ip->src;
    s->dst = ip->dst;
    s->id = ip->id;
    s->proto = ip->proto;
    s->l3_off = 0;
    s->hlen = 0;
    s->end = 0;
    s->have = 0;
    s->nfrags = 0;
    return s;
}

/* Gives the datagram up. */
static size_t net_reasm_drop(struct net_reasm *r, struct net_reasm_slot *s)
{
    s->used = 0;
    r->stats.dropped++;
    return 0;
}

size_t net_reasm_add(struct net_reasm *r, const uint8_t *frame, size_t len,
                     const struct net_hdrs *h, uint64_t now_ns, uint8_t **out)
{
    const struct net_ipv4_hdr *ip = (const struct net_ipv4_hdr *)(frame + h->l3_off);
    uint32_t hlen = (uint32_t)(h->l4_off - h->l3_off), fo, off, plen, i;
    struct net_ipv4_hdr *whole;
    struct net_reasm_slot *s;
    uint8_t *start;
    bool last;

    r->stats.fragments++;
    /* net_frame_parse checked the header and that total_len fits in len. */
    if (h->kind != NET_KIND_IPV4_FRAG || h->l4_off + h->payload_len > len) {
        r->stats.bad++;
        return 0;
    }
    fo = net_ntohs(ip->frag_off);
    off = (fo & NET_IPV4_OFF_MASK) * 8;
    plen = h->payload_len;
    last = !(fo & NET_IPV4_MF);
    if (!last && (plen == 0 || plen % 8)) {
        r->stats.bad++;
        return 0;
    }
    s = net_reasm_slot(r, ip, now_ns);
    if (off + plen > NET_IPV4_MAX_LEN - NET_IPV4_HLEN || s->nfrags == NET_REASM_FRAGS_MAX ||
        (s->end && (last ? off + plen != s->end : off + plen > s->end)))
        return net_reasm_drop(r, s);
    for (i = 0; i < s->nfrags; i++) {
        uint32_t o = s->frags[i].off, e = o + s->frags[i].len;

        if (o == off && e == off + plen) {
            r->stats.duplicates++;
            return 0;
        }
        if (off < e && o < off + plen)
            return net_reasm_drop(r, s);
        if (last && e > off + plen)
            return net_reasm_drop(r, s); /* bytes beyond the end */
    }
    if (last)
        s->end = off + plen;
    memcpy(s->buf + NET_REASM_PAYLOAD_OFF + off, (const uint8_t *)ip + hlen, plen);
    if (off == 0) {
        s->l3_off = h->l3_off;
        s->hlen = (uint16_t)hlen;
        memcpy(s->buf + NET_REASM_PAYLOAD_OFF - hlen - h->l3_off, frame, h->l3_off + hlen);
    }
    s->frags[s->nfrags].off = (uint16_t)off;
    s->frags[s->nfrags++].len = (uint16_t)plen;
    s->have += plen;
    if (!s->end || !s->hlen || s->have != s->end)
        return 0;
    /* Whole: no overlaps, so end bytes in means every byte is there. */
    if (s->hlen + s->end > NET_IPV4_MAX_LEN)
        return net_reasm_drop(r, s);
    whole = (struct net_ipv4_hdr *)(s->buf + NET_REASM_PAYLOAD_OFF - s->hlen);
    whole->total_len = net_htons((uint16_t)(s->hlen + s->end));
    whole->frag_off &= NET_BE16(NET_IPV4_DF);
    net_ipv4_csum_set(whole);
    start = (uint8_t *)whole - s->l3_off;
    s->used = 0;
    r->stats.reassembled++;
    *out = start;
    return s->l3_off + s->hlen + s->end;
}
