/* afpacket: a netdev port on a Linux interface through an AF_PACKET socket,
 * netdev.dev=packet:IFNAME. One socket, TPACKET_V3 for both rings, one
 * mmap: the rx ring (blocks) then the tx ring (slots). The socket is bound
 * to the interface only while the port is started.
 *
 * The MAC is the interface's (we send on it), the MTU too (set it with ip
 * link). Promiscuous mode is a PACKET_MR_PROMISC membership, taken when the
 * app asks for it (conf.promisc or netdev_set_promisc) and dropped by the
 * kernel when the process ends, unlike the IFF_PROMISC flag. Our own
 * frames are not received back: PACKET_IGNORE_OUTGOING (Linux 4.20), else
 * the walker skips PACKET_OUTGOING frames. Kernel drops (ring full, from
 * PACKET_STATISTICS) count in rx drops.
 *
 * Not done: more than one queue pair (PACKET_FANOUT would give them).
 * Frames a local sender left with CHECKSUM_PARTIAL (veth peers with tx
 * checksum offload) arrive with their checksum not filled in, as with any
 * AF_PACKET reader. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/sockios.h>
#include <nfos/bus.h>
#include <nfos/core.h>
#include <nfos/plat/idle.h>
#include "afpacket_priv.h"

#define AFP_RX_FRAMES_DEFAULT 2048 /* 2 KiB frames: a 4 MiB rx ring */
#define AFP_TX_FRAMES_DEFAULT 1024
#define AFP_RING_FRAMES_MAX   32768
#define AFP_BLOCK_MIN         (64u << 10)
#define AFP_RX_FRAME_NOMINAL  2048u
#define AFP_RX_RETIRE_MS      1 /* a partly filled block reaches us after this */
#define AFP_RX_BLOCKS_MIN     4

struct afp_port {
    struct netdev dev;
    struct afp_rxq rxq;
    struct afp_txq txq;
    int fd;
    int ifindex;
    uint32_t ifmtu;
    char ifname[IFNAMSIZ];
    uint8_t *map;
    size_t map_len;
    uint16_t rx_frames, tx_frames; /* asked for at queue set-up, 0: default */
    bool promisc_member;
    bool bypass, ignore_outgoing; /* what the kernel agreed to */
    uint64_t kernel_drops;        /* summed: PACKET_STATISTICS resets on read */
};

static struct afp_port afp_ports[NETDEV_MAX_PORTS];
static unsigned afp_nr;

static struct afp_port *afp_of(struct netdev *dev)
{
    return nfos_container_of(dev, struct afp_port, dev);
}

static int afp_ifreq(const struct afp_port *p, unsigned long req, struct ifreq *ifr)
{
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, IFNAMSIZ, "%s", p->ifname);
    return ioctl(p->fd, req, ifr) < 0 ? -errno : 0;
}

static int afp_setopt(int fd, int opt, const void *val, socklen_t len)
{
    return setsockopt(fd, SOL_PACKET, opt, val, len) < 0 ? -errno : 0;
}

static uint32_t afp_pow2_at_least(uint32_t v)
{
    uint32_t p = 1;

    while (p < v)
        p <<= 1;
    return p;
}

static int afp_info(struct netdev *dev, struct netdev_info *info)
{
    info->driver = "packet";
    info->max_ring_size = AFP_RING_FRAMES_MAX;
    info->max_mtu = afp_of(dev)->ifmtu;
    info->min_rx_buf = afp_of(dev)->ifmtu + AFP_ETH_HLEN + AFP_VLAN_HLEN;
    return 0;
}

static int afp_set_promisc(struct netdev *dev, bool on)
{
    struct afp_port *p = afp_of(dev);
    struct packet_mreq mr = { .mr_ifindex = p->ifindex, .mr_type = PACKET_MR_PROMISC };
    int err;

    if (on == p->promisc_member)
        return 0;
    err = afp_setopt(p->fd, on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP, &mr, sizeof(mr));
    if (!err)
        p->promisc_member = on;
    return err;
}

static int afp_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    return afp_set_promisc(dev, conf->promisc);
}

static int afp_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool,
                         void **queue)
{
    struct afp_port *p = afp_of(dev);
    struct netbuf *probe = netbuf_alloc(pool);

    (void)q;
    if (!probe)
        return -ENOBUFS;
    p->rxq.room = netbuf_tailroom(probe);
    netbuf_free(probe);
    p->rxq.pool = pool;
    p->rxq.port = dev->port;
    p->rx_frames = ring_size;
    *queue = &p->rxq;
    return 0;
}

static int afp_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, void **queue)
{
    struct afp_port *p = afp_of(dev);

    (void)q;
    p->tx_frames = ring_size;
    *queue = &p->txq;
    return 0;
}

/* The rx ring: blocks of at least 64 KiB that hold the largest frame. */
static void afp_rx_req(const struct afp_port *p, struct tpacket_req3 *r)
{
    uint32_t frames = p->rx_frames ? p->rx_frames : AFP_RX_FRAMES_DEFAULT;
    uint32_t bs = afp_pow2_at_least(NFOS_MAX(AFP_BLOCK_MIN, p->ifmtu + 256));
    uint32_t nr = (uint32_t)(((uint64_t)frames * AFP_RX_FRAME_NOMINAL + bs - 1) / bs);

    memset(r, 0, sizeof(*r));
    r->tp_block_size = bs;
    r->tp_block_nr = NFOS_MAX(nr, AFP_RX_BLOCKS_MIN);
    r->tp_frame_size = AFP_RX_FRAME_NOMINAL; /* V3 ignores it but checks it */
    r->tp_frame_nr = r->tp_block_nr * (bs / AFP_RX_FRAME_NOMINAL);
    r->tp_retire_blk_tov = AFP_RX_RETIRE_MS;
}

/* The tx ring: power-of-two slots that hold the largest frame. */
static void afp_tx_req(const struct afp_port *p, struct tpacket_req3 *r)
{
    uint32_t frames = p->tx_frames ? p->tx_frames : AFP_TX_FRAMES_DEFAULT;
    uint32_t fs = afp_pow2_at_least(
        NFOS_MAX(2048u, AFP_TX_DATA_OFF + p->ifmtu + AFP_ETH_HLEN + AFP_VLAN_HLEN));
    uint32_t bs = NFOS_MAX(fs, AFP_BLOCK_MIN), per_block = bs / fs;

    memset(r, 0, sizeof(*r));
    r->tp_block_size = bs;
    r->tp_block_nr = (frames + per_block - 1) / per_block;
    r->tp_frame_size = fs;
    r->tp_frame_nr = r->tp_block_nr * per_block;
}

/* Version, options, both rings and their mapping: once, at first start. */
static int afp_rings_create(struct afp_port *p)
{
    struct tpacket_req3 rx, tx;
    int v3 = TPACKET_V3, one = 1, err;
    size_t rx_len;
    void *map;

    afp_rx_req(p, &rx);
    afp_tx_req(p, &tx);
    if ((err = afp_setopt(p->fd, PACKET_VERSION, &v3, sizeof(v3))))
        return err;
    p->bypass = !afp_setopt(p->fd, PACKET_QDISC_BYPASS, &one, sizeof(one));
    p->ignore_outgoing = !afp_setopt(p->fd, PACKET_IGNORE_OUTGOING, &one, sizeof(one));
    /* A slot the kernel refuses is skipped rather than stalling the ring;
     * afp_tx_burst refuses what the kernel would first. */
    if ((err = afp_setopt(p->fd, PACKET_LOSS, &one, sizeof(one))) ||
        (err = afp_setopt(p->fd, PACKET_RX_RING, &rx, sizeof(rx))) ||
        (err = afp_setopt(p->fd, PACKET_TX_RING, &tx, sizeof(tx))))
        return err;
    rx_len = (size_t)rx.tp_block_size * rx.tp_block_nr;
    p->map_len = rx_len + (size_t)tx.tp_block_size * tx.tp_block_nr;
    map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, p->fd, 0);
    if (map == MAP_FAILED)
        return -errno;
    p->map = map;
    p->rxq.ring = p->map;
    p->rxq.block_size = rx.tp_block_size;
    p->rxq.block_nr = rx.tp_block_nr;
    p->rxq.skip_outgoing = !p->ignore_outgoing;
    p->txq.ring = p->map + rx_len;
    p->txq.frame_size = tx.tp_frame_size;
    p->txq.frame_nr = tx.tp_frame_nr;
    p->txq.max_len = p->ifmtu + AFP_ETH_HLEN;
    p->txq.fd = p->fd;
    if (core_verbose())
        printf("packet: %s: rx ring %u x %u KiB blocks, tx ring %u x %u B slots, qdisc bypass "
               "%s, outgoing frames %s\n",
               p->ifname, rx.tp_block_nr, rx.tp_block_size >> 10, tx.tp_frame_nr, tx.tp_frame_size,
               p->bypass ? "on" : "off (kernel lacks it)",
               p->ignore_outgoing ? "ignored by the kernel" : "skipped by the walker");
    return 0;
}

static int afp_bind(struct afp_port *p, uint16_t proto)
{
    struct sockaddr_ll sll = {
        .sll_family = AF_PACKET,
        .sll_protocol = htons(proto),
        .sll_ifindex = p->ifindex,
    };

    return bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -errno : 0;
}

static int afp_start(struct netdev *dev)
{
    struct afp_port *p = afp_of(dev);
    int err;

    if (!p->map && (err = afp_rings_create(p)))
        return err;
    if ((err = afp_bind(p, ETH_P_ALL)))
        return err;
    /* An idle app sleeps until the socket has a frame (plat/idle.h). */
    plat_idle_watch(p->fd, 0, NULL, NULL);
    return 0;
}

static void afp_stop(struct netdev *dev)
{
    /* Protocol 0: the socket stays on the interface but receives nothing. */
    plat_idle_unwatch(afp_of(dev)->fd);
    afp_bind(afp_of(dev), 0);
}

static int afp_link(struct netdev *dev, struct netdev_link *link)
{
    struct afp_port *p = afp_of(dev);
    struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
    struct ifreq ifr;
    int err;

    if ((err = afp_ifreq(p, SIOCGIFFLAGS, &ifr)))
        return err;
    link->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", p->ifname);
    ifr.ifr_data = (void *)&cmd;
    if (!ioctl(p->fd, SIOCETHTOOL, &ifr)) {
        uint32_t speed = ethtool_cmd_speed(&cmd);

        link->speed_mbps = speed == (uint32_t)SPEED_UNKNOWN ? 0 : speed;
        link->full_duplex = cmd.duplex == DUPLEX_FULL;
    }
    return 0;
}

static void afp_stats(struct netdev *dev, struct netdev_stats *stats)
{
    struct afp_port *p = afp_of(dev);
    struct tpacket_stats_v3 ks;
    socklen_t len = sizeof(ks);

    if (!getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len))
        p->kernel_drops += ks.tp_drops;
    stats->rx[0] = p->rxq.stats;
    stats->rx[0].drops += p->kernel_drops;
    stats->tx[0] = p->txq.stats;
}

static void afp_stats_reset(struct netdev *dev)
{
    struct afp_port *p = afp_of(dev);
    struct tpacket_stats_v3 ks;
    socklen_t len = sizeof(ks);

    getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &ks, &len); /* resets the kernel's */
    p->kernel_drops = 0;
    memset(&p->rxq.stats, 0, sizeof(p->rxq.stats));
    memset(&p->txq.stats, 0, sizeof(p->txq.stats));
}

static const struct netdev_ops afp_ops = {
    .info = afp_info,
    .configure = afp_configure,
    .rxq_setup = afp_rxq_setup,
    .txq_setup = afp_txq_setup,
    .start = afp_start,
    .stop = afp_stop,
    .set_promisc = afp_set_promisc,
    .link = afp_link,
    .stats = afp_stats,
    .stats_reset = afp_stats_reset,
};

/* The socket and what it says of the interface: 0, or a negative errno
 * after one line naming the interface and the error. */
static int afp_open(struct afp_port *p)
{
    struct ifreq ifr;
    int err;

    if ((p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)) < 0) {
        err = errno;
        fprintf(stderr, "packet: %s: cannot open an AF_PACKET socket: %s%s\n", p->ifname,
                strerror(err), err == EPERM ? " (needs CAP_NET_RAW)" : "");
        return -err;
    }
    if ((err = afp_ifreq(p, SIOCGIFINDEX, &ifr))) {
        fprintf(stderr, "packet: %s: no such interface (%s)\n", p->ifname, strerror(-err));
        goto err_close;
    }
    p->ifindex = ifr.ifr_ifindex;
    if ((err = afp_ifreq(p, SIOCGIFHWADDR, &ifr)) || ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        fprintf(stderr, "packet: %s: not an Ethernet interface\n", p->ifname);
        err = -EINVAL;
        goto err_close;
    }
    memcpy(p->dev.mac, ifr.ifr_hwaddr.sa_data, 6);
    if ((err = afp_ifreq(p, SIOCGIFMTU, &ifr))) {
        fprintf(stderr, "packet: %s: cannot read the MTU: %s\n", p->ifname, strerror(-err));
        goto err_close;
    }
    p->ifmtu = (uint32_t)ifr.ifr_mtu;
    return 0;

err_close:
    close(p->fd);
    /* Not -ENODEV: to the vdev bus that means "no driver for packet". */
    return err == -ENODEV ? -ENXIO : err;
}

static int afp_probe(struct bus_device *bdev)
{
    struct vdev_device *v = nfos_container_of(bdev, struct vdev_device, dev);
    struct afp_port *p;
    int err;

    if (afp_nr == NETDEV_MAX_PORTS)
        return -ENOSPC;
    if (!v->arg[0] || strlen(v->arg) >= IFNAMSIZ) {
        fprintf(stderr, "packet: '%s': expected packet:IFNAME, a name of 1 to %d characters\n",
                v->arg, IFNAMSIZ - 1);
        return -EINVAL;
    }
    /* Refused rather than ignored: frames go out of the interface and
     * carry its MAC. */
    if (netdev_port_param(netdev_next_port(), "mac")) {
        fprintf(stderr,
                "packet: %s: the port's MAC is the interface's; change it there (ip link "
                "set %s address MAC), not with netdev.mac=\n",
                v->arg, v->arg);
        return -EINVAL;
    }
    p = &afp_ports[afp_nr];
    snprintf(p->ifname, sizeof(p->ifname), "%s", v->arg);
    if ((err = afp_open(p)))
        return err;
    p->dev.ops = &afp_ops;
    p->dev.rx_burst = afp_rx_burst;
    p->dev.tx_burst = afp_tx_burst;
    p->dev.mtu = p->ifmtu;
    snprintf(p->dev.name, sizeof(p->dev.name), "%s", v->arg);
    if ((err = netdev_register(&p->dev))) {
        close(p->fd);
        return err;
    }
    bdev->priv = p;
    afp_nr++;
    return 0;
}

static const struct bus_driver afp_driver = {
    .name = "packet",
    .bus = "vdev",
    .ids = "packet",
    .probe = afp_probe,
};
BUS_DRIVER_REGISTER(afp_driver);
