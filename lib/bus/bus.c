/* The device model: buses and drivers from linker sections, probed once. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/core.h>

/* The linker defines these around each section; weak: an image may link no
 * driver at all, and then both ends are NULL. */
extern const struct bus *const __start_nfos_buses[] __attribute__((weak));
extern const struct bus *const __stop_nfos_buses[] __attribute__((weak));
extern const struct bus_driver *const __start_nfos_drivers[] __attribute__((weak));
extern const struct bus_driver *const __stop_nfos_drivers[] __attribute__((weak));

static struct bus_counts counts;

int bus_device_add(struct bus_device *dev)
{
    const struct bus_driver *const *d;
    int err = -ENODEV;

    counts.devices++;
    for (d = __start_nfos_drivers; d < __stop_nfos_drivers; d++) {
        if (strcmp((*d)->bus, dev->bus->name) || !dev->bus->match(*d, dev))
            continue;
        err = (*d)->probe(dev);
        if (err == -ENODEV)
            continue;
        if (!err)
            dev->driver = *d;
        break;
    }
    if (!err)
        counts.bound++;
    else if (err != -ENODEV)
        counts.failed++;
    if (core_verbose()) {
        if (!err)
            printf("bus: %s %s: %s\n", dev->bus->name, dev->name, dev->driver->name);
        else if (err == -ENODEV)
            printf("bus: %s %s: no driver\n", dev->bus->name, dev->name);
        else
            printf("bus: %s %s: %s probe failed: %s\n", dev->bus->name, dev->name, (*d)->name,
                   strerror(-err));
    }
    return err;
}

int bus_probe_all(void)
{
    const struct bus *const *b;
    int err;

    for (b = __start_nfos_buses; b < __stop_nfos_buses; b++)
        if ((err = (*b)->scan()))
            return err;
    if (core_verbose())
        printf("bus: %u device(s), %u bound, %u failed\n", counts.devices, counts.bound,
               counts.failed);
    return 0;
}

void bus_counts(struct bus_counts *c)
{
    *c = counts;
}
