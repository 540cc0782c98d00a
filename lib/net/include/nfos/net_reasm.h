/* net IPv4 reassembly: fragments in, whole datagrams out, in slots the
 * caller counts over one fixed budget of memory shared fairly between the
 * sources. */
#ifndef NFOS_NET_REASM_H
#define NFOS_NET_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/net_wire.h>

struct net_hdrs; /* nfos/net_parse.h */

/* --- IPv4 reassembly ------------------------------------------------------ */

/* Datagrams reassembled at once by default, and how long one may take. */
#define NET_REASM_SLOTS_DEFAULT 32
#define NET_REASM_TIMEOUT_NS    (2ULL * 1000 * 1000 * 1000)
/* The payload bytes of all datagrams in progress share NET_REASM_CHUNKS
 * chunks of NET_REASM_CHUNK bytes (192 KiB), taken as fragments come: a
 * 5 KB memcached set costs 3, a 64 KB datagram 32. One source may hold at
 * most half the slots (at least 2) and half the chunks (at least one
 * datagram's worth), so that a flood from one address cannot take the
 * room other addresses' datagrams need. */
#define NET_REASM_CHUNK  2048
#define NET_REASM_CHUNKS 96
#define NET_REASM_SLOT_CHUNKS \
    ((NET_IPV4_MAX_LEN - NET_IPV4_HLEN + NET_REASM_CHUNK - 1) / NET_REASM_CHUNK)
/* Fragments one datagram may come in; more and it is dropped (each
 * fragment costs a scan of those before it). */
#define NET_REASM_FRAGS_MAX 64
/* A slot's buffer: room for the longest Ethernet and IPv4 headers in front
 * of the payload, then the largest payload. */
#define NET_REASM_PAYLOAD_OFF (NET_ETH_HLEN + NET_VLAN_HLEN + 60)
#define NET_REASM_BUF_LEN     (NET_REASM_PAYLOAD_OFF + NET_IPV4_MAX_LEN - NET_IPV4_HLEN)

struct net_reasm_stats {
    uint64_t fragments;   /* fragments taken (counted in the results below) */
    uint64_t reassembled; /* datagrams made whole */
    uint64_t duplicates;  /* fragments that repeat a range already there: ignored */
    uint64_t dropped;     /* datagrams given up: overlapping fragments, beyond
                           * 65535 bytes, ends that disagree, too many fragments */
    uint64_t bad;         /* fragments refused alone: a middle fragment whose
                           * length is not a multiple of 8 */
    uint64_t timeouts;    /* datagrams not whole within the timeout */
    uint64_t evictions;   /* datagrams given up for a newer one (of the source
                           * holding the most): no slot or chunk left */
    uint64_t limited;     /* datagrams given up for a newer one of their own
                           * source, which held its share of slots or chunks */
};

/* One datagram being put together: its headers here, its payload in the
 * shared chunks. */
struct net_reasm_slot {
    uint64_t expires; /* the caller's clock */
    uint32_t src, dst;
    uint16_t id;
    uint8_t proto;
    uint8_t used;
    uint16_t l3_off; /* the first fragment's Ethernet header length, 0 until it came */
    uint16_t hlen;   /* its IPv4 header length */
    uint32_t end;    /* payload bytes of the whole datagram, 0 until the last came */
    uint32_t have;   /* payload bytes in */
    uint16_t nfrags;
    uint16_t nchunks;                     /* chunks held */
    uint8_t chunk[NET_REASM_SLOT_CHUNKS]; /* 1 + the chunk of each 2 KiB of payload; 0: none */
    uint8_t hdr[NET_REASM_PAYLOAD_OFF];   /* the first fragment's headers, ending here */
    struct {
        uint16_t off, len;
    } frags[NET_REASM_FRAGS_MAX];
};

/* IPv4 reassembly for a network function that must take datagrams larger
 * than a frame (a memcached set over UDP). Several datagrams at a time,
 * their fragments copied as they come into chunks of a fixed budget; when
 * a source holds its share, its own oldest datagram is given up for its
 * new one (limited); when slots or chunks run out, the oldest datagram of
 * the source holding the most (evictions). A flood from one address thus
 * leaves the others' datagrams alone (a flood from many spoofed addresses
 * can still fill the budget: it is fixed, whatever comes). A fragment
 * that overlaps another drops the whole datagram (what Linux does since
 * 4.19, RFC 5722's rule for IPv6: overlaps are how filters are evaded); one
 * that repeats another's exact range is ignored. */
struct net_reasm {
    struct net_reasm_slot *slots;
    unsigned nslots;
    uint64_t timeout_ns;
    uint8_t *chunks; /* NET_REASM_CHUNKS x NET_REASM_CHUNK */
    uint8_t *out;    /* NET_REASM_BUF_LEN: the last datagram made whole */
    unsigned nfree;
    uint8_t free_chunks[NET_REASM_CHUNKS]; /* a stack of free chunk numbers */
    struct net_reasm_stats stats;
};

/* nslots slots (0: NET_REASM_SLOTS_DEFAULT; about 400 bytes each) over
 * NET_REASM_CHUNKS chunks and one NET_REASM_BUF_LEN-byte buffer for the
 * datagram made whole; datagrams given up timeout_ns after their first
 * fragment (0: NET_REASM_TIMEOUT_NS). 0 or -ENOMEM. Slow path. */
int net_reasm_init(struct net_reasm *r, unsigned nslots, uint64_t timeout_ns);
void net_reasm_fini(struct net_reasm *r);

/* Takes one fragment: frame[0 .. len) that net_frame_parse classified as
 * NET_KIND_IPV4_FRAG into *h, at now_ns (the caller's clock). When it
 * completes its datagram, returns the length of the whole frame and points
 * *out at it: the first fragment's Ethernet header, its IPv4 header with
 * the fragment fields cleared and the length and checksum set, and the
 * payload; ready for net_frame_parse, the caller's to change (a reply may
 * be built over it) and valid until the next call. Otherwise returns 0
 * (kept, or ignored and counted). Never fails. */
size_t net_reasm_add(struct net_reasm *r, const uint8_t *frame, size_t len,
                     const struct net_hdrs *h, uint64_t now_ns, uint8_t **out);

#endif /* NFOS_NET_REASM_H */
