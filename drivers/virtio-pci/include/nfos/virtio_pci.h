/* virtio-pci: the modern virtio 1.x PCI transport (virtio 1.x, 4.1), kvm.
 *
 * A "pci" driver for vendor 0x1af4: modern devices 0x1040 + id (virtio-net
 * 0x1041) and transitional ones 0x1000-0x103f (virtio-net 0x1000, the id in
 * the subsystem device id). It finds the common, notify, ISR and device
 * configuration structures through the vendor-specific capabilities, builds
 * a struct virtio_dev and hands it to virtio_device_add(). A device without
 * them (legacy-only: QEMU's disable-modern=on) is reported and not used.
 *
 * No interrupts: MSI-X stays disabled and every vector reads NO_VECTOR;
 * INTx is turned off. A queue kick is one 16-bit store of the queue index to
 * notify_base + queue_notify_off * notify_off_multiplier.
 *
 * QEMU: -device virtio-net-pci,netdev=n0,disable-legacy=on,romfile=,vectors=0
 * on -M microvm,pcie=on or q35 (transitional devices, without
 * disable-legacy=on, work too). Nothing here is called by apps; the
 * constants below are the register layout, for tests and tools. */
#ifndef NFOS_VIRTIO_PCI_H
#define NFOS_VIRTIO_PCI_H

#define VIRTIO_PCI_VENDOR        0x1af4
#define VIRTIO_PCI_MODERN_BASE   0x1040 /* + virtio device id */
#define VIRTIO_PCI_TRANSITIONAL0 0x1000
#define VIRTIO_PCI_TRANSITIONALN 0x103f

/* struct virtio_pci_cap, after the generic id and next bytes */
#define VIRTIO_PCI_CAP_LEN        2
#define VIRTIO_PCI_CAP_CFG_TYPE   3
#define VIRTIO_PCI_CAP_BAR        4
#define VIRTIO_PCI_CAP_OFFSET     8
#define VIRTIO_PCI_CAP_LENGTH     12
#define VIRTIO_PCI_CAP_NOTIFY_MUL 16 /* notify capability only */

#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG    3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* struct virtio_pci_common_cfg */
#define VIRTIO_PCI_DEVICE_FEATURE_SELECT 0x00
#define VIRTIO_PCI_DEVICE_FEATURE        0x04
#define VIRTIO_PCI_DRIVER_FEATURE_SELECT 0x08
#define VIRTIO_PCI_DRIVER_FEATURE        0x0c
#define VIRTIO_PCI_CONFIG_MSIX_VECTOR    0x10
#define VIRTIO_PCI_NUM_QUEUES            0x12
#define VIRTIO_PCI_DEVICE_STATUS         0x14
#define VIRTIO_PCI_CONFIG_GENERATION     0x15
#define VIRTIO_PCI_QUEUE_SELECT          0x16
#define VIRTIO_PCI_QUEUE_SIZE            0x18
#define VIRTIO_PCI_QUEUE_MSIX_VECTOR     0x1a
#define VIRTIO_PCI_QUEUE_ENABLE          0x1c
#define VIRTIO_PCI_QUEUE_NOTIFY_OFF      0x1e
#define VIRTIO_PCI_QUEUE_DESC            0x20
#define VIRTIO_PCI_QUEUE_DRIVER          0x28
#define VIRTIO_PCI_QUEUE_DEVICE          0x30
#define VIRTIO_PCI_COMMON_CFG_LEN        0x38

#define VIRTIO_PCI_NO_VECTOR 0xffff

#endif /* NFOS_VIRTIO_PCI_H */
