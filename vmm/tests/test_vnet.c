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
static int peer; /* the "TAP"'s far end */

static void setup(void)
{
    int sv[2];

    cr_assert_eq(nfvm_mem_create(&mem, 4 * MIB), 0);
    n = calloc(1, sizeof(*n));
    cr_assert_eq(nfvm_vnet_init(n, &mem, NFVM_MMIO_BASE, NULL, 0), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
    n->tap = sv[0];
    peer = sv[1];
}

static void teardown(void)
{
    close(n->tap);
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
}

Test(vnet, refuses_accesses_it_does_not_have)
{
    uint8_t b[8];

    cr_assert_eq(nfvm_vnet_mmio(n, 0x000, b, 2, false), -1, "registers are 32-bit");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x002, b, 4, false), -1);
    cr_assert_eq(nfvm_vnet_mmio(n, 0x0c0, b, 4, false), -1);
    cr_assert_eq(nfvm_vnet_mmio(n, 0x100, b, 4, true), -1, "the config is read-only");
    cr_assert_eq(nfvm_vnet_mmio(n, 0x104, b, 4, false), -1, "past the MAC");
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
    nfvm_vnet_idle_arm(n);
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
    cr_assert_not(n->wake_armed);
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
    nfvm_vnet_idle_arm(n);
    memcpy(&ev, avail + 4 + 2 * QN, 2);
    cr_assert_eq(ev, 77, "used_event = used.idx");
    nfvm_vnet_idle_disarm(n);
    n->driver_features = 0;
    nfvm_vnet_idle_arm(n);
    memcpy(&flags, avail, 2);
    cr_assert_eq(flags, 0, "NO_INTERRUPT cleared");
    nfvm_vnet_idle_disarm(n);
    memcpy(&flags, avail, 2);
    cr_assert_eq(flags, 1, "and put back");
    n->vhost = NULL;
}
