/* The vhost-user front-end (vhost.h): messages out with their file
 * descriptors, replies read whole within NFVM_VHOST_TIMEOUT_MS and
 * checked (request, flags, size) before use. The backend is trusted with
 * guest RAM, as QEMU trusts it; a backend that answers wrongly or not at
 * all ends the exchange with one line, never a hang. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <nfos/vhost_user.h>
#include "vhost.h"

#define F_EVENT_IDX (1ULL << 29)

static int vfail(const char *what, const char *why)
{
    fprintf(stderr, "nfvm: vhost-user: %s: %s\n", what, why);
    return -1;
}

static int64_t ms_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int msg_send(struct nfvm_vhost *v, struct vhost_user_msg *m, const int *fds, unsigned nfds)
{
    char control[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)] = { 0 };
    struct iovec iov = { .iov_base = m, .iov_len = VHOST_USER_HDR_LEN + m->size };
    struct msghdr h = { .msg_iov = &iov, .msg_iovlen = 1 };

    if (nfds) {
        struct cmsghdr *c;

        h.msg_control = control;
        h.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    return sendmsg(v->sock, &h, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

static int recv_all(int sock, void *buf, size_t len, int64_t deadline)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = { .fd = sock, .events = POLLIN };
        int64_t left = deadline - ms_now();
        ssize_t n;

        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return -ETIMEDOUT;
        n = recv(sock, (char *)buf + got, len - got, 0);
        if (n <= 0)
            return n == 0 ? -ECONNRESET : -errno;
        got += (size_t)n;
    }
    return 0;
}

/* The reply to req: a u64 payload into *val. */
static int reply_read(struct nfvm_vhost *v, uint32_t req, uint64_t *val, const char *name)
{
    struct vhost_user_msg m;
    int64_t deadline = ms_now() + NFVM_VHOST_TIMEOUT_MS;
    int err = recv_all(v->sock, &m, VHOST_USER_HDR_LEN, deadline);

    if (err)
        return vfail(name, err == -ETIMEDOUT    ? "no reply within 5 s"
                           : err == -ECONNRESET ? "the backend hung up before its whole reply"
                                                : strerror(-err));
    if (m.request != req || (m.flags & ~VHOST_USER_NEED_REPLY) != (VHOST_USER_REPLY | 1) ||
        m.size != 8)
        return vfail(name, "a reply of the wrong request, flags or size");
    if ((err = recv_all(v->sock, &m.payload.u64, 8, deadline)))
        return vfail(name, "the backend hung up before its whole reply");
    *val = m.payload.u64;
    return 0;
}

/* One message; with REPLY_ACK (or a GET) its reply, which must be 0 for a
 * SET. */
static int call(struct nfvm_vhost *v, uint32_t req, const char *name, const void *arg,
                uint32_t size, const int *fds, unsigned nfds, uint64_t *out)
{
    struct vhost_user_msg m = { .request = req, .flags = VHOST_USER_VERSION, .size = size };
    uint64_t val = 0;

    if (size)
        memcpy(&m.payload, arg, size);
    if (!out && (v->protocol & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK)))
        m.flags |= VHOST_USER_NEED_REPLY;
    if (msg_send(v, &m, fds, nfds) < 0)
        return vfail(name, "the backend hung up");
    if (out)
        return reply_read(v, req, out, name);
    if (!(m.flags & VHOST_USER_NEED_REPLY))
        return 0;
    if (reply_read(v, req, &val, name) < 0)
        return -1;
    return val ? vfail(name, "refused by the backend") : 0;
}

static int set_u64(struct nfvm_vhost *v, uint32_t req, const char *name, uint64_t val)
{
    return call(v, req, name, &val, sizeof(val), NULL, 0, NULL);
}

static int set_state(struct nfvm_vhost *v, uint32_t req, const char *name, uint32_t i, uint32_t n)
{
    struct vhost_user_vring_state s = { .index = i, .num = n };

    return call(v, req, name, &s, sizeof(s), NULL, 0, NULL);
}

static int set_fd(struct nfvm_vhost *v, uint32_t req, const char *name, uint32_t i, int fd)
{
    uint64_t val = i;

    return call(v, req, name, &val, sizeof(val), &fd, 1, NULL);
}

/* The protocol features nfvm uses of those offered: REPLY_ACK, and MQ
 * for several pairs. */
static uint64_t protocol_wanted(uint64_t offered, unsigned pairs)
{
    uint64_t want = 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK;

    if (pairs > 1)
        want |= 1ULL << VHOST_USER_PROTOCOL_F_MQ;
    return offered & want;
}

/* Kick eventfds for the rings of pairs 0 .. pairs - 1. */
static int kicks_make(struct nfvm_vhost *v)
{
    for (unsigned i = 0; i < 2 * v->pairs; i++)
        if ((v->kick[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
            return vfail("eventfd", strerror(errno));
    return 0;
}

int nfvm_vhost_connect(struct nfvm_vhost *v, const char *path, int wake, unsigned pairs)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    uint64_t pf = 0, num = 1;

    memset(v, 0, sizeof(*v));
    for (unsigned i = 0; i < NFVM_VNET_QUEUES_MAX; i++)
        v->kick[i] = -1;
    v->call_tx = -1;
    v->call_rx = wake;
    v->pairs = 1;
    if (strlen(path) >= sizeof(a.sun_path))
        return vfail(path, "socket path too long");
    strcpy(a.sun_path, path);
    v->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (v->sock < 0 || connect(v->sock, (struct sockaddr *)&a, sizeof(a)) < 0)
        return vfail(path, strerror(errno));
    if ((v->call_tx = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0)
        return vfail("eventfd", strerror(errno));
    if (call(v, VHOST_USER_SET_OWNER, "SET_OWNER", NULL, 0, NULL, 0, NULL) < 0 ||
        call(v, VHOST_USER_GET_FEATURES, "GET_FEATURES", NULL, 0, NULL, 0, &v->features) < 0)
        return -1;
    if (!(v->features & (1ULL << 32)))
        return vfail(path, "the backend does not offer VIRTIO_F_VERSION_1");
    if (!(v->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
        return kicks_make(v);
    if (call(v, VHOST_USER_GET_PROTOCOL_FEATURES, "GET_PROTOCOL_FEATURES", NULL, 0, NULL, 0, &pf) <
            0 ||
        set_u64(v, VHOST_USER_SET_PROTOCOL_FEATURES, "SET_PROTOCOL_FEATURES",
                protocol_wanted(pf, pairs)) < 0)
        return -1;
    v->protocol = protocol_wanted(pf, pairs);
    if (v->protocol & (1ULL << VHOST_USER_PROTOCOL_F_MQ)) {
        if (call(v, VHOST_USER_GET_QUEUE_NUM, "GET_QUEUE_NUM", NULL, 0, NULL, 0, &num) < 0)
            return -1;
        v->pairs = (unsigned)(num < 1 ? 1 : num < pairs ? num : pairs);
    }
    return kicks_make(v);
}

/* Guest RAM as the memory table: one region per RAM slot, each the memfd
 * at its offset; addresses are nfvm's, as the ring addresses are. */
static int mem_table(struct nfvm_vhost *v, const struct nfvm_mem *m)
{
    struct vhost_user_memory t = { .nregions = 1 };
    int fds[2] = { m->fd, m->fd };

    t.regions[0] = (struct vhost_user_mem_region){ .guest_phys_addr = 0,
                                                   .memory_size = m->low,
                                                   .userspace_addr = (uintptr_t)m->host };
    if (m->high) {
        t.regions[1] =
            (struct vhost_user_mem_region){ .guest_phys_addr = 1ULL << 32,
                                            .memory_size = m->high,
                                            .userspace_addr = (uintptr_t)(m->host + m->low),
                                            .mmap_offset = m->low };
        t.nregions = 2;
    }
    return call(v, VHOST_USER_SET_MEM_TABLE, "SET_MEM_TABLE", &t,
                (uint32_t)(8 + t.nregions * sizeof(t.regions[0])), fds, t.nregions, NULL);
}

static int ring_start(struct nfvm_vhost *v, uint32_t i, const struct nfvm_vq *q)
{
    struct vhost_user_vring_addr a = { .index = i,
                                       .desc_user_addr = (uintptr_t)q->desc,
                                       .used_user_addr = (uintptr_t)q->used,
                                       .avail_user_addr = (uintptr_t)q->avail };

    if (set_state(v, VHOST_USER_SET_VRING_NUM, "SET_VRING_NUM", i, q->size) < 0 ||
        set_state(v, VHOST_USER_SET_VRING_BASE, "SET_VRING_BASE", i, 0) < 0 ||
        call(v, VHOST_USER_SET_VRING_ADDR, "SET_VRING_ADDR", &a, sizeof(a), NULL, 0, NULL) < 0 ||
        set_fd(v, VHOST_USER_SET_VRING_KICK, "SET_VRING_KICK", i, v->kick[i]) < 0 ||
        set_fd(v, VHOST_USER_SET_VRING_CALL, "SET_VRING_CALL", i, i % 2 ? v->call_tx : v->call_rx) <
            0)
        return -1;
    v->started |= 1ULL << i;
    return 0;
}

/* SET_VRING_ENABLE on ring i (with protocol features; without, a started
 * ring is enabled and stays so). */
static int ring_enable(struct nfvm_vhost *v, uint32_t i, int on)
{
    if (!(v->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
        return on ? 0 : vfail("VQ_PAIRS_SET", "the backend cannot disable a ring");
    return set_state(v, VHOST_USER_SET_VRING_ENABLE, "SET_VRING_ENABLE", i, (uint32_t)on);
}

int nfvm_vhost_start(struct nfvm_vhost *v, const struct nfvm_mem *m, uint64_t features,
                     const struct nfvm_vq *q, unsigned active)
{
    uint64_t f =
        (features & v->features) | (v->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));

    if (!q[0].ready || !q[1].ready)
        return vfail("DRIVER_OK", "the guest enabled only one of the two queues");
    if (set_u64(v, VHOST_USER_SET_FEATURES, "SET_FEATURES", f) < 0 || mem_table(v, m) < 0)
        return -1;
    v->started = 0;
    for (uint32_t i = 0; i < 2 * v->pairs; i++) {
        if (!q[i & ~1u].ready || !q[i | 1].ready)
            continue; /* a pair the driver does not use */
        if (ring_start(v, i, &q[i]) < 0)
            return -1;
        if ((v->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) &&
            ring_enable(v, i, i / 2 < active) < 0)
            return -1;
    }
    v->running = 1;
    return 0;
}

int nfvm_vhost_pairs(struct nfvm_vhost *v, unsigned active)
{
    for (uint32_t i = 2; i < 2 * v->pairs; i++) {
        if (!(v->started & (1ULL << i))) {
            if (i / 2 < active)
                return vfail("VQ_PAIRS_SET", "a pair whose rings the backend never got");
            continue;
        }
        if (ring_enable(v, i, i / 2 < active) < 0)
            return -1;
    }
    return 0;
}

int nfvm_vhost_stop(struct nfvm_vhost *v)
{
    int rc = 0;

    if (!v->running)
        return 0;
    v->running = 0;
    for (uint32_t i = 0; i < 2 * v->pairs; i++) {
        struct vhost_user_vring_state s = { .index = i };
        uint64_t val;

        if (!(v->started & (1ULL << i)))
            continue;
        if (call(v, VHOST_USER_GET_VRING_BASE, "GET_VRING_BASE", &s, sizeof(s), NULL, 0, &val) < 0)
            rc = -1;
    }
    v->started = 0;
    return rc;
}
