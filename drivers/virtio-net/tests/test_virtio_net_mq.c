/* Unit tests for virtio-net's queue pairs over the fake virtio device:
 * MQ and CTRL_VQ negotiated, max_virtqueue_pairs in netdev_info, the
 * VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET command's bytes on the control queue
 * (after the last pair the device has), each pair on its own virtqueues
 * and counters; RSS_CONFIG's bytes instead when the device has RSS, and
 * VQ_PAIRS_SET after it when the device refuses RSS_CONFIG; a device that
 * refuses or never answers, one without MQ, one with a bad
 * pair count or too little RSS, and an app asking for more pairs than
 * there are. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/netdev_driver.h>
#include <nfos/virtio.h>
#include <nfos/virtio_net.h>
#include "fake_device.h"
#include "fakes.h"

#define F(bit)  (1ULL << (bit))
#define RING    64
#define HDR_LEN VIRTIO_NET_HDR_LEN
#define BASE                                                                     \
    (F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_STATUS) | F(VIRTIO_F_RING_EVENT_IDX) | \
     F(VIRTIO_F_VERSION_1))
#define MQ (F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_MQ))

static struct fake_dev fk;
static struct netdev *dev;
static struct pool *pool;

/* What the control queue's device side saw, and how it answers. */
static struct {
    unsigned commands;
    uint8_t class, cmd;
    uint16_t pairs;
    uint8_t data[512]; /* the command's data, after class and cmd */
    unsigned data_len;
    unsigned ndesc, out_len, in_len;
    uint8_t answer;  /* the ack it writes */
    bool silent;     /* never answers */
    bool refuse_rss; /* answers RSS_CONFIG with VIRTIO_NET_ERR */
    uint8_t cmds[4]; /* the first commands' cmd bytes, in order */
} ctl;

static unsigned ctrl_index;

/* The RSS fields probe() puts in config space: key size, table length,
 * hash types. */
static struct {
    uint8_t key;
    uint16_t table;
    uint32_t types;
} rss;

/* The device's control queue: reads a command chain byte by byte from the
 * descriptors (header, data, then the writable ack), as QEMU does. */
static void ctrl_kick(struct fake_dev *f, unsigned q)
{
    struct fake_ring *r = &f->ring[q];
    uint8_t bytes[2 + sizeof(ctl.data)];
    unsigned n = 0;
    struct fake_chain c;
    uint16_t id;

    if (q != ctrl_index || ctl.silent)
        return;
    while (fake_pop(f, q, &c)) {
        ctl.commands++;
        ctl.ndesc = c.ndesc;
        ctl.out_len = c.out_len;
        ctl.in_len = c.in_len;
        for (id = c.head; n < sizeof(bytes);) {
            const struct virtq_desc *d = &r->desc[id];

            if (d->flags & VIRTQ_DESC_F_WRITE)
                break;
            for (unsigned i = 0; i < d->len && n < sizeof(bytes); i++)
                bytes[n++] = ((const uint8_t *)(uintptr_t)d->addr)[i];
            if (!(d->flags & VIRTQ_DESC_F_NEXT))
                break;
            id = d->next;
        }
        cr_assert_geq(n, 4);
        ctl.class = bytes[0];
        ctl.cmd = bytes[1];
        ctl.pairs = (uint16_t)(bytes[2] | bytes[3] << 8);
        ctl.data_len = n - 2;
        memcpy(ctl.data, bytes + 2, n - 2);
        if (ctl.commands <= sizeof(ctl.cmds))
            ctl.cmds[ctl.commands - 1] = ctl.cmd;
        cr_assert(c.in_buf);
        *(uint8_t *)c.in_buf = ctl.refuse_rss && ctl.cmd == VIRTIO_NET_CTRL_MQ_RSS_CONFIG
                                   ? VIRTIO_NET_ERR
                                   : ctl.answer;
        fake_push(f, q, c.head, 1);
    }
    fake_flush(f, q);
    fake_set_avail_event(f, q, r->last_avail); /* kick me at the next one */
}

/* A net device with features and max_virtqueue_pairs max_pairs. */
static void probe(uint64_t features, uint16_t max_pairs)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
    unsigned q;

    fake_init(&fk, VIRTIO_ID_NET, features);
    for (q = 0; q < FAKE_QUEUES; q++)
        fk.max_size[q] = RING;
    memcpy(fk.config, mac, 6);
    fk.config[6] = VIRTIO_NET_S_LINK_UP;
    memcpy(fk.config + 8, &max_pairs, 2);
    fk.config[17] = rss.key;
    memcpy(fk.config + 18, &rss.table, 2);
    memcpy(fk.config + 20, &rss.types, 4);
    fk.on_kick = ctrl_kick;
    ctrl_index = max_pairs ? VIRTIO_NET_CTRLQ(max_pairs) : FAKE_QUEUES;
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    dev = netdev_get(netdev_count() - 1);
    cr_assert(dev);
    pool = netbuf_pool_create("test", 1024, 0, NETBUF_HEADROOM, NETBUF_DATA_ROOM);
    cr_assert(pool);
}

static uint16_t max_queues(void)
{
    struct netdev_info info;

    cr_assert_eq(netdev_info(dev, &info), 0);
    cr_assert_eq(info.max_rx_queues, info.max_tx_queues);
    return info.max_rx_queues;
}

Test(virtio_net_mq, pairs_set_through_the_control_queue)
{
    struct netbuf *pkts[4];
    struct netdev_stats st;
    struct fake_chain c;
    unsigned q;

    probe(BASE | MQ, 4);
    cr_expect_eq(fk.drv_features, BASE | MQ);
    cr_expect_eq(max_queues(), 4);
    cr_assert_eq(netdev_quick_start_queues(dev, pool, 2), 0);
    cr_expect_eq(ctl.commands, 1);
    cr_expect_eq(ctl.class, VIRTIO_NET_CTRL_MQ);
    cr_expect_eq(ctl.cmd, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
    cr_expect_eq(ctl.pairs, 2);
    cr_expect_eq(ctl.ndesc, 3, "header, data, ack");
    cr_expect_eq(ctl.out_len, 4);
    cr_expect_eq(ctl.in_len, 1);
    cr_expect(fk.vq[8], "the control queue follows the device's 4 pairs");
    cr_expect(!fk.vq[4] && !fk.vq[5], "pair 2 is not set up");
    /* Each pair's rx ring is full; a frame on pair 1 comes out of queue 1. */
    for (q = 0; q < 2; q++)
        cr_expect(fk.vq[VIRTIO_NET_RXQ_OF(q)] && fk.vq[VIRTIO_NET_TXQ_OF(q)]);
    cr_assert(fake_pop(&fk, VIRTIO_NET_RXQ_OF(1), &c));
    memset(c.in_buf, 0, HDR_LEN + 60);
    fake_push(&fk, VIRTIO_NET_RXQ_OF(1), c.head, HDR_LEN + 60);
    fake_flush(&fk, VIRTIO_NET_RXQ_OF(1));
    cr_expect_eq(netdev_rx_burst(dev, 0, pkts, 4), 0);
    cr_assert_eq(netdev_rx_burst(dev, 1, pkts, 4), 1);
    cr_expect_eq(pkts[0]->len, 60);
    cr_assert_eq(netdev_tx_burst(dev, 1, pkts, 1), 1);
    cr_assert(fake_pop(&fk, VIRTIO_NET_TXQ_OF(1), &c), "sent on pair 1's tx ring");
    cr_assert(!fake_pop(&fk, VIRTIO_NET_TXQ_OF(0), &c));
    cr_assert_eq(netdev_stats(dev, &st), 0);
    cr_expect_eq(st.nb_rxq, 2);
    cr_expect(st.rx[1].packets == 1 && st.tx[1].packets == 1 && st.rx[0].packets == 0);
    cr_expect_eq(st.bufs_held, pool_in_use(pool), "both rx rings and the frame in tx");
    cr_expect_eq(st.bufs_held, fk.vq[0]->in_flight + fk.vq[1]->in_flight + fk.vq[2]->in_flight +
                                   fk.vq[3]->in_flight);
    /* A restart does not send the command again. */
    netdev_stop(dev);
    cr_expect_eq(netdev_start(dev), 0);
    cr_expect_eq(ctl.commands, 1);
}

Test(virtio_net_mq, one_pair_sends_no_command)
{
    probe(BASE | MQ, 2);
    cr_assert_eq(netdev_quick_start(dev, pool), 0);
    cr_expect_eq(ctl.commands, 0, "the device starts with one pair");
    cr_expect(fk.vq[4], "the control queue exists (before DRIVER_OK)");
}

Test(virtio_net_mq, refused_and_unanswered_commands_fail_start, .init = cr_redirect_stderr)
{
    probe(BASE | MQ, 2);
    ctl.answer = VIRTIO_NET_ERR;
    cr_expect_eq(netdev_quick_start_queues(dev, pool, 2), -EIO);
    cr_expect_eq(dev->state, NETDEV_CONFIGURED);
    ctl.answer = VIRTIO_NET_OK;
    cr_expect_eq(netdev_start(dev), 0, "a second try that the device accepts");
    cr_expect_eq(ctl.commands, 2);
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: vnet0: device refused VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 2 "
                            "(ack 1)\n"
                            "netdev: port 0 (vnet0): start failed: Input/output error\n");
}

Test(virtio_net_mq, a_silent_device_times_out, .init = cr_redirect_stderr)
{
    uint64_t t0;

    probe(BASE | MQ, 2);
    ctl.silent = true;
    t0 = fake_ns;
    cr_expect_eq(netdev_quick_start_queues(dev, pool, 2), -ETIMEDOUT);
    cr_expect_geq(fake_ns - t0, 1000 * 1000000ULL, "waited its second");
    cr_expect_lt(fake_ns - t0, 1100 * 1000000ULL);
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: vnet0: no answer to VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 2\n"
                            "netdev: port 0 (vnet0): start failed: Connection timed out\n");
}

Test(virtio_net_mq, without_mq_one_pair_and_a_clear_refusal, .init = cr_redirect_stderr)
{
    probe(BASE | F(VIRTIO_NET_F_CTRL_VQ), 4);
    cr_expect_eq(fk.drv_features, BASE, "without MQ, the features as always");
    cr_expect_eq(max_queues(), 1, "max_virtqueue_pairs means nothing without MQ");
    cr_expect_eq(netdev_quick_start_queues(dev, pool, 2), -EINVAL);
    cr_expect_eq(netdev_quick_start(dev, pool), 0);
    cr_expect_eq(ctl.commands, 0);
    cr_expect(!fk.vq[2], "no control queue");
    fflush(stderr);
    cr_expect_stderr_eq_str("netdev: port 0 (vnet0): 2 queue pairs asked, virtio-net offers 1\n");
}

Test(virtio_net_mq, more_pairs_than_offered, .init = cr_redirect_stderr)
{
    probe(BASE | MQ, 2);
    cr_expect_eq(netdev_quick_start_queues(dev, pool, 3), -EINVAL);
    cr_expect_eq(ctl.commands, 0);
    fflush(stderr);
    cr_expect_stderr_eq_str("netdev: port 0 (vnet0): 3 queue pairs asked, virtio-net offers 2\n");
}

Test(virtio_net_mq, bad_or_huge_pair_counts, .init = cr_redirect_stderr)
{
    probe(BASE | MQ, 0);
    cr_expect_eq(max_queues(), 1);
    cr_expect_eq(netdev_quick_start(dev, pool), 0);
    cr_expect(!fk.vq[0 + 2], "no control queue");
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: fake0: max_virtqueue_pairs 0 out of range: one queue "
                            "pair\n");
}

Test(virtio_net_mq, more_pairs_than_netdev_takes)
{
    probe(BASE | MQ, 16);
    cr_expect_eq(max_queues(), NETDEV_MAX_QUEUES);
    cr_assert_eq(netdev_quick_start_queues(dev, pool, NETDEV_MAX_QUEUES), 0);
    cr_expect(fk.vq[32], "the control queue after the device's 16 pairs, not ours");
    cr_expect_eq(ctl.pairs, NETDEV_MAX_QUEUES);
}

Test(virtio_net_mq, mq_without_ctrl_vq_is_one_pair, .init = cr_redirect_stderr)
{
    probe(BASE | F(VIRTIO_NET_F_MQ), 2);
    cr_expect_eq(fk.drv_features, BASE, "MQ refused without the control queue");
    cr_expect_eq(max_queues(), 1);
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: fake0: MQ without CTRL_VQ: one queue pair\n");
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

Test(virtio_net_mq, rss_config_instead_of_pairs_set)
{
    static const uint8_t key_start[4] = { 0x6d, 0x5a, 0x56, 0xda };
    const uint8_t *d = ctl.data;
    unsigned i, n = 128;

    rss.key = 40, rss.table = 256, rss.types = 0x1ff;
    probe(BASE | MQ | F(VIRTIO_NET_F_RSS), 2);
    cr_expect_eq(fk.drv_features, BASE | MQ | F(VIRTIO_NET_F_RSS));
    cr_assert_eq(netdev_quick_start_queues(dev, pool, 2), 0);
    cr_expect_eq(ctl.commands, 1);
    cr_expect_eq(ctl.class, VIRTIO_NET_CTRL_MQ);
    cr_expect_eq(ctl.cmd, VIRTIO_NET_CTRL_MQ_RSS_CONFIG);
    cr_assert_eq(ctl.data_len, 11 + 2 * n + 40);
    cr_expect_eq(le16(d) | le16(d + 2) << 16, 7, "IPv4, TCPv4, UDPv4");
    cr_expect_eq(le16(d + 4), n - 1, "table mask: 128 entries, the most we use");
    cr_expect_eq(le16(d + 6), 0, "unclassified to pair 0");
    for (i = 0; i < n; i++)
        cr_expect_eq(le16(d + 8 + 2 * i), i % 2, "entry %u", i);
    cr_expect_eq(le16(d + 8 + 2 * n), 2, "max_tx_vq");
    cr_expect_eq(d[10 + 2 * n], 40, "key length");
    cr_expect_arr_eq(d + 11 + 2 * n, key_start, 4);
}

Test(virtio_net_mq, rss_too_small_falls_back_to_pairs_set, .init = cr_redirect_stderr)
{
    rss.key = 20, rss.table = 128, rss.types = 0x1ff;
    probe(BASE | MQ | F(VIRTIO_NET_F_RSS), 2);
    cr_assert_eq(netdev_quick_start_queues(dev, pool, 2), 0);
    cr_expect_eq(ctl.cmd, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
    cr_expect_eq(ctl.pairs, 2);
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: fake0: RSS with key 20, table 128, hashes 0x1ff: not "
                            "used\n");
}

/* A device that offers RSS but refuses the command (QEMU with rss=on whose
 * eBPF steering failed to load answers so, as a device with another key
 * size would): VQ_PAIRS_SET right after, one line, start succeeds, and a
 * restart does not ask RSS again. */
Test(virtio_net_mq, rss_refused_falls_back_to_pairs_set, .init = cr_redirect_stderr)
{
    rss.key = 40, rss.table = 128, rss.types = 0x1ff;
    ctl.refuse_rss = true;
    probe(BASE | MQ | F(VIRTIO_NET_F_RSS), 2);
    cr_assert_eq(netdev_quick_start_queues(dev, pool, 2), 0);
    cr_expect_eq(ctl.commands, 2);
    cr_expect_eq(ctl.cmds[0], VIRTIO_NET_CTRL_MQ_RSS_CONFIG);
    cr_expect_eq(ctl.cmds[1], VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
    cr_expect_eq(ctl.pairs, 2);
    cr_expect_eq(dev->state, NETDEV_STARTED);
    netdev_stop(dev);
    cr_assert_eq(netdev_start(dev), 0);
    cr_expect_eq(ctl.commands, 2, "the pairs are set: nothing sent again");
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: vnet0: device refused VIRTIO_NET_CTRL_MQ_RSS_CONFIG 2 "
                            "(ack 1): VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET instead, the backend picks "
                            "each frame's queue\n");
}

/* Both refused: the start fails, each command said. */
Test(virtio_net_mq, rss_and_pairs_set_refused_fail_start, .init = cr_redirect_stderr)
{
    rss.key = 40, rss.table = 128, rss.types = 0x1ff;
    ctl.answer = VIRTIO_NET_ERR;
    probe(BASE | MQ | F(VIRTIO_NET_F_RSS), 2);
    cr_expect_eq(netdev_quick_start_queues(dev, pool, 2), -EIO);
    cr_expect_eq(ctl.commands, 2);
    fflush(stderr);
    cr_expect_stderr_eq_str("virtio-net: vnet0: device refused VIRTIO_NET_CTRL_MQ_RSS_CONFIG 2 "
                            "(ack 1): VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET instead, the backend picks "
                            "each frame's queue\n"
                            "virtio-net: vnet0: device refused VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 2 "
                            "(ack 1)\n"
                            "netdev: port 0 (vnet0): start failed: Input/output error\n");
}
