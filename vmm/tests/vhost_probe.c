/* nfvm's vhost-user front-end against a real backend, no /dev/kvm and no
 * guest: this program plays the guest's virtio-net driver on nfvm's
 * device registers (nfvm_vnet_mmio, as KVM's MMIO exits would), so nfvm
 * runs the whole exchange (features, memory table, rings, kick and call
 * eventfds); then, as the driver would, it sends one frame, posts receive
 * buffers and waits, through nfvm's idle arm, for a frame to come back.
 *
 *   vhost_probe SOCK [PAIRS]   prints what it saw; 0 when a frame went out
 *                              and one came back and woke it, 1 otherwise.
 * With PAIRS > 1 it takes MQ and the control queue, sets VQ_PAIRS_SET PAIRS
 * through nfvm's control queue, and the frame goes out and comes back on
 * the last pair. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "layout.h"
#include "vnet.h"

#define QN    256
#define RINGS 0x200000ULL /* queue q's rings at RINGS + q * 64 KiB */
#define BUFS  0x400000ULL /* 2 KiB buffers */
#define F_MAC (1ULL << 5)
#define F_MQ  ((1ULL << 17) | (1ULL << 22)) /* CTRL_VQ, MQ */
#define CMD   0x3f0000ULL                   /* the control command */

static unsigned pairs = 1;

static struct nfvm_mem mem;
static struct nfvm_vnet dev;

static uint32_t rd(uint64_t off)
{
    uint32_t v = 0;

    if (nfvm_vnet_mmio(&dev, off, (uint8_t *)&v, 4, false) < 0) {
        fprintf(stderr, "probe: register %#llx refused\n", (unsigned long long)off);
        exit(1);
    }
    return v;
}

static void wr(uint64_t off, uint32_t v)
{
    if (nfvm_vnet_mmio(&dev, off, (uint8_t *)&v, 4, true) < 0) {
        fprintf(stderr, "probe: register %#llx = %#x refused\n", (unsigned long long)off, v);
        exit(1);
    }
}

static uint8_t *at(uint64_t gpa)
{
    return mem.host + gpa;
}

static uint64_t desc_of(int q)
{
    return RINGS + (uint64_t)q * 0x10000;
}

/* One one-descriptor chain on queue q, made available (not kicked). */
static void post(int q, uint16_t id, uint64_t addr, uint32_t len, int writable)
{
    uint8_t *d = at(desc_of(q) + 16 * id), *avail = at(desc_of(q) + 0x1000);
    uint16_t flags = writable ? 2 : 0, idx;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(&idx, avail + 2, 2);
    memcpy(avail + 4 + 2 * (idx % QN), &id, 2);
    __atomic_store_n((uint16_t *)(void *)(avail + 2), (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static uint16_t used_idx(int q)
{
    return __atomic_load_n((uint16_t *)(void *)at(desc_of(q) + 0x2002), __ATOMIC_ACQUIRE);
}

/* The driver's start: features, both queues, DRIVER_OK (nfvm then hands
 * everything to the backend). Its rings never want interrupts, as nfos's. */
static uint64_t driver_start(void)
{
    uint64_t offered, f;

    wr(0x070, 0);
    wr(0x070, 1 | 2);
    wr(0x014, 0);
    offered = rd(0x010);
    wr(0x014, 1);
    offered |= (uint64_t)rd(0x010) << 32;
    f = offered & ((1ULL << 32) | (1ULL << 29) | F_MAC | (pairs > 1 ? F_MQ : 0));
    for (uint32_t h = 0; h < 2; h++) {
        wr(0x024, h);
        wr(0x020, (uint32_t)(f >> (32 * h)));
    }
    wr(0x070, 1 | 2 | 8);
    for (int q = 0; q < (int)(2 * pairs + (pairs > 1)); q++) {
        uint64_t d = desc_of(q);
        uint16_t no_int = 1, far = 0x8000;

        memcpy(at(d + 0x1000), &no_int, 2);           /* avail.flags */
        memcpy(at(d + 0x1000 + 4 + 2 * QN), &far, 2); /* used_event */
        wr(0x030, (uint32_t)q);
        wr(0x038, QN);
        wr(0x080, (uint32_t)d);
        wr(0x084, 0);
        wr(0x090, (uint32_t)(d + 0x1000));
        wr(0x094, 0);
        wr(0x0a0, (uint32_t)(d + 0x2000));
        wr(0x0a4, 0);
        wr(0x044, 1);
    }
    wr(0x070, 1 | 2 | 8 | 4);
    printf("probe: features offered %#llx, taken %#llx, status %#x\n", (unsigned long long)offered,
           (unsigned long long)f, rd(0x070));
    return f;
}

/* VQ_PAIRS_SET n on the control queue (queue 2 * pairs): its ack. */
static uint8_t pairs_set(uint16_t n)
{
    int q = (int)(2 * pairs);
    uint8_t *d = at(desc_of(q)), hdr[2] = { 4, 0 };
    uint64_t addr[3] = { CMD, CMD + 16, CMD + 32 };
    uint32_t len[3] = { 2, 2, 1 };
    uint16_t flags[3] = { 1, 1, 2 }, next[3] = { 1, 2, 0 }, zero = 0;
    uint8_t *avail = at(desc_of(q) + 0x1000);

    memcpy(at(CMD), hdr, 2);
    memcpy(at(CMD + 16), &n, 2);
    *at(CMD + 32) = 0xee;
    for (int i = 0; i < 3; i++) {
        memcpy(d + 16 * i, &addr[i], 8);
        memcpy(d + 16 * i + 8, &len[i], 4);
        memcpy(d + 16 * i + 12, &flags[i], 2);
        memcpy(d + 16 * i + 14, &next[i], 2);
    }
    memcpy(avail + 4, &zero, 2);
    __atomic_store_n((uint16_t *)(void *)(avail + 2), (uint16_t)1, __ATOMIC_RELEASE);
    wr(0x050, (uint32_t)q);
    return *at(CMD + 32);
}

/* Waits up to ms for queue q's used index to reach want. */
static int wait_used(int q, uint16_t want, int ms)
{
    for (int i = 0; i < ms; i++) {
        if (used_idx(q) == want)
            return 0;
        usleep(1000);
    }
    return -1;
}

int main(int argc, char **argv)
{
    static const uint8_t frame[60] = { 2, 0, 0, 0, 0x76, 0, 2, 0, 0, 0, 0, 1, 8, 0, 0x45 };
    struct pollfd p;
    int ok = 1;

    int rx = 0, tx = 1;

    if (argc < 2 || argc > 3 || nfvm_mem_create(&mem, 64ULL << 20) < 0)
        return 2;
    pairs = argc == 3 ? (unsigned)atoi(argv[2]) : 1;
    if (pairs < 1 || pairs > 4)
        return 2;
    if (nfvm_vnet_init_vhost(&dev, &mem, NFVM_MMIO_BASE, argv[1], 0, pairs) < 0)
        return 1;
    if (dev.pairs_max != pairs) {
        printf("probe: the device has %u queue pairs, not %u\n", dev.pairs_max, pairs);
        return 1;
    }
    driver_start();
    if (rd(0x070) & 0x40) {
        printf("probe: the device needs a reset: the backend refused the start\n");
        return 1;
    }
    if (pairs > 1) {
        uint8_t ack = pairs_set((uint16_t)pairs);

        printf("probe: VQ_PAIRS_SET %u: ack %u\n", pairs, ack);
        if (ack != 0)
            return 1;
        rx = (int)(2 * pairs - 2);
        tx = rx + 1;
    }
    /* Receive buffers first (a backend that echoes needs them), armed as
     * by the guest's NFVM_IDLE_ARM exit, then the frame out. */
    for (uint16_t i = 0; i < 8; i++)
        post(rx, i, BUFS + 2048 * (i + 1), 2048, 1);
    wr(0x050, (uint32_t)rx);
    nfvm_vnet_idle_arm(&dev, 0);
    memset(at(BUFS), 0, 12); /* virtio-net header, then the frame */
    memcpy(at(BUFS + 12), frame, sizeof(frame));
    post(tx, 0, BUFS, 12 + sizeof(frame), 0);
    wr(0x050, (uint32_t)tx); /* QueueNotify(tx): nfvm writes its kick, as KVM would */
    if (wait_used(tx, 1, 10000) < 0) {
        printf("probe: tx: the backend did not take the frame\n");
        ok = 0;
    } else {
        printf("probe: tx: the backend took the frame\n");
    }
    p = (struct pollfd){ .fd = dev.wake, .events = POLLIN };
    if (poll(&p, 1, 20000) != 1) {
        printf("probe: rx: no wake-up on the call eventfd within 20 s (used.idx %u)\n",
               used_idx(rx));
        ok = 0;
    } else {
        uint32_t len;

        memcpy(&len, at(desc_of(rx) + 0x2000 + 8), 4);
        printf("probe: rx: woken by the call eventfd; used.idx %u, first frame %u bytes%s\n",
               used_idx(rx), len, pairs > 1 ? " (last pair)" : "");
        ok &= used_idx(rx) >= 1 && len >= 12 + 14;
    }
    nfvm_vnet_idle_disarm(&dev, 0);
    wr(0x070, 0); /* reset: GET_VRING_BASE on both rings */
    printf("probe: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
