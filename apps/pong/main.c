/* pong: the smallest useful network function. Answers ARP requests for its
 * address and ICMP echo requests to it, in place in the received netbuf, on
 * every port that has an address (netdev.ip=, ./nfos run --ip). Everything
 * else is counted and dropped; malformed frames by reason. Runs until
 * --count replies, --time seconds, or SIGINT/SIGTERM on linuxu. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>

static const char usage[] =
    "usage: pong [--count REPLIES] [--time SECONDS]\n"
    "  Answers ARP and ping on each port with an address: ./nfos run pong --net tap:IF\n"
    "  --ip ADDR/PREFIX (kernel command line netdev.ip=, netdev1.ip=, ...).\n"
    "  --count REPLIES  stop after REPLIES answers (K/M/G suffixes)\n"
    "  --time SECONDS   stop after SECONDS\n"
    "  nfos.stats=N on the command line prints counters every N seconds.\n";

struct port {
    struct netdev *dev;
    uint32_t ip;
    struct net_parse_stats parse;
    uint64_t arp_replies, echo_replies, ignored;
};

static struct port ports[NETDEV_MAX_PORTS];
static unsigned nr_ports;

static int port_open(struct nfapp *app, unsigned i, struct pool *pool)
{
    struct port *p = &ports[nr_ports];
    const char *ipstr;
    unsigned prefix;
    char buf[NET_IPV4_STRLEN];

    if (!(p->dev = nfapp_port(app, i, pool)))
        return -1;
    ipstr = netdev_param(p->dev, "ip");
    if (!ipstr) {
        fprintf(stderr, "pong: port %u (%s) has no address: give --ip ADDR/PREFIX (%s.ip=)\n", i,
                p->dev->name, p->dev->param_prefix);
        return -1;
    }
    if (net_ipv4_parse(ipstr, &p->ip, &prefix) || !net_ipv4_is_unicast(p->ip)) {
        fprintf(stderr, "pong: %s.ip=%s: expected a unicast ADDR/PREFIX, e.g. 10.0.0.2/24\n",
                p->dev->param_prefix, ipstr);
        return -1;
    }
    printf("pong: port %u (%s) answers for %s\n", i, p->dev->name, net_ipv4_format(p->ip, buf));
    nr_ports++;
    return 0;
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
        return len;
    }
    if (rc == NET_KIND_ICMP) {
        len = net_icmp_echo_reply(f, nb->len, &h, p->ip);
        if (len > 0)
            p->echo_replies++;
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

static void print_port(const struct port *p)
{
    unsigned i;

    printf("pong: port %u: %llu ARP replies, %llu echo replies, %llu frames not answered\n",
           p->dev->port, (unsigned long long)p->arp_replies, (unsigned long long)p->echo_replies,
           (unsigned long long)p->ignored);
    printf("pong: port %u parsed:", p->dev->port);
    for (i = 0; i < NET_KIND_COUNT; i++)
        if (p->parse.kind[i])
            printf(" %s %llu", net_kind_names[i], (unsigned long long)p->parse.kind[i]);
    printf("\n");
    for (i = 1; i < NET_ERR_COUNT; i++)
        if (p->parse.err[i])
            printf("pong: port %u dropped malformed (%s): %llu\n", p->dev->port, net_err_names[i],
                   (unsigned long long)p->parse.err[i]);
}

int main(int argc, char **argv)
{
    uint64_t count = 0;
    double seconds = 0;
    struct pool *pool;
    struct nfapp app;
    unsigned i;

    for (i = 1; i < (unsigned)argc; i++) {
        const char *v = i + 1 < (unsigned)argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--count")) {
            bad = nfapp_parse_count(v, &count), i++;
        } else if (!strcmp(argv[i], "--time")) {
            bad = nfapp_parse_seconds(v, &seconds), i++;
        } else {
            fprintf(stderr, "pong: unknown argument '%s'\n%s", argv[i], usage);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "pong: bad value '%s' for %s\n%s", v ? v : "(none)", argv[i - 1],
                    usage);
            return 2;
        }
    }

    nfapp_init(&app, "pong", count, seconds);
    if (!(pool = nfapp_pool(&app, 1024)))
        return 2;
    if (netdev_count() == 0) {
        nfapp_port(&app, 0, pool); /* prints how to attach one */
        return 2;
    }
    for (i = 0; i < netdev_count(); i++)
        if (port_open(&app, i, pool))
            return 2;

    while (!nfapp_poll(&app, app.c.tx))
        for (i = 0; i < nr_ports; i++)
            serve(&app, &ports[i]);

    for (i = 0; i < nr_ports; i++)
        print_port(&ports[i]);
    return nfapp_finish(&app);
}
