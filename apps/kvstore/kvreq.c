/* kvstore's request path (kvreq.h): run to completion on a port's queue
 * pair: rx burst -> parse, prefetch the bucket -> read it, prefetch the
 * item -> table, reply built in place in the received netbuf when it fits
 * (addresses and ports swapped, lengths and checksums fixed) -> tx burst,
 * the steps of one burst spread over three loop iterations (kvreq_poll())
 * so that what each prefetches arrives while other bursts are worked on;
 * at once when nothing new comes. Speaks memcached's ASCII protocol over
 * UDP, answers ARP and ping like pong; requests larger than a frame come
 * as IP fragments, which are put back together (lib/net's reassembly) and
 * answered from fresh netbufs; everything else is counted and dropped.
 * Answers only sources that can have asked (net_src_check: no reflection
 * off a forged address, no reply loops with other servers), at most
 * --max-reply-dgrams datagrams per request and, with --udp-rate, so many
 * per second per source. Frames come and go through <kvio.h>. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/plat/time.h>
#include "kvreq.h"

/* in->kind[] of a request whose source is refused (net_src_check). */
#define KIND_REFUSED (-2)
/* How long (1/TX_WAIT_DIV of a second) a full device queue may go without
 * taking a frame before the rest of a burst is dropped: the datagrams of a
 * long reply go out in chunks as the device frees room, not lost because
 * the ring is shorter than the reply. */
#define TX_WAIT_DIV 2000

static const char *const na_names[NA_COUNT] = {
    "arp_op",      "arp_not_ours", "arp_source",    "icmp_type",         "icmp_not_ours",
    "icmp_source", "udp_not_ours", "frag_not_ours", "reasm_not_request",
};

/* pass1's mark for a UDP datagram that is no request to us: below every
 * -NET_ERR_* */
#define KIND_UDP_NOT_OURS (-NET_ERR_COUNT - 1)

struct burst {
    struct netbuf *out[NFAPP_BURST];
    unsigned nout;
    struct nfapp *app;
    struct kvreq_port *p;
};

/* A full device queue took only sent of the burst: the rest as the
 * device frees room, for as long as it keeps taking frames; returns how
 * many went in all. Slow path. */
static __nfos_noinline uint16_t tx_wait(struct burst *b, uint16_t sent)
{
    const struct kvio_port *io = &b->p->io;
    uint64_t until = nfapp_now() + b->app->tsc_hz / TX_WAIT_DIV;
    uint16_t n;

    while (sent < b->nout && nfapp_now() < until)
        if ((n = kvio_tx(io, b->out + sent, (uint16_t)(b->nout - sent)))) {
            sent += n;
            until = nfapp_now() + b->app->tsc_hz / TX_WAIT_DIV;
        }
    if (sent < b->nout) {
        netbuf_free_bulk(b->out + sent, b->nout - sent);
        b->app->c.drops += b->nout - sent;
    }
    return sent;
}

static inline void tx_flush(struct burst *b)
{
    uint16_t sent;

    if (!b->nout)
        return;
    sent = kvio_tx(&b->p->io, b->out, (uint16_t)b->nout);
    if (unlikely(sent < b->nout))
        sent = tx_wait(b, sent);
    b->app->c.tx += sent;
    b->nout = 0;
}

static void tx_add(struct burst *b, struct netbuf *nb)
{
    if (b->nout == NFAPP_BURST)
        tx_flush(b);
    b->out[b->nout++] = nb;
}

/* nb with the length of the reply net_udp_reply* made of it (len), or
 * NULL (nb freed) when it could not. */
static struct netbuf *replied(struct netbuf *nb, int len)
{
    if (len > 0 && !netbuf_set_len(nb, (uint32_t)len))
        return nb;
    netbuf_free(nb);
    return NULL;
}

/* Turns the frame in nb (parsed as h) into a reply carrying payload_len
 * bytes of memcached datagram; NULL (nb freed) when it cannot. */
static struct netbuf *reply(struct netbuf *nb, const struct net_hdrs *h, size_t payload_len)
{
    return replied(nb, net_udp_reply(netbuf_data(nb), nb->buf_len - nb->data_off, h, payload_len,
                                     NET_UDP_CSUM_FULL));
}

/* Datagram d of kv_serve's reply into o, whose first h->payload_off bytes
 * hold the request's headers. */
static struct netbuf *fill(const struct kv *kv, struct netbuf *o, const struct net_hdrs *h,
                           const struct kv_dgram *d)
{
    uint8_t *pl = netbuf_data(o) + h->payload_off;

    memcpy(pl, d->hdr, MCPROTO_HDR_LEN);
    memcpy(pl + MCPROTO_HDR_LEN, kv->scratch + d->off, d->len);
    return reply(o, h, MCPROTO_HDR_LEN + d->len);
}

/* Netbufs for datagrams first .. nd of kv_serve's reply into o[], each
 * with a copy of the request's headers from nb: all of them, or none (then
 * false). */
static bool dgram_bufs(struct kvreq_lcore *lc, struct netbuf **o, unsigned first, unsigned nd,
                       const struct netbuf *nb, const struct net_hdrs *h)
{
    const struct kv *kv = &lc->kv;
    unsigned i;

    for (i = first; i < nd; i++) {
        if (!(o[i] = netbuf_alloc(lc->pool)) ||
            netbuf_tailroom(o[i]) < h->payload_off + MCPROTO_HDR_LEN + kv->dgram[i].len) {
            if (o[i])
                netbuf_free(o[i]);
            netbuf_free_bulk(o + first, i - first);
            return false;
        }
        memcpy(netbuf_data(o[i]), netbuf_data(nb), h->payload_off);
    }
    return true;
}

/* The datagrams kv_serve laid out: the first in place when it fits, the
 * others in fresh netbufs with a copy of the request's headers, sent in
 * order. A reply goes whole or not at all: when the pool cannot give
 * every datagram a netbuf it becomes one SERVER_ERROR datagram in nb
 * (counted), so that each header's datagram count is what is sent. */
static void send_dgrams(struct burst *b, struct netbuf *nb, const struct net_hdrs *h, unsigned nd)
{
    struct kvreq_lcore *lc = b->p->lc;
    struct kv *kv = &lc->kv;
    struct netbuf **o = lc->o;
    size_t room = nb->buf_len - nb->data_off - h->payload_off;
    unsigned i, first = MCPROTO_HDR_LEN + kv->dgram[0].len <= room;

    if (!dgram_bufs(lc, o, first, nd, nb, h)) {
        b->p->tx_nobuf++;
        kv->st.reply_no_buffer++;
        nd = kv_reply_replace(kv, "SERVER_ERROR out of memory writing response");
        first = 1;
    }
    for (i = first; i < nd; i++)
        o[i] = fill(kv, o[i], h, &kv->dgram[i]);
    if (first)
        o[0] = fill(kv, nb, h, &kv->dgram[0]);
    else
        netbuf_free(nb);
    for (i = 0; i < nd; i++)
        if (o[i])
            tx_add(b, o[i]);
}

/* Whether --udp-rate lets src have a reply now (counted when not). */
static inline bool rate_ok(struct kvreq_lcore *lc, uint32_t src)
{
    if (net_ratelimit_take(&lc->ratelimit, src, lc->now_tsc))
        return true;
    lc->kv.st.reply_rate_limited++;
    return false;
}

/* A request datagram: a simple get (g, from the first pass) or one other
 * single get answered in place, else by kv_serve. */
static void serve_request(struct burst *b, struct netbuf *nb, const struct net_hdrs *h,
                          const struct kv_get *g, bool simple)
{
    struct kvreq_lcore *w = b->p->lc;
    uint8_t *pl = netbuf_data(nb) + h->payload_off;
    size_t room = nb->buf_len - nb->data_off - h->payload_off, n;
    uint32_t sum, src = 0;
    unsigned nd;

    if (unlikely(w->rate_on)) {
        src = net_hdrs_ipv4(netbuf_data(nb), h)->src;
        if (!rate_ok(w, src)) {
            netbuf_free(nb);
            return;
        }
    }
    n = simple ? kv_get_reply(&w->kv, pl, h->payload_len, room, g, &sum)
               : kv_serve_inplace(&w->kv, pl, h->payload_len, room, &sum);
    if (n) {
        if ((nb = replied(
                 nb, net_udp_reply_sum(netbuf_data(nb), nb->buf_len - nb->data_off, h, n, sum))))
            tx_add(b, nb);
        return;
    }
    nd = kv_serve(&w->kv, pl, h->payload_len);
    if (w->rate_on && nd > 1) /* a reply of several datagrams costs as many */
        net_ratelimit_charge(&w->ratelimit, src, nd - 1);
    if (nd)
        send_dgrams(b, nb, h, nd);
    else
        netbuf_free(nb);
}

static inline bool is_request(const struct kvreq_port *p, uint8_t *f, const struct net_hdrs *h)
{
    return net_ntohs(net_hdrs_udp(f, h)->dport) == p->udp_port && net_hdrs_ipv4(f, h)->dst == p->ip;
}

/* An IPv4 fragment: kept until its datagram is whole, which is then
 * served like any request, with its replies in fresh netbufs (a request
 * that needed fragments is no hit-path get). */
static void serve_fragment(struct burst *b, struct kvreq_port *p, struct netbuf *nb,
                           const struct net_hdrs *h)
{
    uint8_t *f = netbuf_data(nb), *whole;
    struct net_hdrs wh;
    struct netbuf *o;
    unsigned nd;
    uint32_t src;
    size_t len;
    int why;

    if (h->ip_proto != NET_IP_PROTO_UDP || net_hdrs_ipv4(f, h)->dst != p->ip) {
        p->ignored++;
        p->na[NA_FRAG_NOT_OURS]++;
        netbuf_free(nb);
        return;
    }
    len = net_reasm_add(&p->reasm, f, nb->len, h, plat_time_ns(), &whole);
    netbuf_free(nb);
    if (!len)
        return;
    if (net_frame_parse(whole, len, &wh, 0) != NET_KIND_UDP || !is_request(p, whole, &wh)) {
        p->ignored++; /* whole, but not a request to us (or its UDP checksum is wrong) */
        p->na[NA_REASM_NOT_REQUEST]++;
        return;
    }
    if ((why = net_src_check(&p->guard, whole, &wh))) {
        p->src.refused[why]++;
        p->ignored++;
        return;
    }
    src = net_hdrs_ipv4(whole, &wh)->src;
    if (p->lc->rate_on && !rate_ok(p->lc, src))
        return;
    p->frag_replies++;
    if (!(nd = kv_serve(&p->lc->kv, whole + wh.payload_off, wh.payload_len)))
        return;
    if (p->lc->rate_on && nd > 1)
        net_ratelimit_charge(&p->lc->ratelimit, src, nd - 1);
    if (!(o = netbuf_alloc(p->lc->pool)) || netbuf_tailroom(o) < wh.payload_off) {
        if (o)
            netbuf_free(o);
        p->tx_nobuf++;
        return;
    }
    memcpy(netbuf_data(o), whole, wh.payload_off);
    send_dgrams(b, o, &wh, nd);
}

/* A burst just received: the device's core wrote its frames, and the
 * replies go over them. Ask for their first two lines (a get and its
 * reply) all at once, so that the transfers overlap each other and the
 * answering of an earlier burst instead of stalling the parse; into L2,
 * like the table's prefetches (nfos_prefetch_l2). */
static void fetch(struct nfapp *app, struct kvreq_inflight *in)
{
    uint16_t k;

    app->c.rx += in->n;
    for (k = 0; k < in->n; k++) {
        nfos_prefetch_l2(netbuf_data(in->pkts[k]));
        nfos_prefetch_l2(netbuf_data(in->pkts[k]) + 64);
    }
}

/* Pass 1: classify, parse a simple get or hash the first key, prefetch
 * its bucket. Passes 1 and 2 do not change the table. */
static void pass1(struct nfapp *app, struct kvreq_port *p, struct kvreq_inflight *in)
{
    uint16_t k;

    in->nreq = 0;
    for (k = 0; k < in->n; k++) {
        struct netbuf *nb = in->pkts[k];
        uint8_t *f = netbuf_data(nb);

        app->c.rx_bytes += nb->pkt_len;
        in->g[k].hash = 0;
        in->simple[k] = false;
        in->kind[k] = -1;
        if (nb->next) /* a jumbo chain: no request is that long */
            continue;
        in->kind[k] = net_frame_parse(f, nb->len, &in->h[k], 0);
        net_parse_stats_count(&p->parse, in->kind[k]);
        if (in->kind[k] == NET_KIND_UDP && is_request(p, f, &in->h[k])) {
            int why = net_src_check(&p->guard, f, &in->h[k]);

            if (unlikely(why)) {
                p->src.refused[why]++;
                in->kind[k] = KIND_REFUSED;
                continue;
            }
            in->simple[k] =
                kv_request_peek(f + in->h[k].payload_off, in->h[k].payload_len, &in->g[k]);
            if (in->g[k].hash)
                kvtable_prefetch_bucket(p->lc->kv.table, in->g[k].hash);
            in->nreq++;
        } else if (in->kind[k] == NET_KIND_UDP) {
            in->kind[k] = KIND_UDP_NOT_OURS;
        }
    }
}

/* Pass 2: read the buckets, prefetch the items whose tags match. */
static void pass2(struct kvreq_port *p, struct kvreq_inflight *in)
{
    uint16_t k;

    for (k = 0; k < in->n; k++)
        if (in->g[k].hash)
            kvtable_prefetch_item(p->lc->kv.table, in->g[k].hash);
}

/* Counts why a frame of kind was not answered (err: the reply function's
 * error). */
static void count_na(struct kvreq_port *p, int kind, int err)
{
    unsigned base = kind == NET_KIND_ARP ? NA_ARP_OP : NA_ICMP_TYPE;

    if (kind == KIND_UDP_NOT_OURS)
        p->na[NA_UDP_NOT_OURS]++;
    else if (kind != NET_KIND_ARP && kind != NET_KIND_ICMP)
        return;
    else if (err == -ENOMSG)
        p->na[base]++;
    else if (err == -EADDRNOTAVAIL)
        p->na[base + 1]++;
    else if (err == -EHOSTUNREACH)
        p->na[base + 2]++;
}

/* Pass 3: answers a prepared burst, in order, and sends the replies. */
static void answer(struct nfapp *app, struct kvreq_port *p, struct kvreq_inflight *in)
{
    struct burst b; /* out[] is filled before it is read: not zeroed */
    uint16_t k;

    b.nout = 0;
    b.app = app;
    b.p = p;
    for (k = 0; k < in->n; k++) {
        struct netbuf *nb = in->pkts[k];
        uint8_t *f = netbuf_data(nb);
        int len = -1, kind = in->kind[k];

        if (kind == NET_KIND_UDP) {
            serve_request(&b, nb, &in->h[k], &in->g[k], in->simple[k]);
            continue;
        }
        if (kind == NET_KIND_IPV4_FRAG) {
            serve_fragment(&b, p, nb, &in->h[k]);
            continue;
        }
        if (kind == NET_KIND_ICMP && net_icmp_is_echo_request(f, &in->h[k], p->ip)) {
            int why = net_src_check(&p->guard, f, &in->h[k]);

            if (why) {
                p->src.refused[why]++;
                kind = KIND_REFUSED;
            }
        }
        if (kind == NET_KIND_ARP && (len = net_arp_reply(f, nb->len, &in->h[k], p->mac, p->ip)) > 0)
            p->arp_replies++;
        else if (kind == NET_KIND_ICMP &&
                 (len = net_icmp_echo_reply(f, nb->len, &in->h[k], p->ip)) > 0)
            p->echo_replies++;
        if (len > 0 && !netbuf_set_len(nb, (uint32_t)len)) {
            tx_add(&b, nb);
        } else {
            p->ignored++;
            count_na(p, kind, len);
            netbuf_free(nb);
        }
    }
    tx_flush(&b);
    in->n = in->nreq = 0;
}

/* Answers whatever waits on the port (when nothing new comes, and at the
 * end); returns the packets answered and their requests in *nreq. */
static uint16_t drain(struct nfapp *app, struct kvreq_port *p, uint16_t *nreq)
{
    struct kvreq_inflight *mid = &p->fl[(p->head + 2) % 3], *due = &p->fl[(p->head + 1) % 3];
    uint16_t done = due->n + mid->n;

    *nreq = due->nreq + mid->nreq;
    answer(app, p, due);
    pass2(p, mid);
    answer(app, p, mid);
    return done;
}

/* One loop iteration on a port, with three bursts in flight: the one
 * received now (in) has its frames fetched; the one received two
 * iterations ago (due) is answered; the one from the iteration before
 * (mid) goes through pass 2; then in goes through pass 1. Between a
 * burst's prefetch and its use there is always a whole pass over another
 * burst: frames -> answer -> pass 1, buckets -> answer -> pass 2, items ->
 * pass 1 and the next fetch -> answer. When nothing new comes, what waits
 * is answered at once. */
void kvreq_poll(struct nfapp *app, struct kvreq_port *p)
{
    struct kvreq_inflight *in = &p->fl[p->head], *mid = &p->fl[(p->head + 2) % 3],
                          *due = &p->fl[(p->head + 1) % 3];
    uint64_t t0 = nfapp_now();
    uint16_t done, nreq;

    p->lc->now_tsc = t0;
    in->n = kvio_rx(&p->io, in->pkts, NFAPP_BURST);
    if (!in->n) {
        if (!due->n && !mid->n)
            return;
        done = drain(app, p, &nreq);
    } else {
        fetch(app, in);
        done = due->n;
        nreq = due->nreq;
        answer(app, p, due);
        pass2(p, mid);
        pass1(app, p, in);
        p->head = (p->head + 1) % 3; /* in becomes mid, mid due, due (empty) in */
    }
    nfapp_busy(app, t0, done);
    if (nreq) {
        p->lc->req_cycles += nfapp_now() - t0;
        p->lc->reqs += nreq;
    }
}

void kvreq_drain(struct nfapp *app, struct kvreq_port *p)
{
    uint16_t nreq;

    drain(app, p, &nreq);
}

/* --- Set-up (slow path) ----------------------------------------------------- */

static int reasm_init(const struct nfapp *app, struct kvreq_port *p)
{
    if (!net_reasm_init(&p->reasm, 0, 0))
        return 0;
    fprintf(stderr,
            "%s: no memory for port %u's IP reassembly (%u slots, %u x %u payload bytes, %u "
            "output bytes)\n",
            app->name, p->port, NET_REASM_SLOTS_DEFAULT, NET_REASM_CHUNKS, NET_REASM_CHUNK,
            (unsigned)NET_REASM_BUF_LEN);
    return -ENOMEM;
}

int kvreq_port_init(const struct nfapp *app, struct kvreq_port *p, struct kvreq_lcore *lc,
                    uint32_t ip, unsigned prefix, uint16_t udp_port)
{
    char buf[NET_IPV4_STRLEN];
    struct netbuf *nb;

    p->lc = lc;
    p->ip = ip;
    p->udp_port = udp_port;
    net_src_filter_init(&p->guard, ip, prefix, udp_port);
    if (reasm_init(app, p))
        return -ENOMEM;
    /* A gratuitous ARP: peers such as QEMU's user network learn our MAC. */
    if ((nb = netbuf_alloc(lc->pool))) {
        int len = net_arp_request_build(netbuf_data(nb), netbuf_tailroom(nb), p->mac, ip, ip);

        if (len < 0 || netbuf_set_len(nb, (uint32_t)len) || !kvio_tx(&p->io, &nb, 1))
            netbuf_free(nb);
    }
    printf("%s: port %u (%s) serves memcached UDP on %s:%u\n", app->name, p->port, p->name,
           net_ipv4_format(ip, buf), udp_port);
    return 0;
}

int kvreq_port_clone(struct kvreq_port *p, const struct kvreq_port *p0, struct kvreq_lcore *lc)
{
    p->lc = lc;
    p->port = p0->port;
    p->nq = p0->nq;
    p->name = p0->name;
    memcpy(p->mac, p0->mac, sizeof(p->mac));
    p->ip = p0->ip;
    p->udp_port = p0->udp_port;
    p->guard = p0->guard;
    return net_reasm_init(&p->reasm, 0, 0) ? -ENOMEM : 0;
}

int kvreq_rate_init(const struct nfapp *app, struct kvreq_lcore *lc, uint64_t rate)
{
    if (!rate)
        return 0;
    /* The key only needs to be unknown off this machine: the TSC. */
    if (net_ratelimit_init(&lc->ratelimit, 0, NFOS_MAX(app->tsc_hz / rate, 1), (unsigned)rate,
                           nfapp_now() ^ (uint64_t)(uintptr_t)&lc->ratelimit)) {
        fprintf(stderr, "%s: no memory for --udp-rate's table\n", app->name);
        return -ENOMEM;
    }
    lc->rate_on = true;
    return 0;
}

/* --- The exit report ---------------------------------------------------------- */

void kvreq_port_add(struct kvreq_port *t, const struct kvreq_port *p)
{
    KVREQ_ADD64(t->src, p->src);
    KVREQ_ADD64(t->parse, p->parse);
    KVREQ_ADD64(t->na, p->na);
    KVREQ_ADD64(t->reasm.stats, p->reasm.stats);
    t->arp_replies += p->arp_replies, t->echo_replies += p->echo_replies;
    t->ignored += p->ignored, t->tx_nobuf += p->tx_nobuf;
    t->frag_replies += p->frag_replies;
}

static double per(uint64_t cycles, uint64_t n)
{
    return n ? (double)cycles / (double)n : 0.0;
}

void kvreq_report(const struct nfapp *app, const struct kv_stats *s, const struct kvtable *t,
                  uint64_t req_cycles, uint64_t reqs)
{
    const struct kvtable_stats *ts = &t->st;
    const char *n = app->name;

    printf("%s: requests %llu | get %llu (hits %llu) | set %llu | busy %.1f cycles/request"
           " | items %llu, evictions %llu, relocated %llu, index full %llu\n",
           n, (unsigned long long)s->requests, (unsigned long long)s->cmd_get,
           (unsigned long long)s->get_hits, (unsigned long long)s->cmd_set, per(req_cycles, reqs),
           (unsigned long long)ts->curr_items, (unsigned long long)ts->evictions,
           (unsigned long long)ts->relocations, (unsigned long long)ts->index_full);
    printf("%s: dropped: bad header %llu, multi-datagram %llu, truncated %llu, reply "
           "overflow %llu\n",
           n, (unsigned long long)s->bad_header, (unsigned long long)s->multi_datagram,
           (unsigned long long)s->truncated, (unsigned long long)s->reply_overflow);
    printf("%s: not sent: %llu replies over --max-reply-dgrams, %llu requests over "
           "--udp-rate, %llu replies without netbufs, %llu replies taken for requests, %llu "
           "absolute expiry times without a clock\n",
           n, (unsigned long long)s->reply_dgram_limit, (unsigned long long)s->reply_rate_limited,
           (unsigned long long)s->reply_no_buffer, (unsigned long long)s->reply_loop_drops,
           (unsigned long long)s->exptime_no_clock);
}

void kvreq_port_report(const struct nfapp *app, const struct kvreq_port *p)
{
    const struct net_reasm_stats *rs = &p->reasm.stats;
    const char *n = app->name;
    unsigned r;

    printf("%s: port %u: %llu ARP replies, %llu echo replies, %llu frames not answered, %llu "
           "replies without a buffer\n",
           n, p->port, (unsigned long long)p->arp_replies, (unsigned long long)p->echo_replies,
           (unsigned long long)p->ignored, (unsigned long long)p->tx_nobuf);
    printf("%s: port %u not answered:", n, p->port);
    for (r = 0; r < NA_COUNT; r++)
        printf(" %s %llu", na_names[r], (unsigned long long)p->na[r]);
    printf("\n");
    if (rs->fragments)
        printf("%s: port %u IP fragments %llu: %llu datagrams reassembled (%llu requests), %llu "
               "repeats ignored, %llu bad; datagrams given up: %llu overlapping, too long or "
               "inconsistent, %llu timed out, %llu evicted, %llu over their source's share\n",
               n, p->port, (unsigned long long)rs->fragments, (unsigned long long)rs->reassembled,
               (unsigned long long)p->frag_replies, (unsigned long long)rs->duplicates,
               (unsigned long long)rs->bad, (unsigned long long)rs->dropped,
               (unsigned long long)rs->timeouts, (unsigned long long)rs->evictions,
               (unsigned long long)rs->limited);
    nfapp_print_parse_stats(app, p->port, &p->parse);
    for (r = 1; r < NET_SRC_COUNT; r++)
        if (p->src.refused[r])
            printf("%s: port %u refused (%s): %llu\n", n, p->port, net_src_names[r],
                   (unsigned long long)p->src.refused[r]);
}
