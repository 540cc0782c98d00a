/* The modern virtio PCI transport (virtio 1.x, 4.1.4): the common,
 * notify, ISR and device structures from the vendor capabilities, in
 * memory BARs. Not the legacy I/O-port interface, not MSI-X (poll mode). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/pci.h>
#include <nfos/plat/mmio.h>
#include <nfos/virtio_transport.h>
#include <nfos/virtio_pci.h>

#ifndef CONFIG_LIBVIRTIO_PCI_MAX_DEVICES
#define CONFIG_LIBVIRTIO_PCI_MAX_DEVICES 8
#endif
#define VPCI_CAP_MIN_LEN 16      /* struct virtio_pci_cap */
#define VPCI_CAPS_MAX    48      /* vendor capabilities looked at */
#define VPCI_RESET_POLLS 1000000 /* QEMU resets at once; a bound, not a delay */
#define VPCI_MODERN_LAST 0x107f

struct vpci {
    struct virtio_dev vdev;
    struct pci_device *pdev;
    volatile uint8_t *common;
    volatile uint8_t *device; /* NULL when the device has no config space */
    uint32_t device_len;
    volatile uint8_t *notify;
    uint32_t notify_len, notify_mul;
};

static struct {
    struct vpci devs[CONFIG_LIBVIRTIO_PCI_MAX_DEVICES];
    unsigned n;
} vpci;

static struct vpci *vpci_of(struct virtio_dev *vdev)
{
    return vdev->transport_priv;
}

/* The transport's part of a ring (nfos/virtio_types.h). */
static struct virtqueue_transport *vq_t(struct virtqueue *vq)
{
    return &vq->t;
}

/* --- struct virtio_transport_ops --------------------------------------- */

static uint8_t vpci_get_status(struct virtio_dev *vdev)
{
    return plat_mmio_read8(vpci_of(vdev)->common + VIRTIO_PCI_DEVICE_STATUS);
}

static void vpci_set_status(struct virtio_dev *vdev, uint8_t status)
{
    plat_mmio_write8(vpci_of(vdev)->common + VIRTIO_PCI_DEVICE_STATUS, status);
}

static int vpci_reset(struct virtio_dev *vdev)
{
    vpci_set_status(vdev, 0);
    for (unsigned i = 0; i < VPCI_RESET_POLLS; i++)
        if (vpci_get_status(vdev) == 0)
            return 0;
    return -ETIMEDOUT;
}

static uint64_t vpci_get_features(struct virtio_dev *vdev)
{
    volatile uint8_t *c = vpci_of(vdev)->common;
    uint32_t lo, hi;

    plat_mmio_write32(c + VIRTIO_PCI_DEVICE_FEATURE_SELECT, 0);
    lo = plat_mmio_read32(c + VIRTIO_PCI_DEVICE_FEATURE);
    plat_mmio_write32(c + VIRTIO_PCI_DEVICE_FEATURE_SELECT, 1);
    hi = plat_mmio_read32(c + VIRTIO_PCI_DEVICE_FEATURE);
    return (uint64_t)hi << 32 | lo;
}

static int vpci_set_features(struct virtio_dev *vdev, uint64_t features)
{
    volatile uint8_t *c = vpci_of(vdev)->common;

    plat_mmio_write32(c + VIRTIO_PCI_DRIVER_FEATURE_SELECT, 0);
    plat_mmio_write32(c + VIRTIO_PCI_DRIVER_FEATURE, (uint32_t)features);
    plat_mmio_write32(c + VIRTIO_PCI_DRIVER_FEATURE_SELECT, 1);
    plat_mmio_write32(c + VIRTIO_PCI_DRIVER_FEATURE, (uint32_t)(features >> 32));
    return 0;
}

/* Device config: plat_mmio_read_n's accesses (the core retries on a
 * generation change). Outside the structure reads all ones, writes nothing. */
static volatile uint8_t *config_at(struct virtio_dev *vdev, unsigned off, unsigned len)
{
    struct vpci *v = vpci_of(vdev);

    if (!v->device || off > v->device_len || len > v->device_len - off)
        return NULL;
    return v->device + off;
}

static void vpci_read_config(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
    volatile uint8_t *p = config_at(vdev, off, len);

    if (p)
        plat_mmio_read_n(p, buf, len);
    else
        memset(buf, 0xff, len);
}

static void vpci_write_config(struct virtio_dev *vdev, unsigned off, const void *buf, unsigned len)
{
    volatile uint8_t *p = config_at(vdev, off, len);

    if (p)
        plat_mmio_write_n(p, buf, len);
}

static uint32_t vpci_config_generation(struct virtio_dev *vdev)
{
    return plat_mmio_read8(vpci_of(vdev)->common + VIRTIO_PCI_CONFIG_GENERATION);
}

static uint16_t vpci_queue_max_size(struct virtio_dev *vdev, uint16_t idx)
{
    volatile uint8_t *c = vpci_of(vdev)->common;

    if (idx >= plat_mmio_read16(c + VIRTIO_PCI_NUM_QUEUES))
        return 0;
    plat_mmio_write16(c + VIRTIO_PCI_QUEUE_SELECT, idx);
    return plat_mmio_read16(c + VIRTIO_PCI_QUEUE_SIZE);
}

static void vpci_notify(struct virtqueue *vq)
{
    struct virtqueue_transport *t = vq_t(vq);

    plat_mmio_write16(t->notify_addr, (uint16_t)t->notify_data);
}

static void write64(volatile uint8_t *p, uint64_t v)
{
    plat_mmio_write32(p, (uint32_t)v);
    plat_mmio_write32(p + 4, (uint32_t)(v >> 32));
}

static int vpci_queue_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
    struct vpci *v = vpci_of(vdev);
    struct virtqueue_transport *t = vq_t(vq);
    volatile uint8_t *c = v->common;
    uint16_t max;
    uint64_t off;

    if (t->index >= plat_mmio_read16(c + VIRTIO_PCI_NUM_QUEUES))
        return -ENOENT;
    plat_mmio_write16(c + VIRTIO_PCI_QUEUE_SELECT, t->index);
    max = plat_mmio_read16(c + VIRTIO_PCI_QUEUE_SIZE);
    if (!max || !t->size || t->size > max)
        return -EINVAL;
    off = (uint64_t)plat_mmio_read16(c + VIRTIO_PCI_QUEUE_NOTIFY_OFF) * v->notify_mul;
    if (off + 2 > v->notify_len)
        return -EIO; /* the device points past its own notify structure */
    plat_mmio_write16(c + VIRTIO_PCI_QUEUE_SIZE, t->size);
    plat_mmio_write16(c + VIRTIO_PCI_QUEUE_MSIX_VECTOR, VIRTIO_PCI_NO_VECTOR);
    write64(c + VIRTIO_PCI_QUEUE_DESC, t->desc_addr);
    write64(c + VIRTIO_PCI_QUEUE_DRIVER, t->avail_addr);
    write64(c + VIRTIO_PCI_QUEUE_DEVICE, t->used_addr);
    t->notify_addr = v->notify + off;
    t->notify_data = t->index;
    t->notify = vpci_notify;
    t->transport_priv = v;
    plat_mmio_write16(c + VIRTIO_PCI_QUEUE_ENABLE, 1);
    return 0;
}

static const struct virtio_transport_ops vpci_ops = {
    .name = "pci",
    .reset = vpci_reset,
    .get_status = vpci_get_status,
    .set_status = vpci_set_status,
    .get_features = vpci_get_features,
    .set_features = vpci_set_features,
    .read_config = vpci_read_config,
    .write_config = vpci_write_config,
    .config_generation = vpci_config_generation,
    .queue_max_size = vpci_queue_max_size,
    .queue_enable = vpci_queue_enable,
};

/* --- the pci driver ---------------------------------------------------- */

/* The first structure of cfg_type that lies in an assigned memory BAR:
 * its address and length, and the capability's offset in *cap. */
static volatile uint8_t *find_cfg(struct pci_device *pdev, uint8_t type, uint32_t min_len,
                                  uint32_t *len, uint8_t *cap)
{
    uint8_t pos = 0;

    for (unsigned i = 0; i < VPCI_CAPS_MAX; i++) {
        uint32_t off, length;
        volatile void *p;
        uint8_t bar;

        pos = pci_find_cap(pdev, PCI_CAP_ID_VNDR, pos);
        if (!pos)
            break;
        if (pci_read8(pdev, pos + VIRTIO_PCI_CAP_LEN) < VPCI_CAP_MIN_LEN ||
            pci_read8(pdev, pos + VIRTIO_PCI_CAP_CFG_TYPE) != type)
            continue;
        bar = pci_read8(pdev, pos + VIRTIO_PCI_CAP_BAR);
        off = pci_read32(pdev, pos + VIRTIO_PCI_CAP_OFFSET);
        length = pci_read32(pdev, pos + VIRTIO_PCI_CAP_LENGTH);
        if (length < min_len)
            continue;
        p = pci_bar_map(pdev, bar, off, length);
        if (!p)
            continue; /* reserved BAR number, unassigned, or too small */
        *len = length;
        *cap = pos;
        return p;
    }
    return NULL;
}

/* The virtio device id of a 0x1af4 function, or 0 when it is not virtio. */
static uint32_t virtio_id(const struct pci_device *pdev)
{
    if (pdev->device >= VIRTIO_PCI_MODERN_BASE && pdev->device <= VPCI_MODERN_LAST)
        return pdev->device - VIRTIO_PCI_MODERN_BASE;
    if (pdev->device >= VIRTIO_PCI_TRANSITIONAL0 && pdev->device <= VIRTIO_PCI_TRANSITIONALN)
        return pdev->subsys_device;
    return 0;
}

/* MSI-X off and no vectors anywhere: nfos polls. */
static void vpci_no_interrupts(struct vpci *v)
{
    uint8_t msix = pci_find_cap(v->pdev, PCI_CAP_ID_MSIX, 0);

    if (msix) {
        uint16_t ctrl = pci_read16(v->pdev, msix + PCI_MSIX_CTRL);

        if (ctrl & PCI_MSIX_CTRL_ENA)
            pci_write16(v->pdev, msix + PCI_MSIX_CTRL, ctrl & ~PCI_MSIX_CTRL_ENA);
    }
    plat_mmio_write16(v->common + VIRTIO_PCI_CONFIG_MSIX_VECTOR, VIRTIO_PCI_NO_VECTOR);
}

static int vpci_probe(struct bus_device *bdev)
{
    struct pci_device *pdev = nfos_container_of(bdev, struct pci_device, dev);
    uint32_t id = virtio_id(pdev), len;
    uint8_t cap;
    struct vpci *v;
    int err;

    if (!id)
        return -ENODEV;
    if (vpci.n == CONFIG_LIBVIRTIO_PCI_MAX_DEVICES) {
        printf("virtio-pci: %.12s: more than %u devices (CONFIG_LIBVIRTIO_PCI_MAX_DEVICES)\n",
               bdev->name, CONFIG_LIBVIRTIO_PCI_MAX_DEVICES);
        return -ENOSPC;
    }
    v = &vpci.devs[vpci.n];
    memset(v, 0, sizeof(*v));
    v->pdev = pdev;
    v->common = find_cfg(pdev, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_CFG_LEN, &len, &cap);
    v->notify = find_cfg(pdev, VIRTIO_PCI_CAP_NOTIFY_CFG, 2, &v->notify_len, &cap);
    if (!v->common || !v->notify) {
        printf("virtio-pci: %.12s %04x:%04x: legacy-only (no usable virtio 1.x capabilities), "
               "not used\n",
               bdev->name, pdev->vendor, pdev->device);
        return -ENOTSUP;
    }
    v->notify_mul = pci_read32(pdev, cap + VIRTIO_PCI_CAP_NOTIFY_MUL);
    v->device = find_cfg(pdev, VIRTIO_PCI_CAP_DEVICE_CFG, 0, &v->device_len, &cap);
    /* The ISR structure exists too; a poll-mode driver never reads it. */
    pci_enable(pdev, false);
    vpci_no_interrupts(v);

    v->vdev.ops = &vpci_ops;
    v->vdev.bdev = bdev;
    v->vdev.transport_priv = v;
    v->vdev.device_id = id;
    snprintf(v->vdev.name, sizeof(v->vdev.name), "virtio-pci %.12s", bdev->name);
    vpci.n++;
    err = virtio_device_add(&v->vdev);
    if (err)
        vpci.n--; /* nobody keeps it: the slot is free again */
    return err;
}

static const struct pci_id vpci_ids[] = { { VIRTIO_PCI_VENDOR, PCI_ANY_ID }, { 0, 0 } };

static const struct bus_driver vpci_driver = {
    .name = "virtio-pci", .bus = "pci", .ids = vpci_ids, .probe = vpci_probe
};
BUS_DRIVER_REGISTER(vpci_driver);
