/* net_nfos and the "nfos" mempool ops on the host, against Debian's DPDK
 * 22.11 (the same version the images build): a real rte_eal_init
 * (--no-huge), real mempools and ethdevs, over two nfos netdevs of a fake
 * driver joined by a wire (port 0's tx arrives at port 1's rx, copied into
 * a netbuf of port 1's rx pool as a device would). The fake driver records
 * the netbufs it is given and gives, so the tests see that the mbufs DPDK
 * sends are the very netbufs the driver gets, and the netbufs it receives
 * the very mbufs DPDK gets: no copy either way. */
#include <criterion/criterion.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/netdev_driver.h>

#include "fake_port.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0"; /* DPDK frees nothing at exit */
}

/* --- The fake driver: port 0 tx -> wire -> port 1 rx ------------------- */

#define WIRE_SLOTS 64

static struct {
    struct netbuf *slot[WIRE_SLOTS]; /* frames on the wire */
    unsigned len;
    unsigned tx_room;    /* what tx accepts per call (a ring filling up) */
    unsigned tx_offered; /* frames tx was offered, taken or not */
    struct netbuf *tx_seen[WIRE_SLOTS], *rx_given[WIRE_SLOTS];
    unsigned n_tx_seen, n_rx_given;
} wire;

static struct fake_port fake[2];

static uint16_t fake_tx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct fake_port *p = queue;
    uint16_t i;

    wire.tx_offered += n;
    n = (uint16_t)RTE_MIN((unsigned)n, RTE_MIN(wire.tx_room, WIRE_SLOTS - wire.len));
    for (i = 0; i < n; i++) {
        cr_assert_eq(netbuf_check(pkts[i]), 0, "tx netbuf %u is consistent", i);
        wire.tx_seen[wire.n_tx_seen++ % WIRE_SLOTS] = pkts[i];
        wire.slot[wire.len++] = pkts[i];
        p->tx.packets++;
        p->tx.bytes += pkts[i]->pkt_len;
    }
    return n;
}

static uint16_t fake_rx(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct fake_port *p = queue;
    uint16_t got = 0;

    while (got < n && wire.len) {
        struct netbuf *in = wire.slot[0], *nb = netbuf_alloc(p->rx_pool);

        if (!nb) {
            p->rx.drops++;
            break;
        }
        memmove(wire.slot, wire.slot + 1, --wire.len * sizeof(wire.slot[0]));
        netbuf_read(in, 0, in->pkt_len, netbuf_append(nb, in->pkt_len));
        netbuf_free(in); /* the device is done with the tx frame */
        nb->port = p->dev.port;
        wire.rx_given[wire.n_rx_given++ % WIRE_SLOTS] = nb;
        p->rx.packets++;
        p->rx.bytes += nb->pkt_len;
        pkts[got++] = nb;
    }
    return got;
}

/* --- Set-up: two nfos ports, then the EAL (its vdev scan finds them) --- */

static struct rte_mempool *mp;

static void setup(void)
{
    char *argv[] = { "test",
                     "--no-huge",
                     "-m",
                     "128",
                     "--no-pci",
                     "--no-shconf",
                     "--no-telemetry",
                     "--iova-mode=va",
                     "--log-level=lib.eal:error",
                     NULL };
    unsigned i;

    for (i = 0; i < 2; i++) {
        cr_assert_eq(fake_port_register(&fake[i], fake_rx, fake_tx, (uint8_t)(0x10 + i)), 0);
    }
    cr_assert_geq(rte_eal_init(RTE_DIM(argv) - 1, argv), 0, "rte_eal_init: %s",
                  rte_strerror(rte_errno));
    wire.tx_room = WIRE_SLOTS;
    /* No ops named: net_nfos made "nfos" the platform's mbuf pool ops. */
    mp = rte_pktmbuf_pool_create("mbufs", 1023, 32, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    cr_assert_not_null(mp, "pool: %s", rte_strerror(rte_errno));
}

static void port_up(uint16_t port)
{
    struct rte_eth_conf conf = { 0 };

    cr_assert_eq(rte_eth_dev_configure(port, 1, 1, &conf), 0);
    cr_assert_eq(rte_eth_rx_queue_setup(port, 0, 0, SOCKET_ID_ANY, NULL, mp), 0);
    cr_assert_eq(rte_eth_tx_queue_setup(port, 0, 0, SOCKET_ID_ANY, NULL), 0);
    cr_assert_eq(rte_eth_dev_start(port), 0);
}

static struct rte_mbuf *frame(struct rte_mempool *pool, uint16_t len, uint8_t tag)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

    cr_assert_not_null(m);
    memset(rte_pktmbuf_append(m, len), tag, len);
    return m;
}

static void check_free(struct rte_mempool *pool, void *arg, void *obj, unsigned idx)
{
    struct rte_mbuf *m = obj;

    cr_assert(m->next == NULL && m->nb_segs == 1 && rte_mbuf_refcnt_read(m) == 1,
              "free mbuf %u is as DPDK keeps free mbufs", idx);
    cr_assert_eq(dpdk_netbuf_of(m)->refcnt, 0, "free netbuf %u is as nfos keeps free netbufs", idx);
}

/* Every buffer home, and every mbuf shaped as a free one (what a later
 * rte_mbuf_raw_alloc relies on), whichever way it came home. */
static void check_all_home(void)
{
    cr_assert_eq(rte_mempool_avail_count(mp), 1023, "every buffer home");
    rte_mempool_obj_iter(mp, check_free, NULL);
}

static uint64_t xstat(uint16_t port, const char *name)
{
    uint64_t id, value;

    cr_assert_eq(rte_eth_xstats_get_id_by_name(port, name, &id), 0, "xstat %s exists", name);
    cr_assert_eq(rte_eth_xstats_get_by_id(port, &id, &value, 1), 1);
    return value;
}

TestSuite(net_nfos, .init = setup);

Test(net_nfos, mempool_objects_are_netbufs)
{
    struct pool *pool = dpdk_mempool_pool(mp);
    struct rte_mbuf *m[8];
    struct netbuf *nb;
    unsigned i;

    cr_assert_str_eq(rte_mempool_get_ops(mp->ops_index)->name, DPDK_MEMPOOL_OPS_NFOS);
    cr_assert_not_null(pool);
    cr_assert_eq(rte_mempool_avail_count(mp), 1023);
    cr_assert_eq(rte_pktmbuf_alloc_bulk(mp, m, 8), 0);
    for (i = 0; i < 8; i++) {
        nb = dpdk_netbuf_of(m[i]);
        cr_assert_eq(nb->pool, pool);
        cr_assert_eq((void *)nb->buf, m[i]->buf_addr, "one buffer, two headers");
        cr_assert_eq(nb->buf_len, m[i]->buf_len);
        cr_assert_eq(nb->headroom, m[i]->data_off);
        cr_assert_eq(rte_mempool_from_obj(m[i]), mp, "DPDK's object header is intact");
    }
    rte_pktmbuf_free_bulk(m, 8);
    /* The other way: a netbuf from the nfos pool is an mbuf of mp. */
    nb = netbuf_alloc(pool);
    cr_assert_not_null(nb);
    cr_assert_eq(dpdk_mbuf_of(nb)->pool, mp);
    cr_assert_eq(netbuf_data(nb), rte_pktmbuf_mtod(dpdk_mbuf_of(nb), uint8_t *));
    netbuf_free(nb);
    cr_assert_eq(rte_mempool_avail_count(mp), 1023);
}

Test(net_nfos, every_nfos_port_is_an_ethdev)
{
    struct rte_ether_addr mac;
    struct rte_eth_dev_info info;
    char name[RTE_ETH_NAME_MAX_LEN];

    cr_assert_eq(rte_eth_dev_count_avail(), 2);
    cr_assert_eq(rte_eth_dev_get_name_by_port(1, name), 0);
    cr_assert_str_eq(name, "net_nfos1");
    cr_assert_eq(rte_eth_dev_info_get(1, &info), 0);
    cr_assert_str_eq(info.driver_name, "net_nfos");
    cr_assert_eq(rte_eth_macaddr_get(1, &mac), 0);
    cr_assert_eq(memcmp(mac.addr_bytes, fake[1].dev.mac, 6), 0);
}

Test(net_nfos, zero_copy_both_ways)
{
    struct rte_mbuf *tx[16], *rx[32];
    struct rte_eth_stats st;
    unsigned i;
    uint16_t n;

    port_up(0);
    port_up(1);
    for (i = 0; i < 16; i++)
        tx[i] = frame(mp, (uint16_t)(60 + i), (uint8_t)i);
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 16), 16);
    for (i = 0; i < 16; i++)
        cr_assert_eq(wire.tx_seen[i], dpdk_netbuf_of(tx[i]), "tx frame %u sent in place", i);
    n = rte_eth_rx_burst(1, 0, rx, 32);
    cr_assert_eq(n, 16);
    for (i = 0; i < n; i++) {
        cr_assert_eq(rx[i], dpdk_mbuf_of(wire.rx_given[i]), "rx frame %u received in place", i);
        cr_assert_eq(rx[i]->port, 1);
        cr_assert_eq(rx[i]->pkt_len, 60 + i);
        cr_assert_eq(rx[i]->data_len, 60 + i);
        cr_assert_eq(rx[i]->nb_segs, 1);
        cr_assert_eq(rte_pktmbuf_mtod(rx[i], uint8_t *)[59], i);
    }
    rte_pktmbuf_free_bulk(rx, n);
    cr_assert_eq(rte_eth_stats_get(0, &st), 0);
    cr_assert_eq(st.opackets, 16);
    cr_assert_eq(st.q_opackets[0], 16);
    cr_assert_eq(st.obytes, 16 * 60 + 120);
    cr_assert_eq(rte_eth_stats_get(1, &st), 0);
    cr_assert_eq(st.ipackets, 16);
    cr_assert_eq(st.q_ipackets[0], 16);
    check_all_home();
}

/* A buffer DPDK holds, received or free in its mempool's cache, has the
 * netbuf refcnt of a free netbuf: an nfos netbuf_free of it is refused
 * and counted, not a second owner of a buffer DPDK's cache keeps. */
Test(net_nfos, buffers_dpdk_holds_refuse_netbuf_free)
{
    struct rte_mbuf *tx, *rx;
    struct pool *pool = dpdk_mempool_pool(mp);
    uint64_t bad = pool->stats.bad_puts;

    port_up(0);
    port_up(1);
    tx = frame(mp, 60, 7);
    cr_assert_eq(rte_eth_tx_burst(0, 0, &tx, 1), 1);
    cr_assert_eq(rte_eth_rx_burst(1, 0, &rx, 1), 1);
    cr_assert_eq(dpdk_netbuf_of(rx)->refcnt, 0, "received: the app's, not a netbuf's");
    rte_pktmbuf_free(rx); /* into the mempool's lcore cache */
    netbuf_free(dpdk_netbuf_of(rx));
    cr_assert_eq(pool->stats.bad_puts, bad + 1, "refused and counted");
    check_all_home();
}

Test(net_nfos, foreign_and_shared_mbufs_are_copied)
{
    struct rte_mempool *ring = rte_pktmbuf_pool_create_by_ops(
        "ring", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY, "ring_mp_mc");
    struct rte_mbuf *tx[2], *rx[4];

    cr_assert_not_null(ring);
    port_up(0);
    port_up(1);
    tx[0] = frame(ring, 100, 0xaa);
    tx[1] = frame(mp, 80, 0xbb);
    rte_mbuf_refcnt_update(tx[1], 1); /* the app keeps a reference */
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 2), 2);
    cr_assert_neq(wire.tx_seen[0], dpdk_netbuf_of(tx[0]), "a foreign mbuf goes as a copy");
    cr_assert_neq(wire.tx_seen[1], dpdk_netbuf_of(tx[1]), "a shared mbuf goes as a copy");
    cr_assert_eq(rte_mempool_avail_count(ring), 63, "the foreign original was freed");
    cr_assert_eq(rte_mbuf_refcnt_read(tx[1]), 1, "the shared one lost our reference only");
    cr_assert_eq(xstat(0, "tx_copies"), 2, "copies are counted");
    rte_pktmbuf_free(tx[1]);
    cr_assert_eq(rte_eth_rx_burst(1, 0, rx, 4), 2);
    cr_assert_eq(rx[0]->pkt_len, 100);
    cr_assert_eq(rte_pktmbuf_mtod(rx[0], uint8_t *)[99], 0xaa);
    cr_assert_eq(rte_pktmbuf_mtod(rx[1], uint8_t *)[79], 0xbb);
    rte_pktmbuf_free_bulk(rx, 2);
    check_all_home();
    /* rx takes only nfos mempools: a clear error, not a copy. */
    cr_assert_eq(rte_eth_dev_stop(1), 0);
    cr_assert_eq(rte_eth_rx_queue_setup(1, 0, 0, SOCKET_ID_ANY, NULL, ring), -EINVAL);
}

Test(net_nfos, chains_go_in_place_and_come_back_when_refused)
{
    struct rte_mbuf *tx[2], *seg, *rx[2];
    struct netbuf *nb;
    unsigned offered;

    port_up(0);
    port_up(1);
    tx[0] = frame(mp, 1000, 0x11);
    seg = frame(mp, 500, 0x22);
    cr_assert_eq(rte_pktmbuf_chain(tx[0], seg), 0);
    tx[1] = frame(mp, 64, 0x33);
    wire.tx_room = 0; /* a full ring: nothing taken, everything as it was */
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 2), 0);
    cr_assert_eq(tx[0]->nb_segs, 2);
    cr_assert_eq(tx[0]->next, seg);
    cr_assert_eq(rte_mbuf_check(tx[0], 1, NULL), 0);
    offered = wire.tx_offered;
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 2), 0);
    cr_assert_eq(wire.tx_offered - offered, 1, "the ring was full: one frame offered first");
    cr_assert_eq(tx[0]->nb_segs, 2);
    wire.tx_room = 1; /* one frame per driver call */
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 2), 2, "the first went, then the rest");
    wire.tx_room = WIRE_SLOTS;
    nb = wire.tx_seen[wire.n_tx_seen - 2];
    cr_assert_eq(nb, dpdk_netbuf_of(tx[0]), "the chain's head in place");
    cr_assert_eq(nb->next, dpdk_netbuf_of(seg), "and its second segment");
    cr_assert_eq(nb->pkt_len, 1500);
    cr_assert_eq(rte_eth_rx_burst(1, 0, rx, 2), 2, "the wire freed the chain as netbufs");
    cr_assert_eq(rx[0]->pkt_len, 1500);
    cr_assert_eq(rte_pktmbuf_mtod(rx[0], uint8_t *)[1200], 0x22);
    rte_pktmbuf_free_bulk(rx, 2);
    /* Freed as netbufs, the segments came home as valid free mbufs. */
    check_all_home();
}

/* The frames of a burst the driver takes in part are the app's again, as
 * they were. */
Test(net_nfos, a_burst_taken_in_part)
{
    struct rte_mbuf *tx[3], *rx[3];
    unsigned i;

    port_up(0);
    port_up(1);
    for (i = 0; i < 3; i++)
        tx[i] = frame(mp, (uint16_t)(60 + i), (uint8_t)i);
    wire.tx_room = 1;
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 3), 1);
    for (i = 1; i < 3; i++) {
        cr_assert_eq(rte_mbuf_check(tx[i], 1, NULL), 0);
        cr_assert(rte_mbuf_refcnt_read(tx[i]) == 1 && tx[i]->pkt_len == 60 + i);
    }
    wire.tx_room = WIRE_SLOTS;
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx + 1, 2), 2);
    cr_assert_eq(rte_eth_rx_burst(1, 0, rx, 3), 3);
    for (i = 0; i < 3; i++)
        cr_assert_eq(rte_pktmbuf_mtod(rx[i], uint8_t *)[59], i, "in order, each once");
    rte_pktmbuf_free_bulk(rx, 3);
    check_all_home();
}

Test(net_nfos, link_promisc_and_stats_reset)
{
    struct rte_eth_link link;
    struct rte_eth_stats st;
    struct rte_mbuf *m;

    port_up(0);
    cr_assert_eq(rte_eth_link_get_nowait(0, &link), 0);
    cr_assert_eq(link.link_status, RTE_ETH_LINK_UP, "a driver without a link op: up");
    cr_assert_eq(rte_eth_promiscuous_enable(0), 0, "always promiscuous");
    cr_assert_neq(rte_eth_promiscuous_disable(0), 0, "and cannot stop being it");
    m = frame(mp, 60, 1);
    cr_assert_eq(rte_eth_tx_burst(0, 0, &m, 1), 1);
    cr_assert_eq(rte_eth_stats_reset(0), 0);
    cr_assert_eq(xstat(0, "tx_copies"), 0);
    cr_assert_eq(rte_eth_stats_get(0, &st), 0);
    cr_assert_eq(st.opackets, 0);
    cr_assert_eq(rte_eth_dev_stop(0), 0);
    cr_assert_eq(rte_eth_link_get_nowait(0, &link), 0);
    cr_assert_eq(link.link_status, RTE_ETH_LINK_DOWN);
}

Test(net_nfos, unsendable_frames_are_counted_drops)
{
    struct rte_mempool *ring = rte_pktmbuf_pool_create_by_ops(
        "ring2", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY, "ring_mp_mc");
    struct rte_mbuf *tx[3], *rx[4];
    struct rte_eth_stats st;
    struct rte_eth_rxq_info qi;

    cr_assert_not_null(ring);
    port_up(0);
    port_up(1);
    /* A foreign 3000-byte chain: no copy buffer holds it. Between two good
     * frames it is taken and dropped, not left to block the queue. */
    tx[0] = frame(mp, 60, 1);
    tx[1] = frame(ring, 1500, 2);
    cr_assert_eq(rte_pktmbuf_chain(tx[1], frame(ring, 1500, 3)), 0);
    tx[2] = frame(mp, 60, 4);
    cr_assert_eq(rte_eth_tx_burst(0, 0, tx, 3), 3);
    cr_assert_eq(xstat(0, "tx_dropped_unsendable"), 1);
    cr_assert_eq(rte_eth_stats_get(0, &st), 0);
    cr_assert_eq(st.opackets, 2);
    cr_assert_eq(st.oerrors, 1);
    cr_assert_eq(rte_mempool_avail_count(ring), 63, "the dropped chain was freed");
    cr_assert_eq(rte_eth_rx_burst(1, 0, rx, 4), 2);
    cr_assert_eq(rte_pktmbuf_mtod(rx[1], uint8_t *)[0], 4);
    rte_pktmbuf_free_bulk(rx, 2);
    check_all_home();
    cr_assert_eq(rte_eth_rx_queue_info_get(1, 0, &qi), 0);
    cr_assert_eq(qi.mp, mp);
    cr_assert_eq(qi.queue_state, RTE_ETH_QUEUE_STATE_STARTED);
}

/* The conversions write every field the other side reads, whatever the
 * buffer's last owner left in the header it did not use. */
Test(net_nfos, conversions_leave_no_stale_field)
{
    struct netbuf *nb = netbuf_alloc(dpdk_mempool_pool(mp));
    struct rte_mbuf *m;
    const char *why = NULL;

    cr_assert_not_null(nb);
    m = dpdk_mbuf_of(nb);
    m->ol_flags = RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_RX_VLAN; /* a previous use's */
    m->packet_type = 0x11;
    m->vlan_tci = 5;
    m->port = 9;
    m->data_off = 7;
    cr_assert_not_null(netbuf_append(nb, 100));
    cr_assert_not_null(netbuf_adj(nb, 2));
    nb->flags = NETBUF_F_RX_CSUM_OK;
    cr_assert_eq(dpdk_mbuf_from_rx(nb, dpdk_mbuf_rearm(3)), m);
    cr_assert_eq(m->data_off, nb->data_off);
    cr_assert(rte_mbuf_refcnt_read(m) == 1 && m->nb_segs == 1 && m->next == NULL);
    cr_assert_eq(m->port, 3);
    cr_assert_eq(m->ol_flags, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
    cr_assert(m->packet_type == 0 && m->vlan_tci == 0);
    cr_assert(m->pkt_len == 98 && m->data_len == 98);
    cr_assert_eq(rte_mbuf_check(m, 1, &why), 0, "%s", why);
    /* The app moves the data start and trims; the netbuf header is stale. */
    cr_assert_not_null(rte_pktmbuf_prepend(m, 4));
    cr_assert_eq(rte_pktmbuf_trim(m, 10), 0);
    nb->next = nb;
    nb->refcnt = 7;
    nb->nb_segs = 3;
    nb->flags = NETBUF_F_TX_NO_CSUM;
    nb->len = nb->pkt_len = 1;
    cr_assert(dpdk_mbuf_tx_direct(m, mp));
    cr_assert_eq(dpdk_netbuf_from_tx(m), nb);
    cr_assert(nb->next == NULL && nb->refcnt == 1 && nb->nb_segs == 1 && nb->flags == 0);
    cr_assert(nb->len == 92 && nb->pkt_len == 92 && nb->data_off == m->data_off);
    cr_assert_eq(nb->buf_len, m->buf_len);
    cr_assert_eq(netbuf_data(nb), rte_pktmbuf_mtod(m, uint8_t *));
    cr_assert_eq(netbuf_check(nb), 0);
    /* Whatever is not direct, single, unshared and of the pool is refused. */
    rte_mbuf_refcnt_set(m, 2);
    cr_assert_not(dpdk_mbuf_tx_direct(m, mp));
    rte_mbuf_refcnt_set(m, 1);
    m->nb_segs = 2;
    cr_assert_not(dpdk_mbuf_tx_direct(m, mp));
    m->nb_segs = 1;
    m->ol_flags = RTE_MBUF_F_INDIRECT;
    cr_assert_not(dpdk_mbuf_tx_direct(m, mp));
    m->ol_flags = RTE_MBUF_F_EXTERNAL;
    cr_assert_not(dpdk_mbuf_tx_direct(m, mp));
    m->ol_flags = 0;
    cr_assert_not(dpdk_mbuf_tx_direct(m, NULL));
    cr_assert(dpdk_mbuf_tx_direct(m, mp));
    netbuf_free(nb);
    check_all_home();
}

/* A chain a driver received becomes the mbuf chain of the same buffers. */
Test(net_nfos, rx_chain_becomes_an_mbuf_chain)
{
    struct pool *pool = dpdk_mempool_pool(mp);
    struct netbuf *head = netbuf_alloc(pool), *tail = netbuf_alloc(pool);
    struct rte_mbuf *m;
    const char *why = NULL;

    cr_assert(head && tail);
    memset(netbuf_append(head, 1000), 1, 1000);
    memset(netbuf_append(tail, 500), 2, 500);
    cr_assert_eq(netbuf_chain(head, tail), 0);
    m = dpdk_mbuf_from_rx(head, dpdk_mbuf_rearm(1));
    cr_assert(m->nb_segs == 2 && m->pkt_len == 1500 && m->data_len == 1000);
    cr_assert_eq(m->next, dpdk_mbuf_of(tail));
    cr_assert(m->next->data_len == 500 && m->next->next == NULL);
    cr_assert_eq(rte_pktmbuf_mtod(m->next, uint8_t *)[499], 2);
    cr_assert_eq(rte_mbuf_check(m, 1, &why), 0, "%s", why);
    rte_pktmbuf_free(m);
    check_all_home();
}
