/* drivers/virtio-mmio: the command-line parser, transport identification and
 * the transport ops against a register file in host memory (plain memory:
 * it shows what was written where, it does not act like a device). */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "../virtio_mmio.c"

static uint32_t regs[0x200 / 4] __attribute__((aligned(4096)));
static struct virtio_mmio_device mdev;

int plat_mmio_map(uint64_t addr, uint64_t len)
{
    return 0;
}

/* What else virtio_mmio_bus.c needs besides the two functions tested here
 * (core_param and core_verbose: tests/host/fakes.c). */
const void *plat_acpi_table(const char *sig)
{
    return NULL;
}

int bus_device_add(struct bus_device *dev)
{
    return -ENODEV;
}

static struct virtio_dev *added;
static int add_result;

int virtio_device_add(struct virtio_dev *vdev)
{
    added = vdev;
    return add_result;
}

static void reg_set(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

static uint32_t reg(unsigned off)
{
    return regs[off / 4];
}

static void setup(void)
{
    memset(regs, 0, sizeof(regs));
    memset(&mdev, 0, sizeof(mdev));
    memset(&vmmio, 0, sizeof(vmmio));
    added = NULL;
    add_result = 0;
    mdev.base = (uintptr_t)regs;
    mdev.size = sizeof(regs);
    strcpy(mdev.dev.name, "virtio-mmio@0xfeb02e00");
    reg_set(VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    reg_set(VIRTIO_MMIO_VERSION, 2);
    reg_set(VIRTIO_MMIO_DEVICE_ID, 1);
    reg_set(VIRTIO_MMIO_VENDOR_ID, 0x554d4551); /* "QEMU" */
}

TestSuite(virtio_mmio, .init = setup);

/* --- virtio_mmio.device= ----------------------------------------------- */

Test(virtio_mmio, parse_linux_syntax)
{
    uint64_t base, size;
    uint32_t irq;

    cr_assert_eq(vmmio_parse("512@0xfeb00e00:12", &base, &size, &irq), 0);
    cr_expect(base == 0xfeb00e00 && size == 512 && irq == 12);
    cr_assert_eq(vmmio_parse("4K@0xd0000000:5:3", &base, &size, &irq), 0, "with a device id");
    cr_expect(base == 0xd0000000 && size == 4096 && irq == 5);
    cr_assert_eq(vmmio_parse("0x200@4272947200:7", &base, &size, &irq), 0);
    cr_expect(base == 0xfeb00000 && size == 0x200 && irq == 7);
    cr_assert_eq(vmmio_parse("1M@0x100000000:40", &base, &size, &irq), 0);
    cr_expect(base == 0x100000000ULL && size == 1 << 20);
}

Test(virtio_mmio, parse_refuses_malformed)
{
    static const char *const bad[] = {
        "",
        "512",
        "512@",
        "512@0xfeb00000",
        "512@0xfeb00000:",
        "@0x1000:1",
        "0@0x1000:1",
        "512@zz:1",
        "512@0x1000:x",
        "512@0x1000:1 junk",
        "512@0x1000:1:",
        "x512@0x1000:1",
        "512@0x1000:99999999999",
        "16@0xfffffffffffffff8:1",
    };
    uint64_t base, size;
    uint32_t irq;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(vmmio_parse(bad[i], &base, &size, &irq), -EINVAL, "'%s' accepted", bad[i]);
}

/* --- identification ---------------------------------------------------- */

Test(virtio_mmio, identify)
{
    cr_expect_eq(vmmio_identify(&mdev), 0);
    cr_expect(mdev.version == 2 && mdev.device_id == 1 && mdev.vendor_id == 0x554d4551);
    reg_set(VIRTIO_MMIO_DEVICE_ID, 0);
    cr_expect_eq(vmmio_identify(&mdev), -ENOENT, "empty transport");
    reg_set(VIRTIO_MMIO_MAGIC_VALUE, 0);
    cr_expect_eq(vmmio_identify(&mdev), -ENODEV, "not virtio-mmio");
    reg_set(VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_MAGIC);
    mdev.size = 0x80;
    cr_expect_eq(vmmio_identify(&mdev), -ENODEV, "smaller than the registers");
}

/* --- probe and transport ops ------------------------------------------- */

static struct virtio_dev *probed(void)
{
    cr_assert_eq(vmmio_identify(&mdev), 0);
    cr_assert_eq(vmmio_probe(&mdev.dev), 0);
    cr_assert_not_null(added);
    return added;
}

Test(virtio_mmio, modern_device_is_handed_to_the_core)
{
    struct virtio_dev *vdev = probed();

    cr_expect_eq(vdev->device_id, 1);
    cr_expect_str_eq(vdev->name, "virtio-mmio@0xfeb02e00");
    cr_expect_str_eq(vdev->ops->name, "mmio");
    cr_expect_eq(vdev->bdev, &mdev.dev);
}

Test(virtio_mmio, legacy_is_refused)
{
    reg_set(VIRTIO_MMIO_VERSION, 1);
    cr_assert_eq(vmmio_identify(&mdev), 0);
    cr_expect_eq(vmmio_probe(&mdev.dev), -ENOTSUP);
    cr_expect_null(added);
}

Test(virtio_mmio, no_driver_frees_the_slot)
{
    add_result = -ENODEV;
    cr_assert_eq(vmmio_identify(&mdev), 0);
    cr_expect_eq(vmmio_probe(&mdev.dev), -ENODEV);
    cr_expect_eq(vmmio.n, 0);
}

Test(virtio_mmio, queue_enable_programs_the_queue)
{
    struct virtio_dev *vdev = probed();
    struct virtqueue vq = { .t = { .index = 1, .size = 256 } };

    vq.t.desc_addr = 0x123456789000ULL;
    vq.t.avail_addr = 0x12345678a000ULL;
    vq.t.used_addr = 0x12345678b000ULL;
    reg_set(VIRTIO_MMIO_QUEUE_NUM_MAX, 1024);
    cr_assert_eq(vdev->ops->queue_enable(vdev, &vq), 0);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_SEL), 1);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_NUM), 256);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DESC_LOW), 0x56789000);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DESC_HIGH), 0x1234);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DRIVER_LOW), 0x5678a000);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DRIVER_HIGH), 0x1234);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DEVICE_LOW), 0x5678b000);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_DEVICE_HIGH), 0x1234);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_READY), 1);
    cr_expect_eq((uintptr_t)vq.t.notify_addr, (uintptr_t)regs + VIRTIO_MMIO_QUEUE_NOTIFY);
    reg_set(VIRTIO_MMIO_QUEUE_NOTIFY, 0xdead);
    vq.t.notify(&vq);
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_NOTIFY), 1, "the kick writes the queue index");
}

Test(virtio_mmio, queue_enable_refuses_bad_requests)
{
    struct virtio_dev *vdev = probed();
    struct virtqueue vq = { .t = { .index = 0, .size = 512 } };

    reg_set(VIRTIO_MMIO_QUEUE_NUM_MAX, 256);
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -EINVAL, "too big");
    reg_set(VIRTIO_MMIO_QUEUE_NUM_MAX, 0);
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -ENOENT, "no queue");
    reg_set(VIRTIO_MMIO_QUEUE_NUM_MAX, 1024);
    reg_set(VIRTIO_MMIO_QUEUE_READY, 1);
    cr_expect_eq(vdev->ops->queue_enable(vdev, &vq), -EBUSY, "in use");
    cr_expect_eq(reg(VIRTIO_MMIO_QUEUE_NUM), 0, "nothing programmed");
}

Test(virtio_mmio, config_space_after_the_registers)
{
    struct virtio_dev *vdev = probed();
    uint8_t mac[6], b;
    uint16_t h;
    uint64_t q, big = 0x1122334455667788ULL;

    memcpy((uint8_t *)regs + VIRTIO_MMIO_CONFIG, "\x02\x00\x00\x00\x00\x01\x01\x00", 8);
    for (unsigned i = 0; i < 6; i++)
        vdev->ops->read_config(vdev, i, &mac[i], 1);
    cr_expect_arr_eq(mac, "\x02\x00\x00\x00\x00\x01", 6);
    vdev->ops->read_config(vdev, 6, &h, 2);
    cr_expect_eq(h, 1);
    memcpy((uint8_t *)regs + VIRTIO_MMIO_CONFIG + 8, &big, 8);
    vdev->ops->read_config(vdev, 8, &q, 8);
    cr_expect_eq(q, big);
    vdev->ops->read_config(vdev, 0x100, &b, 1);
    cr_expect_eq(b, 0xff, "past the transport");
    h = 1500;
    vdev->ops->write_config(vdev, 10, &h, 2);
    cr_expect_eq(*(uint16_t *)((uint8_t *)regs + VIRTIO_MMIO_CONFIG + 10), 1500);
}

Test(virtio_mmio, status_and_features)
{
    struct virtio_dev *vdev = probed();

    vdev->ops->set_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    cr_expect_eq(reg(VIRTIO_MMIO_STATUS), 3);
    cr_expect_eq(vdev->ops->get_status(vdev), 3);
    cr_expect_eq(vdev->ops->reset(vdev), 0);
    cr_expect_eq(reg(VIRTIO_MMIO_STATUS), 0);
    reg_set(VIRTIO_MMIO_DEVICE_FEATURES, 0x30000020);
    cr_expect_eq(vdev->ops->get_features(vdev), 0x3000002030000020ULL,
                 "plain memory: both halves read the same register");
    cr_expect_eq(reg(VIRTIO_MMIO_DEVICE_FEATURES_SEL), 1);
    vdev->ops->set_features(vdev, 0x0000000130000020ULL);
    cr_expect_eq(reg(VIRTIO_MMIO_DRIVER_FEATURES_SEL), 1);
    cr_expect_eq(reg(VIRTIO_MMIO_DRIVER_FEATURES), 1, "high word last");
    reg_set(VIRTIO_MMIO_CONFIG_GENERATION, 9);
    cr_expect_eq(vdev->ops->config_generation(vdev), 9);
}
