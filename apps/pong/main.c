/* pong: the smallest useful network function. Answers ARP requests for its
 * address and ICMP echo requests to it, in place in the received netbuf, on
 * every port that has an address (netdev.ip=, ./nfos run --ip); echo
 * requests only from sources that can have asked (net_src_check: not a
 * broadcast, multicast or our own address). Everything else is counted
 * and dropped; malformed frames and refused sources by reason. Runs until
 * --count replies (made: sent, or dropped when the device took none),
 * --time seconds, or SIGINT/SIGTERM on linuxu. With N
 * lcores (--cpus N) each polls its own queue pair of every port, with its
 * own counters, as far as the ports offer pairs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/lcore.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>

static const char about[] =
    "  Answers ARP and ping on each port with an address: ./nfos run pong --net tap:IF\n"
    "  --ip ADDR/PREFIX (kernel command line netdev.ip=, netdev1.ip=, ...).\n"
    "  N lcores (--cpus N): lcore i answers on queue pair i of every port.\n" NFAPP_STATS_HELP;

/* Why an ARP or ICMP frame that parsed was not answered: net_arp_reply's
 * and net_icmp_echo_reply's errors, counted so that a storm's frames add
 * up exactly (the other kinds are never answered: their parse counters
 * say how many). */
enum pong_na {
    NA_ARP_OP,
    NA_ARP_NOT_OURS,
    NA_ARP_SOURCE,
    NA_ICMP_TYPE,
    NA_ICMP_NOT_OURS,
    NA_ICMP_SOURCE,
    NA_COUNT
};
static const char *const na_names[NA_COUNT] = { "arp_op",    "arp_not_ours",  "arp_source",
                                                "icmp_type", "icmp_not_ours", "icmp_source" };

/* What one lcore counts on one port. */
struct pong_counts {
    struct net_src_stats src; /* echo requests refused, by reason */
    struct net_parse_stats parse;
    uint64_t arp_replies, echo_replies, ignored;
    uint64_t na[NA_COUNT];
} __nfos_cache_aligned;

struct port {
    struct netdev *dev;
    uint32_t ip;
    struct net_src_filter guard; /* whom we answer */
    struct pong_counts c[LCORE_MAX];
};

static struct port ports[NETDEV_MAX_PORTS];
static unsigned nr_ports;

static int port_open(struct nfapp *app, unsigned i, struct pool *pool, uint16_t nq)
{
    struct port *p = &ports[nr_ports];
    char buf[NET_IPV4_STRLEN];
    unsigned prefix = 32;
    uint32_t a;

    if (!(p->dev = nfapp_port_queues(app, i, pool, nq)) || nfapp_port_ipv4(app, p->dev, &p->ip))
        return -1;
    /* nfapp_port_ipv4 parsed it already; here for the prefix. */
    net_ipv4_parse(netdev_param(p->dev, "ip"), &a, &prefix);
    net_src_filter_init(&p->guard, p->ip, prefix, 0);
    printf("pong: port %u (%s) answers for %s\n", i, p->dev->name, net_ipv4_format(p->ip, buf));
    nr_ports++;
    return 0;
}

/* Counts a refusal of net_arp_reply or net_icmp_echo_reply (base: the
 * protocol's first enum pong_na). */
static void count_na(struct pong_counts *p, unsigned base, int err)
{
    if (err == -ENOMSG)
        p->na[base]++;
    else if (err == -EADDRNOTAVAIL)
        p->na[base + 1]++;
    else if (err == -EHOSTUNREACH)
        p->na[base + 2]++;
}

static void counts_add(struct pong_counts *to, const struct pong_counts *c)
{
    unsigned i;

    for (i = 0; i < NET_SRC_COUNT; i++)
        to->src.refused[i] += c->src.refused[i];
    for (i = 0; i < NET_KIND_COUNT; i++)
        to->parse.kind[i] += c->parse.kind[i];
    for (i = 0; i < NET_ERR_COUNT; i++)
        to->parse.err[i] += c->parse.err[i];
    for (i = 0; i < NA_COUNT; i++)
        to->na[i] += c->na[i];
    to->arp_replies += c->arp_replies;
    to->echo_replies += c->echo_replies;
    to->ignored += c->ignored;
}

/* Rewrites one frame into its answer; returns the new length or < 0. */
static inline int answer(const struct port *p, struct pong_counts *c, struct netbuf *nb)
{
    uint8_t *f = netbuf_data(nb);
    struct net_hdrs h;
    int rc = net_frame_parse(f, nb->len, &h, 0), len;

    net_parse_stats_count(&c->parse, rc);
    if (rc == NET_KIND_ARP) {
        len = net_arp_reply(f, nb->len, &h, p->dev->mac, p->ip);
        if (len > 0)
            c->arp_replies++;
        else
            count_na(c, NA_ARP_OP, len);
        return len;
    }
    if (rc == NET_KIND_ICMP) {
        int why;

        if (net_icmp_is_echo_request(f, &h, p->ip) && (why = net_src_check(&p->guard, f, &h))) {
            c->src.refused[why]++;
            return -1;
        }
        len = net_icmp_echo_reply(f, nb->len, &h, p->ip);
        if (len > 0)
            c->echo_replies++;
        else
            count_na(c, NA_ICMP_TYPE, len);
        return len;
    }
    return -1;
}

/* One burst of port p's queue pair q, counted in c. */
static void serve(struct nfapp *app, struct port *p, uint16_t q, struct pong_counts *c)
{
    struct netbuf *pkts[NFAPP_BURST], *out[NFAPP_BURST];
    uint64_t t0 = nfapp_now();
    uint16_t n = netdev_rx_burst(p->dev, q, pkts, NFAPP_BURST), k, nout = 0, sent;

    if (!n)
        return;
    app->c.rx += n;
    for (k = 0; k < n; k++) {
        int len = answer(p, c, pkts[k]);

        app->c.rx_bytes += pkts[k]->pkt_len;
        if (len > 0 && !netbuf_set_len(pkts[k], (uint32_t)len)) {
            out[nout++] = pkts[k];
        } else {
            c->ignored++;
            netbuf_free(pkts[k]);
        }
    }
    sent = nout ? netdev_tx_burst(p->dev, q, out, nout) : 0;
    if (sent < nout) {
        netbuf_free_bulk(out + sent, nout - sent);
        app->c.drops += nout - sent;
    }
    app->c.tx += sent;
    nfapp_busy(app, t0, n);
}

/* Another lcore: its queue pair (its id), its own app counters. */
struct pong_worker {
    struct nfapp app;
    volatile int stop;
} __nfos_cache_aligned;

static struct pong_worker workers[LCORE_MAX];

static int worker_loop(void *arg)
{
    struct pong_worker *w = arg;
    uint16_t q = (uint16_t)lcore_id();
    unsigned i;

    while (!w->stop)
        for (i = 0; i < nr_ports; i++)
            serve(&w->app, &ports[i], q, &ports[i].c[q]);
    return 0;
}

/* Replies the other lcores made: sent, or dropped when the device took
 * none (a reply lost to a full ring still counts towards --count). */
static uint64_t workers_replies(unsigned n)
{
    uint64_t r = 0;

    for (unsigned i = 1; i < n; i++)
        r += __atomic_load_n(&workers[i].app.c.tx, __ATOMIC_RELAXED) +
             __atomic_load_n(&workers[i].app.c.drops, __ATOMIC_RELAXED);
    return r;
}

/* Queue pair i on lcore i (0: main, here) until a limit or a stop; then
 * lcore i's counters are added to main's (app's and each port's c[0]). */
static int serve_lcores(struct nfapp *app, unsigned n)
{
    struct nfapp_counters *m = &app->c;
    unsigned i, l, pi;
    int err = 0;

    for (l = 1; l < n && !err; l++) {
        workers[l].app = *app;
        memset(&workers[l].app.c, 0, sizeof(workers[l].app.c));
        workers[l].stop = 0;
        if ((err = lcore_launch(l, worker_loop, &workers[l])))
            fprintf(stderr, "pong: cannot launch on lcore %u (error %d)\n", l, err);
    }
    while (!err && !nfapp_poll(app, m->tx + m->drops + workers_replies(n)))
        for (i = 0; i < nr_ports; i++)
            serve(app, &ports[i], 0, &ports[i].c[0]);
    for (l = 1; l < n; l++)
        workers[l].stop = 1;
    lcore_wait_all();
    workers[0].app.c = *m;
    for (l = 0; l < n; l++)
        printf("pong: lcore %u rx %llu pkts tx %llu pkts | queue pair %u\n", l,
               (unsigned long long)workers[l].app.c.rx, (unsigned long long)workers[l].app.c.tx, l);
    for (l = 1; l < n; l++) {
        const struct nfapp_counters *c = &workers[l].app.c;

        m->rx += c->rx, m->tx += c->tx, m->drops += c->drops;
        m->rx_bytes += c->rx_bytes, m->tx_bytes += c->tx_bytes;
        m->busy_cycles += c->busy_cycles, m->busy_pkts += c->busy_pkts;
        for (pi = 0; pi < nr_ports; pi++)
            counts_add(&ports[pi].c[0], &ports[pi].c[l]);
    }
    return err ? 1 : 0;
}

static void print_port(const struct nfapp *app, const struct port *port)
{
    const struct pong_counts *p = &port->c[0]; /* all lcores' by now */
    unsigned r;

    printf("pong: port %u: %llu ARP replies, %llu echo replies, %llu frames not answered\n",
           port->dev->port, (unsigned long long)p->arp_replies, (unsigned long long)p->echo_replies,
           (unsigned long long)p->ignored);
    printf("pong: port %u not answered:", port->dev->port);
    for (unsigned i = 0; i < NA_COUNT; i++)
        printf(" %s %llu", na_names[i], (unsigned long long)p->na[i]);
    printf("\n");
    nfapp_print_parse_stats(app, port->dev->port, &p->parse);
    for (r = 1; r < NET_SRC_COUNT; r++)
        if (p->src.refused[r])
            printf("pong: port %u refused (%s): %llu\n", port->dev->port, net_src_names[r],
                   (unsigned long long)p->src.refused[r]);
}

/* Queue pairs per port: one per lcore as far as every port offers. */
static uint16_t queue_pairs(void)
{
    uint16_t nq = (uint16_t)lcore_count();
    unsigned i;

    if (LCORE_MAX == 1) /* a single-CPU image: one pair, nothing to ask */
        return 1;
    for (i = 0; i < netdev_count(); i++)
        nq = NFOS_MIN(nq, nfapp_port_max_queues(i));
    if (nq < lcore_count() && netdev_count())
        printf("pong: the ports offer %u queue pair%s for %u lcores: %u of them answer\n", nq,
               nq == 1 ? "" : "s", lcore_count(), nq);
    return nq ? nq : 1;
}

int main(int argc, char **argv)
{
    struct pool *pool;
    struct nfapp app;
    unsigned i;
    uint16_t nq;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_LIMITS(app, "REPLIES", "answers sent"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "pong", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    nq = queue_pairs();
    if (!(pool = nfapp_pool(&app, 1024)))
        return 2;
    for (i = 0; i < nfapp_port_count(); i++)
        if (port_open(&app, i, pool, nq))
            return 2;

    if (LCORE_MAX > 1 && nq > 1) { /* a constant 1 without SMP: no lcore code */
        printf("pong: %u lcores, lcore i on queue pair i of every port\n", nq);
        if (serve_lcores(&app, nq))
            return 1;
    } else {
        while (!nfapp_poll(&app, app.c.tx + app.c.drops))
            for (i = 0; i < nr_ports; i++)
                serve(&app, &ports[i], 0, &ports[i].c[0]);
    }

    for (i = 0; i < nr_ports; i++)
        print_port(&app, &ports[i]);
    return nfapp_finish(&app);
}
