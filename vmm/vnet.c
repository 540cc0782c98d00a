/* A virtio-net device (virtio 1.x, one rx and one tx queue, features
 * VERSION_1 and MAC only) on the virtio-mmio transport (version 2), with a
 * TAP interface behind it. The driver polls and never wants interrupts;
 * its kicks (QueueNotify) wake nfvm's I/O thread through an eventfd. Any
 * register access the transport does not define ends the guest. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
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
#define F_EVENT_IDX        (1ULL << 29)
#define F_VERSION1         (1ULL << 32)
#define FEATURES           (F_MAC | F_VERSION1)
#define VHOST_FEATURES     (F_VERSION1 | F_EVENT_IDX) /* when the backend offers them */
#define STATUS_DRIVER_OK   0x04
#define STATUS_NEEDS_RESET 0x40
#define AVAIL_NO_INTERRUPT 1
#define POLL_MS            100 /* a backstop: kicks normally wake the thread */

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

static int tap_open(const char *ifname)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "nfvm: --net tap:%s: open /dev/net/tun: %s\n", ifname, strerror(errno));
        return -1;
    }
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "nfvm: --net tap:%s: TUNSETIFF: %s\n", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int nfvm_vnet_init(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base, const char *ifname,
                   unsigned index)
{
    memset(n, 0, sizeof(*n) - sizeof(n->frame));
    pthread_mutex_init(&n->lock, NULL);
    n->mem = m;
    n->base = base;
    memcpy(n->mac, (const uint8_t[6]){ 0x02, 0x6e, 0x66, 0x76, 0x6d, (uint8_t)(index + 1) }, 6);
    n->tap = n->kick = -1;
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
    n->tap = tap_open(ifname);
    return n->tap < 0 ? -1 : 0;
}

int nfvm_vnet_init_vhost(struct nfvm_vnet *n, const struct nfvm_mem *m, uint64_t base,
                         const char *path, unsigned index)
{
    if (nfvm_vnet_init(n, m, base, NULL, index) < 0)
        return -1;
    n->vhost = calloc(1, sizeof(*n->vhost));
    if (!n->vhost) {
        fprintf(stderr, "nfvm: vhost-user: out of memory\n");
        return -1;
    }
    return nfvm_vhost_connect(n->vhost, path, n->wake);
}

/* What the device offers the driver. */
static uint64_t dev_features(const struct nfvm_vnet *n)
{
    return n->vhost ? (n->vhost->features & VHOST_FEATURES) | F_MAC : FEATURES;
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
        nfvm_vhost_start(n->vhost, n->mem, n->driver_features & ~F_MAC, n->q) < 0)
        n->status |= STATUS_NEEDS_RESET;
}

/* --- registers (vCPU thread) ---------------------------------------------- */

static uint32_t reg_read(struct nfvm_vnet *n, uint64_t off, int *ok)
{
    struct nfvm_vq *q = n->queue_sel < 2 ? &n->q[n->queue_sel] : NULL;

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

static int reg_write(struct nfvm_vnet *n, uint64_t off, uint32_t v)
{
    struct nfvm_vq *q = n->queue_sel < 2 ? &n->q[n->queue_sel] : NULL;
    uint64_t one = 1;

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
        if (!v) { /* reset */
            nfvm_vq_reset(&n->q[0]);
            nfvm_vq_reset(&n->q[1]);
            n->driver_features = 0;
        }
        /* A reset clears NEEDS_RESET; nothing else the driver writes does. */
        n->status = v ? v | (n->status & STATUS_NEEDS_RESET) : 0;
        return 0;
    case R_QUEUE_NOTIFY: {
        /* KVM signals these itself when nfvm_kvm_ioeventfd took them. */
        int fd = n->vhost ? (v < 2 ? n->vhost->kick[v] : -1) : n->kick;

        if (fd >= 0 && write(fd, &one, 8) < 0 && errno != EAGAIN)
            return -1;
        return 0;
    }
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

    if (off >= R_CONFIG) { /* the config space: the MAC, read-only */
        if (write || off - R_CONFIG > sizeof(n->mac) || len > sizeof(n->mac) - (off - R_CONFIG))
            return -1;
        memcpy(data, n->mac + (off - R_CONFIG), len);
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

/* --- packets (I/O thread) ------------------------------------------------- */

/* One transmitted chain -> one frame on the TAP, without the header. */
static void tx_one(struct nfvm_vnet *n, const struct nfvm_chain *c)
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
    if (skip || !len || write(n->tap, n->frame, len) != (ssize_t)len)
        n->tx_drops++;
    else
        n->tx_packets++;
}

/* One frame from the TAP (at frame + HDR_LEN) -> one receive chain: the
 * header, then the frame. */
static void rx_one(struct nfvm_vnet *n, const struct nfvm_chain *c, size_t len)
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
        nfvm_vq_push(&n->q[0], c->head, 0);
        return;
    }
    n->rx_packets++;
    nfvm_vq_push(&n->q[0], c->head, (uint32_t)total);
    if (n->wake_armed) {
        uint64_t one = 1;

        n->wake_armed = false;
        /* Fails only when the counter is full: that wakes all the same. */
        (void)!write(n->wake, &one, 8);
    }
}

/* vhost-user: the backend signals the call eventfd (n->wake) once the
 * used index passes used_event (EVENT_IDX), or while avail.flags lacks
 * NO_INTERRUPT. The driver keeps both at "never"; the guest is stopped
 * while nfvm changes them. */
static void vhost_arm(struct nfvm_vnet *n, bool arm)
{
    struct nfvm_vq *q = &n->q[0];
    uint16_t flags;

    if (!q->ready || !n->vhost->running)
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
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* before the guest's re-poll reads used.idx */
}

void nfvm_vnet_idle_arm(struct nfvm_vnet *n)
{
    uint64_t v;

    pthread_mutex_lock(&n->lock);
    (void)!read(n->wake, &v, 8); /* EAGAIN: nothing to forget */
    n->wake_armed = true;
    if (n->vhost)
        vhost_arm(n, true);
    pthread_mutex_unlock(&n->lock);
}

void nfvm_vnet_idle_disarm(struct nfvm_vnet *n)
{
    pthread_mutex_lock(&n->lock);
    n->wake_armed = false;
    if (n->vhost)
        vhost_arm(n, false);
    pthread_mutex_unlock(&n->lock);
}

void nfvm_vnet_poll(struct nfvm_vnet *n)
{
    struct nfvm_chain c;
    ssize_t len;
    int r;

    pthread_mutex_lock(&n->lock);
    while ((r = nfvm_vq_pop(&n->q[1], n->mem, &c)) != 0) {
        if (r > 0) {
            tx_one(n, &c);
            nfvm_vq_push(&n->q[1], c.head, 0);
        }
    }
    while (n->tap >= 0 && nfvm_vq_has_avail(&n->q[0])) {
        len = read(n->tap, n->frame + HDR_LEN, sizeof(n->frame) - HDR_LEN);
        if (len <= 0)
            break;
        if (nfvm_vq_pop(&n->q[0], n->mem, &c) > 0)
            rx_one(n, &c, (size_t)len);
        else
            n->rx_drops++;
    }
    pthread_mutex_unlock(&n->lock);
}

static void *io_thread(void *arg)
{
    struct nfvm_vnet *n = arg;

    for (;;) {
        struct pollfd p[2] = { { .fd = n->kick, .events = POLLIN }, { .fd = n->tap } };
        uint64_t v;

        pthread_mutex_lock(&n->lock);
        /* The TAP only while the driver has buffers for it. */
        p[1].events = nfvm_vq_has_avail(&n->q[0]) ? POLLIN : 0;
        pthread_mutex_unlock(&n->lock);
        if (poll(p, 2, POLL_MS) < 0 && errno != EINTR)
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
