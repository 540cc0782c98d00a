/* nfvm's virtio-net device over virtio-mmio (vnet.c) with a TAP backend:
 * the vCPU thread serves its registers (nfvm_vnet_mmio), a thread of its
 * own moves the packets between the rings and the TAP. */
#ifndef NFVM_VNET_H
#define NFVM_VNET_H

#include <pthread.h>
#include <stdbool.h>
#include "vhost.h"
#include "virtq.h"

#define NFVM_VNET_FRAME_MAX  65536
#define NFVM_VNET_NOTIFY_OFF 0x050 /* QueueNotify: KVM may signal kick itself */

struct nfvm_vnet {
    pthread_mutex_t lock; /* registers and queues, between the two threads */
    const struct nfvm_mem *mem;
    uint64_t base;   /* guest-physical address of the register window */
    int tap;         /* -1: no backend (unit tests) */
    int kick;        /* eventfd: the vCPU thread tells the I/O thread */
    int wake;        /* eventfd: a frame reached the receive queue while armed */
    bool wake_armed; /* nfvm_vnet_idle_arm: signal wake on the next frame */
    uint8_t mac[6];
    uint32_t status, dev_feat_sel, drv_feat_sel, queue_sel;
    uint64_t driver_features;
    struct nfvm_vq q[2]; /* 0: receive, 1: transmit */
    uint64_t rx_packets, tx_packets, rx_drops, tx_drops;
    struct nfvm_vhost *vhost; /* NULL: TAP (or no) backend */
    pthread_t thread;
    bool running;
    uint8_t frame[12 + NFVM_VNET_FRAME_MAX]; /* room for the virtio-net header */
};

/* Sets the device up at base (NFVM_MMIO_SIZE bytes) over the TAP ifname
 * (opened, created if missing); ifname NULL: no backend. 0 or -1 after
 * saying why on stderr. */
int nfvm_vnet_init(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base, const char *ifname,
                   unsigned index);
/* The device over the vhost-user backend at path instead of a TAP
 * (vhost.h): its kicks are vhost->kick[q], the receive queue's call
 * eventfd is n->wake. 0 or -1 after saying why. */
int nfvm_vnet_init_vhost(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base,
                         const char *path, unsigned index);
/* Starts the I/O thread (TAP only: with vhost-user nfvm moves no packet). */
int nfvm_vnet_start(struct nfvm_vnet *n);
/* A guest access of len bytes at offset off of the register window; data
 * is read from (write) or filled (read). 0, or -1 when the access is not
 * one the device has (the guest is then ended). vCPU thread. */
int nfvm_vnet_mmio(struct nfvm_vnet *n, uint64_t off, uint8_t *data, unsigned len, bool write);
/* Moves what can be moved now, both ways. I/O thread (or a test). */
void nfvm_vnet_poll(struct nfvm_vnet *n);
/* Idle (nfos/plat/nfvm_abi.h): signal n->wake once when the next frame
 * reaches the receive queue; a wake-up from before is forgotten. vCPU
 * thread, while the guest is stopped. */
void nfvm_vnet_idle_arm(struct nfvm_vnet *n);
/* After the sleep: what arming changed in the rings is put back. */
void nfvm_vnet_idle_disarm(struct nfvm_vnet *n);

#endif /* NFVM_VNET_H */
