/* The vdev bus: devices named on the command line, netdev.dev=KIND[:ARG]
 * for port 0 and netdevN.dev= for port N (N from 1 to VDEV_MAX - 1). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/core.h>

#define VDEV_MAX 8

static struct vdev_device vdevs[VDEV_MAX];

static bool vdev_match(const struct bus_driver *drv, const struct bus_device *dev)
{
    const struct vdev_device *v = nfos_container_of(dev, struct vdev_device, dev);

    return strcmp((const char *)drv->ids, v->kind) == 0;
}

static int vdev_scan(void);

static const struct bus vdev_bus = { .name = "vdev", .scan = vdev_scan, .match = vdev_match };
BUS_REGISTER(vdev_bus);

static int vdev_scan(void)
{
    unsigned i;

    for (i = 0; i < VDEV_MAX; i++) {
        struct vdev_device *v = &vdevs[i];
        const char *spec, *colon;
        char key[24];
        size_t kind_len;
        int err;

        if (i == 0)
            snprintf(key, sizeof(key), "netdev.dev");
        else
            snprintf(key, sizeof(key), "netdev%u.dev", i);
        spec = core_param(key);
        if (!spec)
            continue;
        colon = strchr(spec, ':');
        kind_len = colon ? (size_t)(colon - spec) : strlen(spec);
        if (kind_len == 0 || kind_len >= sizeof(v->kind)) {
            fprintf(stderr, "vdev: %s=%s: expected KIND[:ARG], e.g. tap:tap0 or null\n", key, spec);
            return -EINVAL;
        }
        memcpy(v->kind, spec, kind_len);
        v->kind[kind_len] = '\0';
        v->arg = colon ? colon + 1 : "";
        v->index = i;
        v->dev.bus = &vdev_bus;
        snprintf(v->dev.name, sizeof(v->dev.name), "vdev%u (%s)", i, spec);
        err = bus_device_add(&v->dev);
        if (err == -ENODEV) {
            fprintf(stderr, "vdev: %s=%s: no driver for '%s' in this image\n", key, spec, v->kind);
            return -ENODEV;
        }
        if (err) /* the driver said why, in its one line */
            return err;
    }
    return 0;
}
