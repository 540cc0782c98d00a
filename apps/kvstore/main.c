/* kvstore: a memcached-compatible key-value store as a network function.
 * Run to completion on every port: rx burst -> parse, prefetch the bucket
 * -> read it, prefetch the item -> table, reply built in place in the
 * received netbuf when it fits (addresses and ports swapped, lengths and
 * checksums fixed) -> tx burst, the steps of one burst spread over three
 * loop iterations (serve()) so that what each prefetches arrives while
 * other bursts are worked on; at once when nothing new comes. Speaks
 * memcached's ASCII protocol over UDP (port 11211 or --port), answers ARP
 * and ping like pong; requests larger than a frame come as IP fragments,
 * which are put back together (lib/net's reassembly) and answered from
 * fresh netbufs; everything else is counted and dropped. Answers only
 * sources that can have asked (net_src_check: no reflection off a forged
 * address, no reply loops with other servers), at most --max-reply-dgrams
 * datagrams per request and, with --udp-rate, so many per second per
 * source. Not here: TCP, the binary and meta protocols. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#if CONFIG_PLAT_LINUXU
#include <time.h>
#endif
#include <stdlib.h>
#include <nfos/lcore.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>
#include <nfos/plat/time.h>
#include "kv.h"

static const char about[] =
    "  memcached's ASCII protocol over UDP on each port with an address:\n"
    "  ./nfos run kvstore --net tap:IF --ip ADDR/PREFIX (netdev.ip=, netdev1.ip=, ...).\n"
    "  Absolute expiry times count from --epoch: by default the host's clock on\n"
    "  linuxu; on kvm ./nfos run passes it (without it they are refused).\n"
    "  Requests from sources that cannot have asked (broadcast, multicast, our own\n"
    "  address or port, port 0, ports of services such as echo, DNS, NTP) are\n"
    "  dropped and counted by reason: no reflection, no reply loops.\n"
    "  With several lcores (--cpus N) lcore i serves queue pair i of every "
    "port.\n" NFAPP_STATS_HELP;

/* in->kind[] of a request whose source is refused (net_src_check). */
#define KIND_REFUSED (-2)
/* How long (1/TX_WAIT_DIV of a second) a full device queue may go without
 * taking a frame before the rest of a burst is dropped: the datagrams of a
 * long reply go out in chunks as the device frees room, not lost because
 * the ring is shorter than the reply. */
#define TX_WAIT_DIV 2000

/* A burst received, on its way through the passes of serve(). */
struct inflight {
    struct netbuf *pkts[NFAPP_BURST];
    struct net_hdrs h[NFAPP_BURST];
    struct kv_get g[NFAPP_BURST];
    bool simple[NFAPP_BURST];
    int kind[NFAPP_BURST];
    uint16_t n, nreq;
};

/* Why a frame that parsed was not answered, where its parse counter does
 * not say (ARP and ICMP refused by net_arp_reply / net_icmp_echo_reply,
 * UDP and fragments not for us), so that a storm's frames add up. */
enum kv_na {
    NA_ARP_OP,
    NA_ARP_NOT_OURS,
    NA_ARP_SOURCE,
    NA_ICMP_TYPE,
    NA_ICMP_NOT_OURS,
    NA_ICMP_SOURCE,
    NA_UDP_NOT_OURS,
    NA_FRAG_NOT_OURS,
    NA_REASM_NOT_REQUEST,
    NA_COUNT
};
static const char *const na_names[NA_COUNT] = {
    "arp_op",      "arp_not_ours", "arp_source",    "icmp_type",         "icmp_not_ours",
    "icmp_source", "udp_not_ours", "frag_not_ours", "reasm_not_request",
};

/* pass1's mark for a UDP datagram that is no request to us: below every
 * -NET_ERR_* */
#define KIND_UDP_NOT_OURS (-NET_ERR_COUNT - 1)

struct worker;

/* A port as one lcore serves it: its queue pair q, its own bursts in
 * flight, reassembly and counters. */
struct port {
    struct worker *w;
    uint16_t q;
    struct netdev *dev;
    uint32_t ip;
    struct net_src_filter guard; /* whom we answer */
    struct net_src_stats src;    /* requests refused, by reason */
    struct net_parse_stats parse;
    uint64_t arp_replies, echo_replies, ignored, tx_nobuf;
    uint64_t na[NA_COUNT];
    struct inflight fl[3]; /* fl[head] receives; see serve() */
    unsigned head;
    struct net_reasm reasm; /* requests that came as IP fragments */
    uint64_t frag_replies;  /* requests served after reassembly */
};

/* What one lcore has of its own (shared-nothing but the table and the
 * pool): its memcached engine (reply buffers, counters), queue pair w->q
 * of every port, its app counters, its --udp-rate buckets. Lcore i polls
 * queue i; an lcore the devices have no queue for idles. */
struct worker {
    struct kv kv;
    struct port ports[NETDEV_MAX_PORTS];
    struct nfapp app; /* lcore 0: main's; others: a copy for their counters */
    uint64_t req_cycles, reqs;
    uint64_t now_tsc;                /* the current loop iteration's start */
    struct net_ratelimit ratelimit;  /* --udp-rate, when given */
    struct netbuf *o[KV_MAX_DGRAMS]; /* send_dgrams' */
    unsigned id, nports;
    bool idle;
    volatile bool stop; /* main tells the others */
};

static struct worker w0; /* lcore 0 */
static struct worker *workers[LCORE_MAX] = { &w0 };
static struct kv *engines[LCORE_MAX]; /* workers[i]->kv, for kv_init_peers */
static unsigned nr_workers = 1, nr_ports;
static uint16_t udp_port = MCPROTO_PORT;
static struct pool *pool;
static bool rate_on;

/* Port i started with one queue pair per lcore, as many as it offers (the
 * lcores past that have no queue on it), or NULL after one line. One
 * lcore: nfapp_port, as every app. */
static struct netdev *queues_start(struct nfapp *app, unsigned i)
{
    struct netdev_conf conf = { 0 };
    struct netdev_info info;
    struct netdev *dev;
    uint16_t q, nq = 0;
    int err;

    if (nr_workers == 1 || !(dev = netdev_get(i)))
        return nfapp_port(app, i, pool); /* (which says what is missing) */
    if (!(err = netdev_info(dev, &info))) {
        nq = (uint16_t)NFOS_MIN(NFOS_MIN(nr_workers, NETDEV_MAX_QUEUES),
                                NFOS_MIN(info.max_rx_queues, info.max_tx_queues));
        conf.nb_rx_queues = conf.nb_tx_queues = nq;
        err = netdev_configure(dev, &conf);
    }
    for (q = 0; !err && q < nq; q++)
        if (!(err = netdev_rxq_setup(dev, q, 0, pool)))
            err = netdev_txq_setup(dev, q, 0);
    if (!err)
        err = netdev_start(dev);
    if (err) {
        fprintf(stderr, "kvstore: port %u (%s): cannot start %u queue pairs: %s\n", i, dev->name,
                nq, strerror(-err));
        return NULL;
    }
    printf("kvstore: port %u (%s): %u queue pair(s) for %u lcores (%s offers %u)\n", i, dev->name,
           nq, nr_workers, info.driver, info.max_rx_queues);
    return dev;
}

static int port_open(struct nfapp *app, unsigned i)
{
    struct port *p = &w0.ports[nr_ports];
    char buf[NET_IPV4_STRLEN];
    struct netbuf *nb;

    unsigned prefix = 32;
    uint32_t a;

    p->w = &w0;
    if (!(p->dev = queues_start(app, i)) || nfapp_port_ipv4(app, p->dev, &p->ip))
        return -1;
    /* nfapp_port_ipv4 parsed it already; here for the prefix. */
    net_ipv4_parse(netdev_param(p->dev, "ip"), &a, &prefix);
    net_src_filter_init(&p->guard, p->ip, prefix, udp_port);
    if (net_reasm_init(&p->reasm, 0, 0)) {
        fprintf(stderr,
                "kvstore: no memory for port %u's IP reassembly (%u slots, %u x %u payload "
                "bytes, %u output bytes)\n",
                i, NET_REASM_SLOTS_DEFAULT, NET_REASM_CHUNKS, NET_REASM_CHUNK,
                (unsigned)NET_REASM_BUF_LEN);
        return -1;
    }
    /* A gratuitous ARP: peers such as QEMU's user network learn our MAC. */
    if ((nb = netbuf_alloc(pool))) {
        int len =
            net_arp_request_build(netbuf_data(nb), netbuf_tailroom(nb), p->dev->mac, p->ip, p->ip);

        if (len < 0 || netbuf_set_len(nb, (uint32_t)len) || !netdev_tx_burst(p->dev, 0, &nb, 1))
            netbuf_free(nb);
    }
    printf("kvstore: port %u (%s) serves memcached UDP on %s:%u\n", i, p->dev->name,
           net_ipv4_format(p->ip, buf), udp_port);
    nr_ports++;
    return 0;
}

struct burst {
    struct netbuf *out[NFAPP_BURST];
    unsigned nout;
    struct nfapp *app;
    struct port *p;
};

static void tx_flush(struct burst *b)
{
    uint16_t q = b->p->q, n;
    uint16_t sent = b->nout ? netdev_tx_burst(b->p->dev, q, b->out, (uint16_t)b->nout) : 0;
    uint64_t until;

    if (unlikely(sent < b->nout)) { /* a full device queue */
        until = nfapp_now() + b->app->tsc_hz / TX_WAIT_DIV;
        while (sent < b->nout && nfapp_now() < until)
            if ((n = netdev_tx_burst(b->p->dev, q, b->out + sent, (uint16_t)(b->nout - sent)))) {
                sent += n;
                until = nfapp_now() + b->app->tsc_hz / TX_WAIT_DIV;
            }
    }
    if (sent < b->nout) {
        netbuf_free_bulk(b->out + sent, b->nout - sent);
        b->app->c.drops += b->nout - sent;
    }
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
static bool dgram_bufs(const struct kv *kv, struct netbuf **o, unsigned first, unsigned nd,
                       const struct netbuf *nb, const struct net_hdrs *h)
{
    unsigned i;

    for (i = first; i < nd; i++) {
        if (!(o[i] = netbuf_alloc(pool)) ||
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
    struct kv *kv = &b->p->w->kv;
    struct netbuf **o = b->p->w->o;
    size_t room = nb->buf_len - nb->data_off - h->payload_off;
    unsigned i, first = MCPROTO_HDR_LEN + kv->dgram[0].len <= room;

    if (!dgram_bufs(kv, o, first, nd, nb, h)) {
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
static inline bool rate_ok(struct worker *w, uint32_t src)
{
    if (net_ratelimit_take(&w->ratelimit, src, w->now_tsc))
        return true;
    w->kv.st.reply_rate_limited++;
    return false;
}

/* A request datagram: a simple get (g, from the first pass) or one other
 * single get answered in place, else by kv_serve. */
static void serve_request(struct burst *b, struct netbuf *nb, const struct net_hdrs *h,
                          const struct kv_get *g, bool simple)
{
    struct worker *w = b->p->w;
    uint8_t *pl = netbuf_data(nb) + h->payload_off;
    size_t room = nb->buf_len - nb->data_off - h->payload_off, n;
    uint32_t sum, src = 0;
    unsigned nd;

    if (unlikely(rate_on)) {
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
    if (rate_on && nd > 1) /* a reply of several datagrams costs as many */
        net_ratelimit_charge(&w->ratelimit, src, nd - 1);
    if (nd)
        send_dgrams(b, nb, h, nd);
    else
        netbuf_free(nb);
}

static inline bool is_request(const struct port *p, uint8_t *f, const struct net_hdrs *h)
{
    return net_ntohs(net_hdrs_udp(f, h)->dport) == udp_port && net_hdrs_ipv4(f, h)->dst == p->ip;
}

/* An IPv4 fragment: kept until its datagram is whole, which is then
 * served like any request, with its replies in fresh netbufs (a request
 * that needed fragments is no hit-path get). */
static void serve_fragment(struct burst *b, struct port *p, struct netbuf *nb,
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
    if (rate_on && !rate_ok(p->w, src))
        return;
    p->frag_replies++;
    if (!(nd = kv_serve(&p->w->kv, whole + wh.payload_off, wh.payload_len)))
        return;
    if (rate_on && nd > 1)
        net_ratelimit_charge(&p->w->ratelimit, src, nd - 1);
    if (!(o = netbuf_alloc(pool)) || netbuf_tailroom(o) < wh.payload_off) {
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
static void fetch(struct nfapp *app, struct inflight *in)
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
static void pass1(struct nfapp *app, struct port *p, struct inflight *in)
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
                kvtable_prefetch_bucket(p->w->kv.table, in->g[k].hash);
            in->nreq++;
        } else if (in->kind[k] == NET_KIND_UDP) {
            in->kind[k] = KIND_UDP_NOT_OURS;
        }
    }
}

/* Pass 2: read the buckets, prefetch the items whose tags match. */
static void pass2(struct port *p, struct inflight *in)
{
    uint16_t k;

    for (k = 0; k < in->n; k++)
        if (in->g[k].hash)
            kvtable_prefetch_item(p->w->kv.table, in->g[k].hash);
}

/* Counts why a frame of kind was not answered (err: the reply function's
 * error). */
static void count_na(struct port *p, int kind, int err)
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
static void answer(struct nfapp *app, struct port *p, struct inflight *in)
{
    struct burst b = { .nout = 0, .app = app, .p = p };
    uint16_t k;

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
        if (kind == NET_KIND_ARP &&
            (len = net_arp_reply(f, nb->len, &in->h[k], p->dev->mac, p->ip)) > 0)
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
static uint16_t drain(struct nfapp *app, struct port *p, uint16_t *nreq)
{
    struct inflight *mid = &p->fl[(p->head + 2) % 3], *due = &p->fl[(p->head + 1) % 3];
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
static void serve(struct nfapp *app, struct port *p)
{
    struct inflight *in = &p->fl[p->head], *mid = &p->fl[(p->head + 2) % 3],
                    *due = &p->fl[(p->head + 1) % 3];
    uint64_t t0 = nfapp_now();
    uint16_t done, nreq;

    p->w->now_tsc = t0;
    in->n = netdev_rx_burst(p->dev, p->q, in->pkts, NFAPP_BURST);
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
        p->w->req_cycles += nfapp_now() - t0;
        p->w->reqs += nreq;
    }
}

static void add64(uint64_t *d, const uint64_t *a, size_t n)
{
    while (n--)
        *d++ += *a++;
}
#define ADD64(d, a) add64((uint64_t *)&(d), (const uint64_t *)&(a), sizeof(d) / sizeof(uint64_t))

/* The counters of port i, every lcore's queue of it added up, into t. */
static void port_sum(unsigned i, struct port *t)
{
    unsigned l, j;

    memset(t, 0, sizeof(*t));
    t->dev = w0.ports[i].dev;
    for (l = 0; l < nr_workers; l++)
        for (j = 0; j < NETDEV_MAX_PORTS; j++) {
            const struct port *p = &workers[l]->ports[j];

            if (p->dev != t->dev)
                continue;
            ADD64(t->src, p->src);
            ADD64(t->parse, p->parse);
            ADD64(t->na, p->na);
            ADD64(t->reasm.stats, p->reasm.stats);
            t->arp_replies += p->arp_replies, t->echo_replies += p->echo_replies;
            t->ignored += p->ignored, t->tx_nobuf += p->tx_nobuf;
            t->frag_replies += p->frag_replies;
        }
}

static double per(uint64_t cycles, uint64_t n)
{
    return n ? (double)cycles / (double)n : 0.0;
}

/* With several lcores, one line each: its queue, requests and busy
 * cycles per request and per packet, or why it idled. */
static void print_lcores(const struct nfapp *app)
{
    unsigned l;

    for (l = 0; nr_workers > 1 && l < nr_workers; l++) {
        const struct worker *w = workers[l];
        const struct nfapp_counters *c = l ? &w->app.c : &app->c;

        if (w->idle) {
            printf("kvstore: lcore %u idle: no queue for it (port 0 (%s) has %u queue "
                   "pair(s))\n",
                   l, w0.ports[0].dev->name, w0.ports[0].dev->conf.nb_rx_queues);
            continue;
        }
        printf("kvstore: lcore %u queue %u: requests %llu | get %llu (hits %llu) | set %llu | rx "
               "%llu tx %llu | busy %.1f cycles/request, %.1f cycles/pkt\n",
               l, l, (unsigned long long)w->kv.st.requests, (unsigned long long)w->kv.st.cmd_get,
               (unsigned long long)w->kv.st.get_hits, (unsigned long long)w->kv.st.cmd_set,
               (unsigned long long)c->rx, (unsigned long long)c->tx, per(w->req_cycles, w->reqs),
               per(c->busy_cycles, c->busy_pkts));
    }
}

static void print_report(const struct nfapp *app)
{
    static struct port tot; /* large (the bursts in flight): not on the stack */
    struct kv_stats all = { 0 };
    const struct kv_stats *s = &all;
    const struct kvtable_stats *ts = &w0.kv.table->st;
    uint64_t req_cycles = 0, reqs = 0;
    unsigned i;

    for (i = 0; i < nr_workers; i++) {
        ADD64(all, workers[i]->kv.st);
        req_cycles += workers[i]->req_cycles, reqs += workers[i]->reqs;
    }
    print_lcores(app);
    printf("kvstore: requests %llu | get %llu (hits %llu) | set %llu | busy %.1f cycles/request"
           " | items %llu, evictions %llu, relocated %llu, index full %llu\n",
           (unsigned long long)s->requests, (unsigned long long)s->cmd_get,
           (unsigned long long)s->get_hits, (unsigned long long)s->cmd_set, per(req_cycles, reqs),
           (unsigned long long)ts->curr_items, (unsigned long long)ts->evictions,
           (unsigned long long)ts->relocations, (unsigned long long)ts->index_full);
    printf("kvstore: dropped: bad header %llu, multi-datagram %llu, truncated %llu, reply "
           "overflow %llu\n",
           (unsigned long long)s->bad_header, (unsigned long long)s->multi_datagram,
           (unsigned long long)s->truncated, (unsigned long long)s->reply_overflow);
    printf("kvstore: not sent: %llu replies over --max-reply-dgrams, %llu requests over "
           "--udp-rate, %llu replies without netbufs, %llu replies taken for requests, %llu "
           "absolute expiry times without a clock\n",
           (unsigned long long)s->reply_dgram_limit, (unsigned long long)s->reply_rate_limited,
           (unsigned long long)s->reply_no_buffer, (unsigned long long)s->reply_loop_drops,
           (unsigned long long)s->exptime_no_clock);
    for (i = 0; i < nr_ports; i++) {
        const struct port *p = &tot;
        unsigned r;

        port_sum(i, &tot);
        printf("kvstore: port %u: %llu ARP replies, %llu echo replies, %llu frames not "
               "answered, %llu replies without a buffer\n",
               p->dev->port, (unsigned long long)p->arp_replies,
               (unsigned long long)p->echo_replies, (unsigned long long)p->ignored,
               (unsigned long long)p->tx_nobuf);
        printf("kvstore: port %u not answered:", p->dev->port);
        for (r = 0; r < NA_COUNT; r++)
            printf(" %s %llu", na_names[r], (unsigned long long)p->na[r]);
        printf("\n");
        if (p->reasm.stats.fragments)
            printf(
                "kvstore: port %u IP fragments %llu: %llu datagrams reassembled (%llu "
                "requests), %llu repeats ignored, %llu bad; datagrams given up: %llu "
                "overlapping, too long or inconsistent, %llu timed out, %llu evicted, %llu over "
                "their source's share\n",
                p->dev->port, (unsigned long long)p->reasm.stats.fragments,
                (unsigned long long)p->reasm.stats.reassembled, (unsigned long long)p->frag_replies,
                (unsigned long long)p->reasm.stats.duplicates,
                (unsigned long long)p->reasm.stats.bad, (unsigned long long)p->reasm.stats.dropped,
                (unsigned long long)p->reasm.stats.timeouts,
                (unsigned long long)p->reasm.stats.evictions,
                (unsigned long long)p->reasm.stats.limited);
        nfapp_print_parse_stats(app, p->dev->port, &p->parse);
        for (r = 1; r < NET_SRC_COUNT; r++)
            if (p->src.refused[r])
                printf("kvstore: port %u refused (%s): %llu\n", p->dev->port, net_src_names[r],
                       (unsigned long long)p->src.refused[r]);
    }
}

/* --udp-rate: a bucket per source address, refilled rate times a second,
 * as deep as one second's worth. 0 or 2. */
static int rate_init(const struct nfapp *app, struct worker *w, uint64_t rate)
{
    if (!rate)
        return 0;
    /* The key only needs to be unknown off this machine: the TSC. */
    if (net_ratelimit_init(&w->ratelimit, 0, NFOS_MAX(app->tsc_hz / rate, 1), (unsigned)rate,
                           nfapp_now() ^ (uint64_t)(uintptr_t)&w->ratelimit)) {
        fprintf(stderr, "kvstore: no memory for --udp-rate's table\n");
        return 2;
    }
    rate_on = true;
    return 0;
}

/* --- Several lcores -------------------------------------------------------- */

/* One worker per lcore, engines over one shared table: 0 or 2. Each lcore
 * gets --udp-rate / lcores (at least 1) per source: a source whose
 * requests the device spreads over several queues still gets no more than
 * --udp-rate, one that stays on one queue gets its lcore's share. */
static int workers_init(const struct nfapp *app, uint64_t rate)
{
    unsigned l;

    nr_workers = lcore_count() < LCORE_MAX ? lcore_count() : LCORE_MAX;
    for (l = 1; l < nr_workers; l++)
        if (!(workers[l] = calloc(1, sizeof(*workers[l])))) {
            fprintf(stderr, "kvstore: no memory for lcore %u; give the guest more RAM\n", l);
            return 2;
        }
    for (l = 0; l < nr_workers; l++) {
        workers[l]->id = l;
        engines[l] = &workers[l]->kv;
        if (l && kv_init_peers(engines, l + 1))
            return 2;
        if (rate_init(app, workers[l], rate ? NFOS_MAX(rate / nr_workers, 1) : 0))
            return 2;
    }
    return 0;
}

/* Lcores 1 .. get a copy of every port that has a queue for them: 0, or 2
 * when a reassembly table cannot be had. */
static int workers_ports(const struct nfapp *app)
{
    unsigned l, i;

    w0.nports = nr_ports;
    for (l = 1; l < nr_workers; l++) {
        struct worker *w = workers[l];

        w->app = *app;
        memset(&w->app.c, 0, sizeof(w->app.c));
        for (i = 0; i < nr_ports; i++) {
            const struct port *p0 = &w0.ports[i];
            struct port *p = &w->ports[w->nports];

            if (l >= p0->dev->conf.nb_rx_queues)
                continue;
            p->w = w;
            p->q = (uint16_t)l;
            p->dev = p0->dev;
            p->ip = p0->ip;
            p->guard = p0->guard;
            if (net_reasm_init(&p->reasm, 0, 0)) {
                fprintf(stderr, "kvstore: no memory for lcore %u's IP reassembly\n", l);
                return 2;
            }
            w->nports++;
        }
        w->idle = !w->nports;
    }
    return 0;
}

/* An lcore's loop until main says stop, then what it still holds answered. */
static int worker_loop(void *arg)
{
    struct worker *w = arg;
    uint16_t nreq;
    unsigned i;

    while (!w->stop)
        for (i = 0; i < w->nports; i++)
            serve(&w->app, &w->ports[i]);
    for (i = 0; i < w->nports; i++)
        drain(&w->app, &w->ports[i], &nreq);
    return 0;
}

static int workers_launch(void)
{
    unsigned l;
    int err;

    for (l = 1; l < nr_workers; l++)
        if (!workers[l]->idle && (err = lcore_launch(l, worker_loop, workers[l]))) {
            fprintf(stderr, "kvstore: cannot launch lcore %u (error %d)\n", l, err);
            return 2;
        }
    return 0;
}

/* Stops the other lcores, waits for them and adds their counters to
 * main's (after print_lcores has shown each). */
static void workers_stop(void)
{
    unsigned l;

    for (l = 1; l < nr_workers; l++) {
        workers[l]->stop = true;
        if (!workers[l]->idle)
            lcore_wait(l);
    }
}

static void workers_add(struct nfapp *app)
{
    unsigned l;

    for (l = 1; l < nr_workers; l++)
        ADD64(app->c, workers[l]->app.c);
}

/* Requests served by every lcore (for --count with several). */
static uint64_t requests_total(void)
{
    uint64_t n = 0;
    unsigned l;

    for (l = 0; l < nr_workers; l++)
        n += __atomic_load_n(&workers[l]->kv.st.requests, __ATOMIC_RELAXED);
    return n;
}

int main(int argc, char **argv)
{
    uint64_t epoch = 0, sec_tsc, max_dgrams = KV_REPLY_DGRAMS_DEFAULT, rate = 0;
    size_t mem_limit = 16 << 20, item_max = 1 << 20;
    struct nfapp app;
    int64_t unix_now;
    unsigned i;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_U16("--port", "N", udp_port, 1, UINT16_MAX, "UDP port (default 11211)"),
        NFAPP_OPT_SIZE("--mem-limit", "SIZE", mem_limit, 1, SIZE_MAX,
                       "item memory, K/M/G suffixes (default 16M; the index comes on top)"),
        NFAPP_OPT_SIZE("--max-item-size", "SIZE", item_max, 1, SIZE_MAX,
                       "largest item as memcached -I counts it (default 1M, at most 1M)"),
        NFAPP_OPT_COUNT("--epoch", "UNIXTIME", epoch, 0, INT64_MAX, "the unix time at start"),
        NFAPP_OPT_COUNT("--max-reply-dgrams", "N", max_dgrams, 1, KV_MAX_DGRAMS,
                        "datagrams one request may draw, 1.." NFAPP_STR(
                            KV_MAX_DGRAMS) " (default " NFAPP_STR(KV_REPLY_DGRAMS_DEFAULT) ")"),
        NFAPP_OPT_COUNT("--udp-rate", "R", rate, 0, 10000000,
                        "reply datagrams per second to each source address (default 0: no limit)"),
        NFAPP_OPT_LIMITS(app, "REQUESTS", "requests"),
        NFAPP_OPT_END,
    };

#if CONFIG_PLAT_LINUXU
    epoch = (uint64_t)time(NULL);
#endif
    if ((rc = nfapp_start(&app, "kvstore", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    unix_now = (int64_t)epoch;
    if (kv_init(&w0.kv, mem_limit, item_max, unix_now, (unsigned)max_dgrams))
        return 2;
    if (!epoch)
        printf("kvstore: no --epoch: absolute expiry times (beyond 30 days) are refused\n");
    if (workers_init(&app, rate))
        return 2;
    if (!(pool = nfapp_pool(&app, 2048 * nr_workers)))
        return 2;
    for (i = 0; i < nfapp_port_count(); i++)
        if (port_open(&app, i))
            return 2;
    if (workers_ports(&app) || workers_launch())
        return 2;
    printf("kvstore: ready, %zu MiB of item memory, items up to %zu bytes\n", mem_limit >> 20,
           item_max);
    fflush(stdout);

    sec_tsc = nfapp_now() + app.tsc_hz;
    app.wake_tsc = sec_tsc; /* an idle sleep ends when the clock ticks */
    while (!nfapp_poll(&app, nr_workers > 1 ? requests_total() : w0.kv.st.requests)) {
        if (nfapp_now() >= sec_tsc) { /* the table's clock, in whole seconds */
            sec_tsc += app.tsc_hz;
            app.wake_tsc = sec_tsc;
            kv_clock(&w0.kv, ++unix_now);
        }
        for (i = 0; i < nr_ports; i++)
            serve(&app, &w0.ports[i]);
    }
    workers_stop();
    for (i = 0; i < nr_ports; i++) { /* what was received is still answered */
        uint16_t nreq;

        drain(&app, &w0.ports[i], &nreq);
    }
    print_report(&app);
    workers_add(&app);
    return nfapp_finish(&app);
}
