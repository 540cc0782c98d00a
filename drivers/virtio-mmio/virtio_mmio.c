/* The modern virtio MMIO transport (virtio 1.x, 4.2.2, version 2): a
 * driver on the virtio-mmio bus for every device id, handing devices to
 * the virtio core. Legacy (version 1) transports are refused with a hint. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/compiler.h>
#include <nfos/plat/mmio.h>
#include <nfos/virtio_transport.h>
#include "virtio_mmio_priv.h"

#define VMMIO_RESET_POLLS 1000000 /* QEMU resets at once; a bound, not a delay */

struct vmmio {
    struct virtio_dev vdev;
    struct virtio_mmio_device *d;
    volatile uint8_t *regs;
};

static struct {
    struct vmmio devs[CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES];
    unsigned n;
} vmmio;

static volatile uint8_t *regs_of(struct virtio_dev *vdev)
{
    return ((struct vmmio *)vdev->transport_priv)->regs;
}

/* The transport's part of a ring (nfos/virtio_types.h). */
static struct virtqueue_transport *vq_t(struct virtqueue *vq)
{
    return &vq->t;
}

static uint32_t rd(struct virtio_dev *vdev, unsigned reg)
{
    return plat_mmio_read32(regs_of(vdev) + reg);
}

static void wr(struct virtio_dev *vdev, unsigned reg, uint32_t v)
{
    plat_mmio_write32(regs_of(vdev) + reg, v);
}

static uint8_t vmmio_get_status(struct virtio_dev *vdev)
{
    return (uint8_t)rd(vdev, VIRTIO_MMIO_STATUS);
}

static void vmmio_set_status(struct virtio_dev *vdev, uint8_t status)
{
    wr(vdev, VIRTIO_MMIO_STATUS, status);
}

static int vmmio_reset(struct virtio_dev *vdev)
{
    wr(vdev, VIRTIO_MMIO_STATUS, 0);
    for (unsigned i = 0; i < VMMIO_RESET_POLLS; i++)
        if (rd(vdev, VIRTIO_MMIO_STATUS) == 0)
            return 0;
    return -ETIMEDOUT;
}

static uint64_t vmmio_get_features(struct virtio_dev *vdev)
{
    uint32_t lo, hi;

    wr(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    lo = rd(vdev, VIRTIO_MMIO_DEVICE_FEATURES);
    wr(vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    hi = rd(vdev, VIRTIO_MMIO_DEVICE_FEATURES);
    return (uint64_t)hi << 32 | lo;
}

static int vmmio_set_features(struct virtio_dev *vdev, uint64_t features)
{
    wr(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wr(vdev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
    wr(vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    wr(vdev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
    return 0;
}

/* The config space past the registers, up to the transport's size. */
static volatile uint8_t *config_at(struct virtio_dev *vdev, unsigned off, unsigned len)
{
    struct vmmio *v = vdev->transport_priv;
    uint64_t room = v->d->size - VIRTIO_MMIO_CONFIG;

    if (off > room || len > room - off)
        return NULL;
    return v->regs + VIRTIO_MMIO_CONFIG + off;
}

/* plat_mmio_read_n's accesses (the core retries on a generation change).
 * Outside the transport reads all ones, writes nothing. */
static void vmmio_read_config(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
    volatile uint8_t *p = config_at(vdev, off, len);

    if (p)
        plat_mmio_read_n(p, buf, len);
    else
        memset(buf, 0xff, len);
}

static void vmmio_write_config(struct virtio_dev *vdev, unsigned off, const void *buf, unsigned len)
{
    volatile uint8_t *p = config_at(vdev, off, len);

    if (p)
        plat_mmio_write_n(p, buf, len);
}

static uint32_t vmmio_config_generation(struct virtio_dev *vdev)
{
    return rd(vdev, VIRTIO_MMIO_CONFIG_GENERATION);
}

static uint16_t vmmio_queue_max_size(struct virtio_dev *vdev, uint16_t idx)
{
    uint32_t max;

    wr(vdev, VIRTIO_MMIO_QUEUE_SEL, idx);
    max = rd(vdev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    return max > 0xffff ? 0xffff : (uint16_t)max;
}

static void vmmio_notify(struct virtqueue *vq)
{
    struct virtqueue_transport *t = vq_t(vq);

    plat_mmio_write32(t->notify_addr, t->notify_data);
}

static int vmmio_queue_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
    struct virtqueue_transport *t = vq_t(vq);
    uint32_t max;

    wr(vdev, VIRTIO_MMIO_QUEUE_SEL, t->index);
    if (rd(vdev, VIRTIO_MMIO_QUEUE_READY))
        return -EBUSY;
    max = rd(vdev, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (!max)
        return -ENOENT;
    if (!t->size || t->size > max)
        return -EINVAL;
    wr(vdev, VIRTIO_MMIO_QUEUE_NUM, t->size);
    wr(vdev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)t->desc_addr);
    wr(vdev, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(t->desc_addr >> 32));
    wr(vdev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)t->avail_addr);
    wr(vdev, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(t->avail_addr >> 32));
    wr(vdev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)t->used_addr);
    wr(vdev, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(t->used_addr >> 32));
    t->notify_addr = regs_of(vdev) + VIRTIO_MMIO_QUEUE_NOTIFY;
    t->notify_data = t->index;
    t->notify = vmmio_notify;
    t->transport_priv = vdev->transport_priv;
    wr(vdev, VIRTIO_MMIO_QUEUE_READY, 1);
    return 0;
}

static const struct virtio_transport_ops vmmio_ops = {
    .name = "mmio",
    .reset = vmmio_reset,
    .get_status = vmmio_get_status,
    .set_status = vmmio_set_status,
    .get_features = vmmio_get_features,
    .set_features = vmmio_set_features,
    .read_config = vmmio_read_config,
    .write_config = vmmio_write_config,
    .config_generation = vmmio_config_generation,
    .queue_max_size = vmmio_queue_max_size,
    .queue_enable = vmmio_queue_enable,
};

static int vmmio_probe(struct bus_device *bdev)
{
    struct virtio_mmio_device *d = nfos_container_of(bdev, struct virtio_mmio_device, dev);
    struct vmmio *v;
    int err;

    if (d->version != 2) {
        printf("virtio-mmio: %s: %s (version %u) device id %u, not used; QEMU needs "
               "-global virtio-mmio.force-legacy=false\n",
               bdev->name, d->version == 1 ? "legacy" : "unknown", d->version, d->device_id);
        return -ENOTSUP;
    }
    if (vmmio.n == CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES)
        return -ENOSPC;
    v = &vmmio.devs[vmmio.n];
    memset(v, 0, sizeof(*v));
    v->d = d;
    v->regs = (volatile uint8_t *)(uintptr_t)d->base;
    v->vdev.ops = &vmmio_ops;
    v->vdev.bdev = bdev;
    v->vdev.transport_priv = v;
    v->vdev.device_id = d->device_id;
    snprintf(v->vdev.name, sizeof(v->vdev.name), "%s", bdev->name);
    vmmio.n++;
    err = virtio_device_add(&v->vdev);
    if (err)
        vmmio.n--; /* nobody keeps it: the slot is free again */
    return err;
}

static const uint32_t vmmio_ids[] = { VIRTIO_MMIO_ANY_ID, 0 };

static const struct bus_driver vmmio_driver = {
    .name = "virtio-mmio", .bus = "virtio-mmio", .ids = vmmio_ids, .probe = vmmio_probe
};
BUS_DRIVER_REGISTER(vmmio_driver);
