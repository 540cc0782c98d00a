/* virtio-mmio: the "virtio-mmio" bus and the modern virtio 1.x MMIO
 * transport (virtio 1.x, 4.2), kvm.
 *
 * Devices come from
 *   - the kernel command line, as Linux reads it:
 *         virtio_mmio.device=SIZE@BASE:IRQ[:ID]   (SIZE with K/M/G; BASE hex)
 *     Only the last occurrence of a key is visible (lib/core), so a second
 *     and further devices are named virtio_mmio.device1=, device2= ... A
 *     device named there that is missing or malformed stops the boot;
 *   - QEMU microvm's fixed layout: 24 transports of 512 bytes from
 *     0xfeb00000 (8 with ioapic2=off or acpi=off), probed from the highest
 *     down because QEMU fills them from the highest, so that ports come in
 *     the order of the -device options. Probed when the machine is microvm:
 *     a hardware-reduced ACPI FADT from QEMU ("BOCHS "), or a command-line
 *     device inside that range (QEMU adds virtio_mmio.device= itself only
 *     with acpi=off, one key per device, of which nfos sees the last).
 * Empty transports (device id 0) are skipped. Version 1 (legacy) devices
 * are reported and not used: QEMU's virtio-mmio is legacy unless started
 * with -global virtio-mmio.force-legacy=false.
 *
 * Each device found is offered to the bus's drivers; the transport here is
 * one (it takes every device id) and hands the device to the virtio core.
 * A kick is one 32-bit store of the queue index to QueueNotify. No
 * interrupts are used. */
#ifndef NFOS_VIRTIO_MMIO_H
#define NFOS_VIRTIO_MMIO_H

#include <stdint.h>
#include <nfos/bus.h>

/* In a virtio-mmio bus_driver's ids table: matches every device id. */
#define VIRTIO_MMIO_ANY_ID 0xffffffffu

struct virtio_mmio_device {
    struct bus_device dev; /* name: "virtio-mmio@0xfeb02e00" */
    uint64_t base, size;
    uint32_t irq;     /* as given on the command line (unused: nfos polls) */
    uint32_t version; /* 2: modern; 1: legacy */
    uint32_t device_id, vendor_id;
};

/* Register layout (virtio 1.x, 4.2.2), for tests and tools. */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_MMIO_MAGIC 0x74726976 /* "virt" */

#endif /* NFOS_VIRTIO_MMIO_H */
