/* tap: a netdev port over an existing TAP interface, netdev.dev=tap:IFNAME.
 *
 * Attaches to a TAP someone made (`ip tuntap add dev IFNAME mode tap`);
 * it never creates one: a TAP made here would vanish with the process and
 * hide a typo in the name. Bringing the interface up is the user's; the
 * link state reports it. The port's MAC is our end of the wire, not the
 * kernel's TAP MAC: netdev.mac= when given, else a locally administered
 * MAC derived from the interface name (stable across runs).
 *
 * A TAP has no address filter: every frame the kernel sends on it
 * arrives, so promiscuous mode is always on. A TAP made with multi_queue
 * (`ip tuntap add dev IFNAME mode tap multi_queue`) gives up to
 * NETDEV_MAX_QUEUES queue pairs, one fd each (IFF_MULTI_QUEUE), attached
 * when the app configures them: the kernel spreads the frames it sends
 * over the attached fds by its flow hash (addresses and ports), and keeps a
 * flow on the queue our replies to it were written to. Any other TAP has
 * one queue pair. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <nfos/bus.h>
#include <nfos/core.h>
#include <nfos/plat/idle.h>
#include "tap_priv.h"

struct tap_port {
    struct netdev dev;
    struct tap_rxq rxq[NETDEV_MAX_QUEUES];
    struct tap_txq txq[NETDEV_MAX_QUEUES];
    int fd[NETDEV_MAX_QUEUES]; /* one per queue pair, fd[0] from probe */
    unsigned nfds;
    bool mq; /* the TAP was made with multi_queue */
    char ifname[IFNAMSIZ];
    uint64_t kernel_drops_base; /* the TAP's tx_dropped when counting began */
};

static struct tap_port tap_ports[NETDEV_MAX_PORTS];
static unsigned tap_nr;

static struct tap_port *tap_of(struct netdev *dev)
{
    return nfos_container_of(dev, struct tap_port, dev);
}

/* SIOCGIF* on the interface: 0 or a negative errno. */
static int tap_ifreq(const char *ifname, unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

    if (s < 0)
        return -errno;
    memset(ifr, 0, sizeof(*ifr));
    snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
    if (ioctl(s, req, ifr) < 0)
        err = -errno;
    close(s);
    return err;
}

/* Frames the kernel could not queue for us (our queue full): the TAP's own
 * tx_dropped, as the kernel's side of the wire sees it. 0 when unreadable. */
static uint64_t tap_kernel_drops(const struct tap_port *p)
{
    char path[64 + IFNAMSIZ];
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", p->ifname);
    if (!(f = fopen(path, "r")))
        return 0;
    if (fscanf(f, "%llu", &v) != 1)
        v = 0;
    fclose(f);
    return v;
}

static int tap_info(struct netdev *dev, struct netdev_info *info)
{
    info->driver = "tap";
    info->max_rx_queues = info->max_tx_queues = tap_of(dev)->mq ? NETDEV_MAX_QUEUES : 1;
    info->max_mtu = dev->mtu; /* the interface's: set it with ip link */
    info->min_rx_buf = dev->mtu + 18;
    return 0;
}

static int tap_open(const char *ifname, bool mq);

/* As many fds as queue pairs: more attached, or the ones past n closed
 * (the kernel would steer flows to a queue nobody reads). */
static int tap_configure(struct netdev *dev, const struct netdev_conf *conf)
{
    struct tap_port *p = tap_of(dev);
    unsigned n = NFOS_MAX(conf->nb_rx_queues, conf->nb_tx_queues), q;
    int fd;

    /* promisc either way: see the top of the file */
    for (q = 0; q < p->nfds; q++)
        tap_rxq_flush(&p->rxq[q]);
    for (; p->nfds < n; p->fd[p->nfds++] = fd)
        if ((fd = tap_open(p->ifname, true)) < 0)
            return fd;
    while (p->nfds > n)
        close(p->fd[--p->nfds]);
    return 0;
}

static int tap_rxq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, struct pool *pool,
                         void **queue)
{
    struct tap_port *p = tap_of(dev);

    (void)ring_size; /* the kernel's queue is the ring */
    tap_rxq_flush(&p->rxq[q]);
    memset(&p->rxq[q], 0, sizeof(p->rxq[q]));
    p->rxq[q].fd = p->fd[q];
    p->rxq[q].port = dev->port;
    p->rxq[q].pool = pool;
    *queue = &p->rxq[q];
    return 0;
}

static int tap_txq_setup(struct netdev *dev, uint16_t q, uint16_t ring_size, void **queue)
{
    struct tap_port *p = tap_of(dev);

    (void)ring_size;
    memset(&p->txq[q], 0, sizeof(p->txq[q]));
    p->txq[q].fd = p->fd[q];
    *queue = &p->txq[q];
    return 0;
}

static int tap_start(struct netdev *dev)
{
    struct tap_port *p = tap_of(dev);
    unsigned q;

    p->kernel_drops_base = tap_kernel_drops(p);
    /* An idle app sleeps until a queue's fd has a frame (plat/idle.h). */
    for (q = 0; q < p->nfds; q++)
        plat_idle_watch(p->fd[q], 0, NULL, NULL);
    return 0;
}

static void tap_stop(struct netdev *dev)
{
    struct tap_port *p = tap_of(dev);
    unsigned q;

    for (q = 0; q < p->nfds; q++) {
        plat_idle_unwatch(p->fd[q]);
        tap_rxq_flush(&p->rxq[q]);
    }
}

static int tap_set_promisc(struct netdev *dev, bool on)
{
    (void)dev;
    return on ? 0 : -ENOTSUP;
}

static int tap_link(struct netdev *dev, struct netdev_link *link)
{
    struct ifreq ifr;
    int err = tap_ifreq(tap_of(dev)->ifname, SIOCGIFFLAGS, &ifr);

    if (err)
        return err;
    /* RUNNING: the kernel side is up and has carrier (we are attached). */
    link->up = (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
    link->full_duplex = true;
    return 0;
}

static void tap_stats(struct netdev *dev, struct netdev_stats *stats)
{
    struct tap_port *p = tap_of(dev);
    unsigned q;

    for (q = 0; q < p->nfds; q++) {
        stats->rx[q] = p->rxq[q].stats;
        stats->tx[q] = p->txq[q].stats;
        stats->bufs_held += p->rxq[q].spare != NULL;
    }
    /* The kernel counts the device's, not a queue's: queue 0 shows it. */
    stats->rx[0].drops += tap_kernel_drops(p) - p->kernel_drops_base;
}

static void tap_stats_reset(struct netdev *dev)
{
    struct tap_port *p = tap_of(dev);
    unsigned q;

    for (q = 0; q < NETDEV_MAX_QUEUES; q++) {
        memset(&p->rxq[q].stats, 0, sizeof(p->rxq[q].stats));
        memset(&p->txq[q].stats, 0, sizeof(p->txq[q].stats));
    }
    p->kernel_drops_base = tap_kernel_drops(p);
}

static const struct netdev_ops tap_ops = {
    .info = tap_info,
    .configure = tap_configure,
    .rxq_setup = tap_rxq_setup,
    .txq_setup = tap_txq_setup,
    .start = tap_start,
    .stop = tap_stop,
    .set_promisc = tap_set_promisc,
    .link = tap_link,
    .stats = tap_stats,
    .stats_reset = tap_stats_reset,
};

static const char *tap_attach_hint(int err)
{
    switch (err) {
    case EPERM:
        return " (it belongs to another user or group: needs CAP_NET_ADMIN)";
    case EINVAL:
        return " (not a TAP)";
    case EBUSY:
        return " (another process has it)";
    default:
        return "";
    }
}

/* Opens /dev/net/tun on the existing TAP ifname, as one queue of a
 * multi_queue TAP when mq: the fd, or a negative errno after one line
 * naming the interface and the error (-EINVAL silently when !mq: the
 * caller then tries mq, a TAP's flag must match the one it was made with). */
static int tap_open(const char *ifname, bool mq)
{
    struct ifreq ifr;
    int fd, err;

    if (!if_nametoindex(ifname)) {
        err = errno;
        fprintf(stderr,
                "tap: %s: no such interface (%s); make it with: ip tuntap add dev %s mode tap\n",
                ifname, strerror(err), ifname);
        /* Not -ENODEV: to the vdev bus that means "no driver for tap". */
        return err == ENODEV ? -ENXIO : -err;
    }
    if ((fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        err = errno;
        fprintf(stderr, "tap: %s: cannot open /dev/net/tun: %s\n", ifname, strerror(err));
        return -err;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (mq ? IFF_MULTI_QUEUE : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        err = errno;
        close(fd);
        if (err == EINVAL && !mq)
            return -EINVAL;
        fprintf(stderr, "tap: %s: cannot attach (TUNSETIFF): %s%s\n", ifname, strerror(err),
                tap_attach_hint(err));
        return err == ENODEV ? -ENXIO : -err;
    }
    return fd;
}

static int tap_probe(struct bus_device *bdev)
{
    struct vdev_device *v = nfos_container_of(bdev, struct vdev_device, dev);
    struct tap_port *p;
    struct ifreq ifr;
    int fd, err;

    if (tap_nr == NETDEV_MAX_PORTS)
        return -ENOSPC;
    if (!v->arg[0] || strlen(v->arg) >= IFNAMSIZ) {
        fprintf(stderr, "tap: '%s': expected tap:IFNAME, a name of 1 to %d characters\n", v->arg,
                IFNAMSIZ - 1);
        return -EINVAL;
    }
    p = &tap_ports[tap_nr];
    snprintf(p->ifname, sizeof(p->ifname), "%s", v->arg);
    err = netdev_port_mac(netdev_next_port(), p->dev.mac);
    if (err == -ENOENT) {
        netdev_mac_from_seed(p->dev.mac, p->ifname, strlen(p->ifname));
    } else if (err) {
        fprintf(stderr, "tap: %s: mac '%s': expected a unicast aa:bb:cc:dd:ee:ff\n", p->ifname,
                netdev_port_param(netdev_next_port(), "mac"));
        return err;
    }
    /* One queue first; a TAP made with multi_queue refuses that (EINVAL). */
    if ((fd = tap_open(p->ifname, false)) == -EINVAL && (fd = tap_open(p->ifname, true)) >= 0)
        p->mq = true;
    if (fd < 0)
        return fd;
    p->fd[0] = fd;
    p->nfds = 1;
    if (!tap_ifreq(p->ifname, SIOCGIFMTU, &ifr) && ifr.ifr_mtu > 0)
        p->dev.mtu = (uint32_t)ifr.ifr_mtu;
    p->dev.ops = &tap_ops;
    p->dev.rx_burst = tap_rx_burst;
    p->dev.tx_burst = tap_tx_burst;
    snprintf(p->dev.name, sizeof(p->dev.name), "%s", v->arg);
    if ((err = netdev_register(&p->dev))) {
        close(fd);
        p->nfds = 0;
        return err;
    }
    bdev->priv = p;
    tap_nr++;
    return 0;
}

static const struct bus_driver tap_driver = {
    .name = "tap",
    .bus = "vdev",
    .ids = "tap",
    .probe = tap_probe,
};
BUS_DRIVER_REGISTER(tap_driver);
