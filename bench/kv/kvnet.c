/* kvnet: kvgen's DPDK port: set-up, link, ARP (answers for its own address,
 * resolves the server's) and the receive side's checks of Ethernet, IPv4
 * and UDP before a payload reaches the memcached parser. Not a stack: no
 * fragments, no IP options in what it sends, one peer. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "kvgen.h"

#define RX_DESC 1024
#define TX_DESC 1024

int kvnet_port_setup(struct kvgen *g, uint16_t port)
{
    struct rte_eth_conf conf = { 0 };
    uint16_t nrx = RX_DESC, ntx = TX_DESC;
    int ret;

    g->port = port;
    ret = rte_eth_dev_configure(port, 1, 1, &conf);
    if (ret == 0)
        ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
    if (ret == 0)
        ret = rte_eth_rx_queue_setup(port, 0, nrx, rte_eth_dev_socket_id(port), NULL, g->pool);
    if (ret == 0)
        ret = rte_eth_tx_queue_setup(port, 0, ntx, rte_eth_dev_socket_id(port), NULL);
    if (ret == 0)
        ret = rte_eth_dev_start(port);
    if (ret == 0)
        ret = rte_eth_macaddr_get(port, &g->mac);
    if (ret < 0)
        fprintf(stderr, "kvgen: port %u set-up failed: %s\n", port, strerror(-ret));
    return ret;
}

int kvnet_link_wait(struct kvgen *g, double seconds)
{
    uint64_t end = rte_rdtsc() + (uint64_t)(seconds * (double)g->tsc_hz);
    struct rte_eth_link link;

    do {
        if (rte_eth_link_get_nowait(g->port, &link) == 0 && link.link_status)
            return 0;
        rte_delay_ms(10);
    } while (rte_rdtsc() < end && !kvgen_stop);
    return kvgen_stop ? -EINTR : -ETIMEDOUT;
}

/* Ethernet + IPv4 + UDP headers for a payload of plen bytes; the IP
 * checksum is computed once here (nothing in it varies per request). UDP
 * checksum 0: "no checksum", which IPv4 allows (RFC 768). */
static void template(struct kvgen *g, uint8_t *out, uint16_t plen)
{
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)out;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

    memset(out, 0, KVGEN_HDR_LEN);
    rte_ether_addr_copy(&g->server_mac, &eth->dst_addr);
    rte_ether_addr_copy(&g->mac, &eth->src_addr);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + 8 + plen));
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = g->ip;
    ip->dst_addr = g->server_ip;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    udp->src_port = rte_cpu_to_be_16(g->src_port);
    udp->dst_port = rte_cpu_to_be_16(g->server_port);
    udp->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + plen));
}

void kvnet_templates(struct kvgen *g)
{
    template(g, g->tmpl_get, KVP_GET_LEN);
    template(g, g->tmpl_set, KVP_SET_LEN);
}

static void arp_send(struct kvgen *g, uint16_t op, const struct rte_ether_addr *tha, uint32_t tip)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(g->pool);
    struct rte_ether_hdr *eth;
    struct rte_arp_hdr *arp;
    static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff,
                                                                 0xff } };

    if (!m)
        return;
    eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    arp = (struct rte_arp_hdr *)(eth + 1);
    rte_ether_addr_copy(op == RTE_ARP_OP_REQUEST ? &bcast : tha, &eth->dst_addr);
    rte_ether_addr_copy(&g->mac, &eth->src_addr);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = RTE_ETHER_ADDR_LEN;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(op);
    rte_ether_addr_copy(&g->mac, &arp->arp_data.arp_sha);
    arp->arp_data.arp_sip = g->ip;
    memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
    if (op == RTE_ARP_OP_REPLY)
        rte_ether_addr_copy(tha, &arp->arp_data.arp_tha);
    arp->arp_data.arp_tip = tip;
    m->data_len = m->pkt_len = 60; /* padded to the Ethernet minimum */
    memset((uint8_t *)(arp + 1), 0, 60 - sizeof(*eth) - sizeof(*arp));
    if (rte_eth_tx_burst(g->port, 0, &m, 1) != 1)
        rte_pktmbuf_free(m);
}

void kvnet_arp_request(struct kvgen *g)
{
    arp_send(g, RTE_ARP_OP_REQUEST, NULL, g->server_ip);
}

static void arp_rx(struct kvgen *g, const uint8_t *p, uint32_t len)
{
    const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)p;

    g->c.arp++;
    if (len < sizeof(*arp) || arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
        arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
        arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4)
        return;
    if (arp->arp_data.arp_sip == g->server_ip && !g->server_mac_known &&
        rte_is_unicast_ether_addr(&arp->arp_data.arp_sha)) {
        g->server_mac = arp->arp_data.arp_sha;
        g->server_mac_known = 1;
    }
    if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && arp->arp_data.arp_tip == g->ip)
        arp_send(g, RTE_ARP_OP_REPLY, &arp->arp_data.arp_sha, arp->arp_data.arp_sip);
}

/* An IPv4 frame: a UDP datagram from the server's port to ours goes to the
 * parser; broken headers of a packet for us count as bad_l3. */
static void ipv4_rx(struct kvgen *g, const uint8_t *p, uint32_t len, uint64_t now)
{
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p;
    const struct rte_udp_hdr *udp;
    uint32_t ihl, tot, ulen;

    if (len < sizeof(*ip) || ip->dst_addr != g->ip) {
        g->c.other++;
        return;
    }
    ihl = (ip->version_ihl & 0xf) * 4u;
    tot = rte_be_to_cpu_16(ip->total_length);
    if ((ip->version_ihl >> 4) != 4 || ihl < 20 || tot < ihl + 8 || tot > len ||
        (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_MF_FLAG | 0x1fff))) {
        g->c.bad_l3++;
        return;
    }
    if (ip->next_proto_id != IPPROTO_UDP || ip->src_addr != g->server_ip) {
        g->c.other++;
        return;
    }
    udp = (const struct rte_udp_hdr *)(p + ihl);
    ulen = rte_be_to_cpu_16(udp->dgram_len);
    if (udp->src_port != rte_cpu_to_be_16(g->server_port) ||
        udp->dst_port != rte_cpu_to_be_16(g->src_port)) {
        g->c.other++;
        return;
    }
    if (ulen < 8 || ulen > tot - ihl) {
        g->c.bad_l3++;
        return;
    }
    kvgen_reply(g, (const uint8_t *)(udp + 1), ulen - 8, now);
}

void kvnet_rx(struct kvgen *g, struct rte_mbuf *m, uint64_t now)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    uint32_t len = rte_pktmbuf_data_len(m);

    if (m->nb_segs != 1 || len < sizeof(*eth) ||
        !(rte_is_same_ether_addr(&eth->dst_addr, &g->mac) ||
          rte_is_broadcast_ether_addr(&eth->dst_addr))) {
        g->c.other++;
    } else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
        ipv4_rx(g, (const uint8_t *)(eth + 1), len - sizeof(*eth), now);
    } else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
        arp_rx(g, (const uint8_t *)(eth + 1), len - sizeof(*eth));
    } else {
        g->c.other++;
    }
    rte_pktmbuf_free(m);
}
