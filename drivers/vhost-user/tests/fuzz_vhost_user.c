/* libFuzzer harness for drivers/vhost-user's message handling (make fuzz):
 * the input is everything a backend sends back, whole, over a socketpair
 * whose backend end is then shut; the transport goes through what an image
 * does with it: the handshake (SET_OWNER, features, protocol features),
 * GET_QUEUE_NUM with MQ), SET_FEATURES, the queues (byte 0 picks their
 * indices, 0 to 7: some beyond the backend's pairs, or the control
 * queue's), DRIVER_OK (memory table, rings, enable) and a reset
 * (disable, GET_VRING_BASE). After byte 0 the input is the backend's
 * byte stream, any garbage; its end is the backend hanging up.
 *
 * Checked: every step returns 0 or a negative errno and a failed step
 * stops the sequence, as the probe does; protocol features never exceed
 * what the transport asked for; every message the transport wrote is
 * well formed (version 1, a size within the payload union, a known
 * request); the pair count is 1 to VHU_PAIRS; a queue index beyond the
 * backend's pairs (but the control queue's) is refused with -ENOENT; nothing is read or written out
 * of bounds (ASan, UBSan). */
#include "../vhost_user.c" /* first: it defines _GNU_SOURCE */

#include <sys/mman.h>

#include "fuzz_check.h"

/* What the transport needs from the rest of an image. */
static struct plat_mem_region region = { .base = 0x100000, .len = 1 << 20 };
static int memfd = -1;

int plat_mem_regions(const struct plat_mem_region **regions)
{
    *regions = &region;
    return 1;
}

int plat_mem_share(unsigned i, int *fd, uint64_t *offset)
{
    if (memfd < 0)
        memfd = memfd_create("fuzz", MFD_CLOEXEC);
    *fd = memfd;
    *offset = 0;
    return 0;
}

/* FUZZ_VERBOSE=1 in the environment: the transport's verbose lines, to see
 * how far an input gets. */
unsigned core_verbose(void)
{
    return getenv("FUZZ_VERBOSE") != NULL;
}

unsigned netdev_next_port(void)
{
    return 0;
}

int virtio_device_add(struct virtio_dev *vdev)
{
    return 0;
}

/* Only the probe (not fuzzed: it parses the command line) uses these. */
int netdev_port_mac(unsigned port, uint8_t mac[NETDEV_MAC_LEN])
{
    return -ENOENT;
}

void netdev_mac_from_port(uint8_t mac[NETDEV_MAC_LEN], unsigned port)
{
    memset(mac, 2, NETDEV_MAC_LEN);
}

char *netdev_port_prefix(unsigned port, char buf[NETDEV_PARAM_PREFIX_MAX])
{
    return strcpy(buf, "netdev");
}

const char *netdev_port_param(unsigned port, const char *key)
{
    return NULL;
}

/* The messages the transport sent, read back from the backend's end. */
static void check_sent(int be)
{
    static uint8_t buf[1 << 16];
    ssize_t n = recv(be, buf, sizeof(buf), MSG_DONTWAIT);
    size_t at = 0;

    while (n > 0 && at + VHOST_USER_HDR_LEN <= (size_t)n) {
        struct vhost_user_msg m;

        memcpy(&m, buf + at, VHOST_USER_HDR_LEN);
        CHECK((m.flags & VHOST_USER_VERSION_MASK) == VHOST_USER_VERSION, "flags %#x", m.flags);
        CHECK(m.size <= sizeof(m.payload), "size %u", m.size);
        CHECK(strcmp(req_name(m.request), "?") != 0, "request %u", m.request);
        at += VHOST_USER_HDR_LEN + m.size;
    }
}

static int run(struct vhu_dev *d, uint8_t qsel)
{
    static struct virtqueue vq[2];
    unsigned i;
    int err;

    if ((err = vhu_handshake(d)))
        return err;
    CHECK((d->protocol_features & ~VHU_PROTOCOL) == 0, "protocol features %#llx",
          (unsigned long long)d->protocol_features);
    CHECK(d->pairs >= 1 && d->pairs <= VHU_PAIRS, "pairs %u", d->pairs);
    d->vdev.ops = &vhu_ops;
    if ((err = vhu_set_features(&d->vdev, vhu_get_features(&d->vdev))))
        return err;
    for (i = 0; i < 2; i++) {
        memset(&vq[i], 0, sizeof(vq[i]));
        vq[i].t.index = (uint16_t)((qsel >> (3 * i)) & 7);
        vq[i].t.size = 256;
        vq[i].t.desc_addr = region.base + 4096 * i;
        err = vhu_queue_enable(&d->vdev, &vq[i]);
        CHECK(err == 0 || (err == -ENOENT && vq[i].t.index >= 2 * d->pairs &&
                           !(d->pairs > 1 && vq[i].t.index == VIRTIO_NET_CTRLQ(d->pairs))),
              "enable %u: %d", vq[i].t.index, err);
    }
    if ((err = vhu_driver_ok(&d->vdev)))
        return err;
    return vhu_reset(&d->vdev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vhu_dev *d = &vhu_devs[0];
    int sv[2], err;
    unsigned i;

    if (size < 1 || size > 60000)
        return 0;
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    i = 1 << 18;
    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &i, sizeof(i));
    CHECK(send(sv[1], data + 1, size - 1, 0) == (ssize_t)(size - 1), "backend's bytes");
    shutdown(sv[1], SHUT_WR); /* after the input: end of stream, never a wait */
    memset(d, 0, sizeof(*d));
    d->sock = sv[0];
    for (i = 0; i < VHU_QUEUES; i++)
        d->ring[i].kickfd = d->ring[i].callfd = -1;
    strcpy(d->path, "fuzz");
    err = run(d, data[0]);
    CHECK(err <= 0 && err > -4096, "error %d", err);
    check_sent(sv[1]);
    vhu_close(d); /* closes sv[0] */
    close(sv[1]);
    return 0;
}
