/* nfvm's multiqueue TAP backend on a real TAP, no /dev/kvm and no guest:
 * this program plays the guest's virtio-net driver on nfvm's device
 * registers (as vhost_probe.c does): MQ and the control queue when nfvm
 * offers them, VQ_PAIRS_SET for every pair, receive buffers on each pair,
 * and nfvm's I/O thread moving what the kernel puts on each TAP queue.
 *
 *   tap_probe IFNAME PAIRS SECONDS [rss]
 *
 * prints "probe: N queue pairs" once the device is up, then, after SECONDS
 * (or once 64 frames came), each pair's count: "probe: pair I: rx N". 0,
 * or 1 when a step failed. With rss nfvm offers RSS and the probe sends
 * RSS_CONFIG as nfos's driver does instead of VQ_PAIRS_SET: nfvm, not the
 * kernel, then picks each frame's pair; the drops RSS counted follow. */
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

    if ((argc != 4 && (argc != 5 || strcmp(argv[4], "rss"))) ||
        nfvm_mem_create(&probe_mem, 64ULL << 20) < 0)
        return 2;
    pairs = (unsigned)atoi(argv[2]);
    secs = atoi(argv[3]);
    if (nfvm_vnet_init(dev, &probe_mem, NFVM_MMIO_BASE, argv[1], 0, pairs) < 0 ||
        (argc == 5 && nfvm_vnet_offer_rss(dev) < 0))
        return 1;
    f = probe_features((1ULL << 32) | PROBE_F_MAC | PROBE_F_MQ | PROBE_F_RSS, NULL);
    for (unsigned q = 0; q < 2 * dev->pairs_max + (dev->pairs_max > 1); q++)
        probe_queue_setup(q, QN);
    probe_wr(0x070, 1 | 2 | 8 | 4);
    if (dev->pairs_max > 1) {
        uint16_t n = (uint16_t)dev->pairs_max;
        uint8_t ack =
            f & PROBE_F_RSS ? probe_rss_set(2 * n, n, CMD) : probe_pairs_set(2 * n, n, CMD);

        if (ack) {
            printf("probe: %s %u refused\n", f & PROBE_F_RSS ? "RSS_CONFIG" : "VQ_PAIRS_SET", n);
            return 1;
        }
    }
    for (unsigned i = 0; i < dev->pairs_max; i++) {
        post_n(2 * i, QN, BUFS + i * QN * 2048ULL, 2048, 2);
        probe_wr(0x050, 2 * i);
    }
    if (nfvm_vnet_start(dev) < 0)
        return 1;
    printf("probe: %u queue pairs%s%s\n", dev->pairs_max, f & PROBE_F_MQ ? ", MQ" : "",
           f & PROBE_F_RSS ? ", RSS" : "");
    fflush(stdout);
    for (int t = 0; t < 10 * secs && total < 64; t++) {
        usleep(100000);
        total = 0;
        for (unsigned i = 0; i < dev->pairs_max; i++)
            total += probe_used_idx(2 * i);
    }
    for (unsigned i = 0; i < dev->pairs_max; i++)
        printf("probe: pair %u: rx %u\n", i, probe_used_idx(2 * i));
    if (f & PROBE_F_RSS)
        printf("probe: rss drops %llu\n", (unsigned long long)dev->rss_drops);
    return 0;
}
