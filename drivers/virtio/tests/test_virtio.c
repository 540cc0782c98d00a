/* Unit tests for drivers/virtio against the in-memory fake device: the status
 * handshake and the driver registry, feature negotiation and its log,
 * config reads under a moving generation, split-ring set-up, round trips
 * through 16-bit index wraparound, kick suppression with and without
 * EVENT_IDX, a full ring, and a buggy device's used entries. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/virtio.h>
#include "fake_device.h"
#include "fakes.h"

#define F(bit) (1ULL << (bit))

/* --- Two drivers for the registry ------------------------------------- */

static unsigned probes_a, probes_b;
static int probe_a_result = -ENODEV, probe_b_result;
static const char *const test_names[64] = { [5] = "MAC", [16] = "STATUS" };

static int probe_a(struct virtio_dev *vdev)
{
    probes_a++;
    return probe_a_result;
}

static int probe_b(struct virtio_dev *vdev)
{
    probes_b++;
    cr_assert_eq(vdev->ops->get_status(vdev), VIRTIO_STATUS_ACKNOWLEDGE);
    return probe_b_result;
}

static const struct virtio_driver drv_a = { .name = "a", .device_id = 7, .probe = probe_a };
static const struct virtio_driver drv_b = {
    .name = "b", .device_id = 7, .probe = probe_b, .feature_names = test_names
};
VIRTIO_DRIVER_REGISTER(drv_a);
VIRTIO_DRIVER_REGISTER(drv_b);

static struct fake_dev fk;

static void reset_globals(void)
{
    fake_core_verbose = 0;
    /* Garbage-filled memory, so the tests see whether the core zeroes the
     * ring. */
    fake_alloc_poison = true;
    probes_a = probes_b = 0;
    probe_a_result = -ENODEV;
    probe_b_result = 0;
}

TestSuite(virtio, .init = reset_globals);

Test(virtio, device_add_offers_drivers_in_order)
{
    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_expect_eq(fk.resets, 1);
    cr_expect_leq(probes_a, 1, "a says -ENODEV: b is tried after it, whatever the order");
    cr_expect_eq(probes_b, 1);
    cr_expect_eq(fk.vdev.driver, &drv_b);
    cr_expect_eq(fk.status, VIRTIO_STATUS_ACKNOWLEDGE);
}

Test(virtio, device_add_all_decline)
{
    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    probe_b_result = -ENODEV;
    cr_assert_eq(virtio_device_add(&fk.vdev), -ENODEV);
    cr_expect_eq(probes_a, 1);
    cr_expect_eq(probes_b, 1);
    cr_expect_eq(fk.status, 0, "reset again");
}

Test(virtio, device_add_without_driver_resets)
{
    fake_init(&fk, 99, F(VIRTIO_F_VERSION_1));
    cr_assert_eq(virtio_device_add(&fk.vdev), -ENODEV);
    cr_expect_eq(probes_a + probes_b, 0);
    cr_expect_eq(fk.status, 0);
    cr_expect_eq(fk.resets, 2);
    cr_expect_null(fk.vdev.driver);
}

Test(virtio, probe_error_marks_failed)
{
    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    probe_a_result = probe_b_result = -EIO;
    cr_assert_eq(virtio_device_add(&fk.vdev), -EIO);
    cr_expect_eq(probes_a + probes_b, 1, "the first real answer ends the search");
    cr_expect(fk.status & VIRTIO_STATUS_FAILED);
}

Test(virtio, negotiate_accepts_offered_and_wanted_plus_version_1)
{
    fake_init(&fk, 7, F(5) | F(16) | F(VIRTIO_F_RING_EVENT_IDX) | F(VIRTIO_F_VERSION_1) | F(50));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_assert_eq(virtio_negotiate(&fk.vdev, F(5) | F(15) | F(VIRTIO_F_RING_EVENT_IDX)), 0);
    cr_expect_eq(fk.drv_features, F(5) | F(VIRTIO_F_RING_EVENT_IDX) | F(VIRTIO_F_VERSION_1));
    cr_expect_eq(fk.vdev.features, fk.drv_features);
    cr_expect_eq(fk.status,
                 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    cr_expect(virtio_has(&fk.vdev, 5));
    cr_expect(!virtio_has(&fk.vdev, 16));
}

Test(virtio, negotiate_logs_bit_lists_when_verbose)
{
    char out[4096] = "";
    size_t n;

    cr_redirect_stdout();
    fake_core_verbose = 1;
    fake_init(&fk, 7, F(5) | F(16) | F(VIRTIO_F_VERSION_1) | F(50));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_assert_eq(virtio_negotiate(&fk.vdev, F(5)), 0);
    fflush(stdout);
    n = fread(out, 1, sizeof(out) - 1, cr_get_redirected_stdout());
    out[n] = '\0';
    cr_expect(strstr(out, "virtio: fake0: features offered: MAC STATUS VERSION_1 bit50\n"), "%s",
              out);
    cr_expect(strstr(out, "virtio: fake0: features wanted: MAC VERSION_1\n"), "%s", out);
    cr_expect(strstr(out, "virtio: fake0: features accepted: MAC VERSION_1\n"), "%s", out);
}

Test(virtio, negotiate_refuses_legacy_device)
{
    cr_redirect_stderr();
    fake_init(&fk, 7, F(5));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_expect_eq(virtio_negotiate(&fk.vdev, F(5)), -ENOTSUP);
    cr_expect(fk.status & VIRTIO_STATUS_FAILED);
    cr_expect(!(fk.status & VIRTIO_STATUS_FEATURES_OK));
}

Test(virtio, negotiate_detects_device_refusal)
{
    cr_redirect_stderr();
    fake_init(&fk, 7, F(5) | F(VIRTIO_F_VERSION_1));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    fk.refuse_features_ok = true;
    cr_expect_eq(virtio_negotiate(&fk.vdev, F(5)), -EIO);
    cr_expect(fk.status & VIRTIO_STATUS_FAILED);

    fake_init(&fk, 7, F(5) | F(VIRTIO_F_VERSION_1));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    fk.set_features_err = -EIO;
    cr_expect_eq(virtio_negotiate(&fk.vdev, F(5)), -EIO, "transport said no");
    cr_expect(fk.status & VIRTIO_STATUS_FAILED);
}

Test(virtio, driver_ok_calls_transport_and_fails_cleanly)
{
    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_assert_eq(virtio_negotiate(&fk.vdev, 0), 0);
    cr_expect_eq(virtio_driver_ok(&fk.vdev), 0);
    cr_expect_eq(fk.driver_oks, 1);
    cr_expect(fk.status & VIRTIO_STATUS_DRIVER_OK);
    fk.driver_ok_err = -EPIPE;
    cr_expect_eq(virtio_driver_ok(&fk.vdev), -EPIPE);
    cr_expect(fk.status & VIRTIO_STATUS_FAILED);
}

Test(virtio, config_read_aligned_pieces_and_generation_retry)
{
    uint8_t buf[8];
    unsigned i;

    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    for (i = 0; i < sizeof(fk.config); i++)
        fk.config[i] = (uint8_t)(0x10 + i);
    virtio_config_read(&fk.vdev, 0, buf, 6);
    cr_expect_arr_eq(buf, fk.config, 6);
    cr_expect_eq(fk.nr_widths, 2);
    cr_expect_eq(fk.widths[0], 4);
    cr_expect_eq(fk.widths[1], 2);

    fk.nr_widths = 0;
    virtio_config_read(&fk.vdev, 2, buf, 8);
    cr_expect_arr_eq(buf, fk.config + 2, 8);
    cr_expect_eq(fk.nr_widths, 3);
    cr_expect_eq(fk.widths[0], 2);
    cr_expect_eq(fk.widths[1], 4);
    cr_expect_eq(fk.widths[2], 2);

    /* The generation moves during the first two attempts: three reads. */
    fk.nr_widths = 0;
    fk.gen_bumps = 2;
    virtio_config_read(&fk.vdev, 8, buf, 8);
    cr_expect_arr_eq(buf, fk.config + 8, 8);
    cr_expect_eq(fk.nr_widths, 2, "one 8-byte read per attempt, the last one kept");
}

Test(virtio, config_read_gives_up_on_a_generation_that_never_settles)
{
    uint8_t buf[8];

    cr_redirect_stderr();
    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    memset(fk.config, 0xab, sizeof(fk.config));
    fk.gen_bumps = 100000; /* moves on every read: a broken device */
    cr_expect_eq(virtio_config_read(&fk.vdev, 0, buf, 6), -EIO);
    cr_expect_eq(100000 - fk.gen_bumps, 2 * VIRTIO_CONFIG_TRIES, "bounded: two reads a try");
    cr_expect_eq(buf[0] | buf[5], 0, "nothing half-read is handed back");
    /* A device that settles within the bound is read as usual. */
    fk.gen_bumps = 2 * VIRTIO_CONFIG_TRIES - 2;
    cr_expect_eq(virtio_config_read(&fk.vdev, 0, buf, 6), 0);
    cr_expect_eq(buf[5], 0xab);
}

/* --- Rings ------------------------------------------------------------- */

static struct virtqueue *ring_setup(uint64_t features, uint16_t max, uint16_t size)
{
    struct virtqueue *vq;

    fake_init(&fk, 7, features | F(VIRTIO_F_VERSION_1));
    fk.max_size[0] = max;
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_assert_eq(virtio_negotiate(&fk.vdev, features), 0);
    cr_assert_eq(virtq_create(&fk.vdev, 0, size, &vq), 0);
    cr_assert_eq(virtio_driver_ok(&fk.vdev), 0);
    return vq;
}

TestSuite(ring, .init = reset_globals);

Test(ring, create_sizes_layout_and_zeroed_memory)
{
    struct virtqueue *vq;
    struct virtq_layout l;
    const uint8_t *p;
    size_t i;

    vq = ring_setup(0, 1000, 0);
    cr_expect_eq(vq->t.size, VIRTQ_SIZE_DEFAULT);
    virtq_layout(vq->t.size, &l);
    cr_expect_eq(vq->t.desc_addr % NFOS_PAGE_SIZE, 0);
    cr_expect_eq(vq->t.avail_addr, vq->t.desc_addr + 16 * 256);
    cr_expect_eq(vq->t.used_addr % NFOS_CACHE_LINE, 0);
    cr_expect_geq(vq->t.used_addr, vq->t.avail_addr + 4 + 2 * 256 + 2);
    cr_expect_eq(vq->t.used_addr, vq->t.desc_addr + l.used_off);
    cr_expect_eq(fk.vq[0], vq, "the transport was handed the queue");
    cr_expect_eq(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    p = (const uint8_t *)(uintptr_t)vq->t.desc_addr;
    for (i = 0; i < l.total; i++)
        if (p + i != (const uint8_t *)&vq->avail->flags && p + i != (uint8_t *)vq->used_event &&
            p + i != (uint8_t *)vq->used_event + 1)
            cr_assert_eq(p[i], 0, "ring byte %zu not zeroed", i);
    cr_expect_eq(virtq_nr_free(vq), 256);
    virtq_destroy(vq);

    vq = ring_setup(0, 1000, 2048);
    cr_expect_eq(vq->t.size, 512, "capped at the device's maximum, rounded down");
    virtq_destroy(vq);

    vq = ring_setup(0, 8192, 8192);
    cr_expect_eq(vq->t.size, VIRTQ_SIZE_MAX);
    virtq_destroy(vq);

    vq = ring_setup(0, 64, 0);
    cr_expect_eq(vq->t.size, 64);
    cr_expect_eq(virtq_create(&fk.vdev, 1, 48, &vq), -EINVAL);
    fk.max_size[2] = 0;
    cr_expect_eq(virtq_create(&fk.vdev, 2, 0, &vq), -ENOENT);
    virtq_destroy(fk.vq[0]);
}

Test(ring, round_trip_in_and_out_buffers)
{
    struct virtqueue *vq = ring_setup(0, 8, 8);
    uint8_t bufs[4][64];
    struct fake_chain c;
    uint32_t len;
    int i;

    for (i = 0; i < 4; i++)
        cr_assert_eq(virtq_add_buf(vq, (uintptr_t)bufs[i], 64, i % 2 == 0, bufs[i]), 0);
    cr_expect(!fake_pop(&fk, 0, &c), "nothing visible before publish");
    virtq_publish(vq);
    for (i = 0; i < 4; i++) {
        cr_assert(fake_pop(&fk, 0, &c));
        cr_expect_eq(c.ndesc, 1);
        cr_expect_eq(c.in_len, i % 2 == 0 ? 64 : 0);
        cr_expect_eq(c.out_len, i % 2 == 0 ? 0 : 64);
        if (c.in_buf)
            memset(c.in_buf, 0x40 + i, 10);
        fake_push(&fk, 0, c.head, c.in_len ? 10 : 0);
    }
    cr_expect_null(virtq_get_used(vq, &len), "nothing before the device flushes");
    fake_flush(&fk, 0);
    for (i = 0; i < 4; i++) {
        cr_assert_eq(virtq_get_used(vq, &len), bufs[i]);
        cr_expect_eq(len, i % 2 == 0 ? 10 : 0);
        if (i % 2 == 0)
            cr_expect_eq(bufs[i][9], 0x40 + i);
    }
    cr_expect_null(virtq_get_used(vq, &len));
    cr_expect_eq(virtq_nr_free(vq), 8);
    cr_expect_eq(vq->in_flight, 0);
    cr_expect_eq(fk.ring[0].interrupts, 0);
    virtq_destroy(vq);
}

/* Many passes of the 16-bit indices around a small ring, in bursts of
 * varying size that sometimes fill it, with chains mixed in; cookies must
 * come back in order with their lengths, and the device must never have
 * had a reason to interrupt us. */
static void wraparound(uint64_t features)
{
    struct virtqueue *vq = ring_setup(features, 16, 16);
    static uint8_t mem[16][32];
    uintptr_t next_add = 1, next_get = 1;
    unsigned iter, added_total = 0;

    srand(7);
    for (iter = 0; added_total < 5 * 65536; iter++) {
        unsigned want = 1 + (unsigned)rand() % 16, k;
        struct fake_chain c;
        void *cookies[16];
        uint32_t lens[16];
        unsigned got;

        for (k = 0; k < want; k++) {
            struct virtq_sg sg[2] = { { (uintptr_t)mem[next_add % 16], 16 },
                                      { (uintptr_t)mem[next_add % 16] + 16, 16 } };
            int err = next_add % 3 ? virtq_add_buf(vq, sg[0].addr, 16, true, (void *)next_add)
                                   : virtq_add_chain(vq, sg, 1, 1, (void *)next_add);
            if (err) {
                cr_assert_eq(err, -ENOSPC);
                break;
            }
            next_add++;
            added_total++;
        }
        virtq_publish(vq);
        while (fake_pop(&fk, 0, &c))
            fake_push(&fk, 0, c.head, c.in_len - (c.head % 4));
        fake_flush(&fk, 0);
        do {
            got = virtq_get_used_burst(vq, cookies, lens, 1 + (unsigned)rand() % 16);
            for (k = 0; k < got; k++) {
                cr_assert_eq((uintptr_t)cookies[k], next_get, "iteration %u", iter);
                next_get++;
            }
        } while (got);
        cr_assert_eq(next_get, next_add);
        cr_assert_eq(virtq_nr_free(vq), 16);
    }
    cr_expect_eq(fk.ring[0].interrupts, 0, "used_event/NO_INTERRUPT kept the device quiet");
    cr_expect_eq(vq->stats.bad_used_id + vq->stats.bad_used_len + vq->stats.bad_used_idx, 0);
    cr_expect_neq(vq->avail->idx, 0);
    virtq_destroy(vq);
}

Test(ring, wraparound_with_event_idx)
{
    wraparound(F(VIRTIO_F_RING_EVENT_IDX));
}

Test(ring, wraparound_without_event_idx)
{
    wraparound(0);
}

static void add_publish(struct virtqueue *vq, unsigned n)
{
    static uint8_t buf[64];
    unsigned i;

    for (i = 0; i < n; i++)
        cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf, sizeof(buf), true, buf), 0);
    virtq_publish(vq);
}

static void device_drain(unsigned q)
{
    struct fake_chain c;

    while (fake_pop(&fk, q, &c))
        fake_push(&fk, q, c.head, 0);
    fake_flush(&fk, q);
}

static void driver_drain(struct virtqueue *vq)
{
    uint32_t len;

    while (virtq_get_used(vq, &len))
        ;
}

Test(ring, descriptors_reused_in_completion_order)
{
    struct virtqueue *vq = ring_setup(0, 8, 8);
    struct fake_chain c;
    unsigned round, i;

    /* In-order completion: descriptor i always serves avail slot i. */
    for (round = 0; round < 5; round++) {
        add_publish(vq, 3);
        for (i = 0; i < 3; i++) {
            cr_assert(fake_pop(&fk, 0, &c));
            cr_expect_eq(c.head, (round * 3 + i) % 8, "round %u", round);
            fake_push(&fk, 0, c.head, 0);
        }
        fake_flush(&fk, 0);
        driver_drain(vq);
    }
    virtq_destroy(vq);
}

Test(ring, event_idx_kicks_only_when_asked)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_RING_EVENT_IDX), 64, 64);

    /* Fresh ring: avail_event is 0, so the first publish crosses it. */
    add_publish(vq, 1);
    cr_expect_eq(fk.kicks[0], 1);
    add_publish(vq, 4);
    cr_expect_eq(fk.kicks[0], 1, "the device did not ask again");
    device_drain(0);
    driver_drain(vq);

    /* Ask for a kick once the entry at index 10 is made available. */
    fake_set_avail_event(&fk, 0, 10);
    add_publish(vq, 3); /* 5 -> 8 */
    add_publish(vq, 2); /* 8 -> 10: 10 itself not yet available */
    cr_expect_eq(fk.kicks[0], 1);
    add_publish(vq, 1); /* 10 -> 11 crosses */
    cr_expect_eq(fk.kicks[0], 2);
    add_publish(vq, 1);
    cr_expect_eq(fk.kicks[0], 2);

    /* One batch that jumps over the event kicks once. */
    fake_set_avail_event(&fk, 0, 14);
    add_publish(vq, 8); /* 12 -> 20 */
    cr_expect_eq(fk.kicks[0], 3);
    virtq_publish(vq);
    cr_expect_eq(fk.kicks[0], 3, "nothing new, nothing to say");
    cr_expect_eq(vq->stats.kicks, 3);
    virtq_destroy(vq);
}

Test(ring, no_notify_flag_without_event_idx)
{
    struct virtqueue *vq = ring_setup(0, 64, 64);

    add_publish(vq, 2);
    add_publish(vq, 2);
    cr_expect_eq(fk.kicks[0], 2, "a kick per publish when the device wants them");
    fake_set_no_notify(&fk, 0, true);
    add_publish(vq, 2);
    add_publish(vq, 2);
    cr_expect_eq(fk.kicks[0], 2, "NO_NOTIFY suppresses kicks");
    fake_set_no_notify(&fk, 0, false);
    add_publish(vq, 1);
    cr_expect_eq(fk.kicks[0], 3);
    virtq_publish(vq);
    cr_expect_eq(fk.kicks[0], 3);
    virtq_destroy(vq);
}

Test(ring, full_ring_and_chains)
{
    struct virtqueue *vq = ring_setup(0, 8, 8);
    static uint8_t buf[8][16];
    struct virtq_sg sg[3] = { { (uintptr_t)buf[0], 4 },
                              { (uintptr_t)buf[1], 8 },
                              { (uintptr_t)buf[2], 16 } };
    struct fake_chain c;
    uint32_t len;
    int i;

    cr_expect_eq(virtq_add_chain(vq, sg, 0, 0, buf), -EINVAL);
    cr_assert_eq(virtq_add_chain(vq, sg, 1, 2, buf[0]), 0);
    cr_expect_eq(virtq_nr_free(vq), 5);
    for (i = 0; i < 5; i++)
        cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[3], 16, false, buf[3 + i % 5]), 0);
    cr_expect_eq(virtq_add_buf(vq, (uintptr_t)buf[3], 16, false, buf[3]), -ENOSPC);
    cr_expect_eq(virtq_add_chain(vq, sg, 2, 0, buf[3]), -ENOSPC);
    virtq_publish(vq);

    cr_assert(fake_pop(&fk, 0, &c));
    cr_expect_eq(c.ndesc, 3);
    cr_expect_eq(c.out_len, 4);
    cr_expect_eq(c.in_len, 24);
    cr_expect_eq(c.in_buf, buf[1]);
    fake_push(&fk, 0, c.head, 20);
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used(vq, &len), buf[0]);
    cr_expect_eq(len, 20);
    cr_expect_eq(virtq_nr_free(vq), 3, "the whole chain came back");
    cr_expect_eq(virtq_add_chain(vq, sg, 2, 1, buf[1]), 0);
    cr_expect_eq(virtq_nr_free(vq), 0);
    cr_expect_eq(virtq_add_buf(vq, (uintptr_t)buf[3], 16, false, buf[3]), -ENOSPC);
    virtq_destroy(vq);
}

Test(ring, buggy_device_is_counted_not_followed)
{
    struct virtqueue *vq = ring_setup(0, 8, 8);
    static uint8_t buf[4][64];
    struct fake_chain c[4];
    uint32_t len;
    int i;

    for (i = 0; i < 4; i++)
        cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[i], 64, i < 3, buf[i]), 0);
    virtq_publish(vq);
    for (i = 0; i < 4; i++)
        cr_assert(fake_pop(&fk, 0, &c[i]));

    /* As many entries as chains in flight, three of them wrong. */
    fake_push(&fk, 0, 1000, 10);      /* id out of the ring */
    fake_push(&fk, 0, 7, 10);         /* a free descriptor */
    fake_push(&fk, 0, c[0].head, 64); /* good */
    fake_push(&fk, 0, c[0].head, 64); /* the same chain again */
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used(vq, &len), buf[0]);
    cr_expect_eq(len, 64);
    cr_expect_null(virtq_get_used(vq, &len));
    fake_push(&fk, 0, c[1].head, 65); /* longer than the buffer */
    fake_push(&fk, 0, c[3].head, 99); /* a tx chain: length ignored */
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used(vq, &len), buf[1]);
    cr_expect_eq(len, 0, "a bad length is reported as nothing written");
    cr_assert_eq(virtq_get_used(vq, &len), buf[3]);
    cr_expect_eq(len, 0);
    cr_expect_null(virtq_get_used(vq, &len));
    cr_expect_eq(vq->stats.bad_used_id, 3);
    cr_expect_eq(vq->stats.bad_used_len, 1);
    cr_expect_eq(vq->in_flight, 1);
    cr_expect_eq(virtq_nr_free(vq), 7);

    /* used.idx far beyond what is in flight: nothing is believed. */
    vq->used->idx = (uint16_t)(vq->last_used + 1000);
    cr_expect_null(virtq_get_used(vq, &len));
    cr_expect_eq(vq->stats.bad_used_idx, 1);
    cr_expect_eq(vq->in_flight, 1);
    cr_expect_null(virtq_get_used(vq, &len));
    cr_expect_eq(vq->stats.bad_used_idx, 1, "stuck there: counted once, not per poll");
    vq->used->idx = (uint16_t)(vq->last_used - 1); /* behind */
    cr_expect_null(virtq_get_used(vq, &len));
    cr_expect_eq(vq->stats.bad_used_idx, 2);

    /* Back in step, the ring still works. */
    vq->used->idx = vq->last_used;
    fk.ring[0].used_idx = vq->last_used;
    fake_push(&fk, 0, c[2].head, 3);
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used(vq, &len), buf[2]);
    cr_expect_eq(len, 3);
    cr_expect_eq(virtq_nr_free(vq), 8);
    virtq_destroy(vq);
}

Test(ring, detach_unused_and_rewind)
{
    struct virtqueue *vq;
    static uint8_t buf[3][16];
    void *cookie;
    int i = 0;

    fake_init(&fk, 7, F(VIRTIO_F_VERSION_1));
    fk.max_size[0] = 8;
    cr_assert_eq(virtio_device_add(&fk.vdev), 0);
    cr_assert_eq(virtio_negotiate(&fk.vdev, 0), 0);
    cr_assert_eq(virtq_create(&fk.vdev, 0, 8, &vq), 0);
    cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[0], 16, true, buf[0]), 0);
    cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[1], 16, true, buf[1]), 0);
    virtq_publish(vq);
    cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[2], 16, true, buf[2]), 0);
    cr_expect_eq(virtq_rewind(vq), -EBUSY);
    while ((cookie = virtq_detach_unused(vq))) {
        cr_expect(cookie == buf[0] || cookie == buf[1] || cookie == buf[2]);
        i++;
    }
    cr_expect_eq(i, 3);
    cr_expect_eq(virtq_nr_free(vq), 8);
    cr_expect_eq(virtq_rewind(vq), 0);
    cr_expect_eq(vq->avail->idx, 0);
    cr_expect_eq(vq->avail_idx, 0);
    cr_expect_eq(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
    cr_assert_eq(virtq_add_buf(vq, (uintptr_t)buf[0], 16, true, buf[0]), 0);
    virtq_publish(vq);
    cr_expect_eq(vq->avail->idx, 1);
    virtq_destroy(vq);
}

/* --- IN_ORDER ------------------------------------------------------------ */

static uint8_t io_buf[16][32];

/* Adds chains of the given descriptor counts (readable ones), cookie i =
 * io_buf[i], and publishes; checks each head is the next descriptor in ring
 * order and each chain's next fields are x + 1 (0 after the table's end). */
static void io_add(struct virtqueue *vq, const unsigned *ndesc, unsigned n, unsigned first,
                   uint16_t *expect_head)
{
    unsigned i, j;

    for (i = 0; i < n; i++) {
        struct virtq_sg sg[4];
        uint16_t head = *expect_head, d;

        for (j = 0; j < ndesc[i]; j++) {
            sg[j].addr = (uintptr_t)io_buf[first + i];
            sg[j].len = 8;
        }
        cr_assert_eq(virtq_add_chain(vq, sg, ndesc[i], 0, io_buf[first + i]), 0);
        cr_expect_eq(vq->avail->ring[(vq->avail_idx - 1) & vq->mask], head, "chain %u", i);
        for (d = head, j = 0; j + 1 < ndesc[i]; j++, d = (uint16_t)((d + 1) & vq->mask))
            cr_expect_eq(vq->desc[d].next, (d + 1) & vq->mask, "chain %u descriptor %u", i, d);
        *expect_head = (uint16_t)((head + ndesc[i]) & vq->mask);
    }
    virtq_publish(vq);
}

Test(ring, in_order_one_entry_stands_for_a_batch)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_IN_ORDER), 8, 8);
    static const unsigned one[5] = { 1, 1, 1, 1, 1 };
    struct fake_chain c[5];
    void *cookies[8];
    uint32_t lens[8];
    uint16_t head = 0;
    unsigned i;

    cr_assert(vq->in_order);
    io_add(vq, one, 5, 0, &head);
    for (i = 0; i < 5; i++)
        cr_assert(fake_pop(&fk, 0, &c[i]));
    /* One entry for the first three: all three come back, oldest first,
     * the skipped ones with length 0 (the device did not say). */
    fake_push(&fk, 0, c[2].head, 0);
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, lens, 8), 3);
    for (i = 0; i < 3; i++) {
        cr_expect_eq(cookies[i], io_buf[i]);
        cr_expect_eq(lens[i], 0);
    }
    cr_expect_eq(virtq_nr_free(vq), 6);
    cr_expect_eq(vq->in_flight, 2);
    /* The burst's limit: the walk stops there and goes on at the next call. */
    fake_push(&fk, 0, c[4].head, 0);
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, lens, 1), 1);
    cr_expect_eq(cookies[0], io_buf[3]);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, lens, 8), 1);
    cr_expect_eq(cookies[0], io_buf[4]);
    cr_expect_eq(virtq_nr_free(vq), 8);
    cr_expect_eq(vq->in_flight, 0);
    cr_expect_eq(vq->stats.bad_used_id, 0);
    virtq_destroy(vq);
}

Test(ring, in_order_without_lengths_reads_only_the_newest_entry)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_IN_ORDER), 8, 8);
    static const unsigned one[6] = { 1, 1, 1, 1, 1, 1 };
    struct fake_chain c;
    void *cookies[8];
    uint16_t head = 0;
    unsigned i;

    io_add(vq, one, 6, 0, &head);
    for (i = 0; i < 6; i++) {
        cr_assert(fake_pop(&fk, 0, &c));
        /* Every entry but the newest is garbage: tx never reads them. */
        fake_push(&fk, 0, i == 5 ? c.head : 0xdead, 0);
    }
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, NULL, 8), 6);
    for (i = 0; i < 6; i++)
        cr_expect_eq(cookies[i], io_buf[i]);
    cr_expect_eq(vq->stats.bad_used_id, 0);
    cr_expect_eq(virtq_nr_free(vq), 8);
    /* A burst limit inside the run: the rest at the next call, and the
     * entries left over are not taken for more than is in flight. */
    io_add(vq, one, 6, 0, &head);
    for (i = 0; i < 6; i++) {
        cr_assert(fake_pop(&fk, 0, &c));
        fake_push(&fk, 0, c.head, 0);
    }
    fake_flush(&fk, 0);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, NULL, 4), 4);
    cr_expect_eq(cookies[3], io_buf[3]);
    cr_assert_eq(virtq_get_used_burst(vq, cookies, NULL, 8), 2);
    cr_expect_eq(cookies[0], io_buf[4]);
    cr_expect_eq(cookies[1], io_buf[5]);
    cr_expect_eq(vq->stats.bad_used_idx, 0);
    cr_expect_eq(virtq_nr_free(vq), 8);
    virtq_destroy(vq);
}

Test(ring, in_order_chains_wrap_in_ring_order)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_IN_ORDER), 8, 8);
    static const unsigned sizes[4] = { 3, 2, 1, 2 };
    struct fake_chain c;
    void *cookies[8];
    uint32_t lens[8];
    uint16_t head = 0;
    unsigned round, i, got;

    /* Chains of 1 to 3 descriptors around the ring many times, completed
     * in order by batches of various sizes: each chain starts where the
     * last ended, across the table's end too. */
    for (round = 0; round < 12; round++) {
        unsigned n = 1 + round % 4, last = 0;

        io_add(vq, sizes + (4 - n), n, 0, &head);
        for (i = 0; i < n; i++) {
            cr_assert(fake_pop(&fk, 0, &c));
            cr_expect_eq(c.ndesc, sizes[4 - n + i]);
            last = c.head;
            if (round % 2) /* every entry, or only the batch's last */
                fake_push(&fk, 0, c.head, 0);
        }
        if (!(round % 2))
            fake_push(&fk, 0, last, 0);
        fake_flush(&fk, 0);
        got = virtq_get_used_burst(vq, cookies, lens, 8);
        cr_assert_eq(got, n, "round %u", round);
        for (i = 0; i < n; i++)
            cr_expect_eq(cookies[i], io_buf[i], "round %u", round);
        cr_expect_eq(virtq_nr_free(vq), 8);
    }
    virtq_destroy(vq);
}

Test(ring, in_order_bad_ids_are_counted_not_followed)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_IN_ORDER), 8, 8);
    static const unsigned one[3] = { 1, 1, 1 };
    struct fake_chain c[3];
    void *cookies[8];
    uint32_t lens[8];
    uint16_t head = 0;
    unsigned i;

    io_add(vq, one, 3, 0, &head);
    for (i = 0; i < 3; i++)
        cr_assert(fake_pop(&fk, 0, &c[i]));
    fake_push(&fk, 0, 9, 0);                   /* out of the ring */
    fake_push(&fk, 0, (c[2].head + 1) & 7, 0); /* a free descriptor */
    fake_flush(&fk, 0);
    cr_expect_eq(virtq_get_used_burst(vq, cookies, lens, 8), 0);
    cr_expect_eq(vq->stats.bad_used_id, 2);
    cr_expect_eq(vq->in_flight, 3);
    /* Out of order: the second chain's entry finishes the first two; the
     * first's, coming after, names a chain no longer in flight. */
    fake_push(&fk, 0, c[1].head, 0);
    fake_push(&fk, 0, c[0].head, 0);
    fake_flush(&fk, 0);
    cr_expect_eq(virtq_get_used_burst(vq, cookies, lens, 8), 2);
    cr_expect_eq(vq->stats.bad_used_id, 3);
    fake_push(&fk, 0, c[2].head, 0);
    fake_flush(&fk, 0);
    cr_expect_eq(virtq_get_used_burst(vq, cookies, lens, 8), 1);
    cr_expect_eq(cookies[0], io_buf[2]);
    cr_expect_eq(virtq_nr_free(vq), 8);
    /* The ring is whole: a full ring's worth goes in ring order again. */
    {
        static const unsigned eight[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };

        io_add(vq, eight, 8, 0, &head);
        cr_expect_eq(virtq_nr_free(vq), 0);
    }
    virtq_destroy(vq);
}

Test(ring, in_order_detach_unused_oldest_first)
{
    struct virtqueue *vq = ring_setup(F(VIRTIO_F_IN_ORDER), 8, 8);
    static const unsigned sizes[3] = { 2, 1, 3 };
    uint16_t head = 0;
    unsigned i;

    io_add(vq, sizes, 3, 0, &head);
    for (i = 0; i < 3; i++)
        cr_expect_eq(virtq_detach_unused(vq), io_buf[i]);
    cr_expect_null(virtq_detach_unused(vq));
    cr_expect_eq(virtq_nr_free(vq), 8);
    cr_expect_eq(virtq_rewind(vq), 0);
    cr_expect(vq->in_order);
    cr_expect_eq(vq->used_head, 0);
    virtq_destroy(vq);
}

/* --- Debug checks (unit tests build with CONFIG_NFOS_DEBUG) --------------- */

Test(ring, layout_puts_the_hot_state_on_line_0)
{
    cr_assert_leq(offsetof(struct virtqueue, in_order) + 1, NFOS_CACHE_LINE);
    cr_assert_lt(offsetof(struct virtqueue, desc), NFOS_CACHE_LINE);
    cr_assert_eq(offsetof(struct virtqueue, used_event_base), NFOS_CACHE_LINE);
}

Test(ring, add_without_a_cookie_is_a_caller_bug, .init = reset_globals, .signal = SIGABRT)
{
    struct virtqueue *vq = ring_setup(0, 256, 8);

    virtq_add_buf(vq, 0x1000, 64, true, NULL);
}
