/* bus: the device model. A bus enumerates its devices once at boot
 * (bus_probe_all, called by the core between memory and main); every device
 * found is offered to the drivers registered for that bus, in link order,
 * and the first whose probe returns 0 owns it. With nfos.verbose=1 each
 * device and its outcome is listed on the console.
 *
 * Buses: "pci" (lib/pci, kvm), "virtio-mmio" (drivers/virtio-mmio, kvm), and "vdev"
 * here: virtual devices named on the command line, one per port,
 *
 *     netdev.dev=KIND[:ARG]     netdev1.dev=KIND[:ARG] ...
 *
 * e.g. netdev.dev=tap:tap0, netdev.dev=null (linuxu backends, the null
 * driver). A vdev nobody claims is a boot error (exit 2): the user asked
 * for it by name; a vdev driver whose probe fails prints the one line that
 * says why (the bus adds none).
 *
 * Registration is static, by linker section:
 *
 *     static const struct bus_driver tap_driver = { .name = "tap", .bus = "vdev",
 *                                                   .ids = "tap", .probe = tap_probe };
 *     BUS_DRIVER_REGISTER(tap_driver);
 */
#ifndef NFOS_BUS_H
#define NFOS_BUS_H

#include <stdbool.h>
#include <nfos/compiler.h>

struct bus;
struct bus_driver;

struct bus_device {
    const struct bus *bus;
    const struct bus_driver *driver; /* the driver that owns it, or NULL */
    char name[40];                   /* "0000:00:03.0", "vdev0 (tap:tap0)"... */
    void *priv;                      /* the driver's */
};

struct bus_driver {
    const char *name;
    const char *bus; /* the name of the bus it drives devices of */
    /* Bus-specific match table: pci: const struct pci_id[] ending with a
     * zero vendor; virtio-mmio: const uint32_t[] of device ids ending with
     * 0; vdev: the KIND string. */
    const void *ids;
    /* 0: bound. -ENODEV: not mine after all (next driver is tried). Any
     * other error: the device is left unbound and the error is listed. */
    int (*probe)(struct bus_device *dev);
};

struct bus {
    const char *name;
    /* Finds the devices and calls bus_device_add() on each; 0 or an error
     * that stops the boot (exit 2). Prints its own line on error. */
    int (*scan)(void);
    bool (*match)(const struct bus_driver *drv, const struct bus_device *dev);
};

#define BUS_REGISTER(b) \
    static const struct bus *const __nfos_bus_##b __nfos_used __nfos_section("nfos_buses") = &(b)
#define BUS_DRIVER_REGISTER(d)                                                       \
    static const struct bus_driver *const __nfos_drv_##d __nfos_used __nfos_section( \
        "nfos_drivers") = &(d)

/* Offers dev (dev->bus set, dev->name filled) to its bus's drivers.
 * Returns 0 when a driver took it, -ENODEV when none matched, or the
 * failing probe's error. Never prints unless verbose. */
int bus_device_add(struct bus_device *dev);

/* Scans every linked bus; 0, or the first scan error. Then reports, with
 * nfos.verbose, the count of devices and of bound ones. */
int bus_probe_all(void);

/* Counters since boot. */
struct bus_counts {
    unsigned devices, bound, failed;
};
void bus_counts(struct bus_counts *c);

/* The vdev bus: the KIND:ARG device of a vdev (ARG may be ""). */
struct vdev_device {
    struct bus_device dev;
    unsigned index; /* N of netdevN.dev=, 0 for netdev.dev= */
    char kind[16];
    const char *arg; /* after the colon, "" when none */
};

#endif /* NFOS_BUS_H */
