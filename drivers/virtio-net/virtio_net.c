/* The virtio-net poll-mode driver: a netdev over rx/tx pairs of split
 * virtqueues, one pair per netdev queue (MQ, switched on through the
 * control queue at start). It never takes interrupts, never copies a
 * frame, and kicks only when the device asked (the virtio core decides).
 * RSS, when offered, spreads flows over the pairs. It does not do
 * offloads, mergeable rx buffers, hash reports or rx filters. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <nfos/alloc.h>
#include <nfos/arch/cpu.h>
#include <nfos/core.h>
#include <nfos/netdev_driver.h>
#include <nfos/plat/idle.h>
#include <nfos/plat/time.h>
#include <nfos/virtio.h>
#include <nfos/virtio_net.h>

#define HDR_LEN VIRTIO_NET_HDR_LEN
/* At most this many frames per burst (NETDEV_BURST_MAX). */
#define VNET_BURST_MAX 64
/* rx refills once this many descriptors are free (or half a small ring). */
#define VNET_REFILL_MIN 32
/* A tx frame may have at most this many segments. */
#define VNET_TX_SEGS_MAX 16
/* How long stop waits for the device to finish the tx ring. */
#define VNET_STOP_DRAIN_NS (100 * 1000 * 1000ULL)
/* How long the tx ring may stand full, the device taking nothing, before
 * the driver kicks whether or not the device asked (vnet_tx_stalled). */
#define VNET_STALL_KICK_NS (1000 * 1000ULL)
/* How long start waits for the device to answer a control command. */
#define VNET_CTRL_WAIT_NS (1000 * 1000 * 1000ULL)
/* The control queue's ring: one command at a time. */
#define VNET_CTRL_RING 8
/* RSS: the indirection table's entries at most, the key's length. */
#define VNET_RSS_TABLE_MAX 128
#define VNET_RSS_KEY_LEN   VIRTIO_NET_RSS_KEY_MIN
#define VNET_RSS_HASHES \
    (VIRTIO_NET_HASH_TYPE_IPv4 | VIRTIO_NET_HASH_TYPE_TCPv4 | VIRTIO_NET_HASH_TYPE_UDPv4)
#define VNET_RSS_CMD_MAX (11 + 2 * VNET_RSS_TABLE_MAX + VNET_RSS_KEY_LEN)

#define VNET_WANTED                                                     \
    ((1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |       \
     (1ULL << VIRTIO_F_RING_EVENT_IDX) | (1ULL << VIRTIO_F_VERSION_1) | \
     (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ) | (1ULL << VIRTIO_F_IN_ORDER))

struct vnet_rxq {
    struct virtqueue *vq;
    struct pool *pool;
    uint16_t port;
    uint16_t refill_min;
    uint64_t ring_errors_base; /* vnet_ring_errors at the last stats reset */
    struct netdev_queue_stats stats;
} __nfos_cache_aligned;

struct vnet_txq {
    struct virtqueue *vq;
    uint64_t ring_errors_base;
    uint64_t stall_since; /* TSC when a burst last found the ring full, or 0 */
    uint64_t stall_tsc;   /* VNET_STALL_KICK_NS in TSC cycles */
    uint64_t stall_kicks; /* kicks the device did not ask for (vnet_tx_stalled) */
    struct netdev_queue_stats stats;
} __nfos_cache_aligned;

/* A control command in memory the device reads and writes. */
struct vnet_ctrl_cmd {
    struct virtio_net_ctrl_hdr hdr;
    union {
        struct virtio_net_ctrl_mq mq;
        uint8_t rss[VNET_RSS_CMD_MAX];
    } data;
    uint8_t ack;
};

/* RSS as the device allows it; table_len 0: no RSS. */
struct vnet_rss {
    uint32_t hash_types;
    uint16_t table_len; /* a power of two */
};

struct vnet_port {
    struct netdev dev;
    struct vnet_rxq rxq[NETDEV_MAX_QUEUES];
    struct vnet_txq txq[NETDEV_MAX_QUEUES];
    struct virtio_dev *vdev;
    struct virtqueue *ctrl; /* with CTRL_VQ, created at the first start */
    struct vnet_ctrl_cmd cmd;
    uint32_t max_mtu;
    uint16_t dev_max_pairs; /* the device's max_virtqueue_pairs (MQ), else 1 */
    uint16_t max_pairs;     /* the same, capped at NETDEV_MAX_QUEUES */
    uint16_t pairs;         /* configured */
    uint16_t dev_pairs;     /* what the device uses now: 1 after reset */
    struct vnet_rss rss;
    bool started;
};

static unsigned vnet_count;

static struct vnet_port *port_of(struct netdev *dev)
{
    return nfos_container_of(dev, struct vnet_port, dev);
}

/* --- Fast path ----------------------------------------------------------- */

/* Posts pool netbufs until the ring is full or the pool is empty; what the
 * pool could not give counts as rx drops. */
static void vnet_rx_refill(struct vnet_rxq *q)
{
    struct netbuf *nbs[VNET_BURST_MAX];
    unsigned want = virtq_nr_free(q->vq), have = pool_avail(q->pool), n, i;

    if (want < q->refill_min)
        return;
    if (unlikely(have < want)) {
        q->stats.drops += want - have;
        want = have;
    }
    for (; want; want -= n) {
        struct virtq_batch b;

        n = NFOS_MIN(want, VNET_BURST_MAX);
        if (unlikely(netbuf_alloc_bulk(q->pool, nbs, n)))
            break;
        virtq_batch_begin(q->vq, &b);
        for (i = 0; i < n; i++) {
            struct netbuf *nb = nbs[i];
            uint8_t *hdr = netbuf_data(nb) - HDR_LEN;

            virtq_batch_add(&b, (uintptr_t)hdr, nb->buf_len - nb->data_off + HDR_LEN, true, nb);
        }
        virtq_batch_end(q->vq, &b);
    }
    virtq_publish(q->vq);
}

static uint16_t vnet_rx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct vnet_rxq *q = queue;
    uint32_t lens[VNET_BURST_MAX];
    unsigned got, i, kept = 0;
    uint64_t bytes = 0;

    got = virtq_get_used_burst(q->vq, (void **)pkts, lens, NFOS_MIN(n, VNET_BURST_MAX));
    for (i = 0; i < got; i++) {
        struct netbuf *nb = pkts[i];
        uint32_t len = lens[i];

        if (unlikely(len <= HDR_LEN)) {
            /* Empty, or a length the core found impossible. */
            q->stats.errors++;
            netbuf_free(nb);
            continue;
        }
        len -= HDR_LEN;
        nb->len = len;
        nb->pkt_len = len;
        nb->port = q->port;
        bytes += len;
        pkts[kept++] = nb;
    }
    vnet_rx_refill(q);
    q->stats.packets += kept;
    q->stats.bytes += bytes;
    if (!kept)
        q->stats.empty_polls++;
    return (uint16_t)kept;
}

/* Zeroes a tx frame's virtio-net header, writing only when it is not zero
 * already. A forwarded frame's header is the one the device wrote on rx,
 * all zero without offloads, and its line is in the device's core's cache:
 * reading leaves it shared there, where a store would take it away and the
 * device would have to fetch it back to send the frame. */
static inline void vnet_hdr_clear(uint8_t *hdr)
{
    uint64_t a;
    uint32_t b;

    memcpy(&a, hdr, 8);
    memcpy(&b, hdr + 8, 4);
    if (a | b)
        memset(hdr, 0, HDR_LEN);
}

/* Sent frames back to their pools. No lengths: with IN_ORDER the ring
 * reads only the newest used entry. */
static void vnet_tx_reclaim(struct vnet_txq *q)
{
    void *done[VNET_BURST_MAX];
    unsigned got, i;

    while ((got = virtq_get_used_burst(q->vq, done, NULL, VNET_BURST_MAX)))
        for (i = 0; i < got; i++)
            netbuf_free(done[i]);
}

/* The ring is full and the device took nothing back. With EVENT_IDX the
 * device asks for a kick at one index; a device that stops short of it
 * without asking again waits forever for a kick that never comes. QEMU
 * before 9.0 does that (virtio_net_tx_complete flushes one tx_burst and
 * schedules nothing after it: seen here as a storm test's guest whose tx
 * stood still after ~10,000 replies). After VNET_STALL_KICK_NS of a full
 * ring, kick anyway, and again each such while: a device that is merely
 * slow gets one spare notification per millisecond. Only a burst that sent
 * nothing gets here, but an app that retries at once (DPDK's txonly) does
 * so at full speed: the clock is the TSC, never a system call (linuxu's
 * plat_time_ns is one, and cost a third of such a loop's cycles). */
static void __nfos_noinline vnet_tx_stalled(struct vnet_txq *q)
{
    uint64_t now = arch_rdtsc();

    if (!q->stall_since) {
        q->stall_since = now;
    } else if (now - q->stall_since >= q->stall_tsc) {
        q->stall_since = now;
        q->stall_kicks++;
        virtq_notify(q->vq);
    }
}

/* A frame of several segments: the header in front of the first. 0,
 * -ENOSPC (ring too full, retry later) or -EINVAL (cannot be sent). */
static int vnet_tx_chain(struct vnet_txq *q, struct netbuf *nb)
{
    struct virtq_sg sg[VNET_TX_SEGS_MAX];
    struct netbuf *seg;
    unsigned n = 0;

    for (seg = nb; seg; seg = seg->next) {
        if (n == VNET_TX_SEGS_MAX)
            return -EINVAL;
        sg[n].addr = (uintptr_t)netbuf_data(seg);
        sg[n++].len = seg->len;
    }
    sg[0].addr -= HDR_LEN;
    sg[0].len += HDR_LEN;
    vnet_hdr_clear(netbuf_data(nb) - HDR_LEN);
    return virtq_add_chain(q->vq, sg, n, 0, nb);
}

/* The one-segment frames of pkts from i on, as one batch of adds: the
 * index of the first frame it did not take (n, or a frame of several
 * segments or without room for the header, or the ring full: *full). A
 * loop of its own, the chains' way out of line, so that its state stays in
 * registers. */
static __nfos_noinline unsigned vnet_tx_simple(struct vnet_txq *q, struct netbuf **pkts, unsigned i,
                                               unsigned n, uint64_t *bytes, bool *full)
{
    struct virtq_batch b;
    uint64_t sum = 0;

    virtq_batch_begin(q->vq, &b);
    for (; i < n; i++) {
        struct netbuf *nb = pkts[i];
        uint8_t *hdr;

        if (unlikely(nb->data_off < HDR_LEN || nb->next))
            break;
        hdr = netbuf_data(nb) - HDR_LEN;
        vnet_hdr_clear(hdr);
        if (unlikely(virtq_batch_add(&b, (uintptr_t)hdr, nb->len + HDR_LEN, false, nb))) {
            *full = true;
            break;
        }
        sum += nb->pkt_len;
    }
    virtq_batch_end(q->vq, &b);
    *bytes += sum;
    return i;
}

/* A frame vnet_tx_simple left: 0 sent, -ENOSPC (retry later), or taken
 * and dropped (counted; the caller must not free it again). */
static __nfos_noinline int vnet_tx_other(struct vnet_txq *q, struct netbuf *nb)
{
    int err = nb->data_off < HDR_LEN ? -EINVAL : vnet_tx_chain(q, nb);

    if (err && err != -ENOSPC) {
        q->stats.errors++;
        netbuf_free(nb);
    }
    return err;
}

static uint16_t vnet_tx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct vnet_txq *q = queue;
    unsigned i = 0, dropped = 0;
    uint64_t bytes = 0;
    bool full = false;
    int err;

    /* Reclaim in big batches, only when the burst might not fit: reading
     * the used ring every call would pull its cache lines away from the
     * device while it writes them. */
    if (virtq_nr_free(q->vq) < NFOS_MAX(n, VNET_REFILL_MIN))
        vnet_tx_reclaim(q);
    while ((i = vnet_tx_simple(q, pkts, i, n, &bytes, &full)) < n && !full) {
        if ((err = vnet_tx_other(q, pkts[i])) == -ENOSPC)
            break;
        if (err)
            dropped++;
        else
            bytes += pkts[i]->pkt_len;
        i++;
    }
    virtq_publish(q->vq);
    if (unlikely(i == 0) && n)
        vnet_tx_stalled(q);
    else if (unlikely(q->stall_since))
        q->stall_since = 0;
    q->stats.packets += i - dropped;
    q->stats.bytes += bytes;
    q->stats.drops += n - i;
    return (uint16_t)i;
}

/* --- Slow path ----------------------------------------------------------- */

/* What the device wrote wrong into a queue's used ring, as port errors
 * (counted by the ring, added here: nothing on the fast path). A bad rx
 * length is in rx errors already (the frame was dropped as empty). */
static uint64_t vnet_ring_errors(const struct virtqueue *vq, bool rx)
{
    if (!vq)
        return 0;
    return vq->stats.bad_used_id + vq->stats.bad_used_idx + (rx ? 0 : vq->stats.bad_used_len);
}

/* One line per queue pair whose used rings the device wrote what it must
 * not (an exit report reads it with the port's counters): a buggy backend,
 * named. */
static void vnet_ring_report(struct vnet_port *p)
{
    static const struct virtq_stats none;
    unsigned i;

    for (i = 0; i < NETDEV_MAX_QUEUES; i++) {
        const struct virtq_stats *r = p->rxq[i].vq ? &p->rxq[i].vq->stats : &none;
        const struct virtq_stats *t = p->txq[i].vq ? &p->txq[i].vq->stats : &none;

        if (p->txq[i].stall_kicks)
            printf("virtio-net: %s: queue %u: tx ring stood full a millisecond with the device "
                   "taking nothing, kicked unasked: %llu times\n",
                   p->dev.name, i, (unsigned long long)p->txq[i].stall_kicks);
        if (!(r->bad_used_id | r->bad_used_len | r->bad_used_idx | t->bad_used_id |
              t->bad_used_len | t->bad_used_idx))
            continue;
        printf("virtio-net: %s: queue %u: device wrote bad used entries: rx %llu ids %llu "
               "lengths %llu indices | tx %llu ids %llu lengths %llu indices\n",
               p->dev.name, i, (unsigned long long)r->bad_used_id,
               (unsigned long long)r->bad_used_len, (unsigned long long)r->bad_used_idx,
               (unsigned long long)t->bad_used_id, (unsigned long long)t->bad_used_len,
               (unsigned long long)t->bad_used_idx);
    }
}

static int vnet_info(struct netdev *dev, struct netdev_info *info)
{
    struct vnet_port *p = port_of(dev);
    uint16_t max = virtio_queue_max_size(p->vdev, VIRTIO_NET_RXQ);

    info->driver = "virtio-net";
    info->max_rx_queues = info->max_tx_queues = p->max_pairs;
    info->max_ring_size = NFOS_MIN(max, (uint16_t)VIRTQ_SIZE_MAX);
    info->max_mtu = p->max_mtu;
    info->min_rx_buf = p->max_mtu + 14;
    return 0;
}

/* Queue pairs: as many as the larger of the rx and tx counts (a pair's
 * unused half is simply not set up), as DPDK's virtio PMD does. */
static int vnet_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    struct vnet_port *p = port_of(dev);

    /* The device delivers every frame (no rx filter commands are sent): it
     * is as promiscuous as it gets, whatever conf->promisc says. */
    if (p->started)
        return -EBUSY;
    p->pairs = NFOS_MAX(conf->nb_rx_queues, conf->nb_tx_queues);
    return 0;
}

/* The queue's virtqueue, created on first use, emptied and rewound on a
 * later set-up (only before start: virtio cannot stop one queue). */
static int vnet_queue(struct vnet_port *p, struct virtqueue **vqp, uint16_t index, uint16_t size)
{
    struct netbuf *nb;
    int err;

    if (p->started)
        return -EBUSY;
    if (*vqp) {
        if (size && size != (*vqp)->t.size)
            return -EBUSY; /* the device already has the ring's size */
        while ((nb = virtq_detach_unused(*vqp)))
            netbuf_free(nb);
        return virtq_rewind(*vqp);
    }
    if ((err = virtq_create(p->vdev, index, size, vqp)))
        *vqp = NULL;
    return err;
}

static int vnet_rxq_setup(struct netdev *dev, uint16_t qi, uint16_t ring_size, struct pool *pool,
                          void **queue)
{
    struct vnet_port *p = port_of(dev);
    struct vnet_rxq *q = &p->rxq[qi];
    struct netbuf *probe;
    bool fits;
    int err;

    if (!(probe = netbuf_alloc(pool)))
        return -ENOBUFS;
    fits = probe->data_off >= HDR_LEN && netbuf_tailroom(probe) >= p->max_mtu + 14;
    netbuf_free(probe);
    if (!fits)
        return -EINVAL;
    if ((err = vnet_queue(p, &q->vq, VIRTIO_NET_RXQ_OF(qi), ring_size)))
        return err;
    q->pool = pool;
    q->port = dev->port;
    q->refill_min = NFOS_MIN(VNET_REFILL_MIN, q->vq->t.size / 2);
    memset(&q->stats, 0, sizeof(q->stats));
    q->ring_errors_base = vnet_ring_errors(q->vq, true);
    vnet_rx_refill(q);
    q->stats.drops = 0; /* a small pool at set-up is not a drop */
    *queue = q;
    return 0;
}

static int vnet_txq_setup(struct netdev *dev, uint16_t qi, uint16_t ring_size, void **queue)
{
    struct vnet_port *p = port_of(dev);
    struct vnet_txq *q = &p->txq[qi];
    int err;

    if ((err = vnet_queue(p, &q->vq, VIRTIO_NET_TXQ_OF(qi), ring_size)))
        return err;
    memset(&q->stats, 0, sizeof(q->stats));
    q->ring_errors_base = vnet_ring_errors(q->vq, false);
    q->stall_tsc = plat_tsc_hz() / (1000000000ULL / VNET_STALL_KICK_NS);
    *queue = q;
    return 0;
}

/* The Toeplitz key Microsoft's RSS specification gives as the example,
 * which NIC drivers use by default. */
static const uint8_t vnet_rss_key[VNET_RSS_KEY_LEN] = VIRTIO_NET_RSS_KEY_MS;

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* The chain that carries cmd: header and data device-readable, the ack
 * writable (VIRTIO_NET_ERR until the device says otherwise). */
static void vnet_ctrl_chain(struct vnet_ctrl_cmd *cmd, uint8_t class, uint8_t c, uint32_t data_len,
                            struct virtq_sg sg[3])
{
    cmd->hdr.class = class;
    cmd->hdr.cmd = c;
    cmd->ack = VIRTIO_NET_ERR;
    sg[0] = (struct virtq_sg){ (uintptr_t)&cmd->hdr, sizeof(cmd->hdr) };
    sg[1] = (struct virtq_sg){ (uintptr_t)&cmd->data, data_len };
    sg[2] = (struct virtq_sg){ (uintptr_t)&cmd->ack, sizeof(cmd->ack) };
}

/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET for pairs. */
static void vnet_ctrl_mq_encode(struct vnet_ctrl_cmd *cmd, uint16_t pairs, struct virtq_sg sg[3])
{
    put16((uint8_t *)&cmd->data.mq.virtqueue_pairs, pairs);
    vnet_ctrl_chain(cmd, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, sizeof(cmd->data.mq),
                    sg);
}

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG spreading over pairs (entry i of the table:
 * pair i % pairs; unclassified frames to pair 0; pairs tx queues). */
static void vnet_ctrl_rss_encode(struct vnet_ctrl_cmd *cmd, const struct vnet_rss *rss,
                                 uint16_t pairs, struct virtq_sg sg[3])
{
    uint8_t *d = cmd->data.rss;
    unsigned i, n = rss->table_len;

    put16(d, (uint16_t)rss->hash_types);
    put16(d + 2, (uint16_t)(rss->hash_types >> 16));
    put16(d + 4, (uint16_t)(n - 1));
    put16(d + 6, 0);
    for (i = 0; i < n; i++)
        put16(d + 8 + 2 * i, (uint16_t)(i % pairs));
    put16(d + 8 + 2 * n, pairs);
    d[10 + 2 * n] = VNET_RSS_KEY_LEN;
    memcpy(d + 11 + 2 * n, vnet_rss_key, VNET_RSS_KEY_LEN);
    vnet_ctrl_chain(cmd, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_RSS_CONFIG,
                    11 + 2 * n + VNET_RSS_KEY_LEN, sg);
}

/* Sends the command in p->cmd (sg: its chain) and waits (bounded) for the
 * device's answer. 0, -ETIMEDOUT (said in one line naming what, for pairs
 * queue pairs) or -EIO (refused: the caller says what it does then). */
static int vnet_ctrl_send(struct vnet_port *p, struct virtq_sg sg[3], const char *what,
                          uint16_t pairs)
{
    uint64_t deadline = plat_time_ns() + VNET_CTRL_WAIT_NS;
    uint32_t len;
    void *done;
    int err;

    if ((err = virtq_add_chain(p->ctrl, sg, 2, 1, &p->cmd)))
        return err; /* a command still in the ring: a device that never answered */
    virtq_publish(p->ctrl);
    while (!(done = virtq_get_used(p->ctrl, &len))) {
        if (plat_time_ns() > deadline) {
            fprintf(stderr, "virtio-net: %s: no answer to %s %u\n", p->dev.name, what, pairs);
            return -ETIMEDOUT;
        }
    }
    if (done != &p->cmd || len < 1 || p->cmd.ack != VIRTIO_NET_OK)
        return -EIO;
    return 0;
}

/* Tells the device to use pairs queue pairs: RSS over them when it has
 * RSS, else (or when it refuses the RSS command) VQ_PAIRS_SET, where the
 * backend picks each frame's rx queue (docs/ARCHITECTURE.md: QEMU's
 * multi_queue TAP by the kernel's flow hash). A refused RSS is said in one
 * line and not asked again. */
static int vnet_ctrl_pairs(struct vnet_port *p, uint16_t pairs)
{
    static const char rss_cmd[] = "VIRTIO_NET_CTRL_MQ_RSS_CONFIG",
                      pairs_cmd[] = "VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET";
    struct virtq_sg sg[3];
    int err = -EIO;

    if (p->rss.table_len) {
        vnet_ctrl_rss_encode(&p->cmd, &p->rss, pairs, sg);
        if ((err = vnet_ctrl_send(p, sg, rss_cmd, pairs)) == -EIO) {
            fprintf(stderr,
                    "virtio-net: %s: device refused %s %u (ack %u): %s instead, the "
                    "backend picks each frame's queue\n",
                    p->dev.name, rss_cmd, pairs, p->cmd.ack, pairs_cmd);
            p->rss.table_len = 0;
        }
    }
    if (err == -EIO) {
        vnet_ctrl_mq_encode(&p->cmd, pairs, sg);
        if ((err = vnet_ctrl_send(p, sg, pairs_cmd, pairs)) == -EIO)
            fprintf(stderr, "virtio-net: %s: device refused %s %u (ack %u)\n", p->dev.name,
                    pairs_cmd, pairs, p->cmd.ack);
    }
    if (err)
        return err;
    p->dev_pairs = pairs;
    if (core_verbose())
        printf("virtio-net: %s: %u queue pairs, %s\n", p->dev.name, pairs,
               p->rss.table_len ? "RSS" : "the backend picks each frame's queue (no RSS)");
    return 0;
}

/* The control queue exists from the first start on when MQ was agreed (it
 * must exist before DRIVER_OK); commands go after DRIVER_OK. */
static void vnet_rx_interrupts(void *rxq, int on)
{
    virtq_interrupts(((struct vnet_rxq *)rxq)->vq, on);
}

/* On a transport with a host eventfd per ring (vhost-user on linuxu), an
 * idle app sleeps on the receive rings' (nfos/plat/idle.h); on the others
 * nfvm watches the device itself. */
static void vnet_idle_watch(struct vnet_port *p, bool watch)
{
    unsigned i;
    int fd;

    for (i = 0; i < NETDEV_MAX_QUEUES; i++) {
        if (!p->rxq[i].vq || (fd = virtio_queue_wait_fd(p->vdev, VIRTIO_NET_RXQ_OF(i))) < 0)
            continue;
        if (watch)
            plat_idle_watch(fd, PLAT_IDLE_FD_COUNTER, vnet_rx_interrupts, &p->rxq[i]);
        else
            plat_idle_unwatch(fd);
    }
}

static int vnet_start(struct netdev *dev)
{
    struct vnet_port *p = port_of(dev);
    int err;

    if (p->started) {
        vnet_idle_watch(p, true); /* a stop took the watches away */
        return 0;
    }
    if (NETDEV_MAX_QUEUES > 1 && p->max_pairs > 1 && !p->ctrl &&
        (err =
             virtq_create(p->vdev, VIRTIO_NET_CTRLQ(p->dev_max_pairs), VNET_CTRL_RING, &p->ctrl))) {
        fprintf(stderr, "virtio-net: %s: cannot set up the control queue (%s)\n", dev->name,
                strerror(-err));
        return err;
    }
    if ((err = virtio_driver_ok(p->vdev)))
        return err;
    if (NETDEV_MAX_QUEUES > 1 && p->ctrl && p->pairs != p->dev_pairs &&
        (err = vnet_ctrl_pairs(p, p->pairs)))
        return err;
    vnet_idle_watch(p, true);
    p->started = true;
    return 0;
}

/* Virtio cannot pause a queue without a reset, so the device keeps its rx
 * buffers and a later start just goes on. What stop does: wait (a bounded
 * while) until the device has taken every frame tx holds, and free them, so
 * that an app that stops its ports before exiting loses no frame. */
static void vnet_stop(struct netdev *dev)
{
    struct vnet_port *p = port_of(dev);
    uint64_t deadline = plat_time_ns() + VNET_STOP_DRAIN_NS;
    unsigned i;

    for (i = 0; i < NETDEV_MAX_QUEUES; i++) {
        struct vnet_txq *q = &p->txq[i];

        if (!q->vq)
            continue;
        do {
            vnet_tx_reclaim(q);
        } while (q->vq->in_flight && plat_time_ns() < deadline);
    }
    vnet_idle_watch(p, false);
    vnet_ring_report(p);
}

static int vnet_set_promisc(struct netdev *dev, bool on)
{
    return on ? 0 : -ENOTSUP;
}

static int vnet_link(struct netdev *dev, struct netdev_link *link)
{
    struct vnet_port *p = port_of(dev);
    uint16_t status = VIRTIO_NET_S_LINK_UP;

    if (virtio_has(p->vdev, VIRTIO_NET_F_STATUS) &&
        virtio_config_read(p->vdev, offsetof(struct virtio_net_config, status), &status,
                           sizeof(status)))
        return -EIO;
    link->up = p->started && (status & VIRTIO_NET_S_LINK_UP);
    link->full_duplex = true;
    return 0;
}

static void vnet_stats(struct netdev *dev, struct netdev_stats *stats)
{
    struct vnet_port *p = port_of(dev);
    unsigned i;

    for (i = 0; i < NETDEV_MAX_QUEUES; i++) {
        const struct vnet_rxq *r = &p->rxq[i];
        const struct vnet_txq *t = &p->txq[i];

        stats->rx[i] = r->stats;
        stats->tx[i] = t->stats;
        stats->bufs_held += (r->vq ? r->vq->in_flight : 0) + (t->vq ? t->vq->in_flight : 0);
        stats->rx[i].errors += vnet_ring_errors(r->vq, true) - r->ring_errors_base;
        stats->tx[i].errors += vnet_ring_errors(t->vq, false) - t->ring_errors_base;
    }
}

static void vnet_stats_reset(struct netdev *dev)
{
    struct vnet_port *p = port_of(dev);
    unsigned i;

    for (i = 0; i < NETDEV_MAX_QUEUES; i++) {
        memset(&p->rxq[i].stats, 0, sizeof(p->rxq[i].stats));
        memset(&p->txq[i].stats, 0, sizeof(p->txq[i].stats));
        p->rxq[i].ring_errors_base = vnet_ring_errors(p->rxq[i].vq, true);
        p->txq[i].ring_errors_base = vnet_ring_errors(p->txq[i].vq, false);
    }
}

static const struct netdev_ops vnet_ops = {
    .info = vnet_info,
    .configure = vnet_configure,
    .rxq_setup = vnet_rxq_setup,
    .txq_setup = vnet_txq_setup,
    .start = vnet_start,
    .stop = vnet_stop,
    .set_promisc = vnet_set_promisc,
    .link = vnet_link,
    .stats = vnet_stats,
    .stats_reset = vnet_stats_reset,
};

/* CTRL_VQ and MQ only together (MQ needs the control queue; the control
 * queue alone is of no use to this driver): a device without MQ is driven
 * with exactly the features it always was. */
static uint64_t vnet_wanted(struct virtio_dev *vdev)
{
    const uint64_t mq = (1ULL << VIRTIO_NET_F_CTRL_VQ) | (1ULL << VIRTIO_NET_F_MQ);
    uint64_t offered;

    if (NETDEV_MAX_QUEUES == 1) /* a single-CPU image: no MQ code at all */
        return VNET_WANTED & ~mq;
    offered = virtio_features_offered(vdev);
    if ((offered & mq) == mq)
        return VNET_WANTED | (1ULL << VIRTIO_NET_F_RSS);
    if (offered & (1ULL << VIRTIO_NET_F_MQ))
        fprintf(stderr, "virtio-net: %s: MQ without CTRL_VQ: one queue pair\n", vdev->name);
    return VNET_WANTED & ~mq;
}

/* What RSS the device allows: IPv4 with or without TCP/UDP ports hashed,
 * our key, a table of at most VNET_RSS_TABLE_MAX entries. A device that
 * cannot take that gets VQ_PAIRS_SET instead, said in a line. */
static int vnet_rss_probe(struct vnet_port *p)
{
    uint8_t key;
    uint16_t max_len, len = 1;
    uint32_t types;
    int err;

    if ((err = virtio_config_read(p->vdev, offsetof(struct virtio_net_config, rss_max_key_size),
                                  &key, sizeof(key))) ||
        (err = virtio_config_read(
             p->vdev, offsetof(struct virtio_net_config, rss_max_indirection_table_length),
             &max_len, sizeof(max_len))) ||
        (err = virtio_config_read(p->vdev, offsetof(struct virtio_net_config, supported_hash_types),
                                  &types, sizeof(types))))
        return err;
    if (key < VNET_RSS_KEY_LEN || !max_len || !(types & VNET_RSS_HASHES)) {
        fprintf(stderr, "virtio-net: %s: RSS with key %u, table %u, hashes %#x: not used\n",
                p->vdev->name, key, max_len, types);
        return 0;
    }
    while (len < VNET_RSS_TABLE_MAX && 2u * len <= max_len)
        len = (uint16_t)(len * 2);
    p->rss.hash_types = types & VNET_RSS_HASHES;
    p->rss.table_len = len;
    return 0;
}

/* How many queue pairs the device has (MQ: max_virtqueue_pairs, which
 * names the control queue too) and how many the driver will use. A pair
 * count out of the spec's range gets one pair and a line. */
static int vnet_mq_probe(struct vnet_port *p)
{
    struct virtio_dev *vdev = p->vdev;
    uint16_t n;
    int err;

    p->max_pairs = p->dev_max_pairs = 1;
    if (NETDEV_MAX_QUEUES == 1 || !virtio_has(vdev, VIRTIO_NET_F_MQ))
        return 0;
    if ((err = virtio_config_read(vdev, offsetof(struct virtio_net_config, max_virtqueue_pairs), &n,
                                  sizeof(n))))
        return err;
    if (n < VIRTIO_NET_MQ_PAIRS_MIN || n > VIRTIO_NET_MQ_PAIRS_MAX) {
        fprintf(stderr, "virtio-net: %s: max_virtqueue_pairs %u out of range: one queue pair\n",
                vdev->name, n);
        return 0;
    }
    p->dev_max_pairs = n;
    p->max_pairs = NFOS_MIN(n, (uint16_t)NETDEV_MAX_QUEUES);
    return virtio_has(vdev, VIRTIO_NET_F_RSS) ? vnet_rss_probe(p) : 0;
}

static int vnet_probe(struct virtio_dev *vdev)
{
    struct vnet_port *p;
    int err;

    if ((err = virtio_negotiate(vdev, vnet_wanted(vdev))))
        return err;
    if ((err = alloc_memalign((void **)&p, NFOS_CACHE_LINE, sizeof(*p))))
        return err;
    memset(p, 0, sizeof(*p));
    p->vdev = vdev;
    p->max_mtu = 1500;
    p->pairs = p->dev_pairs = 1;
    if ((err = vnet_mq_probe(p)))
        goto err_free;
    if (virtio_has(vdev, VIRTIO_NET_F_MAC)) {
        if ((err =
                 virtio_config_read(vdev, offsetof(struct virtio_net_config, mac), p->dev.mac, 6)))
            goto err_free;
    } else { /* locally administered, unique in this image */
        netdev_mac_from_port(p->dev.mac, netdev_next_port());
    }
    p->dev.ops = &vnet_ops;
    p->dev.rx_burst = vnet_rx_burst;
    p->dev.tx_burst = vnet_tx_burst;
    p->dev.priv = p;
    snprintf(p->dev.name, sizeof(p->dev.name), "vnet%u", vnet_count);
    if ((err = netdev_register(&p->dev)))
        goto err_free;
    vnet_count++;
    vdev->driver_priv = p;
    return 0;

err_free:
    alloc_free(p);
    return err;
}

static const char *const vnet_feature_names[64] = {
    [VIRTIO_NET_F_CSUM] = "CSUM",
    [VIRTIO_NET_F_GUEST_CSUM] = "GUEST_CSUM",
    [2] = "CTRL_GUEST_OFFLOADS",
    [VIRTIO_NET_F_MTU] = "MTU",
    [VIRTIO_NET_F_MAC] = "MAC",
    [6] = "GSO",
    [7] = "GUEST_TSO4",
    [8] = "GUEST_TSO6",
    [9] = "GUEST_ECN",
    [10] = "GUEST_UFO",
    [11] = "HOST_TSO4",
    [12] = "HOST_TSO6",
    [13] = "HOST_ECN",
    [14] = "HOST_UFO",
    [VIRTIO_NET_F_MRG_RXBUF] = "MRG_RXBUF",
    [VIRTIO_NET_F_STATUS] = "STATUS",
    [VIRTIO_NET_F_CTRL_VQ] = "CTRL_VQ",
    [18] = "CTRL_RX",
    [19] = "CTRL_VLAN",
    [20] = "CTRL_RX_EXTRA",
    [21] = "GUEST_ANNOUNCE",
    [VIRTIO_NET_F_MQ] = "MQ",
    [23] = "CTRL_MAC_ADDR",
    [61] = "RSC_EXT",
    [62] = "STANDBY",
    [VIRTIO_NET_F_RSS] = "RSS",
    [63] = "SPEED_DUPLEX",
};

static const struct virtio_driver vnet_driver = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .probe = vnet_probe,
    .feature_names = vnet_feature_names,
};
VIRTIO_DRIVER_REGISTER(vnet_driver);
