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
#include "probe.h"

#define QN   64
#define BUFS 0x800000ULL /* 2 KiB buffers, QN per receive queue */
#define CMD  0x7f0000ULL

/* n one-descriptor chains of queue q, made available at once. */
static void post_n(unsigned q, uint16_t n, uint64_t bufs, uint32_t len, uint16_t flags)
{
    uint8_t *avail = probe_at(probe_desc(q) + 0x1000);

    for (uint16_t i = 0; i < n; i++) {
        uint8_t *d = probe_at(probe_desc(q) + 16 * i);
        uint64_t addr = bufs + 2048ULL * i;

        memcpy(d, &addr, 8);
        memcpy(d + 8, &len, 4);
        memcpy(d + 12, &flags, 2);
        memcpy(avail + 4 + 2 * i, &i, 2);
    }
    __atomic_store_n((uint16_t *)(void *)(avail + 2), n, __ATOMIC_RELEASE);
}

int main(int argc, char **argv)
{
    struct nfvm_vnet *dev = &probe_dev;
    unsigned pairs, total = 0;
    uint64_t f;
    int secs;

    if (argc != 4 || nfvm_mem_create(&probe_mem, 64ULL << 20) < 0)
        return 2;
    pairs = (unsigned)atoi(argv[2]);
    secs = atoi(argv[3]);
    if (nfvm_vnet_init(dev, &probe_mem, NFVM_MMIO_BASE, argv[1], 0, pairs) < 0)
        return 1;
    f = probe_features((1ULL << 32) | PROBE_F_MAC | PROBE_F_MQ, NULL);
    for (unsigned q = 0; q < 2 * dev->pairs_max + (dev->pairs_max > 1); q++)
        probe_queue_setup(q, QN);
    probe_wr(0x070, 1 | 2 | 8 | 4);
    if (dev->pairs_max > 1 &&
        probe_pairs_set(2 * dev->pairs_max, (uint16_t)dev->pairs_max, CMD) != 0) {
        printf("probe: VQ_PAIRS_SET %u refused\n", dev->pairs_max);
        return 1;
    }
    for (unsigned i = 0; i < dev->pairs_max; i++) {
        post_n(2 * i, QN, BUFS + i * QN * 2048ULL, 2048, 2);
        probe_wr(0x050, 2 * i);
    }
    if (nfvm_vnet_start(dev) < 0)
        return 1;
    printf("probe: %u queue pairs%s\n", dev->pairs_max, f & PROBE_F_MQ ? ", MQ" : "");
    fflush(stdout);
    for (int t = 0; t < 10 * secs && total < 64; t++) {
        usleep(100000);
        total = 0;
        for (unsigned i = 0; i < dev->pairs_max; i++)
            total += probe_used_idx(2 * i);
    }
    for (unsigned i = 0; i < dev->pairs_max; i++)
        printf("probe: pair %u: rx %u\n", i, probe_used_idx(2 * i));
    return 0;
}
