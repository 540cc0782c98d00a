/* A virtio device in memory for the unit tests: a fake transport (status,
 * features, config space with a generation counter, queue sizes) and the
 * device side of split rings (pops avail chains, pushes used entries, asks
 * for kicks, counts the interrupts it would raise). */
#ifndef FAKE_DEVICE_H
#define FAKE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/virtio_transport.h>

/* Enough for a net device's 16 queue pairs and its control queue. */
#define FAKE_QUEUES 33

struct fake_ring {
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    struct virtq_used *used;
    uint16_t size;
    uint16_t last_avail; /* next avail entry the device reads */
    uint16_t used_idx;   /* next used entry the device writes */
    unsigned interrupts; /* used-buffer notifications the driver would get */
};

/* One popped chain, as the device sees it. */
struct fake_chain {
    uint16_t head;
    unsigned ndesc;
    uint32_t out_len, in_len;
    void *in_buf; /* first writable buffer, NULL when none */
};

struct fake_dev {
    struct virtio_dev vdev;
    uint8_t status;
    uint64_t dev_features, drv_features;
    bool refuse_features_ok;
    int set_features_err;
    int driver_ok_err;
    unsigned resets, driver_oks;
    uint8_t config[24]; /* a net device's, RSS fields included */
    uint32_t generation;
    unsigned gen_bumps;  /* the next reads of the generation move it this many times */
    unsigned widths[16]; /* widths read_config was called with, in order */
    unsigned nr_widths;
    uint16_t max_size[FAKE_QUEUES];
    struct virtqueue *vq[FAKE_QUEUES];
    unsigned kicks[FAKE_QUEUES];
    struct fake_ring ring[FAKE_QUEUES];
    /* Called on every kick after the count (a device that answers at
     * once, like a control queue); NULL: none. */
    void (*on_kick)(struct fake_dev *f, unsigned q);
    /* queue_wait_fd's answer per queue (the eventfd a vhost-user backend
     * writes); -1 after fake_init: none, as on pci and mmio. */
    int wait_fd[FAKE_QUEUES];
};

/* The platform's idle watches (plat_idle_watch/unwatch, nfos/plat/idle.h)
 * as the driver left them: faked here for every program that links this
 * file. */
struct fake_watch {
    int fd;
    unsigned flags;
    void (*arm)(void *ctx, int on);
    void *ctx;
};
extern struct fake_watch fake_watches[FAKE_QUEUES];
extern unsigned fake_nr_watches;

void fake_init(struct fake_dev *f, uint32_t device_id, uint64_t features);

/* Device side of queue q. */
bool fake_pop(struct fake_dev *f, unsigned q, struct fake_chain *c);
void fake_push(struct fake_dev *f, unsigned q, uint32_t id, uint32_t len);
/* Writes used.idx for everything pushed and counts an interrupt if the
 * driver asked for one. */
void fake_flush(struct fake_dev *f, unsigned q);
/* Asks for a kick once avail.idx passes event (EVENT_IDX) or sets/clears
 * NO_NOTIFY (without it). */
void fake_set_avail_event(struct fake_dev *f, unsigned q, uint16_t event);
void fake_set_no_notify(struct fake_dev *f, unsigned q, bool no_notify);

#endif /* FAKE_DEVICE_H */
