/* txgen: sends UDP frames of one size on port 0, at full speed or at a
 * chosen rate, forever or for a count or a time. Each frame's payload
 * starts with its 64-bit sequence number (network order), so a receiver
 * can count losses and reordering. Every buffer of txgen's pool holds one
 * template frame built with lib/net, written once at start; per frame only
 * the sequence number changes. The IPv4 checksum is fixed (constant IP id),
 * the UDP checksum 0 unless --udp-csum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>
#include <nfos/plat/time.h>

#define TXGEN_MAX_FRAME 1514
#define TXGEN_MIN_FRAME (NET_UDP_FRAME_HLEN + 8) /* headers and the sequence number */

static const char about[] = "  Sends UDP frames on port 0 from its address (--ip of ./nfos run; "
                            "default 10.0.0.1).\n" NFAPP_STATS_HELP;

struct txgen {
    struct net_udp_flow flow;
    uint64_t size, rate, burst;
    bool udp_csum;
    uint8_t template[TXGEN_MAX_FRAME];
};

/* The port's address and the default destination from netdev.ip=. */
static int addresses(struct txgen *g, struct netdev *dev)
{
    const char *ipstr = netdev_param(dev, "ip");
    unsigned prefix = 24;
    uint32_t ip = NET_IPV4(10, 0, 0, 1);

    if (ipstr && net_ipv4_parse(ipstr, &ip, &prefix)) {
        fprintf(stderr, "txgen: %s.ip=%s: expected ADDR/PREFIX\n", dev->param_prefix, ipstr);
        return -1;
    }
    g->flow.src_ip = ip;
    if (!g->flow.dst_ip)
        g->flow.dst_ip =
            ipstr && prefix < 31 ? (ip | ~net_ipv4_prefix_mask(prefix)) : NET_IPV4(10, 0, 0, 2);
    memcpy(g->flow.src_mac, dev->mac, NET_ETH_ALEN);
    return 0;
}

/* Writes the template into every buffer of the pool once: the pool is
 * txgen's alone and tx only reads the data, so afterwards a frame costs its
 * sequence number (and a checksum with --udp-csum), not a copy of it all.
 * Returns 0, or -1 when the pool cannot be drained (it was just made). */
static int prefill(const struct txgen *g, struct pool *pool)
{
    unsigned n = pool_avail(pool), i;
    struct netbuf **all = malloc(n * sizeof(*all));

    if (!all || netbuf_alloc_bulk(pool, all, n)) {
        free(all);
        return -1;
    }
    for (i = 0; i < n; i++)
        memcpy(netbuf_data(all[i]), g->template, g->size);
    netbuf_free_bulk(all, n);
    free(all);
    return 0;
}

static inline void fill(const struct txgen *g, struct netbuf *nb, uint64_t seq)
{
    uint8_t *f = netbuf_data(nb);
    uint64_t be = __builtin_bswap64(seq);

    memcpy(f + NET_UDP_FRAME_HLEN, &be, sizeof(be));
    nb->len = nb->pkt_len = (uint32_t)g->size;
    if (g->udp_csum) {
        struct net_udp_hdr *udp = (struct net_udp_hdr *)(f + NET_ETH_HLEN + NET_IPV4_HLEN);

        udp->csum = 0;
        net_udp_csum_set(udp, g->flow.src_ip, g->flow.dst_ip);
    }
}

int main(int argc, char **argv)
{
    static struct txgen g = {
        .flow = { .dst_mac = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
                  .src_port = 1024,
                  .dst_port = 9 },
        .size = 60,
        .burst = NFAPP_BURST,
    };
    struct netbuf *pkts[NETDEV_BURST_MAX];
    uint64_t count, seq = 0, hz = plat_tsc_hz(), start;
    char src[NET_IPV4_STRLEN], dst[NET_IPV4_STRLEN];
    struct netdev *dev;
    struct pool *pool;
    struct nfapp app;
    int len, rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_COUNT("--size", "BYTES", g.size, TXGEN_MIN_FRAME, TXGEN_MAX_FRAME,
                        "frame size without FCS, 50..1514 (default 60: 64 on the wire)"),
        NFAPP_OPT_COUNT("--rate", "PPS", g.rate, 1, UINT64_MAX,
                        "frames per second (K/M/G suffixes); default: as fast as possible"),
        NFAPP_OPT_LIMITS(app, "PKTS", "frames sent"),
        NFAPP_OPT_MAC("--dst-mac", "MAC", g.flow.dst_mac, "default ff:ff:ff:ff:ff:ff"),
        NFAPP_OPT_IPV4("--dst-ip", "ADDR", g.flow.dst_ip,
                       "default: the port's subnet broadcast, else 10.0.0.2"),
        NFAPP_OPT_U16("--sport", "N", g.flow.src_port, 0, UINT16_MAX,
                      "UDP source port (default 1024)"),
        NFAPP_OPT_U16("--dport", "N", g.flow.dst_port, 0, UINT16_MAX,
                      "UDP destination port (default 9)"),
        NFAPP_OPT_FLAG("--udp-csum", g.udp_csum, "compute the UDP checksum of every frame"),
        NFAPP_OPT_BURST(g.burst, "frames"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "txgen", about, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    count = app.max_pkts; /* a burst never goes past it */
    if (!(pool = nfapp_pool(&app, NFAPP_POOL_BUFS)) || !(dev = nfapp_port(&app, 0, pool)) ||
        addresses(&g, dev))
        return 2;
    len = net_udp_build(g.template, sizeof(g.template), &g.flow, g.size - NET_UDP_FRAME_HLEN, 0,
                        false);
    if (len != (int)g.size) {
        fprintf(stderr, "txgen: cannot build a %llu-byte frame (%d)\n", (unsigned long long)g.size,
                len);
        return 2;
    }
    if (prefill(&g, pool)) {
        fprintf(stderr, "txgen: cannot prepare the packet buffers\n");
        return 2;
    }
    printf("txgen: port 0 (%s): %llu-byte UDP frames %s:%u -> %s:%u, %s\n", dev->name,
           (unsigned long long)g.size, net_ipv4_format(g.flow.src_ip, src), g.flow.src_port,
           net_ipv4_format(g.flow.dst_ip, dst), g.flow.dst_port,
           g.rate ? "rate-limited" : "full speed");

    if (!g.rate)
        app.idle.cycles = 0; /* at full speed it is never idle (a full ring waits for the device) */
    start = nfapp_now();
    while (!nfapp_poll(&app, app.c.tx)) {
        uint64_t t0 = nfapp_now(), want = g.burst;
        uint16_t n, k, sent;

        if (g.rate) {
            /* Frames due by now since start, minus those sent. */
            uint64_t due = (uint64_t)((double)(t0 - start) * (double)g.rate / (double)hz);

            want = due > seq ? NFOS_MIN(due - seq, g.burst) : 0;
            /* When the next frame is due: an idle sleep ends by then. */
            app.wake_tsc = start + (uint64_t)((double)(seq + 1) * (double)hz / (double)g.rate);
        }
        if (count)
            want = NFOS_MIN(want, count - app.c.tx);
        if (!want || netbuf_alloc_bulk(pool, pkts, (unsigned)want))
            continue;
        n = (uint16_t)want;
        for (k = 0; k < n; k++)
            fill(&g, pkts[k], seq + k);
        sent = netdev_tx_burst(dev, 0, pkts, n);
        if (sent < n)
            netbuf_free_bulk(pkts + sent, n - sent); /* ring full: sent again next time */
        seq += sent;
        app.c.tx += sent;
        app.c.tx_bytes += sent * g.size;
        if (sent)
            nfapp_busy(&app, t0, sent);
    }
    return nfapp_finish(&app);
}
