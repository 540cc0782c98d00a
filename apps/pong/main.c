/* pong: the smallest useful network function. Answers ARP requests for its
 * address and ICMP echo requests to it, in place in the received netbuf, on
 * every port that has an address (netdev.ip=, ./nfos run --ip); echo
 * requests only from sources that can have asked (net_src_check: not a
 * broadcast, multicast or our own address). Everything else is counted
 * and dropped; malformed frames and refused sources by reason. Runs until
 * --count replies, --time seconds, or SIGINT/SIGTERM on linuxu. */
#include <errno.h>
#include <stdio.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>

static const char about[] =
    "  Answers ARP and ping on each port with an address: ./nfos run pong --net tap:IF\n"
    "  --ip ADDR/PREFIX (kernel command line netdev.ip=, netdev1.ip=, ...).\n" NFAPP_STATS_HELP;

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

struct port {
    struct netdev *dev;
    uint32_t ip;
    struct net_src_filter guard; /* whom we answer */
    struct net_src_stats src;    /* echo requests refused, by reason */
    struct net_parse_stats parse;
    uint64_t arp_replies, echo_replies, ignored;
    uint64_t na[NA_COUNT];
};

static struct port ports[NETDEV_MAX_PORTS];
static unsigned nr_ports;

static int port_open(struct nfapp *app, unsigned i, struct pool *pool)
{
    struct port *p = &ports[nr_ports];
    char buf[NET_IPV4_STRLEN];
    unsigned prefix = 32;
    uint32_t a;

    if (!(p->dev = nfapp_port(app, i, pool)) || nfapp_port_ipv4(app, p->dev, &p->ip))
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
static void count_na(struct port *p, unsigned base, int err)
{
    if (err == -ENOMSG)
        p->na[base]++;
    else if (err == -EADDRNOTAVAIL)
        p->na[base + 1]++;
    else if (err == -EHOSTUNREACH)
        p->na[base + 2]++;
}

/* Rewrites one frame into its answer; returns the new length or < 0. */
static inline int answer(struct port *p, struct netbuf *nb)
{
    uint8_t *f = netbuf_data(nb);
    struct net_hdrs h;
    int rc = net_frame_parse(f, nb->len, &h, 0), len;

    net_parse_stats_count(&p->parse, rc);
    if (rc == NET_KIND_ARP) {
        len = net_arp_reply(f, nb->len, &h, p->dev->mac, p->ip);
        if (len > 0)
            p->arp_replies++;
        else
            count_na(p, NA_ARP_OP, len);
        return len;
    }
    if (rc == NET_KIND_ICMP) {
        int why;

        if (net_icmp_is_echo_request(f, &h, p->ip) && (why = net_src_check(&p->guard, f, &h))) {
            p->src.refused[why]++;
            return -1;
        }
        len = net_icmp_echo_reply(f, nb->len, &h, p->ip);
        if (len > 0)
            p->echo_replies++;
        else
            count_na(p, NA_ICMP_TYPE, len);
        return len;
    }
    return -1;
}

static void serve(struct nfapp *app, struct port *p)
{
    struct netbuf *pkts[NFAPP_BURST], *out[NFAPP_BURST];
    uint64_t t0 = nfapp_now();
    uint16_t n = netdev_rx_burst(p->dev, 0, pkts, NFAPP_BURST), k, nout = 0, sent;

    if (!n)
        return;
    app->c.rx += n;
    for (k = 0; k < n; k++) {
        int len = answer(p, pkts[k]);

        app->c.rx_bytes += pkts[k]->pkt_len;
        if (len > 0 && !netbuf_set_len(pkts[k], (uint32_t)len)) {
            out[nout++] = pkts[k];
        } else {
            p->ignored++;
            netbuf_free(pkts[k]);
        }
    }
    sent = nout ? netdev_tx_burst(p->dev, 0, out, nout) : 0;
    if (sent < nout) {
        netbuf_free_bulk(out + sent, nout - sent);
        app->c.drops += nout - sent;
    }
    app->c.tx += sent;
    nfapp_busy(app, t0, n);
}

static void print_port(const struct nfapp *app, const struct port *p)
{
    unsigned r;

    printf("pong: port %u: %llu ARP replies, %llu echo replies, %llu frames not answered\n",
           p->dev->port, (unsigned long long)p->arp_replies, (unsigned long long)p->echo_replies,
           (unsigned long long)p->ignored);
    printf("pong: port %u not answered:", p->dev->port);
    for (unsigned i = 0; i < NA_COUNT; i++)
        printf(" %s %llu", na_names[i], (unsigned long long)p->na[i]);
    printf("\n");
    nfapp_print_parse_stats(app, p->dev->port, &p->parse);
    for (r = 1; r < NET_SRC_COUNT; r++)
        if (p->src.refused[r])
            printf("pong: port %u refused (%s): %llu\n", p->dev->port, net_src_names[r],
                   (unsigned long long)p->src.refused[r]);
}

int main(int argc, char **argv)
{
    struct pool *pool;
    struct nfapp app;
    unsigned i;
    int rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_LIMITS(app, "REPLIES", "answers sent"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "pong", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    if (!(pool = nfapp_pool(&app, 1024)))
        return 2;
    for (i = 0; i < nfapp_port_count(); i++)
        if (port_open(&app, i, pool))
            return 2;

    while (!nfapp_poll(&app, app.c.tx))
        for (i = 0; i < nr_ports; i++)
            serve(&app, &ports[i]);

    for (i = 0; i < nr_ports; i++)
        print_port(&app, &ports[i]);
    return nfapp_finish(&app);
}
