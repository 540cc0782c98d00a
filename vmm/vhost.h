/* nfvm as the front-end of a vhost-user backend (dpdk-testpmd's net_vhost,
 * OVS-DPDK, ...): nfvm tells the backend where guest RAM and the rings are
 * and hands it the eventfds, and stays out of the data path: KVM signals
 * the kick eventfds on the guest's QueueNotify writes (KVM_IOEVENTFD with
 * the queue index as datamatch), the backend reads and writes the rings in
 * guest RAM and signals the call eventfds, which only nfvm's idle sleep
 * waits on (the guest polls). Wire format: nfos/vhost_user.h. */
#ifndef NFVM_VHOST_H
#define NFVM_VHOST_H

#include <stdint.h>
#include "virtq.h"

/* A virtio-net device's queue pairs at most (vnet.h), and its queues. */
#define NFVM_VNET_PAIRS_MAX  16
#define NFVM_VNET_QUEUES_MAX (2 * NFVM_VNET_PAIRS_MAX + 1)

#define NFVM_VHOST_TIMEOUT_MS 5000 /* for every reply */

struct nfvm_vhost {
    int sock;
    uint64_t features;              /* the backend's */
    uint64_t protocol;              /* protocol features in use (REPLY_ACK when offered) */
    unsigned pairs;                 /* queue pairs the front-end uses (MQ) */
    int kick[NFVM_VNET_QUEUES_MAX]; /* per data ring */
    int call_rx, call_tx;           /* every receive ring's, every transmit ring's */
    uint64_t started;               /* rings handed to the backend, bit per ring */
    int running;                    /* the rings are the backend's */
};

/* Connects to the backend at path: SET_OWNER, GET_FEATURES, protocol
 * features (MQ and GET_QUEUE_NUM when pairs > 1: v->pairs is then the
 * smaller of the two); makes the kick and call eventfds (call_rx: wake,
 * owned by the caller). 0, or -1 after one line on stderr. */
int nfvm_vhost_connect(struct nfvm_vhost *v, const char *path, int wake, unsigned pairs);
/* The guest set DRIVER_OK: SET_FEATURES (features, the driver's), the
 * memory table (guest RAM's memfd), and the rings of every pair whose two
 * queues are ready (pair 0 must be): NUM, BASE (0), ADDR (nfvm's
 * addresses of the rings), KICK, CALL, ENABLE (pairs below active only).
 * 0 or -1. */
int nfvm_vhost_start(struct nfvm_vhost *v, const struct nfvm_mem *m, uint64_t features,
                     const struct nfvm_vq *q, unsigned active);
/* VQ_PAIRS_SET: the rings of pairs below active enabled, the others
 * disabled (SET_VRING_ENABLE; without protocol features only 1 works).
 * 0 or -1. */
int nfvm_vhost_pairs(struct nfvm_vhost *v, unsigned active);
/* The guest reset the device: GET_VRING_BASE on each started ring (the
 * backend stops using the rings). 0 or -1. */
int nfvm_vhost_stop(struct nfvm_vhost *v);

#endif /* NFVM_VHOST_H */
