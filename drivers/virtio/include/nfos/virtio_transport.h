/* virtio for transports (drivers/virtio-pci, virtio-mmio, vhost-user):
 * the operations a transport provides, and how it hands a device it found
 * to the core. */
#ifndef NFOS_VIRTIO_TRANSPORT_H
#define NFOS_VIRTIO_TRANSPORT_H

#include <stdint.h>
#include <nfos/virtio.h> /* struct virtio_dev, which a transport fills */

/* What a transport provides. All slow path except queue kicks, which go
 * through vq->t.notify set by queue_enable. */
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
    /* Gives the device vq's size and ring addresses (vq->t.desc_addr ...),
     * sets vq->t.notify (and its notify_addr/notify_data) and enables the
     * queue. 0 or a negative errno. */
    int (*queue_enable)(struct virtio_dev *vdev, struct virtqueue *vq);
    /* Optional: the transport's view after DRIVER_OK (vhost-user starts its
     * backend's rings here). */
    int (*driver_ok)(struct virtio_dev *vdev);
    /* Optional: a host eventfd the device writes when it interrupts for
     * queue idx (vhost-user's call fd), else -1: an idle driver waits on it
     * (nfos/plat/idle.h). */
    int (*queue_wait_fd)(struct virtio_dev *vdev, uint16_t idx);
};

/* Called by transports: resets the device, sets ACKNOWLEDGE, and offers it
 * to the drivers for vdev->device_id. 0, -ENODEV (no driver: the device is
 * reset again), or a probe's error (the device is then marked FAILED). */
int virtio_device_add(struct virtio_dev *vdev);

#endif /* NFOS_VIRTIO_TRANSPORT_H */
