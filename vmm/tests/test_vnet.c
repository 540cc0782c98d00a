/* nfvm's virtio-net device without /dev/kvm or a TAP: its registers as the
 * guest driver drives them, and packets both ways through hand-built rings
 * in guest memory, with a datagram socket pair standing in for the TAP
 * (one message per frame, as a TAP reads and writes). */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "layout.h"
#include "vnet.h"

#define MIB  (1ULL << 20)
#define QN   8
#define RING 0x200000ULL /* rx rings here, tx rings 64 KiB above */
#define BUFS 0x300000ULL

static struct nfvm_mem mem;
static struct nfvm_vnet *n;
static int peer;  /* the "TAP"'s far end */
static int peer1; /* the far end of pair 1's "TAP queue" (MQ) */

/* The device with pairs queue pairs (1 or 2), each pair's "TAP" a socket
 * pair whose far end is peer (pair 0) or peer1 (pair 1). */
static void vnet_open(unsigned pairs)
{
    int sv[2];

    cr_assert_eq(nfvm_mem_create(&mem, 4 * MIB), 0);
    n = calloc(1, sizeof(*n));
    cr_assert_eq(nfvm_vnet_init(n, &mem, NFVM_MMIO_BASE, NULL, 0, pairs), 0);
    for (unsigned i = 0; i < pairs; i++) {
        cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
        n->tap[i] = sv[0];
        if (i == 0)
            peer = sv[1];
        else
            peer1 = sv[1];
    }
}

static void setup(void)
{
    vnet_open(1);
}

static void teardown(void)
{
    close(n->tap[0]);
    close(peer);
    free(n);
    nfvm_mem_destroy(&mem);
}

static uint32_t rd(uint64_t off)
{
    uint32_t v = 0;

    cr_assert_eq(nfvm_vnet_mmio(n, off, (uint8_t *)&v, 4, false), 0, "read %#lx", off);
    return v;
}

static int wr(uint64_t off, uint32_t v)
{
    return nfvm_vnet_mmio(n, off, (uint8_t *)&v, 4, true);
}

static uint64_t desc_of(int q)
{
    return RING + (uint64_t)q * 0x10000;
}

/* The driver's queue set-up: desc, avail 4 KiB above, used 8 KiB above. */
static int queue_setup(int q, uint64_t desc)
{
    wr(0x030, q);
    wr(0x038, QN);
    wr(0x080, (uint32_t)desc);
    wr(0x084, (uint32_t)(desc >> 32));
    wr(0x090, (uint32_t)(desc + 0x1000));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(desc + 0x2000));
    wr(0x0a4, 0);
    return wr(0x044, 1);
}

/* Makes one chain of one descriptor available on queue q. */
static void post(int q, uint16_t id, uint64_t addr, uint32_t len, bool writable)
{
    uint8_t *d = mem.host + desc_of(q) + 16 * id, *avail = mem.host + desc_of(q) + 0x1000;
    uint16_t flags = writable ? 2 : 0, idx;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(&idx, avail + 2, 2);
    memcpy(avail + 4 + 2 * (idx % QN), &id, 2);
    idx++;
    memcpy(avail + 2, &idx, 2);
}

static void used(int q, uint16_t i, uint32_t *id, uint32_t *len)
{
    uint8_t *u = mem.host + desc_of(q) + 0x2000;

    memcpy(id, u + 4 + 8 * i, 4);
    memcpy(len, u + 8 + 8 * i, 4);
}

static uint16_t used_idx(int q)
{
    uint16_t v;

    memcpy(&v, mem.host + desc_of(q) + 0x2002, 2);
    return v;
}

/* The device's --trace line (nfvm_vnet_report), as text. */
static char *report(void)
{
    static char buf[512];
    FILE *f = fmemopen(buf, sizeof(buf), "w");

    cr_assert_not_null(f);
    nfvm_vnet_report(n, 0, f);
    fclose(f);
    return buf;
}

TestSuite(vnet, .init = setup, .fini = teardown);

Test(vnet, identifies_as_a_modern_net_device)
{
    uint8_t mac[6];

    cr_assert_eq(rd(0x000), 0x74726976);
    cr_assert_eq(rd(0x004), 2);
    cr_assert_eq(rd(0x008), 1);
    wr(0x014, 1);
    cr_assert_eq(rd(0x010), 1 | 1u << 3, "VERSION_1, IN_ORDER");
    wr(0x014, 0);
    cr_assert_eq(rd(0x010), 1 << 5, "MAC");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x100, mac, 6, false), 0);
    cr_assert_eq(mac[0], 0x02, "locally administered");
    wr(0x030, 2);
    cr_assert_eq(rd(0x034), 0, "two queues only");
    wr(0x014, 0);
    cr_assert_eq(rd(0x010) & ((1 << 17) | (1 << 22)), 0, "one pair: no MQ, no CTRL_VQ");
}

Test(vnet, refuses_accesses_it_does_not_have)
{
    uint8_t b[8];

    cr_assert_eq(nfvm_vnet_mmio(n, 0x000, b, 2, false), -1, "registers are 32-bit");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x002, b, 4, false), -1);
    cr_assert_eq(nfvm_vnet_mmio(n, 0x0c0, b, 4, false), -1);
    cr_assert_eq(nfvm_vnet_mmio(n, 0x100, b, 4, true), -1, "the config is read-only");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x108, b, 4, false), -1, "past max_virtqueue_pairs");
    cr_assert_eq(wr(0x000, 1), -1);
}

Test(vnet, rings_outside_ram_need_a_reset)
{
    cr_assert_eq(queue_setup(0, 3 * MIB + 0x100000), 0);
    cr_assert_eq(rd(0x044), 0, "not ready");
    cr_assert(rd(0x070) & 0x40, "DEVICE_NEEDS_RESET");
    wr(0x070, 0);
    cr_assert_eq(rd(0x070), 0);
    cr_assert_eq(queue_setup(0, desc_of(0)), 0);
    cr_assert_eq(rd(0x044), 1);
    cr_assert_eq(wr(0x038, 4), -1, "no changes to a live queue");
}

Test(vnet, transmits_without_the_header)
{
    uint8_t frame[80], got[128];

    cr_assert_eq(queue_setup(1, desc_of(1)), 0);
    for (unsigned i = 0; i < sizeof(frame); i++)
        frame[i] = (uint8_t)i;
    memset(mem.host + BUFS, 0, 12);
    memcpy(mem.host + BUFS + 12, frame, sizeof(frame));
    post(1, 3, BUFS, 12 + sizeof(frame), false);
    nfvm_vnet_poll(n);
    cr_assert_eq(read(peer, got, sizeof(got)), sizeof(frame));
    cr_assert_eq(memcmp(got, frame, sizeof(frame)), 0);
    cr_assert_eq(used_idx(1), 1);
    cr_assert_eq(n->tx_packets, 1);
}

Test(vnet, receives_behind_a_header)
{
    uint8_t frame[60];
    uint32_t id, len;

    cr_assert_eq(queue_setup(0, desc_of(0)), 0);
    memset(frame, 0xab, sizeof(frame));
    cr_assert_eq(write(peer, frame, sizeof(frame)), sizeof(frame));
    post(0, 5, BUFS, 2048, true);
    nfvm_vnet_poll(n);
    cr_assert_eq(used_idx(0), 1);
    used(0, 0, &id, &len);
    cr_assert_eq(id, 5);
    cr_assert_eq(len, 12 + sizeof(frame));
    cr_assert_eq(mem.host[BUFS + 10], 1, "num_buffers");
    cr_assert_eq(memcmp(mem.host + BUFS + 12, frame, sizeof(frame)), 0);
}

Test(vnet, a_small_rx_buffer_drops_the_frame)
{
    uint8_t frame[100] = { 0 };
    uint32_t id, len;

    cr_assert_eq(queue_setup(0, desc_of(0)), 0);
    cr_assert_eq(write(peer, frame, sizeof(frame)), sizeof(frame));
    post(0, 1, BUFS, 50, true);
    nfvm_vnet_poll(n);
    used(0, 0, &id, &len);
    cr_assert_eq(len, 0);
    cr_assert_eq(n->rx_drops, 1);
    cr_assert_str_eq(report(),
                     "nfvm: net 0: rx 0, tx 0, rx drops 1, tx drops 0, control 0 (0 refused)\n");
}

Test(vnet, hostile_descriptors_are_given_back_unused)
{
    uint32_t id, len;
    uint8_t *d;
    uint16_t flags = 1, next = 1;

    cr_assert_eq(queue_setup(1, desc_of(1)), 0);
    post(1, 0, 4 * MIB - 8, 64, false); /* runs past RAM */
    post(1, 1, BUFS, 64, false);
    d = mem.host + desc_of(1) + 16; /* descriptor 1 loops on itself */
    memcpy(d + 12, &flags, 2);
    memcpy(d + 14, &next, 2);
    nfvm_vnet_poll(n);
    cr_assert_eq(used_idx(1), 2);
    used(1, 0, &id, &len);
    cr_assert_eq(len, 0);
    cr_assert_eq(n->q[1].bad, 2);
    cr_assert_eq(n->tx_packets, 0);
}

/* Idle: once armed, the first frame that reaches the receive queue
 * signals the wake-up eventfd, once; frames before the arm do not. */
Test(vnet, an_armed_receive_queue_wakes_once)
{
    uint8_t frame[60] = { 0 };
    uint64_t v = 0;

    cr_assert_eq(queue_setup(0, desc_of(0)), 0);
    cr_assert_eq(write(peer, frame, sizeof(frame)), sizeof(frame));
    post(0, 0, BUFS, 2048, true);
    nfvm_vnet_poll(n);
    cr_assert_eq(read(n->wake, &v, 8), -1, "not armed: no wake-up");
    nfvm_vnet_idle_arm(n, 0);
    nfvm_vnet_poll(n);
    cr_assert_eq(read(n->wake, &v, 8), -1, "armed, but no frame yet");
    for (uint16_t i = 1; i < 3; i++) {
        cr_assert_eq(write(peer, frame, sizeof(frame)), sizeof(frame));
        post(0, i, BUFS + 2048 * i, 2048, true);
    }
    nfvm_vnet_poll(n);
    cr_assert_eq(used_idx(0), 3);
    cr_assert_eq(read(n->wake, &v, 8), 8);
    cr_assert_eq(v, 1, "one wake-up for the two frames");
    cr_assert_not(n->armed);
}

/* vhost-user: the idle arm asks the backend for a signal on the next used
 * receive entry (used_event = used.idx with EVENT_IDX; else clears
 * NO_INTERRUPT, put back by the disarm). No backend needed: the rings. */
Test(vnet, vhost_arm_asks_the_backend_for_one_signal)
{
    struct nfvm_vhost v = { .running = 1 };
    uint8_t *avail = mem.host + desc_of(0) + 0x1000, *usedr = mem.host + desc_of(0) + 0x2000;
    uint16_t idx = 77, ev = 0x8000, flags = 1;

    n->vhost = &v;
    cr_assert_eq(queue_setup(0, desc_of(0)), 0);
    memcpy(usedr + 2, &idx, 2);
    memcpy(avail + 4 + 2 * QN, &ev, 2);
    memcpy(avail, &flags, 2);
    n->driver_features = 1ULL << 29;
    nfvm_vnet_idle_arm(n, 0);
    memcpy(&ev, avail + 4 + 2 * QN, 2);
    cr_assert_eq(ev, 77, "used_event = used.idx");
    nfvm_vnet_idle_disarm(n, 0);
    n->driver_features = 0;
    nfvm_vnet_idle_arm(n, 0);
    memcpy(&flags, avail, 2);
    cr_assert_eq(flags, 0, "NO_INTERRUPT cleared");
    nfvm_vnet_idle_disarm(n, 0);
    memcpy(&flags, avail, 2);
    cr_assert_eq(flags, 1, "and put back");
    n->vhost = NULL;
}

/* --- several queue pairs (MQ) ----------------------------------------------- */

static void mq_setup(void)
{
    vnet_open(2);
}

static void mq_teardown(void)
{
    close(n->tap[1]);
    close(peer1);
    teardown();
}

#define CMD 0x380000ULL /* a control command: header, data, ack */

#define ACK (CMD + 0x1000)

/* One control command (class, command, its data) as the driver chains it:
 * three descriptors, the ack device-writable. The ack byte. */
static uint8_t ctrl_send(uint8_t class, uint8_t cmd, const void *data, uint32_t data_len,
                         uint32_t ack_len)
{
    uint64_t q = desc_of(4);
    uint8_t *d = mem.host + q, *avail = mem.host + q + 0x1000, hdr[2] = { class, cmd };
    uint64_t addr[3] = { CMD, CMD + 16, ACK };
    uint32_t len[3] = { 2, data_len, ack_len };
    uint16_t flags[3] = { 1, 1, 2 }, next[3] = { 1, 2, 0 }, idx, used0 = used_idx(4);

    cr_assert_lt(16 + data_len, ACK - CMD);
    memcpy(mem.host + CMD, hdr, 2);
    memcpy(mem.host + CMD + 16, data, data_len);
    mem.host[ACK] = 0xee;
    for (int i = 0; i < 3; i++) {
        memcpy(d + 16 * i, &addr[i], 8);
        memcpy(d + 16 * i + 8, &len[i], 4);
        memcpy(d + 16 * i + 12, &flags[i], 2);
        memcpy(d + 16 * i + 14, &next[i], 2);
    }
    memcpy(&idx, avail + 2, 2);
    memset(avail + 4 + 2 * (idx % QN), 0, 2);
    idx++;
    memcpy(avail + 2, &idx, 2);
    cr_assert_eq(wr(0x050, 4), 0, "QueueNotify(control queue)");
    cr_assert_eq(used_idx(4), (uint16_t)(used0 + 1), "answered at once");
    return mem.host[ACK];
}

/* A command whose data is a 2-byte value. */
static uint8_t ctrl_ack(uint8_t class, uint8_t cmd, uint16_t val, uint32_t ack_len)
{
    return ctrl_send(class, cmd, &val, 2, ack_len);
}

static uint8_t ctrl(uint8_t class, uint8_t cmd, uint16_t val)
{
    return ctrl_ack(class, cmd, val, 1);
}

TestSuite(mq, .init = mq_setup, .fini = mq_teardown);

Test(mq, offers_mq_the_control_queue_and_the_pair_count)
{
    uint16_t pairs;

    wr(0x014, 0);
    cr_assert_eq(rd(0x010) & ((1 << 17) | (1 << 22)), (1 << 17) | (1 << 22), "CTRL_VQ, MQ");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x108, (uint8_t *)&pairs, 2, false), 0);
    cr_assert_eq(pairs, 2, "max_virtqueue_pairs");
    wr(0x030, 4);
    cr_assert_eq(rd(0x034), NFVM_VQ_SIZE_MAX, "queue 4: the control queue");
    wr(0x030, 5);
    cr_assert_eq(rd(0x034), 0, "nothing past it");
    cr_assert_eq(wr(0x050, 5), -1, "no queue 5 to notify");
}

Test(mq, pairs_set_takes_ready_pairs_and_refuses_the_rest)
{
    for (int q = 0; q < 3; q++)
        cr_assert_eq(queue_setup(q, desc_of(q)), 0);
    cr_assert_eq(queue_setup(4, desc_of(4)), 0);
    cr_assert_eq(ctrl(4, 0, 2), 1, "pair 1's transmit queue is not ready");
    cr_assert_eq(n->pairs, 1);
    cr_assert_eq(queue_setup(3, desc_of(3)), 0);
    cr_assert_eq(ctrl(4, 0, 3), 1, "more pairs than offered");
    cr_assert_eq(ctrl(4, 0, 0), 1, "no pair");
    cr_assert_eq(ctrl(2, 1, 0), 1, "a command the device does not have (MAC_ADDR_SET)");
    cr_assert_eq(ctrl(4, 1, 2), 1, "RSS_CONFIG: RSS is not offered");
    cr_assert_eq(ctrl_ack(4, 0, 2, 0), 0xee, "no room for the ack: not written, not done");
    cr_assert_eq(n->pairs, 1);
    cr_assert_eq(ctrl(4, 0, 2), 0, "VQ_PAIRS_SET 2");
    cr_assert_eq(n->pairs, 2);
    cr_assert_eq(n->ctrl_cmds, 7);
    cr_assert_eq(n->ctrl_errors, 6);
    wr(0x070, 0);
    cr_assert_eq(n->pairs, 1, "a reset goes back to one pair");
}

Test(mq, each_pair_moves_its_own_tap_queue)
{
    uint8_t frame[60], got[128];
    uint32_t id, len;

    for (int q = 0; q < 4; q++)
        cr_assert_eq(queue_setup(q, desc_of(q)), 0);
    memset(frame, 0x11, sizeof(frame));
    cr_assert_eq(write(peer1, frame, sizeof(frame)), sizeof(frame));
    post(2, 7, BUFS, 2048, true);
    post(0, 1, BUFS + 2048, 2048, true);
    memset(mem.host + BUFS + 4096, 0, 12);
    memset(mem.host + BUFS + 4096 + 12, 0x22, sizeof(frame));
    post(3, 2, BUFS + 4096, 12 + sizeof(frame), false);
    nfvm_vnet_poll(n);
    cr_assert_eq(used_idx(2), 1, "pair 1 received its TAP queue's frame");
    used(2, 0, &id, &len);
    cr_assert_eq(id, 7);
    cr_assert_eq(len, 12 + sizeof(frame));
    cr_assert_eq(used_idx(0), 0, "pair 0 got nothing");
    cr_assert_eq(read(peer1, got, sizeof(got)), sizeof(frame), "pair 1 sent on its queue");
    cr_assert_eq(got[0], 0x22);
    cr_assert_eq(read(peer, got, sizeof(got)), -1, "nothing on pair 0's");
}

/* Idle with several pairs: a frame on any receive queue wakes the vCPUs
 * armed on the device. */
Test(mq, a_frame_on_pair_one_wakes_the_armed)
{
    uint8_t frame[60] = { 0 };
    uint64_t v;

    for (int q = 0; q < 4; q++)
        cr_assert_eq(queue_setup(q, desc_of(q)), 0);
    nfvm_vnet_idle_arm(n, 1);
    cr_assert_eq(write(peer1, frame, sizeof(frame)), sizeof(frame));
    post(2, 0, BUFS, 2048, true);
    nfvm_vnet_poll(n);
    cr_assert_eq(read(n->wake, &v, 8), 8);
    cr_assert_eq(n->armed, 0);
}

/* --- RSS ----------------------------------------------------------------------- */

/* Microsoft's RSS verification suite (IPv4): its example key, and for each
 * flow the published hash of the addresses (IPv4) and of the addresses and
 * ports (TCPv4; UDPv4 hashes the same bytes). */
static const uint8_t ms_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb8, 0x73, 0xbe, 0xac, 0x01, 0xfa,
};
static const struct {
    uint8_t src[4], dst[4];
    uint16_t sport, dport;
    uint32_t ipv4, tcp;
} ms[] = {
    { { 66, 9, 149, 187 }, { 161, 142, 100, 80 }, 2794, 1766, 0x323e8fc2, 0x51ccc178 },
    { { 199, 92, 111, 2 }, { 65, 69, 140, 83 }, 14230, 4739, 0xd718262a, 0xc626b0ea },
    { { 24, 19, 198, 95 }, { 12, 22, 207, 184 }, 12898, 38024, 0xd2d0a5de, 0x5c2b394a },
    { { 38, 27, 205, 30 }, { 209, 142, 163, 6 }, 48228, 2217, 0x82989176, 0xafc7327f },
    { { 153, 39, 163, 191 }, { 202, 188, 127, 2 }, 44251, 1303, 0x5d1809c5, 0x10e828a2 },
};
#define NMS (sizeof(ms) / sizeof(ms[0]))

Test(rss_hash, gives_microsofts_published_hashes)
{
    for (unsigned i = 0; i < NMS; i++) {
        uint8_t in[12];

        memcpy(in, ms[i].src, 4);
        memcpy(in + 4, ms[i].dst, 4);
        in[8] = (uint8_t)(ms[i].sport >> 8), in[9] = (uint8_t)ms[i].sport;
        in[10] = (uint8_t)(ms[i].dport >> 8), in[11] = (uint8_t)ms[i].dport;
        cr_expect_eq(nfvm_rss_toeplitz(ms_key, 40, in, 8), ms[i].ipv4, "flow %u IPv4", i);
        cr_expect_eq(nfvm_rss_toeplitz(ms_key, 40, in, 12), ms[i].tcp, "flow %u TCPv4", i);
    }
}

static uint16_t table[256];

/* RSS_CONFIG's data into d: types, entries of table, unclassified queue,
 * max_tx_vq, then key_len bytes of Microsoft's key (zeros past it). Its
 * length. */
static uint32_t rss_config(uint8_t *d, uint32_t types, unsigned entries, uint16_t unclassified,
                           uint16_t max_tx, unsigned key_len)
{
    uint16_t mask = (uint16_t)(entries - 1);
    uint8_t *t = d + 8 + 2 * entries;

    memcpy(d, &types, 4);
    memcpy(d + 4, &mask, 2);
    memcpy(d + 6, &unclassified, 2);
    memcpy(d + 8, table, 2 * entries);
    memcpy(t, &max_tx, 2);
    t[2] = (uint8_t)key_len;
    memset(t + 3, 0, key_len);
    memcpy(t + 3, ms_key, key_len < 40 ? key_len : 40);
    return 8 + 2 * entries + 3 + key_len;
}

/* RSS_CONFIG with a table whose entry i is pair (i >> 3) & 1: a frame's
 * pair is its hash's bit 3. */
static uint8_t rss_set(uint32_t types, uint16_t unclassified)
{
    uint8_t d[400];

    for (unsigned i = 0; i < 128; i++)
        table[i] = (i >> 3) & 1;
    return ctrl_send(4, 1, d, rss_config(d, types, 128, unclassified, 2, 40), 1);
}

/* The driver's features: VERSION_1, MAC, CTRL_VQ, MQ, and RSS when rss. */
static void negotiate(bool rss)
{
    wr(0x024, 1);
    wr(0x020, 1 | (rss ? 1u << 28 : 0));
    wr(0x024, 0);
    wr(0x020, (1 << 5) | (1 << 17) | (1 << 22));
}

static void rss_setup(void)
{
    vnet_open(2);
    cr_assert_eq(nfvm_vnet_offer_rss(n), 0);
    for (int q = 0; q < 5; q++)
        cr_assert_eq(queue_setup(q, desc_of(q)), 0);
    negotiate(true);
}

TestSuite(rss, .init = rss_setup, .fini = mq_teardown);

static uint16_t posted[2];

/* An untagged IPv4 frame of flow ms[i] into f (60 bytes): TCP, UDP or
 * ICMP (proto 6, 17, 1), fragment offset and flags frag. */
static void ipv4_frame(uint8_t *f, unsigned i, uint8_t proto, uint16_t frag)
{
    memset(f, 0, 60);
    memset(f, 0xff, 6);
    f[12] = 0x08;
    f[14] = 0x45;
    f[17] = 46; /* total length */
    f[20] = (uint8_t)(frag >> 8), f[21] = (uint8_t)frag;
    f[22] = 64;
    f[23] = proto;
    memcpy(f + 26, ms[i].src, 4);
    memcpy(f + 30, ms[i].dst, 4);
    f[34] = (uint8_t)(ms[i].sport >> 8), f[35] = (uint8_t)ms[i].sport;
    f[36] = (uint8_t)(ms[i].dport >> 8), f[37] = (uint8_t)ms[i].dport;
}

/* Sends the frame f (len bytes) in on TAP queue tap (0 or 1) with a buffer
 * on each receive queue: the pair that received it (checked whole), or -1
 * when none did. */
static int landed(const uint8_t *f, size_t len, int tap)
{
    uint16_t before[2];
    int got = -1;

    for (int p = 0; p < 2; p++) {
        before[p] = used_idx(2 * p);
        if (posted[p] == before[p]) {
            post(2 * p, posted[p] % QN, BUFS + (uint64_t)(p * QN + posted[p] % QN) * 2048, 2048,
                 true);
            posted[p]++;
        }
    }
    cr_assert_eq(write(tap ? peer1 : peer, f, len), (ssize_t)len);
    nfvm_vnet_poll(n);
    for (int p = 0; p < 2; p++) {
        uint32_t id, ulen;

        if (used_idx(2 * p) == before[p])
            continue;
        cr_assert_eq(got, -1, "one queue only");
        cr_assert_eq(used_idx(2 * p), (uint16_t)(before[p] + 1));
        used(2 * p, before[p] % QN, &id, &ulen);
        cr_assert_eq(ulen, 12 + len);
        cr_assert_eq(memcmp(mem.host + BUFS + (p * QN + id) * 2048 + 12, f, len), 0);
        got = p;
    }
    return got;
}

Test(rss, offered_with_its_config_fields)
{
    uint8_t key = 0;
    uint16_t len = 0;
    uint32_t types = 0;

    wr(0x014, 1);
    cr_assert_eq(rd(0x010), 1 | 1u << 3 | 1u << 28, "VERSION_1, IN_ORDER, RSS");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x111, &key, 1, false), 0);
    cr_assert_eq(key, 40, "rss_max_key_size");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x112, (uint8_t *)&len, 2, false), 0);
    cr_assert_eq(len, 128, "rss_max_indirection_table_length");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x114, (uint8_t *)&types, 4, false), 0);
    cr_assert_eq(types, 7, "supported_hash_types: IPv4, TCPv4, UDPv4");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x118, (uint8_t *)&types, 1, false), -1, "nothing past");
}

Test(mq, offers_no_rss_unless_asked)
{
    uint8_t b;

    wr(0x014, 1);
    cr_assert_eq(rd(0x010), 1 | 1u << 3, "VERSION_1 and IN_ORDER only");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x111, &b, 1, false), -1, "no RSS config fields");
}

Test(vnet, one_pair_has_no_rss_to_offer)
{
    cr_assert_eq(nfvm_vnet_offer_rss(n), 0, "said, not an error");
    wr(0x014, 1);
    cr_assert_eq(rd(0x010), 1 | 1u << 3, "VERSION_1 and IN_ORDER only");
}

Test(rss, frames_go_where_the_table_says_from_either_tap_queue)
{
    uint8_t f[60];

    cr_assert_eq(rss_set(7, 0), 0, "RSS_CONFIG taken");
    cr_assert(n->rss_on);
    cr_assert_eq(n->pairs, 2);
    for (unsigned i = 0; i < NMS; i++) {
        ipv4_frame(f, i, 6, 0);
        cr_expect_eq(landed(f, 60, 0), (int)(ms[i].tcp >> 3 & 1), "TCP flow %u on queue 0", i);
        ipv4_frame(f, i, 17, 0);
        cr_expect_eq(landed(f, 60, 1), (int)(ms[i].tcp >> 3 & 1), "UDP flow %u on queue 1", i);
        ipv4_frame(f, i, 1, 0);
        cr_expect_eq(landed(f, 60, 1), (int)(ms[i].ipv4 >> 3 & 1), "ICMP flow %u", i);
    }
    cr_assert_eq(n->rx_packets, 3 * NMS);
    cr_assert_eq(n->rx_drops, 0);
}

/* A 4-entry table (the mask takes the hash's two low bits) and IPv4 and
 * TCPv4 only: UDP is hashed on its addresses. */
Test(rss, the_mask_and_the_hash_types_apply)
{
    static const uint16_t t4[4] = { 0, 1, 0, 1 };
    uint8_t d[64], f[60];

    memcpy(table, t4, sizeof(t4));
    cr_assert_eq(ctrl_send(4, 1, d, rss_config(d, 3, 4, 0, 2, 40), 1), 0);
    for (unsigned i = 0; i < NMS; i++) {
        ipv4_frame(f, i, 6, 0);
        cr_expect_eq(landed(f, 60, 0), t4[ms[i].tcp & 3], "TCP flow %u", i);
        ipv4_frame(f, i, 17, 0);
        cr_expect_eq(landed(f, 60, 0), t4[ms[i].ipv4 & 3], "UDP flow %u: IPv4 hash", i);
    }
}

/* What RSS cannot hash goes to unclassified_queue: non-IPv4, a tagged or
 * malformed IPv4 frame, IPv4 with its hash type off. A fragment is hashed
 * on its addresses only. */
Test(rss, unhashable_frames_go_to_the_unclassified_queue)
{
    uint8_t f[60];

    cr_assert_eq(rss_set(7, 1), 0);
    ipv4_frame(f, 0, 6, 0);
    f[12] = 0x08, f[13] = 0x06; /* ARP */
    cr_expect_eq(landed(f, 60, 0), 1, "ARP");
    f[12] = 0x86, f[13] = 0xdd;
    cr_expect_eq(landed(f, 60, 0), 1, "IPv6");
    f[12] = 0x81, f[13] = 0x00;
    cr_expect_eq(landed(f, 60, 0), 1, "VLAN-tagged");
    ipv4_frame(f, 4, 6, 0);
    cr_expect_eq(landed(f, 33, 0), 1, "shorter than an IPv4 header");
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        f[14] = 0x40 | ihl;
        cr_expect_eq(landed(f, 60, 0), 1, "IHL %u", ihl);
    }
    f[14] = 0x65;
    cr_expect_eq(landed(f, 60, 0), 1, "version 6 in an IPv4 frame");
    ipv4_frame(f, 4, 6, 0);
    f[14] = 0x4f; /* 60-byte header: ports past the frame */
    cr_expect_eq(landed(f, 60, 0), 1, "header longer than the frame");
    ipv4_frame(f, 0, 6, 0x2000); /* MF: the first fragment */
    cr_expect_eq(landed(f, 60, 0), (int)(ms[0].ipv4 >> 3 & 1), "a fragment: IPv4 hash");
    cr_assert_neq(ms[0].ipv4 >> 3 & 1, ms[0].tcp >> 3 & 1, "the two hashes part here");
    cr_assert_eq(rss_set(2, 1), 0, "TCPv4 only");
    ipv4_frame(f, 4, 17, 0);
    cr_expect_eq(landed(f, 60, 0), 1, "UDP without UDPv4 or IPv4");
    ipv4_frame(f, 4, 6, 0);
    cr_expect_eq(landed(f, 60, 0), (int)(ms[4].tcp >> 3 & 1), "TCP still hashed");
    cr_assert_eq(n->rx_drops, 0);
}

/* A frame whose queue has no buffer is a counted drop; the frames behind
 * it for the other queue still arrive. */
Test(rss, a_queue_without_buffers_drops_its_frames_only)
{
    uint8_t f[60];
    uint32_t id, len;

    cr_assert_eq(rss_set(7, 0), 0);
    cr_assert_eq(ms[0].tcp >> 3 & 1, 1);
    cr_assert_eq(ms[4].tcp >> 3 & 1, 0);
    ipv4_frame(f, 0, 6, 0); /* pair 1's, which has no buffer */
    cr_assert_eq(write(peer, f, 60), 60);
    cr_assert_eq(write(peer, f, 60), 60);
    ipv4_frame(f, 4, 6, 0); /* pair 0's */
    cr_assert_eq(write(peer, f, 60), 60);
    post(0, 3, BUFS, 2048, true);
    nfvm_vnet_poll(n);
    cr_assert_eq(n->rss_drops, 2);
    cr_assert_eq(n->rx_drops, 2);
    cr_assert_eq(used_idx(2), 0);
    cr_assert_eq(used_idx(0), 1, "pair 0's frame came through");
    used(0, 0, &id, &len);
    cr_assert_eq(id, 3);
    cr_assert_eq(memcmp(mem.host + BUFS + 12, f, 60), 0);
    cr_assert_eq(write(peer, f, 60), 60);
    nfvm_vnet_poll(n);
    cr_assert_eq(n->rss_drops, 2, "no buffer anywhere: the frame waits in the TAP");
    cr_assert_eq(read(n->tap[0], f, sizeof(f)), 60);
    cr_assert_str_eq(report(), "nfvm: net 0: rx 1, tx 0, rx drops 2, tx drops 0, control 1 (0 "
                               "refused), RSS: 1 configurations taken, 2 drops (no buffer on its "
                               "queue)\n");
}

/* Each refused RSS_CONFIG: ack VIRTIO_NET_ERR, RSS stays off. */
static void refused(const uint8_t *d, uint32_t len, const char *what)
{
    cr_expect_eq(ctrl_send(4, 1, d, len, 1), 1, "%s", what);
    cr_assert_not(n->rss_on, "%s", what);
}

Test(rss, bad_configs_are_refused)
{
    uint8_t d[700];
    uint32_t len;

    for (unsigned i = 0; i < 256; i++)
        table[i] = i & 1;
    negotiate(false);
    refused(d, rss_config(d, 7, 128, 0, 2, 40), "RSS not agreed");
    negotiate(true);
    refused(d, rss_config(d, 7 | 8, 128, 0, 2, 40), "IPv6 hash type");
    refused(d, rss_config(d, 7, 3, 0, 2, 40), "3 entries");
    refused(d, rss_config(d, 7, 256, 0, 2, 40), "256 entries: longer than any config");
    len = rss_config(d, 7, 128, 0, 2, 40);
    d[4] = 0xff; /* mask 255, the data of 128 */
    refused(d, len, "mask 255");
    table[5] = 2;
    refused(d, rss_config(d, 7, 128, 0, 2, 40), "an entry past the pairs");
    table[5] = 1;
    refused(d, rss_config(d, 7, 128, 2, 2, 40), "unclassified past the pairs");
    refused(d, rss_config(d, 7, 128, 0, 0, 40), "max_tx_vq 0");
    refused(d, rss_config(d, 7, 128, 0, 3, 40), "max_tx_vq 3");
    refused(d, rss_config(d, 7, 128, 0, 2, 41), "key 41");
    refused(d, rss_config(d, 7, 128, 0, 2, 0), "no key");
    len = rss_config(d, 7, 128, 0, 2, 40);
    refused(d, len - 1, "one byte short");
    refused(d, len + 1, "one byte more");
    refused(d, 7, "shorter than the fixed fields");
    refused(d, 9, "shorter than the table");
    wr(0x030, 3);
    wr(0x044, 0);
    refused(d, len, "pair 1's transmit queue not ready");
    cr_assert_eq(queue_setup(3, desc_of(3)), 0);
    cr_assert_eq(n->rss_sets, 0);
    cr_assert_eq(n->pairs, 1);
    cr_assert_eq(ctrl_send(4, 1, d, len, 1), 0, "and the good one taken");
    cr_assert_eq(n->rss_sets, 1);
    cr_assert_eq(ctrl_send(4, 1, d, rss_config(d, 0, 1, 1, 1, 0), 1), 0,
                 "no hash types, no key: all to the unclassified queue, pair 1");
    cr_assert_eq(n->pairs, 2, "pairs: the most of max_tx_vq and the queues named");
}

/* VQ_PAIRS_SET and a reset end RSS: the TAP's queue picks the pair again. */
Test(rss, pairs_set_and_reset_end_rss)
{
    uint8_t f[60];

    cr_assert_eq(rss_set(7, 0), 0);
    ipv4_frame(f, 4, 6, 0);
    cr_assert_eq(landed(f, 60, 1), 0, "RSS: pair 0");
    cr_assert_eq(ctrl(4, 0, 2), 0);
    cr_assert_not(n->rss_on);
    cr_assert_eq(landed(f, 60, 1), 1, "TAP queue 1: pair 1");
    cr_assert_eq(rss_set(7, 0), 0);
    cr_assert(n->rss_on);
    wr(0x070, 0);
    cr_assert_not(n->rss_on);
    cr_assert_eq(n->pairs, 1);
}
