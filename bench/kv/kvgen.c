/* kvgen: a memcached UDP load generator on one DPDK port and one core.
 *
 *   kvgen EAL-OPTIONS -- --server IP [--ip IP] [--keys N] [--workloads LIST] ...
 *
 * It preloads N keys with sets (each resent until stored), then runs each
 * workload: a warm-up, then a measured window of batched gets and sets with
 * at most --window requests outstanding, matched to replies by request id.
 * Per workload it prints one line for people and one `KVGEN {json}` line
 * for bench_kv.py. It does not pace: the window is the only limit. With
 * --hold it stops, drained and idle, before each workload and at the end
 * until a line comes on stdin (bench_kv.py probes the cores meanwhile). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "kvgen.h"

#define MAX_WORKLOADS 16
#define NMBUFS        8191

struct workload {
    char name[32];
    unsigned get_pct;
    int zipf;
};

struct opts {
    const char *ip, *server, *dst_mac;
    uint16_t port, src_port;
    uint64_t keys;
    struct workload wl[MAX_WORKLOADS];
    unsigned nwl;
    double seconds, warmup, timeout_ms, preload_timeout, link_timeout, theta;
    uint32_t window;
    uint64_t seed;
    int hold;
};

volatile sig_atomic_t kvgen_stop;
static struct kvgen *gen;

static void on_signal(int sig)
{
    (void)sig;
    kvgen_stop = 1;
}

/* --- replies and requests --------------------------------------------------- */

static void retry_push(struct kvgen *g, uint32_t key)
{
    g->retry[g->retry_tail++ & (KVGEN_IDS - 1)] = key;
}

void kvgen_reply(struct kvgen *g, const uint8_t *p, uint32_t len, uint64_t now)
{
    struct kvp_reply r;
    struct kvgen_req *q;

    if (kvp_reply_parse(p, len, &r) == KVP_MALFORMED) {
        g->c.malformed[r.bad]++;
        return;
    }
    q = &g->req[r.id];
    if (q->state == KVGEN_LATE) {
        g->c.late++; /* already counted lost (and resent, in the preload) */
        q->state = KVGEN_DONE;
        return;
    }
    /* The reply must answer what was asked: a get gets a value of its own
     * key or END, a set STORED; errors answer either. */
    if (q->state != KVGEN_OUT || (r.kind == KVP_HIT && (q->op != KVGEN_GET || r.key != q->key)) ||
        (r.kind == KVP_MISS && q->op != KVGEN_GET) ||
        (r.kind == KVP_STORED && q->op != KVGEN_SET)) {
        g->c.unmatched++;
        return;
    }
    q->state = KVGEN_DONE;
    g->inflight--;
    g->c.done++;
    kvhist_add(&g->c.lat, now - q->tsc);
    switch (r.kind) {
    case KVP_HIT:
        g->c.hits++;
        g->c.bad_value += !r.value_ok;
        break;
    case KVP_MISS:
        g->c.misses++;
        break;
    case KVP_STORED:
        g->c.stored++;
        g->acked += g->preload;
        break;
    default:
        g->c.errors++;
        if (g->preload)
            retry_push(g, q->key); /* e.g. SERVER_ERROR out of memory: try again */
        break;
    }
}

/* Retires, oldest first, what was answered or has waited longer than the
 * timeout (counted lost; the preload sends its key again). */
static void expire(struct kvgen *g, uint64_t now)
{
    while (g->tail != g->head) {
        struct kvgen_req *q = &g->req[g->tail];

        if (q->state == KVGEN_QUEUED)
            break; /* built, not yet taken by the port: everything after it is too */
        if (q->state == KVGEN_OUT) {
            if (now - q->tsc < g->timeout)
                break;
            q->state = KVGEN_LATE;
            g->inflight--;
            g->c.lost++;
            if (g->preload)
                retry_push(g, q->key);
        }
        g->tail++;
    }
}

/* The next request's key and operation; 0 when the preload has none left. */
static int next_request(struct kvgen *g, uint32_t *key, uint8_t *op)
{
    if (g->preload) {
        *op = KVGEN_SET;
        if (g->retry_head != g->retry_tail)
            *key = g->retry[g->retry_head++ & (KVGEN_IDS - 1)];
        else if (g->next_key < g->nkeys)
            *key = (uint32_t)g->next_key++;
        else
            return 0;
        return 1;
    }
    *key = (uint32_t)kvkeys_next(g->keys);
    *op = ((kvkeys_rand(&g->keys->rng) >> 32) * 100 >> 32) < g->get_pct ? KVGEN_GET : KVGEN_SET;
    return 1;
}

/* Offers the built requests to the port; what its full ring refuses stays
 * queued, in order, for the next call (never rebuilt, never resent: its
 * clock starts when the port takes it). Returns how many it took. */
static unsigned transmit(struct kvgen *g, uint64_t now)
{
    unsigned sent = rte_eth_tx_burst(g->port, 0, g->pend, (uint16_t)g->npend);

    for (unsigned j = 0; j < sent; j++) {
        struct kvgen_req *q = &g->req[(uint16_t)(g->pend_first + j)];

        q->tsc = now;
        q->state = KVGEN_OUT;
        g->c.sent_get += q->op == KVGEN_GET;
        g->c.sent_set += q->op == KVGEN_SET;
    }
    g->c.sent += sent;
    g->c.tx_full += g->npend - sent;
    g->npend -= sent;
    g->pend_first = (uint16_t)(g->pend_first + sent);
    memmove(g->pend, g->pend + sent, g->npend * sizeof(*g->pend));
    return sent;
}

/* Builds what the window allows and sends it; returns how many went out. */
static unsigned send_burst(struct kvgen *g, uint64_t now)
{
    struct rte_mbuf **m = g->pend;
    uint32_t room = g->inflight < g->window ? g->window - g->inflight : 0;
    uint32_t span = KVGEN_SPAN - (uint16_t)(g->head - g->tail);
    unsigned n = KVGEN_BURST, i;

    if (g->npend)
        return transmit(g, now);
    n = n < room ? n : room;
    n = n < span ? n : span;
    if (n == 0 || rte_pktmbuf_alloc_bulk(g->pool, m, n) != 0)
        return 0;
    g->pend_first = g->head;
    for (i = 0; i < n; i++) {
        struct kvgen_req *q = &g->req[g->head];
        uint8_t *p = rte_pktmbuf_mtod(m[i], uint8_t *);
        size_t plen;

        if (!next_request(g, &q->key, &q->op))
            break;
        if (q->op == KVGEN_GET) {
            memcpy(p, g->tmpl_get, KVGEN_HDR_LEN);
            plen = kvp_get_build(p + KVGEN_HDR_LEN, g->head, q->key);
        } else {
            memcpy(p, g->tmpl_set, KVGEN_HDR_LEN);
            plen = kvp_set_build(p + KVGEN_HDR_LEN, g->head, q->key, g->version++);
        }
        m[i]->data_len = m[i]->pkt_len = (uint32_t)(KVGEN_HDR_LEN + plen);
        q->state = KVGEN_QUEUED;
        g->head++;
    }
    if (i < n)
        rte_pktmbuf_free_bulk(m + i, n - i);
    g->npend = i;
    g->inflight += i;
    return i ? transmit(g, now) : 0;
}

/* One loop iteration; its cycles count as idle when it neither received
 * nor sent (the generator waited for the server, not the other way round). */
static void poll_once(struct kvgen *g)
{
    struct rte_mbuf *m[KVGEN_BURST];
    uint64_t t0 = rte_rdtsc();
    uint16_t n = rte_eth_rx_burst(g->port, 0, m, KVGEN_BURST);
    uint64_t now = rte_rdtsc();

    for (uint16_t i = 0; i < n; i++) {
        if (i + 1 < n)
            rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
        kvnet_rx(g, m[i], now);
    }
    expire(g, now);
    if ((n | send_burst(g, now)) == 0)
        g->c.idle_cycles += rte_rdtsc() - t0;
}

/* Polls until the outstanding requests are answered or timed out, or
 * until the deadline (TSC). */
static void drain(struct kvgen *g, uint64_t deadline)
{
    uint32_t saved = g->window;

    g->window = 0;
    while (g->inflight && rte_rdtsc() < deadline && !kvgen_stop)
        poll_once(g);
    g->window = saved;
}

/* --- phases --------------------------------------------------------------- */

static int resolve(struct kvgen *g, double seconds)
{
    uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)g->tsc_hz), next = 0;
    struct rte_mbuf *m[KVGEN_BURST];

    while (!g->server_mac_known && !kvgen_stop) {
        uint64_t now = rte_rdtsc();

        if (now > end)
            return -ETIMEDOUT;
        if (now >= next) {
            kvnet_arp_request(g);
            next = now + g->tsc_hz / 5;
        }
        uint16_t n = rte_eth_rx_burst(g->port, 0, m, KVGEN_BURST);
        for (uint16_t i = 0; i < n; i++)
            kvnet_rx(g, m[i], now);
    }
    return kvgen_stop ? -EINTR : 0;
}

static int preload(struct kvgen *g, double timeout)
{
    uint64_t t0 = rte_rdtsc(), end = t0 + (uint64_t)(timeout * (double)g->tsc_hz);
    double secs;

    g->preload = 1;
    while (g->acked < g->nkeys && !kvgen_stop) {
        poll_once(g);
        if (rte_rdtsc() > end) {
            printf("kvgen: preload: only %" PRIu64 " of %" PRIu64 " keys stored after %.0f s "
                   "(lost %" PRIu64 ", errors %" PRIu64 ")\n",
                   g->acked, g->nkeys, timeout, g->c.lost, g->c.errors);
            return -ETIMEDOUT;
        }
    }
    g->preload = 0;
    secs = (double)(rte_rdtsc() - t0) / (double)g->tsc_hz;
    if (!kvgen_stop)
        printf("kvgen: preload: %" PRIu64 " keys stored in %.2f s (%.0f sets/s), resent %" PRIu64
               " (lost %" PRIu64 ", errors %" PRIu64 "), port full %" PRIu64 " times\n",
               g->nkeys, secs, (double)g->nkeys / secs, g->c.lost + g->c.errors, g->c.lost,
               g->c.errors, g->c.tx_full);
    return kvgen_stop ? -EINTR : 0;
}

static double us(const struct kvgen *g, uint64_t cycles)
{
    return (double)cycles * 1e6 / (double)g->tsc_hz;
}

static uint64_t sum_malformed(const struct kvgen_counters *c)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < KVP_BAD_NREASONS; i++)
        n += c->malformed[i];
    return n;
}

static void report(const struct kvgen *g, const struct workload *w, double secs)
{
    const struct kvgen_counters *c = &g->c;
    uint64_t gets = c->hits + c->misses;
    double rps = (double)c->done / secs, hit = gets ? (double)c->hits / (double)gets : 0;
    double p50 = us(g, kvhist_quantile(&c->lat, 0.5)), p99 = us(g, kvhist_quantile(&c->lat, 0.99));
    double p999 = us(g, kvhist_quantile(&c->lat, 0.999));

    printf("kvgen: %s: %.0f req/s | hit %.4f | p50 %.1f us | p99 %.1f us | lost %" PRIu64
           " | malformed %" PRIu64 " | unmatched %" PRIu64 " | errors %" PRIu64 "\n",
           w->name, rps, hit, p50, p99, c->lost, sum_malformed(c), c->unmatched, c->errors);
    printf("KVGEN {\"workload\": \"%s\", \"get_pct\": %u, \"dist\": \"%s\", \"seconds\": %.4f, "
           "\"requests\": %" PRIu64 ", \"rps\": %.1f, \"sent\": %" PRIu64 ", \"sent_get\": %" PRIu64
           ", \"sent_set\": %" PRIu64 ", \"hits\": %" PRIu64 ", \"misses\": %" PRIu64
           ", \"hit_ratio\": %.6f, \"stored\": %" PRIu64 ", \"errors\": %" PRIu64
           ", \"bad_value\": %" PRIu64 ", \"lost\": %" PRIu64 ", \"late\": %" PRIu64
           ", \"unmatched\": %" PRIu64 ", \"malformed\": %" PRIu64 ", \"bad_l3\": %" PRIu64
           ", \"tx_full\": %" PRIu64 ", \"p50_us\": %.3f, \"p99_us\": %.3f, \"p999_us\": %.3f, "
           "\"gen_idle_share\": %.4f, \"gen_cycles_per_req\": %.1f, \"window\": %u, "
           "\"tsc_hz\": %" PRIu64 "}\n",
           w->name, w->get_pct, w->zipf ? "zipf" : "uniform", secs, c->done, rps, c->sent,
           c->sent_get, c->sent_set, c->hits, c->misses, hit, c->stored, c->errors, c->bad_value,
           c->lost, c->late, c->unmatched, sum_malformed(c), c->bad_l3, c->tx_full, p50, p99, p999,
           (double)c->idle_cycles / (secs * (double)g->tsc_hz),
           c->done ? (secs * (double)g->tsc_hz - (double)c->idle_cycles) / (double)c->done : 0.0,
           g->window, g->tsc_hz);
}

/* Warm-up, then the measured window, with keys from zipf (drawn before
 * the preload: drawing takes a few hundred ms) or a uniform generator.
 * -EIO when nothing was answered. */
static int workload(struct kvgen *g, const struct workload *w, const struct opts *o,
                    struct kvkeys *zipf)
{
    struct kvkeys uniform;
    uint64_t t0, end;

    kvkeys_uniform(&uniform, g->nkeys, o->seed);
    g->keys = w->zipf ? zipf : &uniform;
    g->get_pct = w->get_pct;
    printf("kvgen: %s: warm-up %.1f s\n", w->name, o->warmup);
    end = rte_rdtsc() + (uint64_t)(o->warmup * (double)g->tsc_hz);
    while (rte_rdtsc() < end && !kvgen_stop)
        poll_once(g);
    memset(&g->c, 0, sizeof(g->c));
    printf("kvgen: %s: measuring %.1f s\n", w->name, o->seconds);
    t0 = rte_rdtsc();
    end = t0 + (uint64_t)(o->seconds * (double)g->tsc_hz);
    while (rte_rdtsc() < end && !kvgen_stop)
        poll_once(g);
    report(g, w, (double)(rte_rdtsc() - t0) / (double)g->tsc_hz);
    g->keys = NULL;
    if (!g->c.done && !kvgen_stop) {
        printf("kvgen: %s: no replies in %.1f s (did the server stop?)\n", w->name, o->seconds);
        return -EIO;
    }
    return kvgen_stop ? -EINTR : 0;
}

/* --hold: with nothing outstanding (answered or given up on, as at the
 * end of the run) says where it is and sleeps in read() until a line
 * comes on stdin, so that both cores can be idle for a probe. End of file
 * or an error goes on; a stop signal interrupts the read (no SA_RESTART).
 * 0, or -EINTR when stopped. */
static int hold(struct kvgen *g, const char *where, const char *name)
{
    char c = 0;
    ssize_t n;

    drain(g, rte_rdtsc() + g->timeout + g->tsc_hz / 10);
    if (kvgen_stop)
        return -EINTR;
    printf("kvgen: hold %s%s%s\n", where, name ? " " : "", name ? name : "");
    fflush(stdout);
    do
        n = read(STDIN_FILENO, &c, 1);
    while (!kvgen_stop && ((n == 1 && c != '\n') || (n < 0 && errno == EINTR)));
    return kvgen_stop ? -EINTR : 0;
}

/* --- the command line --------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: kvgen EAL-OPTIONS -- --server IP [options]\n"
            "  EAL-OPTIONS   DPDK's, e.g. -l 0 --no-pci --vdev net_vhost0,iface=SOCK; one port\n"
            "  --server IP   the memcached server's address (required)\n"
            "  --ip IP       this generator's address (default 10.99.0.1); it answers ARP for it\n"
            "  --port N      the server's UDP port (default 11211)\n"
            "  --src-port N  this generator's UDP port (default 40000)\n"
            "  --dst-mac MAC the server's MAC, instead of asking ARP\n"
            "  --keys N      keys preloaded and used (default 1M; K, M suffixes)\n"
            "  --workloads L get<P>-<uniform|zipf>,... P = percent gets (default "
            "get90-uniform,get90-zipf,get50-uniform,get50-zipf)\n"
            "  --seconds S   measured seconds per workload (default 5)\n"
            "  --warmup S    seconds before each measurement (default 1)\n"
            "  --window N    requests outstanding at most (default 256, at most 16384)\n"
            "  --timeout-ms T  a request unanswered for T ms is lost (default 50)\n"
            "  --preload-timeout S  give up the preload after S s (default 300)\n"
            "  --link-timeout S     wait S s for the port's link and ARP (default 30)\n"
            "  --theta X     the Zipf exponent (default 0.99)\n"
            "  --seed N      key choice seed (default 1)\n"
            "  --hold        before each workload's warm-up and after the last, with no\n"
            "                request outstanding, print `kvgen: hold before NAME` (or\n"
            "                `kvgen: hold at end`) and wait, idle, for a line on stdin\n"
            "                (end of file: go on)\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end == 'K' || *end == 'k')
        v *= 1000, end++;
    else if (*end == 'M' || *end == 'm')
        v *= 1000000, end++;
    if (errno || *end || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;

    if (!s)
        return -EINVAL;
    errno = 0;
    *out = strtod(s, &end);
    return (errno || end == s || *end || !(*out >= lo && *out <= hi)) ? -EINVAL : 0;
}

static int parse_workloads(const char *s, struct opts *o)
{
    char buf[512], *save, *tok;

    if (!s || strlen(s) >= sizeof(buf))
        return -EINVAL;
    strcpy(buf, s);
    o->nwl = 0;
    for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct workload *w = &o->wl[o->nwl];
        unsigned pct;
        char dist[16];
        int n = -1;

        if (o->nwl == MAX_WORKLOADS || sscanf(tok, "get%3u-%15[a-z]%n", &pct, dist, &n) != 2 ||
            tok[n] || pct > 100 || strlen(tok) >= sizeof(w->name))
            return -EINVAL;
        if (strcmp(dist, "uniform") && strcmp(dist, "zipf"))
            return -EINVAL;
        strcpy(w->name, tok);
        w->get_pct = pct;
        w->zipf = !strcmp(dist, "zipf");
        o->nwl++;
    }
    return o->nwl ? 0 : -EINVAL;
}

/* One option and its value; 0, or -EINVAL with the option's name printed. */
static int parse_opt(struct opts *o, const char *opt, const char *val)
{
    uint64_t v;
    int bad = 0;
    struct in_addr a;
    struct rte_ether_addr mac;

    if (!strcmp(opt, "--server") || !strcmp(opt, "--ip"))
        bad = !val || inet_pton(AF_INET, val, &a) != 1;
    if (!strcmp(opt, "--server"))
        o->server = val;
    else if (!strcmp(opt, "--ip"))
        o->ip = val;
    else if (!strcmp(opt, "--dst-mac"))
        bad = !val || rte_ether_unformat_addr(val, &mac) != 0, o->dst_mac = val;
    else if (!strcmp(opt, "--port") || !strcmp(opt, "--src-port")) {
        bad = parse_u64(val, 65535, &v) < 0 || v == 0;
        *(!strcmp(opt, "--port") ? &o->port : &o->src_port) = (uint16_t)v;
    } else if (!strcmp(opt, "--keys"))
        bad = parse_u64(val, 1ull << 32, &o->keys) < 0 || o->keys < 2;
    else if (!strcmp(opt, "--window")) {
        bad = parse_u64(val, 16384, &v) < 0 || v == 0;
        o->window = (uint32_t)v;
    } else if (!strcmp(opt, "--seed"))
        bad = parse_u64(val, UINT64_MAX, &o->seed) < 0;
    else if (!strcmp(opt, "--workloads"))
        bad = parse_workloads(val, o) < 0;
    else if (!strcmp(opt, "--seconds"))
        bad = parse_double(val, 0.01, 3600, &o->seconds) < 0;
    else if (!strcmp(opt, "--warmup"))
        bad = parse_double(val, 0, 3600, &o->warmup) < 0;
    else if (!strcmp(opt, "--timeout-ms"))
        bad = parse_double(val, 0.01, 60000, &o->timeout_ms) < 0;
    else if (!strcmp(opt, "--preload-timeout"))
        bad = parse_double(val, 0.1, 86400, &o->preload_timeout) < 0;
    else if (!strcmp(opt, "--link-timeout"))
        bad = parse_double(val, 0.1, 3600, &o->link_timeout) < 0;
    else if (!strcmp(opt, "--theta"))
        bad = parse_double(val, 0.01, 0.999999, &o->theta) < 0;
    else {
        fprintf(stderr, "kvgen: unknown option '%s' (--help lists them)\n", opt);
        return -EINVAL;
    }
    if (bad) {
        fprintf(stderr, "kvgen: %s: bad value '%s' (--help says what it takes)\n", opt,
                val ? val : "(none)");
        return -EINVAL;
    }
    return 0;
}

/* The app's options (after --); 1 when --help was asked, 0, or -EINVAL. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ .ip = "10.99.0.1",
                        .port = 11211,
                        .src_port = 40000,
                        .keys = 1000000,
                        .seconds = 5,
                        .warmup = 1,
                        .timeout_ms = 50,
                        .preload_timeout = 300,
                        .link_timeout = 30,
                        .theta = 0.99,
                        .window = 256,
                        .seed = 1 };
    parse_workloads("get90-uniform,get90-zipf,get50-uniform,get50-zipf", o);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
        if (!strcmp(argv[i], "--hold")) {
            o->hold = 1;
            continue;
        }
        if (parse_opt(o, argv[i], i + 1 < argc ? argv[i + 1] : NULL) < 0)
            return -EINVAL;
        i++;
    }
    if (!o->server) {
        fprintf(stderr, "kvgen: which server? give --server IP (--help lists the options)\n");
        return -EINVAL;
    }
    return 0;
}

/* --- main --------------------------------------------------------------------- */

static int setup(struct kvgen *g, const struct opts *o)
{
    char mac[RTE_ETHER_ADDR_FMT_SIZE];

    if (rte_eth_dev_count_avail() != 1) {
        fprintf(stderr,
                "kvgen: %u ports: give exactly one with --vdev (e.g. "
                "net_vhost0,iface=SOCK or net_af_packet0,iface=IF)\n",
                rte_eth_dev_count_avail());
        return -ENODEV;
    }
    g->tsc_hz = rte_get_tsc_hz();
    g->window = o->window;
    g->timeout = (uint64_t)(o->timeout_ms * 1e-3 * (double)g->tsc_hz);
    g->nkeys = o->keys;
    g->src_port = o->src_port;
    g->server_port = o->port;
    inet_pton(AF_INET, o->ip, &g->ip);
    inet_pton(AF_INET, o->server, &g->server_ip);
    g->pool = rte_pktmbuf_pool_create("kvgen", NMBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                      (int)rte_socket_id());
    g->retry = calloc(KVGEN_IDS, sizeof(*g->retry));
    if (!g->pool || !g->retry) {
        fprintf(stderr, "kvgen: out of memory for %u packet buffers (give DPDK more: -m)\n",
                NMBUFS);
        return -ENOMEM;
    }
    if (kvnet_port_setup(g, (uint16_t)rte_eth_find_next_owned_by(0, RTE_ETH_DEV_NO_OWNER)) < 0)
        return -EIO;
    rte_ether_format_addr(mac, sizeof(mac), &g->mac);
    printf("kvgen: port %u: mac %s, ip %s, server %s:%u; waiting for the link\n", g->port, mac,
           o->ip, o->server, o->port);
    if (kvnet_link_wait(g, o->link_timeout) < 0) {
        if (!kvgen_stop)
            printf("kvgen: the port's link is still down after %.0f s (is the server connected?)\n",
                   o->link_timeout);
        return -ETIMEDOUT;
    }
    if (o->dst_mac) {
        rte_ether_unformat_addr(o->dst_mac, &g->server_mac);
        g->server_mac_known = 1;
    } else if (resolve(g, o->link_timeout) < 0) {
        if (!kvgen_stop)
            printf("kvgen: no ARP reply from %s in %.0f s\n", o->server, o->link_timeout);
        return -ETIMEDOUT;
    }
    rte_ether_format_addr(mac, sizeof(mac), &g->server_mac);
    printf("kvgen: server %s is at %s\n", o->server, mac);
    kvnet_templates(g);
    return 0;
}

static void totals(const struct kvgen *g)
{
    const struct kvgen_counters *c = &g->c;

    printf("kvgen: last window's drops: malformed");
    for (unsigned i = 1; i < KVP_BAD_NREASONS; i++)
        printf(" %s %" PRIu64, kvp_bad_name(i), c->malformed[i]);
    printf(" | bad ip/udp %" PRIu64 " | other frames %" PRIu64 " | arp %" PRIu64
           " | bad values %" PRIu64 "\n",
           c->bad_l3, c->other, c->arp, c->bad_value);
}

/* The Zipf keys, when a workload wants them. */
static int zipf_setup(struct kvkeys *zipf, const struct opts *o)
{
    int ret = 0;

    for (unsigned i = 0; i < o->nwl && !zipf->table && ret == 0; i++)
        if (o->wl[i].zipf)
            ret = kvkeys_zipf(zipf, o->keys, o->theta, 22, o->seed);
    if (ret < 0)
        fprintf(stderr, "kvgen: zipf keys: %s\n", strerror(-ret));
    return ret;
}

int main(int argc, char **argv)
{
    struct kvkeys zipf = { 0 };
    struct opts o;
    int split = argc, ret, status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            split = i;
            break;
        }
    ret = parse_args(argc - split - 1 > 0 ? argc - split - 1 : 0, argv + split + 1, &o);
    if (ret) {
        if (ret == 1)
            usage(stdout);
        return ret == 1 ? 0 : 2;
    }
    ret = rte_eal_init(split, argv);
    if (ret < 0) {
        fprintf(stderr, "kvgen: DPDK's EAL did not start%s%s (its EAL: lines say why)\n",
                rte_errno ? ": " : "", rte_errno ? rte_strerror(rte_errno) : "");
        return 1;
    }
    /* No SA_RESTART: a stop must end --hold's blocking read. */
    sigaction(SIGINT, &(struct sigaction){ .sa_handler = on_signal }, NULL);
    sigaction(SIGTERM, &(struct sigaction){ .sa_handler = on_signal }, NULL);
    gen = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(*gen));
    if (gen)
        memset(gen, 0, sizeof(*gen));
    if (!gen) {
        fprintf(stderr, "kvgen: out of memory\n");
        status = 1;
    } else if (setup(gen, &o) < 0 || zipf_setup(&zipf, &o) < 0 ||
               preload(gen, o.preload_timeout) < 0) {
        status = kvgen_stop ? 130 : 1;
    } else {
        for (unsigned i = 0; i < o.nwl && !status; i++)
            if ((o.hold && hold(gen, "before", o.wl[i].name) < 0) ||
                workload(gen, &o.wl[i], &o, &zipf) < 0)
                status = kvgen_stop ? 130 : 1;
        if (o.hold && !status && hold(gen, "at end", NULL) < 0)
            status = 130;
        drain(gen, rte_rdtsc() + gen->timeout + gen->tsc_hz / 10);
        totals(gen);
    }
    kvkeys_free(&zipf);
    if (kvgen_stop)
        printf("kvgen: stopped by a signal\n");
    if (gen && gen->pool)
        rte_eth_dev_stop(gen->port);
    rte_eal_cleanup();
    return status;
}
