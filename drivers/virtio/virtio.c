/* The virtio device handshake: reset, acknowledge, the driver registry,
 * logged feature negotiation, DRIVER_OK and FAILED, config reads. Rings are
 * in virtqueue.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/virtio_transport.h>

/* The linker defines these around the section; weak: an image may link the
 * core with no virtio driver, and then both ends are NULL. */
extern const struct virtio_driver *const __start_nfos_virtio_drivers[] __attribute__((weak));
extern const struct virtio_driver *const __stop_nfos_virtio_drivers[] __attribute__((weak));

static const char *const common_names[64] = {
    [VIRTIO_F_NOTIFY_ON_EMPTY] = "NOTIFY_ON_EMPTY",
    [VIRTIO_F_ANY_LAYOUT] = "ANY_LAYOUT",
    [VIRTIO_F_RING_INDIRECT_DESC] = "RING_INDIRECT_DESC",
    [VIRTIO_F_RING_EVENT_IDX] = "RING_EVENT_IDX",
    [VIRTIO_F_VERSION_1] = "VERSION_1",
    [VIRTIO_F_ACCESS_PLATFORM] = "ACCESS_PLATFORM",
    [VIRTIO_F_RING_PACKED] = "RING_PACKED",
    [VIRTIO_F_IN_ORDER] = "IN_ORDER",
    [36] = "ORDER_PLATFORM",
    [37] = "SR_IOV",
    [38] = "NOTIFICATION_DATA",
    [39] = "NOTIF_CONFIG_DATA",
    [40] = "RING_RESET",
};

static void set_status_bits(struct virtio_dev *vdev, uint8_t bits)
{
    vdev->ops->set_status(vdev, (uint8_t)(vdev->ops->get_status(vdev) | bits));
}

void virtio_fail(struct virtio_dev *vdev)
{
    set_status_bits(vdev, VIRTIO_STATUS_FAILED);
}

int virtio_device_add(struct virtio_dev *vdev)
{
    const struct virtio_driver *const *d;
    int err;

    if ((err = vdev->ops->reset(vdev)))
        return err;
    set_status_bits(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
    for (d = __start_nfos_virtio_drivers; d < __stop_nfos_virtio_drivers; d++) {
        if ((*d)->device_id != vdev->device_id)
            continue;
        vdev->driver = *d;
        err = (*d)->probe(vdev);
        if (err == -ENODEV)
            continue;
        if (err)
            virtio_fail(vdev);
        else if (core_verbose())
            printf("virtio: %s: bound to %s\n", vdev->name, (*d)->name);
        return err;
    }
    vdev->driver = NULL;
    if (core_verbose())
        printf("virtio: %s: no driver for device id %u\n", vdev->name, vdev->device_id);
    vdev->ops->reset(vdev);
    return -ENODEV;
}

static const char *feature_name(const struct virtio_dev *vdev, unsigned bit)
{
    const char *const *dev_names = vdev->driver ? vdev->driver->feature_names : NULL;

    if (common_names[bit])
        return common_names[bit];
    return dev_names ? dev_names[bit] : NULL;
}

/* "what: NAME NAME bit41 ..." in lines of at most 100 columns. */
static void log_features(const struct virtio_dev *vdev, const char *what, uint64_t f)
{
    char line[100];
    unsigned bit;
    int n;

    n = snprintf(line, sizeof(line), "virtio: %s: %s:", vdev->name, what);
    for (bit = 0; bit < 64; bit++) {
        const char *name = feature_name(vdev, bit);
        char num[8];

        if (!((f >> bit) & 1))
            continue;
        if (!name) {
            snprintf(num, sizeof(num), "bit%u", bit);
            name = num;
        }
        if (n + 1 + (int)strlen(name) >= (int)sizeof(line)) {
            printf("%s\n", line);
            n = snprintf(line, sizeof(line), "  ");
        }
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s", name);
    }
    printf("%s%s\n", line, f ? "" : " (none)");
}

int virtio_negotiate(struct virtio_dev *vdev, uint64_t wanted)
{
    uint64_t offered, accepted;

    set_status_bits(vdev, VIRTIO_STATUS_DRIVER);
    offered = vdev->ops->get_features(vdev);
    wanted |= 1ULL << VIRTIO_F_VERSION_1;
    accepted = offered & wanted;
    if (core_verbose()) {
        log_features(vdev, "features offered", offered);
        log_features(vdev, "features wanted", wanted);
        log_features(vdev, "features accepted", accepted);
    }
    if (!(offered & (1ULL << VIRTIO_F_VERSION_1))) {
        fprintf(stderr, "virtio: %s: legacy-only device (no VERSION_1), not supported\n",
                vdev->name);
        virtio_fail(vdev);
        return -ENOTSUP;
    }
    /* A transport that could not pass the features on says why itself. */
    if (vdev->ops->set_features(vdev, accepted))
        goto err_fail;
    set_status_bits(vdev, VIRTIO_STATUS_FEATURES_OK);
    if (!(vdev->ops->get_status(vdev) & VIRTIO_STATUS_FEATURES_OK)) {
        fprintf(stderr, "virtio: %s: device refused features %#llx\n", vdev->name,
                (unsigned long long)accepted);
        goto err_fail;
    }
    vdev->features = accepted;
    return 0;

err_fail:
    virtio_fail(vdev);
    return -EIO;
}

uint64_t virtio_features_offered(struct virtio_dev *vdev)
{
    return vdev->ops->get_features(vdev);
}

int virtio_driver_ok(struct virtio_dev *vdev)
{
    int err = 0;

    set_status_bits(vdev, VIRTIO_STATUS_DRIVER_OK);
    if (vdev->ops->driver_ok)
        err = vdev->ops->driver_ok(vdev);
    if (err)
        virtio_fail(vdev);
    return err;
}

int virtio_config_read(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
    uint32_t gen;
    unsigned tries = 0;

    do {
        unsigned done = 0;

        /* A device whose generation never settles is broken: give up
         * rather than spin at boot (or in a link query) for ever. */
        if (tries++ == VIRTIO_CONFIG_TRIES) {
            fprintf(stderr,
                    "virtio: %s: config generation still changing after %u reads, giving up\n",
                    vdev->name, VIRTIO_CONFIG_TRIES);
            memset(buf, 0, len);
            return -EIO;
        }
        gen = vdev->ops->config_generation(vdev);
        while (done < len) {
            unsigned at = off + done, piece = 8;

            /* The largest naturally aligned piece that fits. */
            while (piece > 1 && (at % piece || piece > len - done))
                piece >>= 1;
            vdev->ops->read_config(vdev, at, (uint8_t *)buf + done, piece);
            done += piece;
        }
    } while (gen != vdev->ops->config_generation(vdev));
    return 0;
}

uint16_t virtio_queue_max_size(struct virtio_dev *vdev, uint16_t idx)
{
    return vdev->ops->queue_max_size(vdev, idx);
}

int virtio_queue_wait_fd(struct virtio_dev *vdev, uint16_t idx)
{
    return vdev->ops->queue_wait_fd ? vdev->ops->queue_wait_fd(vdev, idx) : -1;
}
