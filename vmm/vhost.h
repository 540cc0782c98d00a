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

#define NFVM_VHOST_TIMEOUT_MS 5000 /* for every reply */

struct nfvm_vhost {
    int sock;
    uint64_t features; /* the backend's */
    uint64_t protocol; /* protocol features in use (REPLY_ACK when offered) */
    int kick[2], call[2];
    int running; /* the rings are the backend's */
};

/* Connects to the backend at path: SET_OWNER, GET_FEATURES, protocol
 * features; makes the kick and call eventfds (call[0]: wake, the receive
 * queue's, owned by the caller). 0, or -1 after one line on stderr. */
int nfvm_vhost_connect(struct nfvm_vhost *v, const char *path, int wake);
/* The guest set DRIVER_OK: SET_FEATURES (features, the driver's), the
 * memory table (guest RAM's memfd), and each ready queue's NUM, BASE (0),
 * ADDR (nfvm's addresses of the rings), KICK, CALL, ENABLE. 0 or -1. */
int nfvm_vhost_start(struct nfvm_vhost *v, const struct nfvm_mem *m, uint64_t features,
                     const struct nfvm_vq q[2]);
/* The guest reset the device: GET_VRING_BASE on each queue (the backend
 * stops using the rings). 0 or -1. */
int nfvm_vhost_stop(struct nfvm_vhost *v);

#endif /* NFVM_VHOST_H */
