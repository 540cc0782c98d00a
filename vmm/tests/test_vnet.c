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

TestSuite(vnet, .init = setup, .fini = teardown);

Test(vnet, identifies_as_a_modern_net_device)
{
    uint8_t mac[6];

    cr_assert_eq(rd(0x000), 0x74726976);
    cr_assert_eq(rd(0x004), 2);
    cr_assert_eq(rd(0x008), 1);
    wr(0x014, 1);
    cr_assert_eq(rd(0x010), 1, "VERSION_1");
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

/* One control command (class, command, a 2-byte value) as the driver
 * chains it: three descriptors, the ack device-writable. The ack byte. */
static uint8_t ctrl_ack(uint8_t class, uint8_t cmd, uint16_t val, uint32_t ack_len)
{
    uint64_t q = desc_of(4);
    uint8_t *d = mem.host + q, *avail = mem.host + q + 0x1000, hdr[2] = { class, cmd };
    uint64_t addr[3] = { CMD, CMD + 16, CMD + 32 };
    uint32_t len[3] = { 2, 2, ack_len };
    uint16_t flags[3] = { 1, 1, 2 }, next[3] = { 1, 2, 0 }, idx, used0 = used_idx(4);

    memcpy(mem.host + CMD, hdr, 2);
    memcpy(mem.host + CMD + 16, &val, 2);
    mem.host[CMD + 32] = 0xee;
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
    return mem.host[CMD + 32];
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
