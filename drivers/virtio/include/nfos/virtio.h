/* virtio: modern (1.x) virtio core, transports split from device drivers.
 *
 *   transport (finds a device, moves status/features/config/queue set-up)
 *       pci (drivers/virtio-pci, kvm), mmio (drivers/virtio-mmio, kvm),
 *       vhost-user (drivers/vhost-user, linuxu: a Linux process as the driver)
 *   core: status handshake, logged feature negotiation, split virtqueues,
 *       device-driver registry
 *   device drivers: drivers/virtio-net
 *
 * A transport that found a device fills a struct virtio_dev and calls
 * virtio_device_add(); the core offers it to the virtio drivers registered
 * with VIRTIO_DRIVER_REGISTER for its device id. Poll mode: the core never
 * enables interrupts; queues are kicked through vq->t.notify, only when the
 * device asked for it (VIRTIO_RING_F_EVENT_IDX / NO_NOTIFY).
 *
 * Headers by audience: this one is the device drivers' (struct virtio_dev,
 * registration, negotiation, config space, and the rings through
 * nfos/virtqueue.h); transports add nfos/virtio_transport.h; constants and
 * the transport's view of a ring are in nfos/virtio_types.h. */
#ifndef NFOS_VIRTIO_H
#define NFOS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/compiler.h>
#include <nfos/virtio_types.h>
#include <nfos/virtqueue.h>

struct bus_device;
struct virtio_driver;
struct virtio_transport_ops;

struct virtio_dev {
    const struct virtio_transport_ops *ops;
    struct bus_device *bdev; /* the device on its bus (pci, mmio, vdev) */
    void *transport_priv;
    uint32_t device_id; /* VIRTIO_ID_* */
    uint64_t features;  /* negotiated, valid after virtio_negotiate */
    char name[48];      /* for messages: "virtio-pci 0000:00:02.0" */
    void *driver_priv;
    /* Set by the core: the driver being offered / bound to the device. */
    const struct virtio_driver *driver;
};

struct virtio_driver {
    const char *name;
    uint32_t device_id;
    /* 0: bound; -ENODEV: not mine; else the error is reported. */
    int (*probe)(struct virtio_dev *vdev);
    /* Optional: names of the device-specific feature bits, 64 entries
     * indexed by bit (NULL for unnamed ones), for the negotiation log. */
    const char *const *feature_names;
};

#define VIRTIO_DRIVER_REGISTER(d)                                                        \
    static const struct virtio_driver *const __nfos_vdrv_##d __nfos_used __nfos_section( \
        "nfos_virtio_drivers") = &(d)

/* Called by drivers: sets DRIVER, negotiates wanted & offered (VERSION_1 is
 * required and always wanted), sets FEATURES_OK and checks the device kept
 * it. Logs offered/wanted/accepted with nfos.verbose. 0, -ENOTSUP (no
 * VERSION_1: a legacy-only device), or -EIO (device refused). A failure
 * prints one line (a transport whose set_features failed prints its own)
 * and marks the device FAILED. */
int virtio_negotiate(struct virtio_dev *vdev, uint64_t wanted);

/* The feature bits the device offers, for a driver that chooses its
 * wanted set by them before virtio_negotiate. Slow path. */
uint64_t virtio_features_offered(struct virtio_dev *vdev);

/* Sets DRIVER_OK (and calls the transport's driver_ok): 0 or its error
 * (the device is then marked FAILED). */
int virtio_driver_ok(struct virtio_dev *vdev);
/* Sets FAILED; for probe error paths. */
void virtio_fail(struct virtio_dev *vdev);

/* How often virtio_config_read tries before it calls the device broken. */
#define VIRTIO_CONFIG_TRIES 64

/* Reads len bytes of device config space at off into buf, in naturally
 * aligned pieces, again while the config generation changes under it, at
 * most VIRTIO_CONFIG_TRIES times. Slow path. 0, or -EIO when the
 * generation never held still (one line printed, buf zeroed). */
int virtio_config_read(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len);

/* The largest size the device allows for queue idx, 0 when the queue does
 * not exist. Slow path. */
uint16_t virtio_queue_max_size(struct virtio_dev *vdev, uint16_t idx);

/* The host eventfd the device writes when queue idx interrupts (a
 * vhost-user ring's call fd), or -1 where there is none (pci, mmio: nfvm
 * watches those devices itself). Slow path. */
int virtio_queue_wait_fd(struct virtio_dev *vdev, uint16_t idx);

static inline bool virtio_has(const struct virtio_dev *vdev, unsigned bit)
{
    return (vdev->features >> bit) & 1;
}

#endif /* NFOS_VIRTIO_H */
