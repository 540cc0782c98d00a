/* nfvm's virtio-net device over virtio-mmio (vnet.c) with a TAP backend:
 * the vCPU thread serves its registers (nfvm_vnet_mmio) and the control
 * queue, a thread of its own moves the packets between the rings and the
 * TAP. With several queue pairs (VIRTIO_NET_F_MQ): queue 2i receives and
 * 2i + 1 transmits for pair i, queue 2 * pairs_max is the control queue,
 * and pair i is the multi-queue TAP's queue i (one fd each). With RSS
 * (offered on request, TAP only: nfvm_vnet_offer_rss) the device, not the
 * TAP, picks each received frame's pair (rss.h). */
#ifndef NFVM_VNET_H
#define NFVM_VNET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include "rss.h"
#include "vhost.h"
#include "virtq.h"

#define NFVM_VNET_FRAME_MAX  65536
#define NFVM_VNET_NOTIFY_OFF 0x050 /* QueueNotify: KVM may signal kick itself */

struct nfvm_vnet {
    pthread_mutex_t lock; /* registers and queues, between the two threads */
    const struct nfvm_mem *mem;
    uint64_t base;                /* guest-physical address of the register window */
    int tap[NFVM_VNET_PAIRS_MAX]; /* per pair; -1: no backend (unit tests) */
    bool tap_mq;                  /* opened IFF_MULTI_QUEUE: pairs attach and detach */
    int kick;                     /* eventfd: the vCPU thread tells the I/O thread */
    int wake;                     /* eventfd: a frame reached a receive queue while armed (TAP,
                                     or no idle_fd); vhost-user: every receive ring's call */
    uint64_t armed;               /* vCPUs nfvm_vnet_idle_arm armed: woken on the next frame */
    const int *idle_fd;           /* per vCPU: where a wake-up goes; NULL: n->wake */
    uint8_t mac[6];
    uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel;
    uint64_t driver_features;
    unsigned pairs_max;                     /* offered: max_virtqueue_pairs (MQ when > 1) */
    unsigned pairs;                         /* in use: 1 after a reset, then VQ_PAIRS_SET's */
    struct nfvm_vq q[NFVM_VNET_QUEUES_MAX]; /* 2i: receive, 2i + 1: transmit */
    uint64_t rx_packets, tx_packets, rx_drops, tx_drops, ctrl_cmds, ctrl_errors;
    bool rss_offer;           /* VIRTIO_NET_F_RSS offered (nfvm_vnet_offer_rss) */
    bool rss_on;              /* the driver's RSS_CONFIG is in force: rss picks rx queues */
    struct nfvm_rss rss;      /* valid while rss_on */
    uint64_t rss_sets;        /* RSS_CONFIGs taken */
    uint64_t rss_drops;       /* frames (in rx_drops too) whose RSS queue had no buffer */
    struct nfvm_vhost *vhost; /* NULL: TAP (or no) backend */
    pthread_t thread;
    bool running;
    uint8_t frame[12 + NFVM_VNET_FRAME_MAX]; /* room for the virtio-net header */
};

/* Sets the device up at base (NFVM_MMIO_SIZE bytes) with pairs queue
 * pairs (1..NFVM_VNET_PAIRS_MAX) over the TAP ifname (opened, created if
 * missing; multi-queue, one fd per pair, when pairs > 1: a TAP that is
 * not gets one pair, said); ifname NULL: no backend. 0 or -1 after saying
 * why on stderr. */
int nfvm_vnet_init(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base, const char *ifname,
                   unsigned index, unsigned pairs);
/* The device over the vhost-user backend at path instead of a TAP
 * (vhost.h), with as many of pairs as the backend has (said when fewer):
 * its kicks are vhost->kick[q], every receive ring's call eventfd is
 * n->wake. 0 or -1 after saying why. */
int nfvm_vnet_init_vhost(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base,
                         const char *path, unsigned index, unsigned pairs);
/* Offers VIRTIO_NET_F_RSS (and its config space fields) from now on: a
 * device with several queue pairs over a TAP; with one pair it is said
 * and not offered (0); a vhost-user device has none (-1, said: the
 * backend, not nfvm, moves its frames). Before the guest starts. */
int nfvm_vnet_offer_rss(struct nfvm_vnet *n);
/* Starts the I/O thread (TAP only: with vhost-user nfvm moves no packet). */
int nfvm_vnet_start(struct nfvm_vnet *n);
/* A guest access of len bytes at offset off of the register window; data
 * is read from (write) or filled (read). 0, or -1 when the access is not
 * one the device has (the guest is then ended). vCPU thread. */
int nfvm_vnet_mmio(struct nfvm_vnet *n, uint64_t off, uint8_t *data, unsigned len, bool write);
/* Moves what can be moved now, both ways. I/O thread (or a test). */
void nfvm_vnet_poll(struct nfvm_vnet *n);
/* One line of the device's counters to f, for nfvm --trace: "nfvm: net
 * I: rx N, tx N, rx drops N, tx drops N" (TAP; a vhost-user device's
 * frames are the backend's to count), ", control N (N refused)", and
 * ", RSS: N configurations taken, N drops (no buffer on its queue)" when
 * RSS was offered. Any thread: taken under the device's lock. */
void nfvm_vnet_report(struct nfvm_vnet *n, unsigned index, FILE *f);
/* Idle (nfos/plat/nfvm_abi.h): wake vCPU cpu (its idle_fd, or n->wake)
 * once when the next frame reaches a receive queue. vCPU cpu's thread,
 * while that vCPU is stopped; other vCPUs may be armed too. */
void nfvm_vnet_idle_arm(struct nfvm_vnet *n, unsigned cpu);
/* After vCPU cpu's sleep: when no vCPU stays armed, what arming changed
 * in the rings is put back. */
void nfvm_vnet_idle_disarm(struct nfvm_vnet *n, unsigned cpu);
/* A frame reached a receive queue (vhost-user: its call eventfd, read by
 * the sleeper that saw it): every armed vCPU is woken and disarmed. */
void nfvm_vnet_idle_wake(struct nfvm_vnet *n);

#endif /* NFVM_VNET_H */
