/* The vhost-user transport: the vdev kind "vhost-user" (nfos/vhost_user.h).
 * Set-up talks the protocol over the socket; the data path never touches
 * it (rings in shared memory, kicks through an eventfd). It does not
 * reconnect, migrate, log dirty pages or take backend requests. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <sys/un.h>
#include <unistd.h>
#include <nfos/bus.h>
#include <nfos/core.h>
#include <nfos/netdev_driver.h>
#include <nfos/plat/memory.h>
#include <nfos/vhost_user.h>
#include <nfos/virtio_transport.h>
#include <nfos/virtio_net.h>

#define VHU_DEVS      8                 /* as many as vdev ports */
#define VHU_PAIRS     NETDEV_MAX_QUEUES /* queue pairs at most */
#define VHU_QUEUES    (2 * VHU_PAIRS)   /* the backend's rings: rx, tx, rx, ... */
#define VHU_CTRL_RING 64                /* the control queue's size */
#define VHU_TIMEOUT_S 5                 /* for every reply */
#define VHU_PROTOCOL \
    ((1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | (1ULL << VHOST_USER_PROTOCOL_F_MQ))
/* Bits the transport itself provides (config space is ours; the control
 * queue too, with more than one pair). */
#define VHU_EMULATED   ((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS))
#define VHU_F_MQ       ((1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_NET_F_CTRL_VQ))
#define VHU_F_PROTOCOL (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)

struct vhu_ring {
    struct virtqueue *vq;
    int kickfd, callfd;
};

struct vhu_dev {
    struct virtio_dev vdev;
    int sock;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    uint64_t backend_features;  /* as GET_FEATURES said */
    uint64_t protocol_features; /* negotiated */
    uint8_t status;
    bool running;
    uint16_t pairs;        /* the backend's queue pairs (GET_QUEUE_NUM), capped */
    uint16_t active_pairs; /* whose rings are enabled */
    struct virtio_net_config config;
    struct vhu_ring ring[VHU_QUEUES];
    struct virtqueue *ctrl; /* ours, with more than one pair */
    uint16_t ctrl_last_avail;
    uint64_t ctrl_errors; /* commands refused */
};

static struct vhu_dev vhu_devs[VHU_DEVS];

static struct vhu_dev *vhu_of(struct virtio_dev *vdev)
{
    return nfos_container_of(vdev, struct vhu_dev, vdev);
}

static const char *req_name(uint32_t req)
{
    static const char *const names[] = {
        [VHOST_USER_GET_FEATURES] = "GET_FEATURES",
        [VHOST_USER_SET_FEATURES] = "SET_FEATURES",
        [VHOST_USER_SET_OWNER] = "SET_OWNER",
        [VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
        [VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
        [VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
        [VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
        [VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
        [VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
        [VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
        [VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
        [VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
        [VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
        [VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
    };

    return req < NFOS_ARRAY_SIZE(names) && names[req] ? names[req] : "?";
}

/* --- Messages -------------------------------------------------------------- */

static int vhu_send(struct vhu_dev *d, struct vhost_user_msg *m, const int *fds, unsigned nfds)
{
    char control[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)] = { 0 };
    struct iovec iov = { .iov_base = m, .iov_len = VHOST_USER_HDR_LEN + m->size };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (nfds) {
        struct cmsghdr *c;

        mh.msg_control = control;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    do {
        n = sendmsg(d->sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    return (size_t)n == iov.iov_len ? 0 : -EPIPE;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* len bytes by deadline: a reply that trickles in is put together, one
 * that is not whole by then is -ETIMEDOUT (no reply may hold the boot for
 * longer than VHU_TIMEOUT_S, however slowly its bytes come). */
static int recv_all(int sock, void *buf, size_t len, int64_t deadline)
{
    struct pollfd pfd = { .fd = sock, .events = POLLIN };
    ssize_t n;
    int ms;

    while (len) {
        if ((ms = (int)(deadline - now_ms())) <= 0)
            return -ETIMEDOUT;
        if ((n = poll(&pfd, 1, ms)) < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        n = recv(sock, buf, len, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        buf = (char *)buf + n;
        len -= (size_t)n;
    }
    return 0;
}

/* The reply to request req: exactly size bytes of payload into *payload.
 * A reply of another request, version or size is -EPROTO, said here (the
 * stream is out of step then: nothing after it is read). */
static int vhu_recv_reply(struct vhu_dev *d, uint32_t req, void *payload, uint32_t size)
{
    int64_t deadline = now_ms() + VHU_TIMEOUT_S * 1000;
    struct vhost_user_msg m;
    int err;

    if ((err = recv_all(d->sock, &m, VHOST_USER_HDR_LEN, deadline)))
        return err;
    if (m.request != req ||
        (m.flags & ~VHOST_USER_NEED_REPLY) != (VHOST_USER_REPLY | VHOST_USER_VERSION) ||
        m.size != size) {
        fprintf(stderr,
                "vhost-user: %s: %s: malformed reply (request %u, flags %#x, size %u; expected "
                "request %u, flags %#x, size %u)\n",
                d->path, req_name(req), m.request, m.flags, m.size, req,
                VHOST_USER_REPLY | VHOST_USER_VERSION, size);
        return -EPROTO;
    }
    return recv_all(d->sock, payload, size, deadline);
}

/* Why a request failed, for its one line (-EPROTO has said it already). */
static void vhu_say(struct vhu_dev *d, uint32_t req, int err)
{
    const char *why = strerror(-err);

    if (err == -EPROTO)
        return;
    if (err == -ETIMEDOUT) {
        fprintf(stderr, "vhost-user: %s: %s: no complete reply within %d s\n", d->path,
                req_name(req), VHU_TIMEOUT_S);
        return;
    }
    if (err == -EIO)
        why = "refused by the backend";
    else if (err == -EPIPE || err == -ECONNRESET)
        why = "the backend closed the connection";
    fprintf(stderr, "vhost-user: %s: %s: %s\n", d->path, req_name(req), why);
}

/* A request with a reply of size bytes (GET_*). */
static int vhu_get(struct vhu_dev *d, uint32_t req, const void *arg, uint32_t arg_size, void *reply,
                   uint32_t reply_size)
{
    struct vhost_user_msg m = { .request = req, .flags = VHOST_USER_VERSION, .size = arg_size };
    int err;

    if (arg_size)
        memcpy(&m.payload, arg, arg_size);
    if (!(err = vhu_send(d, &m, NULL, 0)))
        err = vhu_recv_reply(d, req, reply, reply_size);
    if (err)
        vhu_say(d, req, err);
    return err;
}

/* A request without a reply of its own; acknowledged by the backend when
 * REPLY_ACK was negotiated (then a refusal is -EIO). */
static int vhu_set(struct vhu_dev *d, uint32_t req, const void *arg, uint32_t arg_size,
                   const int *fds, unsigned nfds)
{
    struct vhost_user_msg m = { .request = req, .flags = VHOST_USER_VERSION, .size = arg_size };
    bool ack = d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
    uint64_t status = 0;
    int err;

    if (arg_size)
        memcpy(&m.payload, arg, arg_size);
    if (ack)
        m.flags |= VHOST_USER_NEED_REPLY;
    err = vhu_send(d, &m, fds, nfds);
    if (!err && ack && !(err = vhu_recv_reply(d, req, &status, sizeof(status))) && status)
        err = -EIO;
    if (err)
        vhu_say(d, req, err);
    return err;
}

static int vhu_set_u64(struct vhu_dev *d, uint32_t req, uint64_t v)
{
    return vhu_set(d, req, &v, sizeof(v), NULL, 0);
}

static int vhu_set_state(struct vhu_dev *d, uint32_t req, uint32_t index, uint32_t num)
{
    struct vhost_user_vring_state s = { .index = index, .num = num };

    return vhu_set(d, req, &s, sizeof(s), NULL, 0);
}

static int vhu_set_fd(struct vhu_dev *d, uint32_t req, uint32_t index, int fd)
{
    uint64_t v = index;

    return vhu_set(d, req, &v, sizeof(v), &fd, 1);
}

/* --- Transport operations ---------------------------------------------------- */

/* Stops the backend's rings (GET_VRING_BASE stops one) if they run. */
static int vhu_reset(struct virtio_dev *vdev)
{
    struct vhu_dev *d = vhu_of(vdev);
    struct vhost_user_vring_state s;
    unsigned i;

    for (i = 0; d->running && i < VHU_QUEUES; i++) {
        struct vhost_user_vring_state q = { .index = i };

        if (!d->ring[i].vq)
            continue;
        if (d->protocol_features)
            vhu_set_state(d, VHOST_USER_SET_VRING_ENABLE, i, 0);
        vhu_get(d, VHOST_USER_GET_VRING_BASE, &q, sizeof(q), &s, sizeof(s));
    }
    d->running = false;
    d->status = 0;
    d->active_pairs = 0;
    return 0;
}

static uint8_t vhu_get_status(struct virtio_dev *vdev)
{
    return vhu_of(vdev)->status;
}

static void vhu_set_status(struct virtio_dev *vdev, uint8_t status)
{
    vhu_of(vdev)->status = status;
}

/* MQ and CTRL_VQ are ours to offer, and only with pairs to switch. */
static uint64_t vhu_get_features(struct virtio_dev *vdev)
{
    struct vhu_dev *d = vhu_of(vdev);

    /* RSS would be the control queue's too, which plays only VQ_PAIRS_SET. */
    return (d->backend_features & ~(VHU_F_PROTOCOL | VHU_F_MQ | (1ULL << VIRTIO_NET_F_RSS))) |
           VHU_EMULATED | (d->pairs > 1 ? VHU_F_MQ : 0);
}

static int vhu_set_features(struct virtio_dev *vdev, uint64_t features)
{
    struct vhu_dev *d = vhu_of(vdev);

    /* The backend never sees the control queue. */
    features &= d->backend_features & ~(1ULL << VIRTIO_NET_F_CTRL_VQ);
    features |= d->backend_features & VHU_F_PROTOCOL;
    return vhu_set_u64(d, VHOST_USER_SET_FEATURES, features);
}

static void vhu_read_config(struct virtio_dev *vdev, unsigned off, void *buf, unsigned len)
{
    struct vhu_dev *d = vhu_of(vdev);

    if (off + len <= sizeof(d->config))
        memcpy(buf, (const uint8_t *)&d->config + off, len);
    else
        memset(buf, 0, len);
}

static void vhu_write_config(struct virtio_dev *vdev, unsigned off, const void *buf, unsigned len)
{
    /* Nothing in a net device's config is writable here. */
}

static uint32_t vhu_config_generation(struct virtio_dev *vdev)
{
    return 0;
}

static uint16_t vhu_queue_max_size(struct virtio_dev *vdev, uint16_t idx)
{
    struct vhu_dev *d = vhu_of(vdev);

    if (idx < 2 * d->pairs)
        return VIRTQ_SIZE_MAX;
    return d->pairs > 1 && idx == VIRTIO_NET_CTRLQ(d->pairs) ? VHU_CTRL_RING : 0;
}

static void vhu_notify(struct virtqueue *vq)
{
    struct vhu_ring *r = vq->t.transport_priv;
    uint64_t one = 1;

    /* EAGAIN means the counter is already high: the backend is woken. */
    if (write(r->kickfd, &one, sizeof(one)) < 0)
        return;
}

/* --- The control queue (ours: the backend never sees it) ----------------- */

/* Enables the rings of pairs 0 .. n-1 that exist and disables the others'.
 * 0, or the failed request's error. */
static int vhu_pairs_enable(struct vhu_dev *d, uint16_t n)
{
    unsigned i;
    int err;

    for (i = 0; i < 2u * d->pairs; i++) {
        bool on = i < 2u * n, was = i < 2u * d->active_pairs;

        if (d->ring[i].vq && on != was &&
            (err = vhu_set_state(d, VHOST_USER_SET_VRING_ENABLE, i, on)))
            return err;
    }
    d->active_pairs = n;
    return 0;
}

/* One command's readable bytes (at most len into buf) and the address of
 * its writable ack; the chain is our own driver's, in our own memory, but
 * walked with bounds all the same. Returns the bytes read. */
static unsigned vhu_ctrl_read(const struct virtqueue *vq, uint16_t head, uint8_t *buf, unsigned len,
                              uint8_t **ack)
{
    const struct virtq_desc *desc = (const struct virtq_desc *)(uintptr_t)vq->t.desc_addr;
    unsigned n = 0, hops = 0;
    uint16_t id = head;

    *ack = NULL;
    while (id < vq->t.size && hops++ < vq->t.size) {
        const struct virtq_desc *dd = &desc[id];

        if (dd->flags & VIRTQ_DESC_F_WRITE) {
            *ack = dd->len ? (uint8_t *)(uintptr_t)dd->addr : NULL;
            break;
        }
        for (uint32_t i = 0; i < dd->len && n < len; i++)
            buf[n++] = ((const uint8_t *)(uintptr_t)dd->addr)[i];
        if (!(dd->flags & VIRTQ_DESC_F_NEXT))
            break;
        id = dd->next;
    }
    return n;
}

/* VIRTIO_NET_OK or VIRTIO_NET_ERR for one command. */
static uint8_t vhu_ctrl_do(struct vhu_dev *d, const uint8_t *cmd, unsigned len)
{
    uint16_t n;

    if (len < 4 || cmd[0] != VIRTIO_NET_CTRL_MQ || cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET)
        return VIRTIO_NET_ERR;
    n = (uint16_t)(cmd[2] | cmd[3] << 8);
    if (n < 1 || n > d->pairs || vhu_pairs_enable(d, n))
        return VIRTIO_NET_ERR;
    if (core_verbose())
        printf("vhost-user: %s: %u queue pairs enabled\n", d->path, n);
    return VIRTIO_NET_OK;
}

/* The driver kicked the control queue: every command in it is done now,
 * in order, as a device would (used entries, avail_event moved on). */
static void vhu_ctrl_notify(struct virtqueue *vq)
{
    struct vhu_dev *d = vq->t.transport_priv;
    struct virtq_avail *avail = (struct virtq_avail *)(uintptr_t)vq->t.avail_addr;
    struct virtq_used *used = (struct virtq_used *)(uintptr_t)vq->t.used_addr;
    uint16_t end = __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE), mask = vq->t.size - 1;
    uint16_t used_idx = used->idx;

    while (d->ctrl_last_avail != end) {
        uint16_t head = avail->ring[d->ctrl_last_avail++ & mask];
        uint8_t cmd[8], *ack, r;
        unsigned len = vhu_ctrl_read(vq, head, cmd, sizeof(cmd), &ack);

        r = ack ? vhu_ctrl_do(d, cmd, len) : VIRTIO_NET_ERR;
        d->ctrl_errors += r != VIRTIO_NET_OK;
        if (ack)
            *ack = r;
        used->ring[used_idx & mask] = (struct virtq_used_elem){ head, ack ? 1 : 0 };
        used_idx++;
    }
    __atomic_store_n(&used->idx, used_idx, __ATOMIC_RELEASE);
    /* avail_event: kick again at the next command. */
    __atomic_store_n((uint16_t *)&used->ring[vq->t.size], end, __ATOMIC_RELEASE);
}

static int vhu_ctrl_enable(struct vhu_dev *d, struct virtqueue *vq)
{
    d->ctrl = vq;
    d->ctrl_last_avail = 0;
    vq->t.notify = vhu_ctrl_notify;
    vq->t.transport_priv = d;
    return 0;
}

static int vhu_queue_enable(struct virtio_dev *vdev, struct virtqueue *vq)
{
    struct vhu_ring *r;

    if (vhu_of(vdev)->pairs > 1 && vq->t.index == VIRTIO_NET_CTRLQ(vhu_of(vdev)->pairs))
        return vhu_ctrl_enable(vhu_of(vdev), vq);
    /* Checked before the pointer is formed: &ring[index] beyond the array
     * is undefined behaviour even unused. */
    if (vq->t.index >= 2 * vhu_of(vdev)->pairs)
        return -ENOENT;
    r = &vhu_of(vdev)->ring[vq->t.index];
    if (r->kickfd < 0 && (r->kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return -errno;
    if (r->callfd < 0 && (r->callfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return -errno;
    r->vq = vq;
    vq->t.notify = vhu_notify;
    vq->t.transport_priv = r;
    return 0;
}

static int vhu_send_mem_table(struct vhu_dev *d)
{
    const struct plat_mem_region *reg;
    struct vhost_user_memory mem = { 0 };
    int fds[VHOST_USER_MAX_REGIONS];
    int nr = plat_mem_regions(&reg), i, err;

    for (i = 0; i < nr && i < VHOST_USER_MAX_REGIONS; i++) {
        struct vhost_user_mem_region *r = &mem.regions[i];

        if ((err = plat_mem_share((unsigned)i, &fds[i], &r->mmap_offset)))
            return err;
        r->guest_phys_addr = r->userspace_addr = reg[i].base;
        r->memory_size = reg[i].len;
    }
    mem.nregions = (uint32_t)i;
    return vhu_set(d, VHOST_USER_SET_MEM_TABLE, &mem,
                   (uint32_t)(offsetof(struct vhost_user_memory, regions) +
                              sizeof(mem.regions[0]) * mem.nregions),
                   fds, mem.nregions);
}

static int vhu_start_ring(struct vhu_dev *d, unsigned i)
{
    struct virtqueue *vq = d->ring[i].vq;
    struct vhost_user_vring_addr a = {
        .index = i,
        .desc_user_addr = vq->t.desc_addr,
        .used_user_addr = vq->t.used_addr,
        .avail_user_addr = vq->t.avail_addr,
    };
    int err;

    if ((err = vhu_set_fd(d, VHOST_USER_SET_VRING_CALL, i, d->ring[i].callfd)) ||
        (err = vhu_set_state(d, VHOST_USER_SET_VRING_NUM, i, vq->t.size)) ||
        (err = vhu_set_state(d, VHOST_USER_SET_VRING_BASE, i, vq->last_used)) ||
        (err = vhu_set(d, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0)) ||
        (err = vhu_set_fd(d, VHOST_USER_SET_VRING_KICK, i, d->ring[i].kickfd)))
        return err;
    return 0;
}

/* DRIVER_OK: the backend gets our memory and the rings, and starts. */
static int vhu_driver_ok(struct virtio_dev *vdev)
{
    struct vhu_dev *d = vhu_of(vdev);
    unsigned i;
    int err;

    if ((err = vhu_send_mem_table(d)))
        return err;
    for (i = 0; i < VHU_QUEUES; i++)
        if (d->ring[i].vq && (err = vhu_start_ring(d, i)))
            return err;
    /* With protocol features rings start disabled (the spec's rule); the
     * device uses one pair until the control queue says otherwise. */
    d->active_pairs = 0;
    if (d->backend_features & VHU_F_PROTOCOL && (err = vhu_pairs_enable(d, 1)))
        return err;
    d->running = true;
    if (core_verbose())
        printf("vhost-user: %s: rings started\n", d->path);
    return 0;
}

/* The backend writes a ring's call eventfd when the ring asks for
 * interrupts (plat/idle.h's sleep; poll mode never does). */
static int vhu_queue_wait_fd(struct virtio_dev *vdev, uint16_t idx)
{
    struct vhu_dev *d = vhu_of(vdev);

    return idx < 2 * d->pairs ? d->ring[idx].callfd : -1;
}

static const struct virtio_transport_ops vhu_ops = {
    .name = "vhost-user",
    .reset = vhu_reset,
    .get_status = vhu_get_status,
    .set_status = vhu_set_status,
    .get_features = vhu_get_features,
    .set_features = vhu_set_features,
    .read_config = vhu_read_config,
    .write_config = vhu_write_config,
    .config_generation = vhu_config_generation,
    .queue_max_size = vhu_queue_max_size,
    .queue_enable = vhu_queue_enable,
    .driver_ok = vhu_driver_ok,
    .queue_wait_fd = vhu_queue_wait_fd,
};

/* --- Probe ----------------------------------------------------------------- */

/* The socket path, and the MAC from netdev[N].mac= (N: the port this
 * device will be), else 02:00:00:00:76:N. */
static int vhu_parse(struct vhu_dev *d, const char *arg)
{
    unsigned port = netdev_next_port();
    int err;

    if (!arg[0] || strlen(arg) >= sizeof(d->path)) {
        fprintf(stderr,
                "vhost-user: '%s': expected vhost-user:PATH, a socket path of 1 to %zu "
                "characters\n",
                arg, sizeof(d->path) - 1);
        return -EINVAL;
    }
    strcpy(d->path, arg);
    err = netdev_port_mac(port, d->config.mac);
    if (err == -ENOENT) {
        netdev_mac_from_port(d->config.mac, port);
    } else if (err) {
        char prefix[NETDEV_PARAM_PREFIX_MAX];

        fprintf(stderr, "vhost-user: %s.mac=%s: expected a unicast aa:bb:cc:dd:ee:ff\n",
                netdev_port_prefix(port, prefix), netdev_port_param(port, "mac"));
        return err;
    }
    return 0;
}

static int vhu_connect(struct vhu_dev *d)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = VHU_TIMEOUT_S };

    int err;

    strcpy(sa.sun_path, d->path);
    if ((d->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(d->sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        err = -errno;
        fprintf(stderr, "vhost-user: cannot connect to %s: %s (is the backend listening?)\n",
                d->path, strerror(-err));
        return err;
    }
    setsockopt(d->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return 0;
}

/* The backend's queue pairs: GET_QUEUE_NUM with the MQ protocol feature,
 * else 1; capped at VHU_PAIRS; 0 is the backend's error. */
static int vhu_queue_num(struct vhu_dev *d)
{
    uint64_t n = 1;
    int err;

    if (d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_MQ) &&
        (err = vhu_get(d, VHOST_USER_GET_QUEUE_NUM, NULL, 0, &n, sizeof(n))))
        return err;
    if (n == 0) {
        fprintf(stderr, "vhost-user: %s: GET_QUEUE_NUM: the backend has no queues\n", d->path);
        return -EPROTO;
    }
    d->pairs = (uint16_t)NFOS_MIN(n, (uint64_t)VHU_PAIRS);
    return 0;
}

/* SET_OWNER, the backend's features and the protocol features. */
static int vhu_handshake(struct vhu_dev *d)
{
    uint64_t pf;
    int err;

    if ((err = vhu_set(d, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0)) ||
        (err = vhu_get(d, VHOST_USER_GET_FEATURES, NULL, 0, &d->backend_features,
                       sizeof(d->backend_features))))
        return err;
    if (d->backend_features & VHU_F_PROTOCOL) {
        if ((err = vhu_get(d, VHOST_USER_GET_PROTOCOL_FEATURES, NULL, 0, &pf, sizeof(pf))) ||
            (err = vhu_set_u64(d, VHOST_USER_SET_PROTOCOL_FEATURES, pf & VHU_PROTOCOL)))
            return err;
        d->protocol_features = pf & VHU_PROTOCOL;
    }
    if ((err = vhu_queue_num(d)))
        return err;
    if (core_verbose())
        printf("vhost-user: %s: connected, backend features %#llx, protocol features %#llx, "
               "%u queue pair%s\n",
               d->path, (unsigned long long)d->backend_features,
               (unsigned long long)d->protocol_features, d->pairs, d->pairs > 1 ? "s" : "");
    return 0;
}

static void vhu_close(struct vhu_dev *d)
{
    unsigned i;

    for (i = 0; i < VHU_QUEUES; i++) {
        if (d->ring[i].kickfd >= 0)
            close(d->ring[i].kickfd);
        if (d->ring[i].callfd >= 0)
            close(d->ring[i].callfd);
    }
    if (d->sock >= 0)
        close(d->sock);
    memset(d, 0, sizeof(*d));
}

/* "vhost-user PATH" for messages, or "vhost-user ...ATH" (the end of the
 * path, where it differs from others) when the whole does not fit. */
static void vhu_name(struct vhu_dev *d)
{
    const size_t tail = sizeof(d->vdev.name) - sizeof("vhost-user ...");
    size_t len = strlen(d->path);

    const char *pre = len <= tail + 3 ? "vhost-user " : "vhost-user ...";
    const char *src = len <= tail + 3 ? d->path : d->path + len - tail;
    size_t pl = strlen(pre), sl = strlen(src);

    /* Copied by hand: snprintf from d->path into d->vdev.name, two fields
     * of one object, makes GCC warn of an overlap that cannot happen. */
    if (pl + sl >= sizeof(d->vdev.name))
        sl = sizeof(d->vdev.name) - 1 - pl;
    memcpy(d->vdev.name, pre, pl);
    memcpy(d->vdev.name + pl, src, sl);
    d->vdev.name[pl + sl] = '\0';
}

/* Every failure prints one line (here, in the protocol code, or in the
 * virtio core and driver) and stops the boot through the vdev bus. */
static int vhu_probe(struct bus_device *bdev)
{
    struct vdev_device *v = nfos_container_of(bdev, struct vdev_device, dev);
    struct vhu_dev *d = &vhu_devs[v->index % VHU_DEVS];
    unsigned i;
    int err;

    if (d->vdev.ops)
        return -EBUSY;
    d->sock = -1;
    for (i = 0; i < VHU_QUEUES; i++)
        d->ring[i].kickfd = d->ring[i].callfd = -1;
    if ((err = vhu_parse(d, v->arg)) || (err = vhu_connect(d)) || (err = vhu_handshake(d)))
        goto err_close;
    d->config.status = VIRTIO_NET_S_LINK_UP;
    d->config.max_virtqueue_pairs = d->pairs;
    d->config.mtu = 1500;
    d->vdev.ops = &vhu_ops;
    d->vdev.bdev = bdev;
    d->vdev.device_id = VIRTIO_ID_NET;
    vhu_name(d);
    if ((err = virtio_device_add(&d->vdev)))
        goto err_close;
    bdev->priv = d;
    return 0;

err_close:
    vhu_close(d);
    return err;
}

static const struct bus_driver vhu_driver = {
    .name = "vhost-user",
    .bus = "vdev",
    .ids = "vhost-user",
    .probe = vhu_probe,
};
BUS_DRIVER_REGISTER(vhu_driver);
