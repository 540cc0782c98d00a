/* virtio-net: the poll-mode virtio network driver, a netdev driver over any
 * virtio transport (pci, mmio, vhost-user). It binds itself to every
 * VIRTIO_ID_NET device the virtio core is handed; apps reach it only
 * through nfos/netdev.h. This header holds the device's wire contract
 * (virtio 1.x, 5.1), which transports that emulate a net device (vhost-user
 * has no config space of its own) share with the driver.
 *
 * The driver: queue pair i is rx virtqueue 2i and tx 2i + 1; features MAC,
 * STATUS, EVENT_IDX, VERSION_1 when offered; no offloads. With MQ and
 * CTRL_VQ offered it takes up to max_virtqueue_pairs pairs (a netdev
 * configured with N queues) and switches the device to N with the control
 * queue's VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET at start; without them, one
 * pair. With RSS offered too it sends VIRTIO_NET_CTRL_MQ_RSS_CONFIG instead:
 * a Toeplitz hash of the IPv4 addresses (and TCP/UDP ports) spreads flows
 * over the pairs through an indirection table. Without RSS the device
 * picks the rx queue (QEMU's tap backend with queues=N: the queue of the
 * kernel's flow hash, then the one the guest last sent the flow from). Zero copy both
 * ways: the 12-byte virtio_net_hdr lives in the netbuf headroom right
 * before the frame, so an rx buffer is posted from buf + data_off - 12 and
 * tx writes the header in front of the data. Netbufs therefore need at
 * least VIRTIO_NET_HDR_LEN bytes of headroom (NETBUF_HEADROOM has 128). */
#ifndef NFOS_VIRTIO_NET_H
#define NFOS_VIRTIO_NET_H

#include <stdint.h>

/* Device feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_F_CTRL_VQ    17
#define VIRTIO_NET_F_MQ         22
#define VIRTIO_NET_F_RSS        60

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
/* Queue pair i's virtqueues; the control queue follows the last pair the
 * device has (2 * max_virtqueue_pairs, or 2 without MQ). */
#define VIRTIO_NET_RXQ_OF(i)   (2 * (i))
#define VIRTIO_NET_TXQ_OF(i)   (2 * (i) + 1)
#define VIRTIO_NET_CTRLQ(nmax) (2 * (nmax))
/* max_virtqueue_pairs' range (5.1.4) */
#define VIRTIO_NET_MQ_PAIRS_MIN 1
#define VIRTIO_NET_MQ_PAIRS_MAX 0x8000

/* Device config space (5.1.4), little-endian. */
struct virtio_net_config {
    uint8_t mac[6];
    uint16_t status; /* VIRTIO_NET_S_* with VIRTIO_NET_F_STATUS */
    uint16_t max_virtqueue_pairs;
    uint16_t mtu;
    uint32_t speed;
    uint8_t duplex;
    uint8_t rss_max_key_size; /* with RSS: these three */
    uint16_t rss_max_indirection_table_length;
    uint32_t supported_hash_types; /* VIRTIO_NET_HASH_TYPE_* */
};

/* The header in front of every frame (5.1.6); VERSION_1 makes it 12 bytes
 * with or without MRG_RXBUF. All zero on tx: no offloads. */
struct virtio_net_hdr {
    uint8_t flags;
    uint8_t gso_type;
    uint16_t hdr_len;
    uint16_t gso_size;
    uint16_t csum_start;
    uint16_t csum_offset;
    uint16_t num_buffers;
};

/* A control queue command (5.1.6.5): the header and the command's data,
 * device-readable, then the ack byte the device writes. */
struct virtio_net_ctrl_hdr {
    uint8_t class;
    uint8_t cmd;
};
#define VIRTIO_NET_CTRL_MQ              4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK                   0
#define VIRTIO_NET_ERR                  1

/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET's data: little-endian. */
struct virtio_net_ctrl_mq {
    uint16_t virtqueue_pairs;
};

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG (with RSS, instead of VQ_PAIRS_SET): its
 * data is hash_types (le32), indirection_table_mask (le16),
 * unclassified_queue (le16), indirection_table[mask + 1] (le16 rx queue
 * numbers), max_tx_vq (le16), hash_key_length (u8), then the key. */
#define VIRTIO_NET_CTRL_MQ_RSS_CONFIG 1
#define VIRTIO_NET_HASH_TYPE_IPv4     (1u << 0)
#define VIRTIO_NET_HASH_TYPE_TCPv4    (1u << 1)
#define VIRTIO_NET_HASH_TYPE_UDPv4    (1u << 2)
#define VIRTIO_NET_RSS_KEY_MIN        40 /* rss_max_key_size is at least this */
/* Microsoft's example Toeplitz key (its RSS specification's), which NIC
 * drivers use by default: the key nfos's driver programs, as an
 * initializer of VIRTIO_NET_RSS_KEY_MIN bytes (nfvm's probes play that
 * driver with it). */
#define VIRTIO_NET_RSS_KEY_MS                                                                     \
    {                                                                                             \
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, \
            0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80,   \
            0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb8, 0x73, 0xbe, 0xac, 0x01, 0xfa,                     \
    }

#define VIRTIO_NET_HDR_LEN 12
_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN, "virtio 1.x net header");

#endif /* NFOS_VIRTIO_NET_H */
