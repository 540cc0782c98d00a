/* RSS for nfvm's virtio-net (virtio 1.2, 5.1.6.4.3 and 5.1.6.5.7): the
 * configuration VIRTIO_NET_CTRL_MQ_RSS_CONFIG carries, checked, and the
 * receive queue it picks for a frame: the Toeplitz hash of the IPv4
 * addresses (and TCP/UDP ports) through the indirection table. Pure
 * functions over bytes: no guest memory, no locking. It hashes untagged
 * IPv4 only (the hash types it offers); IPv6, VLAN-tagged and non-IP
 * frames go to the unclassified queue. */
#ifndef NFVM_RSS_H
#define NFVM_RSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/virtio_net.h>

/* What the device offers in config space (rss_max_key_size,
 * rss_max_indirection_table_length, supported_hash_types): the spec's
 * minimum sizes, and the three IPv4 hash types. */
#define NFVM_RSS_KEY_MAX   VIRTIO_NET_RSS_KEY_MIN
#define NFVM_RSS_TABLE_MAX 128
#define NFVM_RSS_HASHES \
    (VIRTIO_NET_HASH_TYPE_IPv4 | VIRTIO_NET_HASH_TYPE_TCPv4 | VIRTIO_NET_HASH_TYPE_UDPv4)
/* The command's data at most: hash_types, mask, unclassified_queue, the
 * table, max_tx_vq, hash_key_length, the key. */
#define NFVM_RSS_CONFIG_MAX (8 + 2 * NFVM_RSS_TABLE_MAX + 3 + NFVM_RSS_KEY_MAX)

struct nfvm_rss {
    uint32_t hash_types;
    uint16_t mask;         /* indirection_table_mask: table length - 1 */
    uint16_t unclassified; /* the receive queue (pair) of frames not hashed */
    uint16_t pairs;        /* the pairs the configuration uses (max_tx_vq, the table's) */
    uint16_t table[NFVM_RSS_TABLE_MAX];
    uint8_t key[NFVM_RSS_KEY_MAX]; /* zero past the key's length */
};

/* The Toeplitz hash of data[0..len) under key (key_len bytes; bits past
 * its end count as zero): for each set bit i of data, the 32 key bits from
 * bit i, XORed. */
uint32_t nfvm_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len);
/* Checks VIRTIO_NET_CTRL_MQ_RSS_CONFIG's data (d, len bytes, copied out of
 * the guest already) against a device with pairs_max queue pairs and fills
 * r. 0, or -1 with *why saying what is wrong (r then unchanged). */
int nfvm_rss_parse(struct nfvm_rss *r, const uint8_t *d, size_t len, unsigned pairs_max,
                   const char **why);
/* The receive queue (pair) r picks for the Ethernet frame f of len bytes:
 * the table's entry for its hash, or the unclassified queue. */
unsigned nfvm_rss_queue(const struct nfvm_rss *r, const uint8_t *f, size_t len);

#endif /* NFVM_RSS_H */
