/* A virtio-net device (virtio 1.x, features VERSION_1 and MAC; with
 * several queue pairs also MQ and CTRL_VQ, as QEMU offers them) on the
 * virtio-mmio transport (version 2), with a TAP interface behind it (a
 * multi-queue TAP, one fd per pair). The driver polls and never wants
 * interrupts; its kicks (QueueNotify) wake nfvm's I/O thread through an
 * eventfd, all but the control queue's, which the vCPU thread answers at
 * once (VQ_PAIRS_SET: pairs beyond attach and detach their TAP queue, or
 * their vhost-user rings). Any register access the transport does not
 * define ends the guest. RSS, when asked for (nfvm_vnet_offer_rss): the
 * driver's RSS_CONFIG makes the device pick each received frame's pair
 * (rss.h) whichever TAP queue it came in on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "layout.h"
#include "vnet.h"

#define MMIO_MAGIC         0x74726976 /* "virt" */
#define VENDOR_ID          0x4d56464e /* "NFVM" */
#define DEVICE_NET         1
#define HDR_LEN            12 /* struct virtio_net_hdr, num_buffers included */
#define F_MAC              (1ULL << 5)
#define F_CTRL_VQ          (1ULL << 17)
#define F_MQ               (1ULL << 22)
#define F_RSS              (1ULL << VIRTIO_NET_F_RSS)
#define F_EVENT_IDX        (1ULL << 29)
#define F_VERSION1         (1ULL << 32)
#define F_IN_ORDER         (1ULL << 35) /* see dev_features */
#define FEATURES           (F_MAC | F_VERSION1 | F_IN_ORDER)
#define VHOST_FEATURES     (F_VERSION1 | F_EVENT_IDX | F_IN_ORDER) /* when the backend offers them */
#define STATUS_DRIVER_OK   0x04
#define STATUS_NEEDS_RESET 0x40
#define AVAIL_NO_INTERRUPT 1
/* A backstop only: the driver's kicks (ioeventfd) and the TAP's POLLIN wake
 * the thread, and nfvm's device never asks the driver not to kick. Every
 * 100 ms had cost ~20 us a wake-up: 1,000 idle guests took 21-26% of a
 * core in bench density (per-thread figures round each to 0 ticks). */
#define POLL_MS            5000
#define CONFIG_LEN         10                               /* mac, status, max_virtqueue_pairs */
#define CONFIG_LEN_RSS     sizeof(struct virtio_net_config) /* then up to the RSS fields */
#define CTRL_MQ            4                                /* VIRTIO_NET_CTRL_MQ */
#define CTRL_MQ_PAIRS_SET  0                                /* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET */
#define CTRL_MQ_RSS_CONFIG VIRTIO_NET_CTRL_MQ_RSS_CONFIG
#define CTRL_CMD_MAX       (2 + NFVM_RSS_CONFIG_MAX) /* the longest command taken */
#define RSS_SAID_MAX       8 /* refused RSS_CONFIGs said on stderr; the rest counted */
#define RSS_BURST          NFVM_VQ_SIZE_MAX /* frames read per TAP queue per poll */
#define CTRL_OK            0
#define CTRL_ERR           1

enum {
    R_MAGIC = 0x000,
    R_VERSION = 0x004,
    R_DEVICE_ID = 0x008,
    R_VENDOR_ID = 0x00c,
    R_DEV_FEAT = 0x010,
    R_DEV_FEAT_SEL = 0x014,
    R_DRV_FEAT = 0x020,
    R_DRV_FEAT_SEL = 0x024,
    R_QUEUE_SEL = 0x030,
    R_QUEUE_NUM_MAX = 0x034,
    R_QUEUE_NUM = 0x038,
    R_QUEUE_READY = 0x044,
    R_QUEUE_NOTIFY = NFVM_VNET_NOTIFY_OFF,
    R_INT_STATUS = 0x060,
    R_INT_ACK = 0x064,
    R_STATUS = 0x070,
    R_DESC_LO = 0x080,
    R_DESC_HI = 0x084,
    R_DRIVER_LO = 0x090,
    R_DRIVER_HI = 0x094,
    R_DEVICE_LO = 0x0a0,
    R_DEVICE_HI = 0x0a4,
    R_CONFIG_GEN = 0x0fc,
    R_CONFIG = 0x100,
};

/* One fd of the TAP ifname: multi-queue when mq. -errno when TUNSETIFF
 * refuses (EINVAL: the TAP exists without multi_queue, or with). */
static int tap_open(const char *ifname, bool mq)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0) };
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), err;

    if (fd < 0) {
        fprintf(stderr, "nfvm: --net tap:%s: open /dev/net/tun: %s\n", ifname, strerror(errno));
        return -EIO;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/* The TAP's fds: one per pair (IFF_MULTI_QUEUE), or one pair, said, when
 * the TAP exists without multi_queue. Pairs beyond the first start
 * detached (the kernel steers nothing to them) until VQ_PAIRS_SET. */
static int taps_open(struct nfvm_vnet *n, const char *ifname)
{
    int fd = tap_open(ifname, n->pairs_max > 1);

    if (fd == -EINVAL && n->pairs_max > 1) {
        fprintf(stderr,
                "nfvm: --net tap:%s is not multi_queue: one queue pair for %u (for one each: "
                "ip tuntap add dev %s mode tap multi_queue)\n",
                ifname, n->pairs_max, ifname);
        n->pairs_max = 1;
        fd = tap_open(ifname, false);
    }
    if (fd < 0) {
        if (fd != -EIO)
            fprintf(stderr, "nfvm: --net tap:%s: TUNSETIFF: %s\n", ifname, strerror(-fd));
        return -1;
    }
    n->tap[0] = fd;
    n->tap_mq = n->pairs_max > 1;
    for (unsigned i = 1; i < n->pairs_max; i++) {
        if ((n->tap[i] = tap_open(ifname, true)) < 0) {
            fprintf(stderr, "nfvm: --net tap:%s: queue %u: TUNSETIFF: %s\n", ifname, i,
                    strerror(-n->tap[i]));
            n->tap[i] = -1;
            return -1;
        }
    }
    return 0;
}

/* Attaches the TAP queues of the pairs below active, detaches the others
 * (multi-queue TAPs only). */
static void taps_attach(struct nfvm_vnet *n, unsigned active)
{
    for (unsigned i = 1; n->tap_mq && i < n->pairs_max; i++) {
        struct ifreq ifr = { .ifr_flags = i < active ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };

        if (ioctl(n->tap[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
            fprintf(stderr, "nfvm: vnet: TAP queue %u: TUNSETQUEUE: %s\n", i, strerror(errno));
    }
}

int nfvm_vnet_init(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base, const char *ifname,
                   unsigned index, unsigned pairs)
{
    memset(n, 0, sizeof(*n) - sizeof(n->frame));
    pthread_mutex_init(&n->lock, NULL);
    n->mem = m;
    n->base = base;
    memcpy(n->mac, (const uint8_t[6]){ 0x02, 0x6e, 0x66, 0x76, 0x6d, (uint8_t)(index + 1) }, 6);
    n->pairs_max = pairs < 1 ? 1 : pairs > NFVM_VNET_PAIRS_MAX ? NFVM_VNET_PAIRS_MAX : pairs;
    n->pairs = 1;
    for (unsigned i = 0; i < NFVM_VNET_PAIRS_MAX; i++)
        n->tap[i] = -1;
    n->kick = -1;
    n->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->wake < 0) {
        fprintf(stderr, "nfvm: eventfd: %s\n", strerror(errno));
        return -1;
    }
    if (!ifname)
        return 0;
    n->kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->kick < 0) {
        fprintf(stderr, "nfvm: eventfd: %s\n", strerror(errno));
        return -1;
    }
    if (taps_open(n, ifname) < 0)
        return -1;
    taps_attach(n, 1);
    return 0;
}

int nfvm_vnet_init_vhost(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base,
                         const char *path, unsigned index, unsigned pairs)
{
    if (nfvm_vnet_init(n, m, base, NULL, index, pairs) < 0)
        return -1;
    n->vhost = calloc(1, sizeof(*n->vhost));
    if (!n->vhost) {
        fprintf(stderr, "nfvm: vhost-user: out of memory\n");
        return -1;
    }
    if (nfvm_vhost_connect(n->vhost, path, n->wake, n->pairs_max) < 0)
        return -1;
    if (n->vhost->pairs < n->pairs_max)
        fprintf(stderr, "nfvm: vhost-user:%s: the backend serves %u of the %u queue pairs asked\n",
                path, n->vhost->pairs, n->pairs_max);
    n->pairs_max = n->vhost->pairs;
    return 0;
}

int nfvm_vnet_offer_rss(struct nfvm_vnet *n)
{
    if (n->vhost) {
        fprintf(stderr, "nfvm: vnet: ,rss is the TAP backend's: a vhost-user backend moves the "
                        "frames, not nfvm\n");
        return -1;
    }
    if (n->pairs_max < 2) {
        fprintf(stderr, "nfvm: vnet: one queue pair: RSS not offered (nothing to spread)\n");
        return 0;
    }
    n->rss_offer = true;
    return 0;
}

/* What the device offers the driver: MQ and the control queue only with
 * several pairs, so that a one-pair device is exactly what it was; RSS
 * only when asked for (nfvm_vnet_offer_rss). IN_ORDER: the TAP backend
 * completes every chain as it pops it, in ring order, one used entry each
 * (poll_pair, pair_rx), and so does the control queue (ctrl_serve); with
 * vhost-user, when the backend offers it (DPDK's vhost does). */
static uint64_t dev_features(const struct nfvm_vnet *n)
{
    uint64_t mq = n->pairs_max > 1 ? F_MQ | F_CTRL_VQ : 0;

    mq |= n->rss_offer ? F_RSS : 0;
    return (n->vhost ? (n->vhost->features & VHOST_FEATURES) | F_MAC : FEATURES) | mq;
}

/* The queues the device has: two per pair, then the control queue. */
static unsigned nr_queues(const struct nfvm_vnet *n)
{
    return 2 * n->pairs_max + (n->pairs_max > 1);
}

/* Status writes that hand the rings to a vhost-user backend or take them
 * back. A backend that fails makes the device need a reset. */
static void vhost_status(struct nfvm_vnet *n, uint32_t v)
{
    if (!v) {
        nfvm_vhost_stop(n->vhost);
        return;
    }
    if ((v & STATUS_DRIVER_OK) && !n->vhost->running &&
        nfvm_vhost_start(n->vhost, n->mem, n->driver_features & ~(F_MAC | F_CTRL_VQ), n->q,
                         n->pairs) < 0)
        n->status |= STATUS_NEEDS_RESET;
}

/* --- registers (vCPU thread) ---------------------------------------------- */

static uint32_t reg_read(struct nfvm_vnet *n, uint64_t off, int *ok)
{
    struct nfvm_vq *q = n->queue_sel < nr_queues(n) ? &n->q[n->queue_sel] : NULL;

    switch (off) {
    case R_MAGIC:
        return MMIO_MAGIC;
    case R_VERSION:
        return 2;
    case R_DEVICE_ID:
        return DEVICE_NET;
    case R_VENDOR_ID:
        return VENDOR_ID;
    case R_DEV_FEAT:
        return n->dev_feat_sel < 2 ? (uint32_t)(dev_features(n) >> (32 * n->dev_feat_sel)) : 0;
    case R_QUEUE_NUM_MAX:
        return q ? NFVM_VQ_SIZE_MAX : 0;
    case R_QUEUE_READY:
        return q && q->ready;
    case R_INT_STATUS:
        return 0;
    case R_STATUS:
        return n->status;
    case R_CONFIG_GEN:
        return 0;
    }
    *ok = 0;
    return 0;
}

static void set_addr(uint64_t *a, bool hi, uint32_t v)
{
    *a = hi ? (*a & 0xffffffffULL) | (uint64_t)v << 32 : (*a & ~0xffffffffULL) | v;
}

static void queue_ready(struct nfvm_vnet *n, struct nfvm_vq *q, uint32_t v)
{
    if (!v) {
        nfvm_vq_reset(q);
        return;
    }
    if (nfvm_vq_enable(q, n->mem) < 0) {
        fprintf(stderr,
                "nfvm: vnet: queue %u: its rings lie outside guest RAM or its size %u "
                "is bad: the device needs a reset\n",
                n->queue_sel, q->size);
        n->status |= STATUS_NEEDS_RESET;
    }
}

/* True when the queues of pairs 0 to pairs - 1 are all ready. */
static bool pairs_ready(const struct nfvm_vnet *n, unsigned pairs)
{
    for (unsigned i = 0; i < 2u * pairs; i++)
        if (!n->q[i].ready)
            return false;
    return true;
}

/* RSS_CONFIG (data: len bytes, over when the command was longer than any
 * RSS configuration): taken when RSS was agreed, the configuration is
 * sound and the queues it reaches are ready; its pairs attach their TAP
 * queues as VQ_PAIRS_SET's would. A refusal is one line (the first few). */
static uint8_t ctrl_rss(struct nfvm_vnet *n, const uint8_t *data, size_t len, bool over)
{
    const char *why = "its queues are not all ready";
    struct nfvm_rss r;

    if (!(n->rss_offer && (n->driver_features & F_RSS)))
        return CTRL_ERR; /* as a device without RSS: a driver need not ask first */
    if (over)
        why = "longer than any RSS configuration";
    else if (nfvm_rss_parse(&r, data, len, n->pairs_max, &why) == 0 && pairs_ready(n, r.pairs)) {
        taps_attach(n, r.pairs);
        n->pairs = r.pairs;
        n->rss = r;
        n->rss_on = true;
        n->rss_sets++;
        return CTRL_OK;
    }
    if (n->ctrl_errors < RSS_SAID_MAX)
        fprintf(stderr, "nfvm: vnet: VIRTIO_NET_CTRL_MQ_RSS_CONFIG refused: %s\n", why);
    return CTRL_ERR;
}

/* The control queue's commands, answered at once: VQ_PAIRS_SET with 1 to
 * pairs_max pairs whose queues are all ready (RSS off: the backend picks
 * each frame's pair, as QEMU does), RSS_CONFIG when RSS was agreed;
 * anything else is refused (VIRTIO_NET_ERR), as a device without that
 * command does. */
static uint8_t ctrl_command(struct nfvm_vnet *n, const uint8_t *cmd, size_t len, bool over)
{
    uint16_t pairs;

    if (len >= 2 && cmd[0] == CTRL_MQ && cmd[1] == CTRL_MQ_RSS_CONFIG)
        return ctrl_rss(n, cmd + 2, len - 2, over);
    if (len < 4 || cmd[0] != CTRL_MQ || cmd[1] != CTRL_MQ_PAIRS_SET)
        return CTRL_ERR;
    pairs = (uint16_t)(cmd[2] | cmd[3] << 8);
    if (pairs < 1 || pairs > n->pairs_max || !pairs_ready(n, pairs))
        return CTRL_ERR;
    if (n->vhost && n->vhost->running && nfvm_vhost_pairs(n->vhost, pairs) < 0)
        return CTRL_ERR;
    taps_attach(n, pairs);
    n->pairs = pairs;
    n->rss_on = false;
    return CTRL_OK;
}

/* Each chain: the device-readable header and data (its first
 * CTRL_CMD_MAX bytes, copied out of guest memory before they are looked
 * at: the guest may change them meanwhile), then the writable ack byte. */
static void ctrl_serve(struct nfvm_vnet *n)
{
    struct nfvm_vq *q = &n->q[2 * n->pairs_max];
    struct nfvm_chain c;
    uint8_t cmd[CTRL_CMD_MAX];
    int r;

    while (q->ready && (r = nfvm_vq_pop(q, n->mem, &c)) != 0) {
        size_t len = 0;
        bool over = false;
        uint8_t *ack = NULL, answer;

        if (r < 0)
            continue;
        for (unsigned i = 0; i < c.n; i++) {
            size_t k = c.seg[i].len < sizeof(cmd) - len ? c.seg[i].len : sizeof(cmd) - len;

            if (c.seg[i].write) {
                ack = ack || !c.seg[i].len ? ack : c.seg[i].p;
            } else if (!ack) {
                memcpy(cmd + len, c.seg[i].p, k);
                len += k;
                over |= k < c.seg[i].len;
            }
        }
        answer = ack ? ctrl_command(n, cmd, len, over) : CTRL_ERR;
        n->ctrl_cmds++;
        n->ctrl_errors += answer != CTRL_OK;
        if (ack)
            *ack = answer;
        nfvm_vq_push(q, c.head, ack ? 1 : 0);
    }
}

static void reset(struct nfvm_vnet *n)
{
    for (unsigned i = 0; i < NFVM_VNET_QUEUES_MAX; i++)
        nfvm_vq_reset(&n->q[i]);
    n->driver_features = 0;
    n->pairs = 1;
    n->rss_on = false;
    taps_attach(n, 1);
}

/* QueueNotify of queue v: the control queue's is answered here, the
 * others wake the I/O thread or are the backend's kick. KVM signals the
 * data queues' itself when nfvm_kvm_ioeventfd took them. */
static int notify(struct nfvm_vnet *n, uint32_t v)
{
    uint64_t one = 1;
    int fd;

    if (n->pairs_max > 1 && v == 2 * n->pairs_max) {
        ctrl_serve(n);
        return 0;
    }
    if (v >= 2 * n->pairs_max)
        return -1;
    fd = n->vhost ? n->vhost->kick[v] : n->kick;
    if (fd >= 0 && write(fd, &one, 8) < 0 && errno != EAGAIN)
        return -1;
    return 0;
}

static int reg_write(struct nfvm_vnet *n, uint64_t off, uint32_t v)
{
    struct nfvm_vq *q = n->queue_sel < nr_queues(n) ? &n->q[n->queue_sel] : NULL;

    switch (off) {
    case R_DEV_FEAT_SEL:
        n->dev_feat_sel = v;
        return 0;
    case R_DRV_FEAT_SEL:
        n->drv_feat_sel = v;
        return 0;
    case R_DRV_FEAT:
        if (n->drv_feat_sel < 2)
            set_addr(&n->driver_features, n->drv_feat_sel, v);
        return 0;
    case R_QUEUE_SEL:
        n->queue_sel = v;
        return 0;
    case R_INT_ACK:
        return 0;
    case R_STATUS:
        if (n->vhost)
            vhost_status(n, v);
        if (!v)
            reset(n);
        /* A reset clears NEEDS_RESET; nothing else the driver writes does. */
        n->status = v ? v | (n->status & STATUS_NEEDS_RESET) : 0;
        return 0;
    case R_QUEUE_NOTIFY:
        return notify(n, v);
    }
    if (!q || q->ready)
        return off == R_QUEUE_READY && q ? (queue_ready(n, q, v), 0) : -1;
    switch (off) {
    case R_QUEUE_NUM:
        q->size = (uint16_t)(v <= NFVM_VQ_SIZE_MAX ? v : 0);
        return 0;
    case R_QUEUE_READY:
        queue_ready(n, q, v);
        return 0;
    case R_DESC_LO:
    case R_DESC_HI:
        set_addr(&q->desc_gpa, off == R_DESC_HI, v);
        return 0;
    case R_DRIVER_LO:
    case R_DRIVER_HI:
        set_addr(&q->avail_gpa, off == R_DRIVER_HI, v);
        return 0;
    case R_DEVICE_LO:
    case R_DEVICE_HI:
        set_addr(&q->used_gpa, off == R_DEVICE_HI, v);
        return 0;
    }
    return -1;
}

int nfvm_vnet_mmio(struct nfvm_vnet *n, uint64_t off, uint8_t *data, unsigned len, bool write)
{
    int ok = 1;
    uint32_t v = 0;

    if (off >= R_CONFIG) { /* the config space, read-only */
        uint8_t cfg[CONFIG_LEN_RSS] = { 0 };
        size_t cfg_len = n->rss_offer ? CONFIG_LEN_RSS : CONFIG_LEN;

        if (write || off - R_CONFIG > cfg_len || len > cfg_len - (off - R_CONFIG))
            return -1;
        memcpy(cfg, n->mac, sizeof(n->mac));
        cfg[8] = (uint8_t)n->pairs_max; /* max_virtqueue_pairs; status 0 (no F_STATUS) */
        /* With RSS: mtu, speed and duplex 0 (not offered), then its three
         * (one byte each is enough: see the assertion below). */
        cfg[offsetof(struct virtio_net_config, rss_max_key_size)] = NFVM_RSS_KEY_MAX;
        cfg[offsetof(struct virtio_net_config, rss_max_indirection_table_length)] =
            NFVM_RSS_TABLE_MAX;
        cfg[offsetof(struct virtio_net_config, supported_hash_types)] = NFVM_RSS_HASHES;
        memcpy(data, cfg + (off - R_CONFIG), len);
        return 0;
    }
    if (len != 4 || (off & 3))
        return -1;
    pthread_mutex_lock(&n->lock);
    if (write) {
        memcpy(&v, data, 4);
        ok = reg_write(n, off, v) == 0;
    } else {
        v = reg_read(n, off, &ok);
        memcpy(data, &v, 4);
    }
    pthread_mutex_unlock(&n->lock);
    return ok ? 0 : -1;
}

_Static_assert(NFVM_RSS_TABLE_MAX < 256 && NFVM_RSS_HASHES < 256, "RSS config fields in a byte");

/* --- packets (I/O thread) ------------------------------------------------- */

/* One transmitted chain -> one frame on the pair's TAP queue, without the
 * header. */
static void tx_one(struct nfvm_vnet *n, int tap, const struct nfvm_chain *c)
{
    size_t skip = HDR_LEN, len = 0;

    for (unsigned i = 0; i < c->n; i++) {
        size_t k = c->seg[i].len, from = 0;

        if (c->seg[i].write)
            continue;
        from = skip < k ? skip : k;
        skip -= from;
        if (k - from > NFVM_VNET_FRAME_MAX - len) {
            n->tx_drops++;
            return;
        }
        memcpy(n->frame + len, c->seg[i].p + from, k - from);
        len += k - from;
    }
    if (skip || !len || tap < 0 || write(tap, n->frame, len) != (ssize_t)len)
        n->tx_drops++;
    else
        n->tx_packets++;
}

static void wake_armed(struct nfvm_vnet *n)
{
    uint64_t one = 1;

    for (unsigned c = 0; n->armed; c++) {
        if (!(n->armed & (1ULL << c)))
            continue;
        n->armed &= ~(1ULL << c);
        /* Fails only when the counter is full: that wakes all the same. */
        (void)!write(n->idle_fd ? n->idle_fd[c] : n->wake, &one, 8);
    }
}

/* One frame from the TAP (at frame + HDR_LEN) -> one chain of receive
 * queue q: the header, then the frame. */
static void rx_one(struct nfvm_vnet *n, struct nfvm_vq *q, const struct nfvm_chain *c, size_t len)
{
    static const uint8_t hdr[HDR_LEN] = { [10] = 1 }; /* num_buffers = 1 */
    size_t done = 0, total = HDR_LEN + len;

    memcpy(n->frame, hdr, HDR_LEN);
    for (unsigned i = 0; i < c->n && done < total; i++) {
        size_t k = c->seg[i].write ? c->seg[i].len : 0;

        k = k < total - done ? k : total - done;
        memcpy(c->seg[i].p, n->frame + done, k);
        done += k;
    }
    if (done < total) {
        n->rx_drops++; /* the driver's buffer is too small */
        nfvm_vq_push(q, c->head, 0);
        return;
    }
    n->rx_packets++;
    nfvm_vq_push(q, c->head, (uint32_t)total);
    wake_armed(n);
}

/* vhost-user: the backend signals a receive ring's call eventfd (n->wake)
 * once the used index passes used_event (EVENT_IDX), or while avail.flags
 * lacks NO_INTERRUPT. The driver keeps both at "never"; the guest is
 * stopped while nfvm changes them (every receive ring: any lcore's frame
 * wakes the sleepers). */
static void vhost_arm_ring(struct nfvm_vnet *n, struct nfvm_vq *q, bool arm)
{
    uint16_t flags;

    if (!q->ready)
        return;
    if (n->driver_features & F_EVENT_IDX) {
        /* used_event = used.idx: the next used entry signals. Again if the
         * backend moved on meanwhile: it checked the old used_event. */
        uint16_t *used_idx = (uint16_t *)(void *)(q->used + 2), idx, again;
        uint16_t *used_event = (uint16_t *)(void *)(q->avail + 4 + 2 * q->size);

        for (again = __atomic_load_n(used_idx, __ATOMIC_ACQUIRE); arm;) {
            idx = again;
            __atomic_store_n(used_event, idx, __ATOMIC_RELAXED);
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            again = __atomic_load_n(used_idx, __ATOMIC_ACQUIRE);
            if (again == idx)
                break;
        }
    } else {
        flags = __atomic_load_n((uint16_t *)(void *)q->avail, __ATOMIC_RELAXED);
        flags = arm ? (uint16_t)(flags & ~AVAIL_NO_INTERRUPT) : (flags | AVAIL_NO_INTERRUPT);
        __atomic_store_n((uint16_t *)(void *)q->avail, flags, __ATOMIC_RELAXED);
    }
}

static void vhost_arm(struct nfvm_vnet *n, bool arm)
{
    if (!n->vhost->running)
        return;
    for (unsigned i = 0; i < n->pairs; i++)
        vhost_arm_ring(n, &n->q[2 * i], arm);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* before the guest's re-poll reads used.idx */
}

void nfvm_vnet_idle_arm(struct nfvm_vnet *n, unsigned cpu)
{
    uint64_t v;

    pthread_mutex_lock(&n->lock);
    /* A wake-up from before is forgotten: the guest polls once more. */
    if (!n->idle_fd)
        (void)!read(n->wake, &v, 8); /* EAGAIN: nothing to forget */
    n->armed |= 1ULL << (cpu % 64);
    if (n->vhost)
        vhost_arm(n, true);
    pthread_mutex_unlock(&n->lock);
}

void nfvm_vnet_idle_disarm(struct nfvm_vnet *n, unsigned cpu)
{
    pthread_mutex_lock(&n->lock);
    n->armed &= ~(1ULL << (cpu % 64));
    if (n->vhost && !n->armed)
        vhost_arm(n, false);
    pthread_mutex_unlock(&n->lock);
}

void nfvm_vnet_idle_wake(struct nfvm_vnet *n)
{
    pthread_mutex_lock(&n->lock);
    wake_armed(n);
    pthread_mutex_unlock(&n->lock);
}

void nfvm_vnet_report(struct nfvm_vnet *n, unsigned index, FILE *f)
{
    pthread_mutex_lock(&n->lock);
    fprintf(f, "nfvm: net %u: ", index);
    if (n->vhost)
        fprintf(f, "vhost-user (its frames are the backend's to count)");
    else
        fprintf(f, "rx %llu, tx %llu, rx drops %llu, tx drops %llu",
                (unsigned long long)n->rx_packets, (unsigned long long)n->tx_packets,
                (unsigned long long)n->rx_drops, (unsigned long long)n->tx_drops);
    fprintf(f, ", control %llu (%llu refused)", (unsigned long long)n->ctrl_cmds,
            (unsigned long long)n->ctrl_errors);
    if (n->rss_offer)
        fprintf(f, ", RSS: %llu configurations taken, %llu drops (no buffer on its queue)",
                (unsigned long long)n->rss_sets, (unsigned long long)n->rss_drops);
    fputc('\n', f);
    pthread_mutex_unlock(&n->lock);
}

/* With RSS: true while a receive queue of the pairs in use has a buffer. */
static bool rss_has_avail(const struct nfvm_vnet *n)
{
    for (unsigned i = 0; i < n->pairs; i++)
        if (nfvm_vq_has_avail(&n->q[2 * i]))
            return true;
    return false;
}

/* Whether TAP queue i may be read now, k frames into this poll: while its
 * pair's receive queue has a buffer; with RSS while any pair's has one, at
 * most RSS_BURST frames (see pair_rx). */
static bool rx_room(const struct nfvm_vnet *n, unsigned i, unsigned k)
{
    return n->rss_on ? k < RSS_BURST && rss_has_avail(n) : nfvm_vq_has_avail(&n->q[2 * i]);
}

/* Frames from TAP queue i into pair i's receive queue; with RSS each into
 * the receive queue RSS picks. The one I/O thread that already moves
 * every pair does it: it holds the lock over all the rings, so steering a
 * frame to another pair's ring needs no new thread, lock or hand-off (a
 * thread per pair would need a lock per ring and a hand-off for each
 * frame RSS moves). A frame cannot go back to the TAP, so with RSS one
 * whose queue has no buffer is a counted drop (rss_drops) rather than
 * holding up the frames behind it for the other queues; RSS_BURST bounds
 * the reads, so that a flood aimed at a full queue does not keep the lock
 * from the vCPUs. */
static void pair_rx(struct nfvm_vnet *n, unsigned i)
{
    struct nfvm_chain c;
    struct nfvm_vq *rx;
    ssize_t len;

    for (unsigned k = 0; n->tap[i] >= 0 && rx_room(n, i, k); k++) {
        len = read(n->tap[i], n->frame + HDR_LEN, sizeof(n->frame) - HDR_LEN);
        if (len <= 0)
            break;
        /* The table names pairs below n->pairs (nfvm_rss_parse, ctrl_rss). */
        rx = &n->q[2 * (n->rss_on ? nfvm_rss_queue(&n->rss, n->frame + HDR_LEN, (size_t)len) : i)];
        if (nfvm_vq_pop(rx, n->mem, &c) > 0) {
            rx_one(n, rx, &c, (size_t)len);
        } else {
            n->rx_drops++;
            n->rss_drops += n->rss_on;
        }
    }
}

/* Pair i's transmit queue, then as many TAP frames as there are receive
 * buffers for (pair_rx). */
static void poll_pair(struct nfvm_vnet *n, unsigned i)
{
    struct nfvm_vq *tx = &n->q[2 * i + 1];
    struct nfvm_chain c;
    int r;

    while ((r = nfvm_vq_pop(tx, n->mem, &c)) != 0) {
        if (r > 0) {
            tx_one(n, n->tap[i], &c);
            nfvm_vq_push(tx, c.head, 0);
        }
    }
    pair_rx(n, i);
}

void nfvm_vnet_poll(struct nfvm_vnet *n)
{
    pthread_mutex_lock(&n->lock);
    for (unsigned i = 0; i < n->pairs_max; i++)
        poll_pair(n, i);
    pthread_mutex_unlock(&n->lock);
}

static void *io_thread(void *arg)
{
    struct nfvm_vnet *n = arg;

    for (;;) {
        struct pollfd p[1 + NFVM_VNET_PAIRS_MAX] = { { .fd = n->kick, .events = POLLIN } };
        uint64_t v;

        pthread_mutex_lock(&n->lock);
        /* A TAP queue only while the driver has buffers for it (with
         * RSS: for any of its pairs, as any may get the frame). */
        for (unsigned i = 0; i < n->pairs_max; i++) {
            p[1 + i].fd = n->tap[i];
            p[1 + i].events =
                (n->rss_on ? rss_has_avail(n) : nfvm_vq_has_avail(&n->q[2 * i])) ? POLLIN : 0;
        }
        pthread_mutex_unlock(&n->lock);
        if (poll(p, 1 + n->pairs_max, POLL_MS) < 0 && errno != EINTR)
            return NULL;
        if (p[0].revents & POLLIN && read(n->kick, &v, 8) < 0 && errno != EAGAIN)
            return NULL;
        nfvm_vnet_poll(n);
    }
}

int nfvm_vnet_start(struct nfvm_vnet *n)
{
    int err = pthread_create(&n->thread, NULL, io_thread, n);

    if (err) {
        fprintf(stderr, "nfvm: vnet: pthread_create: %s\n", strerror(err));
        return -1;
    }
    n->running = true;
    return 0;
}
