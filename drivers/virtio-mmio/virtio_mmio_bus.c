/* The "virtio-mmio" bus: devices from virtio_mmio.device[N]= on the command
 * line and from QEMU microvm's fixed layout (nfos/virtio_mmio.h says when
 * each is used). It identifies each transport (magic, version, ids) and
 * offers it to the bus's drivers; it never resets or drives a device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/bus.h>
#include <nfos/compiler.h>
#include <nfos/core.h>
#include <nfos/plat/acpi.h>
#include <nfos/plat/mmio.h>
#include "virtio_mmio_priv.h"

#define VMMIO_KEYS         16 /* virtio_mmio.device=, device1= .. device15= */
#define FADT_OEM_ID        10
#define FADT_FLAGS         112
#define FADT_HW_REDUCED    (1u << 20)
#define MICROVM_RANGE_SIZE (VMMIO_MICROVM_SLOTS * VMMIO_MICROVM_SIZE)

static struct {
    struct virtio_mmio_device devs[CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES];
    unsigned n;
} vm;

static bool vmmio_match(const struct bus_driver *drv, const struct bus_device *dev)
{
    const struct virtio_mmio_device *d = nfos_container_of(dev, struct virtio_mmio_device, dev);

    for (const uint32_t *id = drv->ids; *id; id++)
        if (*id == VIRTIO_MMIO_ANY_ID || *id == d->device_id)
            return true;
    return false;
}

static int vmmio_scan(void);

static const struct bus vmmio_bus = { .name = "virtio-mmio",
                                      .scan = vmmio_scan,
                                      .match = vmmio_match };
BUS_REGISTER(vmmio_bus);

static uint64_t memparse(const char *s, char **end)
{
    uint64_t v = strtoull(s, end, 0);
    unsigned shift = 0;

    switch (**end) {
    case 'T':
    case 't':
        shift += 10; /* fall through */
    case 'G':
    case 'g':
        shift += 10; /* fall through */
    case 'M':
    case 'm':
        shift += 10; /* fall through */
    case 'K':
    case 'k':
        shift += 10;
        (*end)++;
    }
    return v << shift;
}

int vmmio_parse(const char *s, uint64_t *base, uint64_t *size, uint32_t *irq)
{
    char *end;
    uint64_t v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    *size = memparse(s, &end);
    if (*end != '@' || !*size || end[1] < '0' || end[1] > '9')
        return -EINVAL;
    *base = strtoull(end + 1, &end, 0);
    if (*end != ':' || end[1] < '0' || end[1] > '9')
        return -EINVAL;
    v = strtoull(end + 1, &end, 0);
    if (v > UINT32_MAX)
        return -EINVAL;
    *irq = (uint32_t)v;
    if (*end == ':' && end[1] >= '0' && end[1] <= '9')
        strtoull(end + 1, &end, 0); /* Linux's optional platform device id */
    if (*end || *base + *size < *base)
        return -EINVAL;
    return 0;
}

int vmmio_identify(struct virtio_mmio_device *d)
{
    volatile uint8_t *r = (volatile uint8_t *)(uintptr_t)d->base;

    if (d->size < VIRTIO_MMIO_CONFIG || plat_mmio_map(d->base, d->size))
        return -ENODEV;
    if (plat_mmio_read32(r + VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC)
        return -ENODEV;
    d->version = plat_mmio_read32(r + VIRTIO_MMIO_VERSION);
    d->device_id = plat_mmio_read32(r + VIRTIO_MMIO_DEVICE_ID);
    d->vendor_id = plat_mmio_read32(r + VIRTIO_MMIO_VENDOR_ID);
    return d->device_id ? 0 : -ENOENT;
}

/* QEMU's microvm with ACPI: a hardware-reduced FADT built by QEMU. */
static bool is_qemu_microvm(void)
{
    const uint8_t *fadt = plat_acpi_table("FACP");
    uint32_t len, flags;

    if (!fadt)
        return false;
    memcpy(&len, fadt + 4, 4);
    if (len < FADT_FLAGS + 4 || memcmp(fadt + FADT_OEM_ID, "BOCHS ", 6))
        return false;
    memcpy(&flags, fadt + FADT_FLAGS, 4);
    return flags & FADT_HW_REDUCED;
}

static struct virtio_mmio_device *known(uint64_t base)
{
    for (unsigned i = 0; i < vm.n; i++)
        if (vm.devs[i].base == base)
            return &vm.devs[i];
    return NULL;
}

/* Identifies the transport at base and offers its device to the drivers.
 * 0 (also for an empty or absent one), or why a transport the command line
 * named is unusable. */
static int vmmio_add(uint64_t base, uint64_t size, uint32_t irq, bool named)
{
    struct virtio_mmio_device *d;
    int err;

    if (known(base))
        return 0;
    if (vm.n == CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES) {
        printf("virtio-mmio: more than %u devices (CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES): "
               "0x%llx ignored\n",
               CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES, (unsigned long long)base);
        return 0;
    }
    d = &vm.devs[vm.n];
    memset(d, 0, sizeof(*d));
    d->base = base;
    d->size = size;
    d->irq = irq;
    err = vmmio_identify(d);
    if (err)
        return named ? err : 0;
    vm.n++;
    d->dev.bus = &vmmio_bus;
    snprintf(d->dev.name, sizeof(d->dev.name), "virtio-mmio@0x%llx", (unsigned long long)base);
    bus_device_add(&d->dev);
    return 0;
}

static int vmmio_scan(void)
{
    struct {
        uint64_t base, size;
        uint32_t irq;
        unsigned key;
        const char *val;
    } named[VMMIO_KEYS];
    unsigned nnamed = 0, i;
    bool microvm;
    char key[32];

    for (i = 0; i < VMMIO_KEYS; i++) {
        snprintf(key, sizeof(key), i ? "virtio_mmio.device%u" : "virtio_mmio.device", i);
        named[nnamed].val = core_param(key);
        if (!named[nnamed].val)
            continue;
        named[nnamed].key = i;
        if (vmmio_parse(named[nnamed].val, &named[nnamed].base, &named[nnamed].size,
                        &named[nnamed].irq)) {
            fprintf(stderr, "virtio-mmio: %s=%s: expected SIZE@BASE:IRQ, e.g. 512@0xfeb00000:5\n",
                    key, named[nnamed].val);
            return -EINVAL;
        }
        nnamed++;
    }

    /* microvm: every transport, highest first (QEMU fills them downwards). */
    microvm = is_qemu_microvm();
    for (i = 0; i < nnamed; i++)
        if (named[i].base >= VMMIO_MICROVM_BASE &&
            named[i].base < VMMIO_MICROVM_BASE + MICROVM_RANGE_SIZE)
            microvm = true;
    if (microvm)
        for (i = VMMIO_MICROVM_SLOTS; i-- > 0;)
            vmmio_add(VMMIO_MICROVM_BASE + i * VMMIO_MICROVM_SIZE, VMMIO_MICROVM_SIZE, 0, false);

    for (i = 0; i < nnamed; i++) {
        struct virtio_mmio_device *d = known(named[i].base);
        int err = d ? 0 : vmmio_add(named[i].base, named[i].size, named[i].irq, true);

        if (d)
            d->irq = named[i].irq;
        if (err) {
            snprintf(key, sizeof(key), named[i].key ? "virtio_mmio.device%u" : "virtio_mmio.device",
                     named[i].key);
            fprintf(stderr, "virtio-mmio: %s=%s: %s at 0x%llx\n", key, named[i].val,
                    err == -ENOENT ? "empty transport (device id 0)" : "no virtio-mmio device",
                    (unsigned long long)named[i].base);
            return -ENODEV;
        }
    }
    if (core_verbose() && (microvm || nnamed))
        printf("virtio-mmio: %u device(s) (%s%s)\n", vm.n, nnamed ? "command line" : "",
               microvm ? (nnamed ? ", QEMU microvm layout" : "QEMU microvm layout") : "");
    return 0;
}
