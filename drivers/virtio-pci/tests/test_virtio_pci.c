/* drivers/virtio-pci against a fake function: a 256-byte config space (through
 * lib/pci's accessors) whose vendor capabilities point into a host buffer
 * standing in for BAR 4. The buffer is plain memory, so it shows what the
 * transport wrote where; it does not act like a device. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "../virtio_pci.c"
#include "pci_priv.h"

/* --- the fake function ------------------------------------------------- */

static uint8_t cfg[256];
static uint8_t bar4[0x4000] __attribute__((aligned(4096)));
static struct pci_device pdev;

static uint32_t cfg_read(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width)
{
    uint32_t v = 0;

    memcpy(&v, cfg + off, width);
    return v;
}

static void cfg_write(uint16_t seg, uint8_t bus, uint8_t devfn, uint16_t off, unsigned width,
                      uint32_t v)
{
    memcpy(cfg + off, &v, width);
}

static const struct pci_cfg_ops cfg_ops = { .name = "fake", .read = cfg_read, .write = cfg_write };

int plat_mmio_map(uint64_t addr, uint64_t len)
{
    return 0;
}

/* A virtio capability at pos of cfg_type in BAR bar. */
static void vcap(uint8_t pos, uint8_t next, uint8_t type, uint8_t bar, uint32_t off, uint32_t len)
{
    cfg[PCI_STATUS] |= PCI_STATUS_CAPS;
    if (!cfg[PCI_CAP_PTR])
        cfg[PCI_CAP_PTR] = pos;
    cfg[pos] = PCI_CAP_ID_VNDR;
    cfg[pos + 1] = next;
    cfg[pos + VIRTIO_PCI_CAP_LEN] = type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
    cfg[pos + VIRTIO_PCI_CAP_CFG_TYPE] = type;
    cfg[pos + VIRTIO_PCI_CAP_BAR] = bar;
    memcpy(cfg + pos + VIRTIO_PCI_CAP_OFFSET, &off, 4);
    memcpy(cfg + pos + VIRTIO_PCI_CAP_LENGTH, &len, 4);
}

#define COMMON 0x0000
#define ISR    0x1000
#define DEVCFG 0x2000
#define NOTIFY 0x3000

/* QEMU's layout: four structures in BAR 4, then MSI-X (enabled, to see it
 * turned off). */
static void modern_device(uint16_t device)
{
    uint32_t mul = 4;

    pdev.vendor = VIRTIO_PCI_VENDOR;
    pdev.device = device;
    pdev.slot = 1;
    snprintf(pdev.dev.name, sizeof(pdev.dev.name), "0000:00:01.0 1af4:%04x", device);
    pdev.bar[4] = (struct pci_bar){ .addr = (uintptr_t)bar4, .size = sizeof(bar4), .is64 = true };
    vcap(0x40, 0x50, VIRTIO_PCI_CAP_COMMON_CFG, 4, COMMON, 0x1000);
    vcap(0x50, 0x60, VIRTIO_PCI_CAP_ISR_CFG, 4, ISR, 0x1000);
    vcap(0x60, 0x70, VIRTIO_PCI_CAP_DEVICE_CFG, 4, DEVCFG, 0x1000);
    vcap(0x70, 0x84, VIRTIO_PCI_CAP_NOTIFY_CFG, 4, NOTIFY, 0x1000);
    memcpy(cfg + 0x70 + VIRTIO_PCI_CAP_NOTIFY_MUL, &mul, 4);
    cfg[0x84] = PCI_CAP_ID_MSIX;
    cfg[0x85] = 0;
    cfg[0x84 + PCI_MSIX_CTRL + 1] = PCI_MSIX_CTRL_ENA >> 8;
}

static uint16_t bar16(unsigned off)
{
    uint16_t v;

    memcpy(&v, bar4 + off, 2);
    return v;
}

static void set_bar16(unsigned off, uint16_t v)
{
    memcpy(bar4 + off, &v, 2);
}

/* --- virtio_device_add, as the core would be called -------------------- */

static struct virtio_dev *added;
static int add_result;

int virtio_device_add(struct virtio_dev *vdev)
{
    added = vdev;
    return add_result;
}

static void setup(void)
{
    memset(cfg, 0, sizeof(cfg));
    memset(bar4, 0, sizeof(bar4));
    memset(&pdev, 0, sizeof(pdev));
    memset(&vpci, 0, sizeof(vpci));
    added = NULL;
    add_result = 0;
    pci_cfg_set(&cfg_ops);
}

TestSuite(virtio_pci, .init = setup);

/* --- probe ------------------------------------------------------------- */

Test(virtio_pci, modern_device_is_handed_to_the_core)
{
    modern_device(0x1041);
    bar4[COMMON + VIRTIO_PCI_DEVICE_STATUS] = 0;
    cr_assert_eq(vpci_probe(&pdev.dev), 0);
    cr_assert_not_null(added);
    cr_expect_eq(added->device_id, VIRTIO_ID_NET);
    cr_expect_str_eq(added->name, "virtio-pci 0000:00:01.0");
    cr_expect_eq(added->bdev, &pdev.dev);
    cr_expect_str_eq(added->ops->name, "pci");
    cr_expect_eq(cfg[PCI_COMMAND] & (PCI_CMD_MEM | PCI_CMD_MASTER), PCI_CMD_MEM | PCI_CMD_MASTER);
    cr_expect(cfg[PCI_COMMAND + 1] & (PCI_CMD_INTX_OFF >> 8), "INTx off");
    cr_expect_eq(cfg[0x84 + PCI_MSIX_CTRL + 1] & (PCI_MSIX_CTRL_ENA >> 8), 0, "MSI-X off");
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_CONFIG_MSIX_VECTOR), VIRTIO_PCI_NO_VECTOR);
    cr_expect_eq(vpci.n, 1);
}

Test(virtio_pci, transitional_id_from_the_subsystem)
{
    modern_device(0x1000);
    pdev.subsys_device = VIRTIO_ID_NET;
    cr_assert_eq(vpci_probe(&pdev.dev), 0);
    cr_expect_eq(added->device_id, VIRTIO_ID_NET);
}

Test(virtio_pci, not_virtio)
{
    modern_device(0x1110); /* ivshmem */
    cr_expect_eq(vpci_probe(&pdev.dev), -ENODEV);
    cr_expect_null(added);
}

Test(virtio_pci, legacy_only_is_refused)
{
    pdev.vendor = VIRTIO_PCI_VENDOR;
    pdev.device = 0x1000;
    pdev.subsys_device = VIRTIO_ID_NET;
    pdev.bar[0] = (struct pci_bar){ .addr = 0xc040, .size = 0x20, .io = true };
    cr_expect_eq(vpci_probe(&pdev.dev), -ENOTSUP);
    cr_expect_null(added);
}

Test(virtio_pci, structures_in_an_unassigned_bar_are_unusable)
{
    modern_device(0x1041);
    pdev.bar[4].addr = 0;
    cr_expect_eq(vpci_probe(&pdev.dev), -ENOTSUP);
}

Test(virtio_pci, no_driver_frees_the_slot)
{
    modern_device(0x1041);
    add_result = -ENODEV;
    cr_expect_eq(vpci_probe(&pdev.dev), -ENODEV);
    cr_expect_eq(vpci.n, 0);
}

/* --- transport ops ----------------------------------------------------- */

static struct virtio_dev *probed(void)
{
    modern_device(0x1041);
    cr_assert_eq(vpci_probe(&pdev.dev), 0);
    return added;
}

Test(virtio_pci, queue_enable_programs_the_queue)
{
    struct virtio_dev *vdev = probed();
    struct virtqueue vq = { .t = { .index = 1, .size = 128 } };

    vq.t.desc_addr = 0x123456789000ULL;
    vq.t.avail_addr = 0x12345678a000ULL;
    vq.t.used_addr = 0x12345678b000ULL;
    set_bar16(COMMON + VIRTIO_PCI_NUM_QUEUES, 2);
    set_bar16(COMMON + VIRTIO_PCI_QUEUE_SIZE, 256);
    set_bar16(COMMON + VIRTIO_PCI_QUEUE_NOTIFY_OFF, 3);
    cr_assert_eq(vdev->ops->queue_enable(vdev, &vq), 0);

    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_SELECT), 1);
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_SIZE), 128);
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_MSIX_VECTOR), VIRTIO_PCI_NO_VECTOR);
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_ENABLE), 1);
    cr_expect_eq(*(uint64_t *)(bar4 + COMMON + VIRTIO_PCI_QUEUE_DESC), vq.t.desc_addr);
    cr_expect_eq(*(uint64_t *)(bar4 + COMMON + VIRTIO_PCI_QUEUE_DRIVER), vq.t.avail_addr);
    cr_expect_eq(*(uint64_t *)(bar4 + COMMON + VIRTIO_PCI_QUEUE_DEVICE), vq.t.used_addr);

    /* notify_base + queue_notify_off * notify_off_multiplier */
    cr_expect_eq((uintptr_t)vq.t.notify_addr, (uintptr_t)bar4 + NOTIFY + 3 * 4);
    cr_assert_not_null(vq.t.notify);
    set_bar16(NOTIFY + 12, 0xdead);
    vq.t.notify(&vq);
    cr_expect_eq(bar16(NOTIFY + 12), 1, "the kick writes the queue index");
}

Test(virtio_pci, queue_enable_refuses_bad_requests)
{
    struct virtio_dev *vdev = probed();
    struct virtqueue vq = { .t = { .index = 0, .size = 512 } };

    set_bar16(COMMON + VIRTIO_PCI_NUM_QUEUES, 2);
    set_bar16(COMMON + VIRTIO_PCI_QUEUE_SIZE, 256);
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -EINVAL, "too big");
    vq.t.size = 256;
    vq.t.index = 2;
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -ENOENT, "no queue 2");
    vq.t.index = 0;
    set_bar16(COMMON + VIRTIO_PCI_QUEUE_NOTIFY_OFF, 0x400); /* * 4 = past 0x1000 */
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -EIO);
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_ENABLE), 0, "nothing enabled");
}

Test(virtio_pci, queue_max_size)
{
    struct virtio_dev *vdev = probed();

    set_bar16(COMMON + VIRTIO_PCI_NUM_QUEUES, 3);
    set_bar16(COMMON + VIRTIO_PCI_QUEUE_SIZE, 1024);
    cr_expect_eq(vdev->ops->queue_max_size(vdev, 2), 1024);
    cr_expect_eq(bar16(COMMON + VIRTIO_PCI_QUEUE_SELECT), 2);
    cr_expect_eq(vdev->ops->queue_max_size(vdev, 3), 0);
}

Test(virtio_pci, device_config_reads_and_writes)
{
    struct virtio_dev *vdev = probed();
    uint8_t mac[6], b;
    uint16_t h;
    uint64_t q, big = 0x1122334455667788ULL;

    memcpy(bar4 + DEVCFG, "\x52\x54\x00\x12\x34\x56\x01\x00", 8);
    for (unsigned i = 0; i < 6; i++)
        vdev->ops->read_config(vdev, i, &mac[i], 1);
    cr_expect_arr_eq(mac, "\x52\x54\x00\x12\x34\x56", 6);
    vdev->ops->read_config(vdev, 6, &h, 2);
    cr_expect_eq(h, 1);
    memcpy(bar4 + DEVCFG + 8, &big, 8);
    vdev->ops->read_config(vdev, 8, &q, 8);
    cr_expect_eq(q, big);
    vdev->ops->read_config(vdev, 0x1000, &b, 1);
    cr_expect_eq(b, 0xff, "past the structure");
    h = 9000;
    vdev->ops->write_config(vdev, 10, &h, 2);
    cr_expect_eq(bar16(DEVCFG + 10), 9000);
}

Test(virtio_pci, status_features_generation)
{
    struct virtio_dev *vdev = probed();

    vdev->ops->set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE);
    cr_expect_eq(bar4[COMMON + VIRTIO_PCI_DEVICE_STATUS], VIRTIO_STATUS_ACKNOWLEDGE);
    cr_expect_eq(vdev->ops->get_status(vdev), VIRTIO_STATUS_ACKNOWLEDGE);
    cr_expect_eq(vdev->ops->reset(vdev), 0);
    cr_expect_eq(bar4[COMMON + VIRTIO_PCI_DEVICE_STATUS], 0);
    vdev->ops->set_features(vdev, 0x0000000130000020ULL);
    /* Plain memory keeps the last write: the high word, select 1. */
    cr_expect_eq(*(uint32_t *)(bar4 + COMMON + VIRTIO_PCI_DRIVER_FEATURE_SELECT), 1);
    cr_expect_eq(*(uint32_t *)(bar4 + COMMON + VIRTIO_PCI_DRIVER_FEATURE), 1);
    bar4[COMMON + VIRTIO_PCI_CONFIG_GENERATION] = 7;
    cr_expect_eq(vdev->ops->config_generation(vdev), 7);
}
