/* nfvm's multiqueue TAP backend on a real TAP, no /dev/kvm and no guest:
 * this program plays the guest's virtio-net driver on nfvm's device
 * registers (as vhost_probe.c does): MQ and the control queue when nfvm
 * offers them, VQ_PAIRS_SET for every pair, receive buffers on each pair,
 * and nfvm's I/O thread moving what the kernel puts on each TAP queue.
 *
 *   tap_probe IFNAME PAIRS SECONDS
 *
 * prints "probe: N queue pairs" once the device is up, then, after SECONDS
 * (or once 64 frames came), each pair's count: "probe: pair I: rx N". 0,
 * or 1 when a step failed. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "layout.h"
#include "vnet.h"

#define QN    64
#define RINGS 0x200000ULL /* queue q's rings at RINGS + q * 64 KiB */
#define BUFS  0x800000ULL /* 2 KiB buffers, QN per receive queue */
#define CMD   0x7f0000ULL
#define F_MAC (1ULL << 5)
#define F_MQ  ((1ULL << 17) | (1ULL << 22)) /* CTRL_VQ, MQ */

static struct nfvm_mem mem;
static struct nfvm_vnet dev;

static void wr(uint64_t off, uint32_t v)
{
    if (nfvm_vnet_mmio(&dev, off, (uint8_t *)&v, 4, true) < 0) {
        fprintf(stderr, "probe: register %#llx = %#x refused\n", (unsigned long long)off, v);
        exit(1);
    }
}

static uint32_t rd(uint64_t off)
{
    uint32_t v = 0;

    if (nfvm_vnet_mmio(&dev, off, (uint8_t *)&v, 4, false) < 0)
        exit(1);
    return v;
}

static uint8_t *at(uint64_t gpa)
{
    return mem.host + gpa;
}

static uint64_t desc_of(unsigned q)
{
    return RINGS + (uint64_t)q * 0x10000;
}

/* n one-descriptor chains of queue q, made available at once. */
static void post_n(unsigned q, uint16_t n, uint64_t bufs, uint32_t len, uint16_t flags)
{
    uint8_t *avail = at(desc_of(q) + 0x1000);

    for (uint16_t i = 0; i < n; i++) {
        uint8_t *d = at(desc_of(q) + 16 * i);
        uint64_t addr = bufs + 2048ULL * i;

        memcpy(d, &addr, 8);
        memcpy(d + 8, &len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(avail + 4 + 2 * i, &i, 2);
    }
    __atomic_store_n((uint16_t *)(void *)(avail + 2), n, __ATOMIC_RELEASE);
}

static uint16_t used_idx(unsigned q)
{
    return __atomic_load_n((uint16_t *)(void *)at(desc_of(q) + 0x2002), __ATOMIC_ACQUIRE);
}

static void queue_setup(unsigned q)
{
    uint64_t d = desc_of(q);

    wr(0x030, q);
    wr(0x038, QN);
    wr(0x080, (uint32_t)d);
    wr(0x084, 0);
    wr(0x090, (uint32_t)(d + 0x1000));
    wr(0x094, 0);
    wr(0x0a0, (uint32_t)(d + 0x2000));
    wr(0x0a4, 0);
    wr(0x044, 1);
}

/* VQ_PAIRS_SET n on the control queue: its ack (0: done). */
static uint8_t pairs_set(uint16_t n)
{
    unsigned q = 2 * dev.pairs_max;
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
    wr(0x050, q);
    return *at(CMD + 32);
}

int main(int argc, char **argv)
{
    unsigned pairs, total = 0;
    uint64_t f;
    int secs;

    if (argc != 4 || nfvm_mem_create(&mem, 64ULL << 20) < 0)
        return 2;
    pairs = (unsigned)atoi(argv[2]);
    secs = atoi(argv[3]);
    if (nfvm_vnet_init(&dev, &mem, NFVM_MMIO_BASE, argv[1], 0, pairs) < 0)
        return 1;
    wr(0x070, 0);
    wr(0x070, 1 | 2);
    wr(0x014, 0);
    f = rd(0x010);
    wr(0x014, 1);
    f |= (uint64_t)rd(0x010) << 32;
    f &= (1ULL << 32) | F_MAC | F_MQ;
    for (uint32_t h = 0; h < 2; h++) {
        wr(0x024, h);
        wr(0x020, (uint32_t)(f >> (32 * h)));
    }
    wr(0x070, 1 | 2 | 8);
    for (unsigned q = 0; q < 2 * dev.pairs_max + (dev.pairs_max > 1); q++)
        queue_setup(q);
    wr(0x070, 1 | 2 | 8 | 4);
    if (dev.pairs_max > 1 && pairs_set((uint16_t)dev.pairs_max) != 0) {
        printf("probe: VQ_PAIRS_SET %u refused\n", dev.pairs_max);
        return 1;
    }
    for (unsigned i = 0; i < dev.pairs_max; i++) {
        post_n(2 * i, QN, BUFS + i * QN * 2048ULL, 2048, 2);
        wr(0x050, 2 * i);
    }
    if (nfvm_vnet_start(&dev) < 0)
        return 1;
    printf("probe: %u queue pairs%s\n", dev.pairs_max, f & F_MQ ? ", MQ" : "");
    fflush(stdout);
    for (int t = 0; t < 10 * secs && total < 64; t++) {
        usleep(100000);
        total = 0;
        for (unsigned i = 0; i < dev.pairs_max; i++)
            total += used_idx(2 * i);
    }
    for (unsigned i = 0; i < dev.pairs_max; i++)
        printf("probe: pair %u: rx %u\n", i, used_idx(2 * i));
    return 0;
}
