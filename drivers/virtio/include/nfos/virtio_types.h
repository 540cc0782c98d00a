/* virtio constants (status, reserved feature bits, device ids) and the
 * part of a virtqueue a transport sees. Shared by nfos/virtio.h (drivers),
 * nfos/virtio_transport.h (transports) and nfos/virtqueue.h (the ring).
 *
 * Little-endian hosts only (x86_64, arm64): virtio 1.x rings and config
 * fields are little-endian and are used here as native integers. */
#ifndef NFOS_VIRTIO_TYPES_H
#define NFOS_VIRTIO_TYPES_H

#include <stdint.h>

/* Device status bits (virtio 1.x, 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

/* Reserved feature bits */
#define VIRTIO_F_NOTIFY_ON_EMPTY    24
#define VIRTIO_F_ANY_LAYOUT         27
#define VIRTIO_F_RING_INDIRECT_DESC 28
#define VIRTIO_F_RING_EVENT_IDX     29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33
#define VIRTIO_F_RING_PACKED        34
#define VIRTIO_F_IN_ORDER           35

#define VIRTIO_ID_NET 1

struct virtio_dev;
struct virtqueue;

/* The transport-visible part of a split virtqueue (struct virtqueue's t,
 * nfos/virtqueue.h): what queue_enable reads and sets. */
struct virtqueue_transport {
    uint16_t index;
    uint16_t size;
    uint64_t desc_addr, avail_addr, used_addr; /* device addresses */
    void (*notify)(struct virtqueue *vq);      /* kick, set by queue_enable */
    volatile void *notify_addr;
    uint32_t notify_data;
    void *transport_priv;
};

#endif /* NFOS_VIRTIO_TYPES_H */
