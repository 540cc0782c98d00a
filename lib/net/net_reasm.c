/* IPv4 reassembly (RFC 791, with RFC 5722's rule on overlaps): datagrams
 * put together in chunks of one fixed budget, shared fairly between the
 * sources (nfos/net_reasm.h says how). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/net_csum.h>
#include <nfos/net_parse.h>
#include <nfos/net_reasm.h>

_Static_assert(NET_REASM_CHUNKS < 256, "chunk numbers + 1 fit a byte");

int net_reasm_init(struct net_reasm *r, unsigned nslots, uint64_t timeout_ns)
{
    unsigned i;

    memset(r, 0, sizeof(*r));
    r->nslots = nslots ? nslots : NET_REASM_SLOTS_DEFAULT;
    r->timeout_ns = timeout_ns ? timeout_ns : NET_REASM_TIMEOUT_NS;
    r->slots = calloc(r->nslots, sizeof(*r->slots));
    r->chunks = malloc((size_t)NET_REASM_CHUNKS * NET_REASM_CHUNK);
    r->out = malloc(NET_REASM_BUF_LEN);
    if (!r->slots || !r->chunks || !r->out) {
        net_reasm_fini(r);
        return -ENOMEM;
    }
    for (i = 0; i < NET_REASM_CHUNKS; i++)
        r->free_chunks[i] = (uint8_t)i;
    r->nfree = NET_REASM_CHUNKS;
    return 0;
}

void net_reasm_fini(struct net_reasm *r)
{
    free(r->slots);
    free(r->chunks);
    free(r->out);
    r->slots = NULL;
    r->chunks = r->out = NULL;
    r->nslots = 0;
}

/* The slot's chunks back to the budget; the slot free. */
static void slot_release(struct net_reasm *r, struct net_reasm_slot *s)
{
    unsigned i;

    for (i = 0; s->nchunks && i < NET_REASM_SLOT_CHUNKS; i++)
        if (s->chunk[i]) {
            r->free_chunks[r->nfree++] = (uint8_t)(s->chunk[i] - 1);
            s->chunk[i] = 0;
            s->nchunks--;
        }
    s->used = 0;
}

/* Slots, or chunks (by_chunks), that source src holds. */
static unsigned src_holds(const struct net_reasm *r, uint32_t src, bool by_chunks)
{
    unsigned i, n = 0;

    for (i = 0; i < r->nslots; i++)
        if (r->slots[i].used && r->slots[i].src == src)
            n += by_chunks ? r->slots[i].nchunks : 1;
    return n;
}

/* The oldest busy slot other than keep: of source src when own, else of
 * the source holding the most slots or chunks (by_chunks). NULL: none. */
static struct net_reasm_slot *victim(struct net_reasm *r, const struct net_reasm_slot *keep,
                                     bool own, uint32_t src, bool by_chunks)
{
    struct net_reasm_slot *v = NULL;
    unsigned i, vh = 0;

    for (i = 0; i < r->nslots; i++) {
        struct net_reasm_slot *s = &r->slots[i];
        unsigned h;

        if (!s->used || s == keep || (own && s->src != src))
            continue;
        h = own ? 0 : src_holds(r, s->src, by_chunks);
        if (!v || h > vh || (h == vh && (int64_t)(s->expires - v->expires) < 0)) {
            v = s;
            vh = h;
        }
    }
    return v;
}

static unsigned slot_cap(const struct net_reasm *r)
{
    return r->nslots / 2 > 2 ? r->nslots / 2 : 2;
}

/* The slot of (src, dst, id, proto), or a fresh one for it: a free slot, a
 * slot of the source's own when it holds its share, else one of the
 * source holding the most. Slots past their time are freed first. */
static struct net_reasm_slot *net_reasm_slot(struct net_reasm *r, const struct net_ipv4_hdr *ip,
                                             uint64_t now_ns)
{
    struct net_reasm_slot *s, *free_slot = NULL;
    unsigned i;

    for (i = 0; i < r->nslots; i++) {
        s = &r->slots[i];
        if (s->used && (int64_t)(now_ns - s->expires) >= 0) {
            slot_release(r, s);
            r->stats.timeouts++;
        }
        if (!s->used) {
            if (!free_slot)
                free_slot = s;
            continue;
        }
        if (s->src == ip->src && s->dst == ip->dst && s->id == ip->id && s->proto == ip->proto)
            return s;
    }
    if (src_holds(r, ip->src, false) >= slot_cap(r)) {
        s = victim(r, NULL, true, ip->src, false);
        r->stats.limited++;
    } else if (!(s = free_slot)) {
        s = victim(r, NULL, false, 0, false);
        r->stats.evictions++;
    }
    if (s->used)
        slot_release(r, s);
    memset(s, 0, offsetof(struct net_reasm_slot, frags));
    s->used = 1;
    s->expires = now_ns + r->timeout_ns;
    s->src = ip->src;
    s->dst = ip->dst;
    s->id = ip->id;
    s->proto = ip->proto;
    return s;
}

/* Makes room for need more chunks for s: false when s itself must go. */
static bool chunks_reserve(struct net_reasm *r, struct net_reasm_slot *s, unsigned need)
{
    unsigned cap =
        NET_REASM_CHUNKS / 2 > NET_REASM_SLOT_CHUNKS ? NET_REASM_CHUNKS / 2 : NET_REASM_SLOT_CHUNKS;
    struct net_reasm_slot *v;

    for (;;) {
        bool over = src_holds(r, s->src, true) + need > cap;

        if (!over && need <= r->nfree)
            return true;
        if (!(v = victim(r, s, over, s->src, true)))
            return false;
        over ? r->stats.limited++ : r->stats.evictions++;
        slot_release(r, v);
    }
}

/* Gives the datagram up. */
static size_t net_reasm_drop(struct net_reasm *r, struct net_reasm_slot *s)
{
    slot_release(r, s);
    r->stats.dropped++;
    return 0;
}

/* Copies payload bytes [off, off + n) into s's chunks (reserved). */
static void chunks_write(struct net_reasm *r, struct net_reasm_slot *s, uint32_t off,
                         const uint8_t *p, uint32_t n)
{
    while (n) {
        uint32_t c = off / NET_REASM_CHUNK, o = off % NET_REASM_CHUNK;
        uint32_t k = NET_REASM_CHUNK - o < n ? NET_REASM_CHUNK - o : n;

        if (!s->chunk[c]) {
            s->chunk[c] = (uint8_t)(r->free_chunks[--r->nfree] + 1);
            s->nchunks++;
        }
        memcpy(r->chunks + (size_t)(s->chunk[c] - 1) * NET_REASM_CHUNK + o, p, k);
        off += k;
        p += k;
        n -= k;
    }
}

/* Chunks [off, off + n) would take that s does not hold yet. */
static unsigned chunks_missing(const struct net_reasm_slot *s, uint32_t off, uint32_t n)
{
    uint32_t c, need = 0;

    for (c = off / NET_REASM_CHUNK; n && c <= (off + n - 1) / NET_REASM_CHUNK; c++)
        need += !s->chunk[c];
    return need;
}

/* s is whole: the frame into r->out (*out: its start); returns its length. */
static size_t net_reasm_finish(struct net_reasm *r, struct net_reasm_slot *s, uint8_t **out)
{
    uint32_t hl = s->l3_off + s->hlen, c;
    struct net_ipv4_hdr *whole;
    uint8_t *start = r->out + NET_REASM_PAYLOAD_OFF - hl;

    memcpy(start, s->hdr + NET_REASM_PAYLOAD_OFF - hl, hl);
    for (c = 0; c * NET_REASM_CHUNK < s->end; c++) {
        uint32_t k = s->end - c * NET_REASM_CHUNK;

        memcpy(r->out + NET_REASM_PAYLOAD_OFF + c * NET_REASM_CHUNK,
               r->chunks + (size_t)(s->chunk[c] - 1) * NET_REASM_CHUNK,
               k < NET_REASM_CHUNK ? k : NET_REASM_CHUNK);
    }
    whole = (struct net_ipv4_hdr *)(start + s->l3_off);
    whole->total_len = net_htons((uint16_t)(s->hlen + s->end));
    whole->frag_off &= NET_BE16(NET_IPV4_DF);
    net_ipv4_csum_set(whole);
    slot_release(r, s);
    r->stats.reassembled++;
    *out = start;
    return hl + s->end;
}

size_t net_reasm_add(struct net_reasm *r, const uint8_t *frame, size_t len,
                     const struct net_hdrs *h, uint64_t now_ns, uint8_t **out)
{
    const struct net_ipv4_hdr *ip = (const struct net_ipv4_hdr *)(frame + h->l3_off);
    uint32_t hlen = (uint32_t)(h->l4_off - h->l3_off), fo, off, plen, i;
    struct net_reasm_slot *s;
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
    if (!chunks_reserve(r, s, chunks_missing(s, off, plen)))
        return net_reasm_drop(r, s); /* its source holds its share in this one */
    if (last)
        s->end = off + plen;
    chunks_write(r, s, off, (const uint8_t *)ip + hlen, plen);
    if (off == 0) {
        s->l3_off = h->l3_off;
        s->hlen = (uint16_t)hlen;
        memcpy(s->hdr + NET_REASM_PAYLOAD_OFF - hlen - h->l3_off, frame, h->l3_off + hlen);
    }
    s->frags[s->nfrags].off = (uint16_t)off;
    s->frags[s->nfrags++].len = (uint16_t)plen;
    s->have += plen;
    if (!s->end || !s->hlen || s->have != s->end)
        return 0;
    /* Whole: no overlaps, so end bytes in means every byte is there. */
    if (s->hlen + s->end > NET_IPV4_MAX_LEN)
        return net_reasm_drop(r, s);
    return net_reasm_finish(r, s, out);
}
