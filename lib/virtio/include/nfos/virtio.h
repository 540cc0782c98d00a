/* virtio: modern (1.x) virtio core, transports split from device drivers.
 *
 *   transport (finds a device, moves status/features/config/queue set-up)
 *       pci (virtio_pci.c, kvm), mmio (virtio_mmio.c, kvm),
 *       vhost-user (vhost_user.c, linuxu: a Linux process as the driver)
 *   core (this header): status handshake, logged feature negotiation,
 *       split virtqueues, device-driver registry
 *   device drivers: lib/virtio-net
 *
 * A transport that found a device fills a struct virtio_dev and calls
 * virtio_device_add(); the core offers it to the virtio drivers registered
 * with VIRTIO_DRIVER_REGISTER for its device id. Poll mode: the core never
 * enables interrupts; queues are kicked through vq->notify, only when the
 * device asked for it (VIRTIO_RING_F_EVENT_IDX / NO_NOTIFY). */
#ifndef NFOS_VIRTIO_H
#define NFOS_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/bus.h>
#include <nfos/compiler.h>

/* Device status bits (virtio 1.x, 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* Reserved feature bits */
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35

#define VIRTIO_ID_NET 1

struct virtio_dev;
struct virtqueue;

/* What a transport provides. All slow path except queue kicks, which go
 * through vq->notify set by queue_enable. */
struct virtio_transport_ops {
    const char *name; /* "pci", "mmio", "vhost-user" */
    /* Writes status 0 and waits until the device reads back 0. */
    int (*reset)(struct virtio_dev *vdev);
    uint8_t (*get_status)(struct virtio_dev *vdev);
    void (*set_status)(struct virtio_dev *vdev, uint8_t status);
    /* All 64 device feature bits / the driver's chosen bits. */
    uint64_t (*get_features)(struct virtio_dev *vdev);
    int (*set_features)(struct virtio_dev *vdev, uint64_t features);
    /* Device-specific config space; len 1, 2, 4 or 8 at a naturally aligned
     * offset (the core handles the generation-count retry). */
    void (*read_config)(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len);
    void (*write_config)(struct virtio_dev *vdev, unsigned off, const void *buf, unsigned len);
    uint32_t (*config_generation)(struct virtio_dev *vdev);
    /* Largest size of queue idx, 0 when the queue does not exist. */
    uint16_t (*queue_max_size)(struct virtio_dev *vdev, uint16_t idx);
    /* Gives the device vq's size and ring addresses (vq->desc_addr ...),
     * sets vq->notify (and its notify_addr/notify_data) and enables the
     * queue. 0 or a negative errno. */
    int (*queue_enable)(struct virtio_dev *vdev, struct virtqueue *vq);
    /* Optional: the transport's view after DRIVER_OK (vhost-user starts its
     * backend's rings here). */
    int (*driver_ok)(struct virtio_dev *vdev);
};

struct virtio_dev {
    const struct virtio_transport_ops *ops;
    struct bus_device *bdev; /* the device on its bus (pci, mmio, vdev) */
    void *transport_priv;
    uint32_t device_id; /* VIRTIO_ID_* */
    uint64_t features;  /* negotiated, valid after virtio_negotiate */
    char name[48];      /* for messages: "virtio-pci 0000:00:02.0" */
    void *driver_priv;
};

/* The transport-visible part of a split virtqueue; lib/virtio's ring code
 * owns the rest of the struct (see below in this header). */
struct virtqueue_transport {
    uint16_t index;
    uint16_t size;
    uint64_t desc_addr, avail_addr, used_addr; /* device addresses */
    void (*notify)(struct virtqueue *vq);      /* kick, set by queue_enable */
    volatile void *notify_addr;
    uint32_t notify_data;
    void *transport_priv;
};

struct virtio_driver {
    const char *name;
    uint32_t device_id;
    /* 0: bound; -ENODEV: not mine; else the error is reported. */
    int (*probe)(struct virtio_dev *vdev);
};

#define VIRTIO_DRIVER_REGISTER(d)                                                        \
    static const struct virtio_driver *const __nfos_vdrv_##d __nfos_used __nfos_section( \
        "nfos_virtio_drivers") = &(d)

/* Called by transports: resets the device, sets ACKNOWLEDGE, and offers it
 * to the drivers for vdev->device_id. 0, -ENODEV, or a probe's error. */
int virtio_device_add(struct virtio_dev *vdev);

/* Called by drivers: sets DRIVER, negotiates wanted & offered (VERSION_1 is
 * required and always wanted), sets FEATURES_OK and checks the device kept
 * it. Logs offered/wanted/accepted with nfos.verbose. 0, -ENOTSUP (no
 * VERSION_1: a legacy-only device), or -EIO (device refused). */
int virtio_negotiate(struct virtio_dev *vdev, uint64_t wanted);

/* Sets DRIVER_OK (and calls the transport's driver_ok). */
int virtio_driver_ok(struct virtio_dev *vdev);
/* Sets FAILED; for probe error paths. */
void virtio_fail(struct virtio_dev *vdev);

static inline bool virtio_has(const struct virtio_dev *vdev, unsigned bit)
{
    return (vdev->features >> bit) & 1;
}

#endif /* NFOS_VIRTIO_H */
