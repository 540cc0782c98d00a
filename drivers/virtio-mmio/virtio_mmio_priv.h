/* drivers/virtio-mmio internals shared by the bus and the transport. */
#ifndef NFOS_VIRTIO_MMIO_PRIV_H
#define NFOS_VIRTIO_MMIO_PRIV_H

#include <stdint.h>
#include <nfos/virtio_mmio.h>

#ifndef CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES
#define CONFIG_LIBVIRTIO_MMIO_MAX_DEVICES 8
#endif

/* QEMU microvm (hw/i386/microvm.h VIRTIO_MMIO_BASE; 24 transports with the
 * second IOAPIC, QEMU's default with ACPI, else 8). */
#define VMMIO_MICROVM_BASE  0xfeb00000ULL
#define VMMIO_MICROVM_SLOTS 24
#define VMMIO_MICROVM_SIZE  512

/* Parses Linux's SIZE@BASE:IRQ[:ID] (SIZE with K/M/G/T suffixes, numbers
 * in C notation). 0 or -EINVAL. */
int vmmio_parse(const char *s, uint64_t *base, uint64_t *size, uint32_t *irq);

/* Reads magic, version and ids of the transport at d->base: 0 when a
 * device is there, -ENODEV when no virtio-mmio transport answers, -ENOENT
 * for an empty transport (device id 0). */
int vmmio_identify(struct virtio_mmio_device *d);

#endif /* NFOS_VIRTIO_MMIO_PRIV_H */
