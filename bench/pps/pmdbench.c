/* pmdbench: what net_nfos adds per packet to an nfos driver's bursts, on the
 * host. One nfos netdev of a fake driver (rx hands out netbufs of its pool
 * with a frame length set, as a device that wrote the data would; tx frees
 * what it is given, as a completed ring would) is driven two ways in the
 * same process, on the same pool (the "nfos" mempool's):
 *
 *   direct   netdev_rx_burst / netdev_tx_burst on netbufs
 *   net_nfos rte_eth_rx_burst / rte_eth_tx_burst on mbufs (ethdev, the PMD)
 *
 * in three loops: fwd (rx burst, tx it all: testpmd io), rx (rx burst, free
 * it all) and tx (allocate a burst, tx it all). TSC cycles per packet, the
 * median of REPEAT passes with the two ways alternating, and the fastest
 * pass. Figures only: no pass/fail; a busy machine moves them.
 *
 *     make -C bench/pps pmdbench && build/bench/pmdbench [PASSES]
 *
 * Built against Debian's DPDK (the version the images build), -O2 as the
 * images are, without debug checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/netdev.h>
#include <nfos/netdev_driver.h>

#include "fake_port.h" /* lib/dpdk/pmd/tests */

#define BURST  32
#define ROUNDS (1 << 16) /* bursts per pass */
#define MBUFS  2047
#define CACHE  250 /* testpmd's mempool cache */
#define FRAME  60

/* --- The fake driver: the control side is fake_port.c's ---------------- */

static struct fake_port fake;

static uint16_t fake_rx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct fake_port *f = queue;
    uint16_t i;

    if (unlikely(netbuf_alloc_bulk(f->rx_pool, pkts, n)))
        return 0;
    for (i = 0; i < n; i++) {
        pkts[i]->len = pkts[i]->pkt_len = FRAME;
        pkts[i]->port = f->dev.port;
    }
    f->rx.packets += n;
    return n;
}

static uint16_t fake_tx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct fake_port *f = queue;
    uint16_t i;

    for (i = 0; i < n; i++)
        netbuf_free(pkts[i]);
    f->tx.packets += n;
    return n;
}

/* --- The loops: TSC cycles per packet of one pass ------------------------ */

static struct netdev *nd;
static struct rte_mempool *mp;
static volatile uint64_t sink; /* the loops' results stay live */

static double direct_fwd(void)
{
    struct netbuf *b[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t n = netdev_rx_burst(nd, 0, b, BURST), sent = netdev_tx_burst(nd, 0, b, n);

        netbuf_free_bulk(b + sent, n - sent);
        pkts += n;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

static double pmd_fwd(void)
{
    struct rte_mbuf *m[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t n = rte_eth_rx_burst(0, 0, m, BURST), sent = rte_eth_tx_burst(0, 0, m, n);

        if (unlikely(sent < n))
            rte_pktmbuf_free_bulk(m + sent, n - sent);
        pkts += n;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

static double direct_rx(void)
{
    struct netbuf *b[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t n = netdev_rx_burst(nd, 0, b, BURST);

        netbuf_free_bulk(b, n);
        pkts += n;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

static double pmd_rx(void)
{
    struct rte_mbuf *m[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t n = rte_eth_rx_burst(0, 0, m, BURST);

        rte_pktmbuf_free_bulk(m, n);
        pkts += n;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

static double direct_tx(void)
{
    struct netbuf *b[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r, i;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t sent;

        if (unlikely(netbuf_alloc_bulk(fake.rx_pool, b, BURST)))
            break;
        for (i = 0; i < BURST; i++)
            b[i]->len = b[i]->pkt_len = FRAME;
        sent = netdev_tx_burst(nd, 0, b, BURST);
        netbuf_free_bulk(b + sent, BURST - sent);
        pkts += sent;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

static double pmd_tx(void)
{
    struct rte_mbuf *m[BURST];
    uint64_t t0 = __rdtsc(), pkts = 0;
    unsigned r, i;

    for (r = 0; r < ROUNDS; r++) {
        uint16_t sent;

        if (unlikely(rte_pktmbuf_alloc_bulk(mp, m, BURST)))
            break;
        for (i = 0; i < BURST; i++)
            m[i]->data_len = m[i]->pkt_len = FRAME;
        sent = rte_eth_tx_burst(0, 0, m, BURST);
        if (unlikely(sent < BURST))
            rte_pktmbuf_free_bulk(m + sent, BURST - sent);
        pkts += sent;
    }
    sink += pkts;
    return (double)(__rdtsc() - t0) / pkts;
}

/* --- Set-up and the report ------------------------------------------------ */

static void die(const char *what)
{
    fprintf(stderr, "pmdbench: %s: %s\n", what, rte_strerror(rte_errno));
    exit(1);
}

static void setup(void)
{
    char *argv[] = { "pmdbench",
                     "--no-huge",
                     "-m",
                     "64",
                     "--no-pci",
                     "--no-shconf",
                     "--no-telemetry",
                     "--iova-mode=va",
                     "--log-level=lib.eal:error",
                     "-l",
                     "0",
                     NULL };
    struct rte_eth_conf conf = { 0 };
    int err;

    if ((err = fake_port_register(&fake, fake_rx, fake_tx, 0))) {
        fprintf(stderr, "pmdbench: netdev_register: %s\n", strerror(-err));
        exit(1);
    }
    if (rte_eal_init(RTE_DIM(argv) - 1, argv) < 0)
        die("rte_eal_init");
    /* net_nfos made "nfos" the platform's ops: mbufs that are netbufs. */
    mp =
        rte_pktmbuf_pool_create("mbufs", MBUFS, CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!mp)
        die("rte_pktmbuf_pool_create");
    if (rte_eth_dev_count_avail() != 1 || rte_eth_dev_configure(0, 1, 1, &conf) ||
        rte_eth_rx_queue_setup(0, 0, 0, SOCKET_ID_ANY, NULL, mp) ||
        rte_eth_tx_queue_setup(0, 0, 0, SOCKET_ID_ANY, NULL) || rte_eth_dev_start(0))
        die("net_nfos0 set-up");
    nd = netdev_get(0);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

#define MAX_PASSES 101

static const struct loop {
    const char *name;
    double (*direct)(void), (*pmd)(void);
} loops[] = {
    { "fwd", direct_fwd, pmd_fwd },
    { "rx", direct_rx, pmd_rx },
    { "tx", direct_tx, pmd_tx },
};

int main(int argc, char **argv)
{
    static double d[MAX_PASSES], p[MAX_PASSES];
    unsigned passes = argc > 1 ? (unsigned)atoi(argv[1]) : 21, i, l;

    if (argc > 2 || passes < 1 || passes > MAX_PASSES) {
        fprintf(stderr, "usage: pmdbench [PASSES 1..%d]\n", MAX_PASSES);
        return 2;
    }
    setup();
    printf("pmdbench: TSC cycles per %u-byte packet, bursts of %u, %u bursts a pass, "
           "median (fastest) of %u passes, the two ways alternating\n",
           FRAME, BURST, ROUNDS, passes);
    printf("  %-4s %16s %16s %8s %8s\n", "loop", "direct netdev", "net_nfos", "added", "ratio");
    for (l = 0; l < RTE_DIM(loops); l++) {
        loops[l].direct(); /* warm both ways once */
        loops[l].pmd();
        for (i = 0; i < passes; i++) {
            if (i % 2) {
                p[i] = loops[l].pmd();
                d[i] = loops[l].direct();
            } else {
                d[i] = loops[l].direct();
                p[i] = loops[l].pmd();
            }
        }
        qsort(d, passes, sizeof(d[0]), cmp);
        qsort(p, passes, sizeof(p[0]), cmp);
        printf("  %-4s %7.1f (%5.1f) %7.1f (%5.1f) %8.1f %7.2fx\n", loops[l].name, d[passes / 2],
               d[0], p[passes / 2], p[0], p[passes / 2] - d[passes / 2],
               p[passes / 2] / d[passes / 2]);
    }
    if (rte_mempool_avail_count(mp) != MBUFS) {
        fprintf(stderr, "pmdbench: %u of %u mbufs home at the end\n", rte_mempool_avail_count(mp),
                MBUFS);
        return 1;
    }
    return 0;
}
