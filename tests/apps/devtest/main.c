/* devtest: the device test. Every network port the buses found is started
 * and asks QEMU's user network (-netdev user) for its gateway: an ARP
 * request for 10.0.2.2 from 10.0.2.15, then a wait for the reply. It shows
 * that a driver and its transport (virtio-net over pci or mmio) move frames
 * both ways, with no root and no TAP. Exit status: 0 when every port got
 * its reply, 1 when one did not, 2 when there is no port at all.
 */
#include <stdio.h>
#include <string.h>
#include <nfos/netbuf.h>
#include <nfos/netdev.h>
#include <nfos/nfapp.h>
#include <nfos/plat/time.h>

#define ETH_ARP   0x0806
#define ARP_LEN   28
#define FRAME_MIN 60

static const uint8_t my_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };
static const uint8_t arp_request[8] = { 0, 1, 8, 0, 6, 4, 0, 1 }; /* Ethernet, IPv4, request */

/* Who has 10.0.2.2? Tell 10.0.2.15. */
static int send_arp(struct netdev *dev, struct pool *pool)
{
    struct netbuf *nb = netbuf_alloc(pool);
    uint8_t *f;

    if (!nb)
        return -1;
    f = netbuf_append(nb, FRAME_MIN);
    if (!f) {
        netbuf_free(nb);
        return -1;
    }
    memset(f, 0, FRAME_MIN);
    memset(f, 0xff, 6);
    memcpy(f + 6, dev->mac, 6);
    f[12] = ETH_ARP >> 8;
    f[13] = ETH_ARP & 0xff;
    memcpy(f + 14, arp_request, 8);
    memcpy(f + 22, dev->mac, 6);
    memcpy(f + 28, my_ip, 4);
    memcpy(f + 38, gw_ip, 4);
    if (netdev_tx_burst(dev, 0, &nb, 1) != 1) {
        netbuf_free(nb);
        return -1;
    }
    return 0;
}

/* The sender's MAC of an ARP reply from the gateway to us, else NULL. */
static const uint8_t *arp_reply(const uint8_t *f, uint32_t len, const uint8_t *mac)
{
    if (len < 14 + ARP_LEN || f[12] != ETH_ARP >> 8 || f[13] != (ETH_ARP & 0xff))
        return NULL;
    if (f[21] != 2 || memcmp(f + 28, gw_ip, 4) || memcmp(f + 32, mac, 6))
        return NULL;
    return f + 22;
}

static int hello(struct netdev *dev, struct pool *pool, double wait)
{
    struct netdev_info info;
    struct netbuf *pkts[NFAPP_BURST];
    uint64_t t0 = plat_time_ns(), seen = 0;
    char mac[18];

    netdev_info(dev, &info);
    printf("devtest: port %u %s driver %s mac %s\n", dev->port, dev->name, info.driver,
           netdev_mac_str(dev->mac, mac));
    if (send_arp(dev, pool)) {
        printf("devtest: port %u: the ARP request was not sent\n", dev->port);
        return 1;
    }
    while (plat_time_ns() - t0 < (uint64_t)(wait * 1e9)) {
        uint16_t n = netdev_rx_burst(dev, 0, pkts, NFAPP_BURST);
        const uint8_t *from = NULL;

        for (uint16_t i = 0; i < n; i++) {
            if (!from)
                from = arp_reply(netbuf_data(pkts[i]), pkts[i]->len, dev->mac);
            if (from)
                printf("devtest: port %u: ARP reply from 10.0.2.2 at %s after %llu us "
                       "(%llu other frames)\n",
                       dev->port, netdev_mac_str(from, mac),
                       (unsigned long long)((plat_time_ns() - t0) / 1000),
                       (unsigned long long)seen);
            seen++;
            if (from) {
                netbuf_free_bulk(pkts + i, n - i);
                return 0;
            }
            netbuf_free(pkts[i]);
        }
    }
    printf("devtest: port %u: no ARP reply in %.1f s (%llu other frames)\n", dev->port, wait,
           (unsigned long long)seen);
    return 1;
}

int main(int argc, char **argv)
{
    struct nfapp app;
    struct pool *pool;
    double wait = 5;
    int failed = 0, rc;
    const struct nfapp_opt opts[] = {
        NFAPP_OPT_SECONDS("--wait", "SECONDS", wait, "how long each port waits for its reply (5)"),
        NFAPP_OPT_END,
    };

    if ((rc = nfapp_start(&app, "devtest", NULL, opts, argc, argv)) != NFAPP_RUN)
        return rc;
    printf("devtest: %u network port(s)\n", netdev_count());
    if (!netdev_count())
        return 2;
    pool = nfapp_pool(&app, 1024);
    if (!pool)
        return 2;
    for (unsigned p = 0; p < netdev_count(); p++) {
        struct netdev *dev = nfapp_port(&app, p, pool);

        failed |= dev ? hello(dev, pool, wait) : 1;
    }
    return nfapp_pools_check(&app) ? 1 : failed; /* every netbuf home */
}
