/* RSS (rss.h): the checks on a guest's RSS configuration and the queue it
 * picks for a frame. Everything read here was copied out of guest memory
 * or read from the TAP by the caller; every offset is checked against the
 * length it came with. */
#include <string.h>
#include "rss.h"

#define ETH_HLEN       14
#define ETH_P_IPV4     0x0800
#define IPV4_HLEN_MIN  20
#define IPV4_FRAG_MASK 0x3fff /* MF and the fragment offset */
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17

static uint16_t get16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint8_t key_byte(const uint8_t *key, size_t key_len, size_t i)
{
    return i < key_len ? key[i] : 0;
}

uint32_t nfvm_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len)
{
    uint32_t h = 0, w = 0;

    /* w: the 32 key bits from the data bit being looked at. */
    for (size_t i = 0; i < 4; i++)
        w = w << 8 | key_byte(key, key_len, i);
    for (size_t i = 0; i < len; i++) {
        uint8_t next = key_byte(key, key_len, i + 4);

        for (unsigned b = 0; b < 8; b++) {
            if (data[i] & (0x80 >> b))
                h ^= w;
            w = w << 1 | ((next >> (7 - b)) & 1);
        }
    }
    return h;
}

/* The fields past the table: max_tx_vq and the key, and the pairs the
 * configuration reaches (the most of max_tx_vq and the queues named). */
static int parse_tail(struct nfvm_rss *r, const uint8_t *d, size_t len, unsigned entries,
                      unsigned pairs_max, const char **why)
{
    const uint8_t *t = d + 8 + 2 * entries;
    unsigned max_tx = get16le(t), key_len = t[2], pairs = max_tx;

    if (max_tx < 1 || max_tx > pairs_max) {
        *why = "max_tx_vq is 0 or more than the device's queue pairs";
        return -1;
    }
    if (key_len > NFVM_RSS_KEY_MAX) {
        *why = "hash_key_length is more than rss_max_key_size (40)";
        return -1;
    }
    if (!key_len && r->hash_types) {
        *why = "no key to hash with";
        return -1;
    }
    if (len != 8 + 2 * entries + 3 + key_len) {
        *why = "its length is not that of its table and key";
        return -1;
    }
    for (unsigned i = 0; i < entries; i++) {
        r->table[i] = get16le(d + 8 + 2 * i);
        if (r->table[i] >= pairs_max) {
            *why = "an indirection_table entry names a queue the device does not have";
            return -1;
        }
        pairs = r->table[i] >= pairs ? r->table[i] + 1u : pairs;
    }
    if (r->unclassified >= pairs_max) {
        *why = "unclassified_queue names a queue the device does not have";
        return -1;
    }
    r->pairs = (uint16_t)(r->unclassified >= pairs ? r->unclassified + 1u : pairs);
    memset(r->key, 0, sizeof(r->key));
    memcpy(r->key, t + 3, key_len);
    return 0;
}

int nfvm_rss_parse(struct nfvm_rss *r, const uint8_t *d, size_t len, unsigned pairs_max,
                   const char **why)
{
    struct nfvm_rss cfg;
    unsigned entries;

    if (len < 8) {
        *why = "shorter than its fixed fields";
        return -1;
    }
    cfg.hash_types = get16le(d) | (uint32_t)get16le(d + 2) << 16;
    cfg.mask = get16le(d + 4);
    cfg.unclassified = get16le(d + 6);
    entries = cfg.mask + 1u;
    if (cfg.hash_types & ~(uint32_t)NFVM_RSS_HASHES) {
        *why = "hash_types has types beyond supported_hash_types (IPv4, TCPv4, UDPv4)";
        return -1;
    }
    if (entries > NFVM_RSS_TABLE_MAX || (entries & cfg.mask)) {
        *why = "its table length is not a power of two up to 128";
        return -1;
    }
    if (len < 8 + 2 * entries + 3) {
        *why = "shorter than its table";
        return -1;
    }
    if (parse_tail(&cfg, d, len, entries, pairs_max, why) < 0)
        return -1;
    *r = cfg;
    return 0;
}

/* The hash of an untagged IPv4 frame per r's hash types: its addresses,
 * and its ports when it is TCP (UDP) with TCPv4 (UDPv4) on and is no
 * fragment; 0 when nothing applies (the frame is then unclassified). */
static int frame_hash(const struct nfvm_rss *r, const uint8_t *f, size_t len, uint32_t *hash)
{
    const uint8_t *ip = f + ETH_HLEN;
    uint8_t in[12];
    size_t ihl, n = 8;
    uint32_t l4 = 0;

    if (len < ETH_HLEN + IPV4_HLEN_MIN || (f[12] << 8 | f[13]) != ETH_P_IPV4 || ip[0] >> 4 != 4)
        return 0;
    ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < IPV4_HLEN_MIN || ihl > len - ETH_HLEN)
        return 0;
    if (!((ip[6] << 8 | ip[7]) & IPV4_FRAG_MASK))
        l4 = ip[9] == IPPROTO_TCP_   ? VIRTIO_NET_HASH_TYPE_TCPv4
             : ip[9] == IPPROTO_UDP_ ? VIRTIO_NET_HASH_TYPE_UDPv4
                                     : 0;
    memcpy(in, ip + 12, 8);
    if ((r->hash_types & l4) && len - ETH_HLEN - ihl >= 4) {
        memcpy(in + 8, ip + ihl, 4); /* source and destination ports */
        n = 12;
    } else if (!(r->hash_types & VIRTIO_NET_HASH_TYPE_IPv4)) {
        return 0;
    }
    *hash = nfvm_rss_toeplitz(r->key, sizeof(r->key), in, n);
    return 1;
}

unsigned nfvm_rss_queue(const struct nfvm_rss *r, const uint8_t *f, size_t len)
{
    uint32_t hash;

    return frame_hash(r, f, len, &hash) ? r->table[hash & r->mask] : r->unclassified;
}
