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
#include "probe.h"

#define QN   256
#define BUFS 0x400000ULL /* 2 KiB buffers */
#define CMD  0x3f0000ULL /* the control command */

static unsigned pairs = 1;

/* One one-descriptor chain on queue q, made available (not kicked). */
static void post(int q, uint16_t id, uint64_t addr, uint32_t len, int writable)
{
    uint8_t *d = probe_at(probe_desc(q) + 16 * id), *avail = probe_at(probe_desc(q) + 0x1000);
    uint16_t flags = writable ? 2 : 0, idx;

    memcpy(d, &addr, 8);
    memcpy(d + 8, &len, 4);
    memcpy(d + 12, &flags, 2);
    memcpy(&idx, avail + 2, 2);
    memcpy(avail + 4 + 2 * (idx % QN), &id, 2);
    __atomic_store_n((uint16_t *)(void *)(avail + 2), (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

/* The driver's start: features, both queues, DRIVER_OK (nfvm then hands
 * everything to the backend). Its rings never want interrupts, as nfos's. */
static uint64_t driver_start(void)
{
    uint64_t offered, f;

    f = probe_features((1ULL << 32) | (1ULL << 29) | PROBE_F_MAC | (pairs > 1 ? PROBE_F_MQ : 0),
                       &offered);
    for (unsigned q = 0; q < 2 * pairs + (pairs > 1); q++) {
        uint64_t d = probe_desc(q);
        uint16_t no_int = 1, far = 0x8000;

        memcpy(probe_at(d + 0x1000), &no_int, 2);           /* avail.flags */
        memcpy(probe_at(d + 0x1000 + 4 + 2 * QN), &far, 2); /* used_event */
        probe_queue_setup(q, QN);
    }
    probe_wr(0x070, 1 | 2 | 8 | 4);
    printf("probe: features offered %#llx, taken %#llx, status %#x\n", (unsigned long long)offered,
           (unsigned long long)f, probe_rd(0x070));
    return f;
}

/* Waits up to ms for queue q's used index to reach want. */
static int wait_used(int q, uint16_t want, int ms)
{
    for (int i = 0; i < ms; i++) {
        if (probe_used_idx(q) == want)
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

    if (argc < 2 || argc > 3 || nfvm_mem_create(&probe_mem, 64ULL << 20) < 0)
        return 2;
    pairs = argc == 3 ? (unsigned)atoi(argv[2]) : 1;
    if (pairs < 1 || pairs > 4)
        return 2;
    if (nfvm_vnet_init_vhost(&probe_dev, &probe_mem, NFVM_MMIO_BASE, argv[1], 0, pairs) < 0)
        return 1;
    if (probe_dev.pairs_max != pairs) {
        printf("probe: the device has %u queue pairs, not %u\n", probe_dev.pairs_max, pairs);
        return 1;
    }
    driver_start();
    if (probe_rd(0x070) & 0x40) {
        printf("probe: the device needs a reset: the backend refused the start\n");
        return 1;
    }
    if (pairs > 1) {
        uint8_t ack = probe_pairs_set(2 * pairs, (uint16_t)pairs, CMD);

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
    probe_wr(0x050, (uint32_t)rx);
    nfvm_vnet_idle_arm(&probe_dev, 0);
    memset(probe_at(BUFS), 0, 12); /* virtio-net header, then the frame */
    memcpy(probe_at(BUFS + 12), frame, sizeof(frame));
    post(tx, 0, BUFS, 12 + sizeof(frame), 0);
    probe_wr(0x050, (uint32_t)tx); /* QueueNotify(tx): nfvm writes its kick, as KVM would */
    if (wait_used(tx, 1, 10000) < 0) {
        printf("probe: tx: the backend did not take the frame\n");
        ok = 0;
    } else {
        printf("probe: tx: the backend took the frame\n");
    }
    p = (struct pollfd){ .fd = probe_dev.wake, .events = POLLIN };
    if (poll(&p, 1, 20000) != 1) {
        printf("probe: rx: no wake-up on the call eventfd within 20 s (used.idx %u)\n",
               probe_used_idx(rx));
        ok = 0;
    } else {
        uint32_t len;

        memcpy(&len, probe_at(probe_desc(rx) + 0x2000 + 8), 4);
        printf("probe: rx: woken by the call eventfd; used.idx %u, first frame %u bytes%s\n",
               probe_used_idx(rx), len, pairs > 1 ? " (last pair)" : "");
        ok &= probe_used_idx(rx) >= 1 && len >= 12 + 14;
    }
    nfvm_vnet_idle_disarm(&probe_dev, 0);
    probe_wr(0x070, 0); /* reset: GET_VRING_BASE on both rings */
    printf("probe: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
