/* kvstore's memcached engine: one request datagram in, its reply datagrams
 * out, with memcached 1.6's replies, statistics and datagram rules. Knows
 * nothing of frames or devices (main.c does those). */
#ifndef KVSTORE_KV_H
#define KVSTORE_KV_H

#include <stddef.h>
#include <stdint.h>
#include <nfos/kvtable.h>
#include <nfos/mcproto.h>

#define KV_SCRATCH    (256 * 1024) /* replies to one datagram, at most */
#define KV_MAX_DGRAMS 1100
#define KV_MAX_RESPS  1100
#define KV_VERSION    "1.6.18" /* the memcached whose replies kvstore gives */

/* memcached's counters, under its names (stats.c prints them). */
struct kv_stats {
    uint64_t cmd_get, cmd_set, cmd_flush, cmd_touch;
    uint64_t get_hits, get_misses;
    uint64_t delete_misses, delete_hits, incr_misses, incr_hits, decr_misses, decr_hits;
    uint64_t cas_misses, cas_hits, cas_badval, touch_hits, touch_misses;
    uint64_t store_too_large, store_no_memory;
    uint64_t bytes_read, bytes_written;
    /* kvstore's own */
    uint64_t requests, bad_header, multi_datagram, truncated, reply_overflow;
};

struct kv_dgram {
    uint8_t hdr[MCPROTO_HDR_LEN];
    uint32_t off, len; /* the data after the header, in kv->scratch */
};

struct kv_resp {
    uint32_t off, len;
    uint8_t skip; /* noreply */
};

struct kv {
    struct kvtable table;
    struct kv_stats st;
    int64_t unix_now;
    int64_t started;
    /* One datagram's replies. */
    uint8_t *scratch;
    size_t len;
    struct kv_resp resp[KV_MAX_RESPS];
    unsigned nresp, batch;
    struct kv_dgram dgram[KV_MAX_DGRAMS];
    unsigned ndgram;
    uint16_t req_id;
};

/* 0, or a negative errno after one line on stderr. Slow path. */
int kv_init(struct kv *kv, size_t mem_limit, size_t item_size_max, int64_t unix_now);

static inline void kv_clock(struct kv *kv, int64_t unix_now)
{
    kv->unix_now = unix_now;
    kvtable_clock(&kv->table, unix_now);
}

/* Serves one request (a UDP payload, frame header included). Returns the
 * number of reply datagrams, laid out in kv->dgram[] over kv->scratch. */
unsigned kv_serve(struct kv *kv, const uint8_t *req, size_t len);

/* A get of one key, as kv_request_peek found it in a request datagram. */
struct kv_get {
    const uint8_t *key;
    uint64_t hash;
    uint8_t nkey;
    bool gets;
};

/* Burst batching, first pass: true when the datagram is one simple
 * "get KEY\r\n" or "gets KEY\r\n" (mcproto_get_simple), with g filled for
 * kv_get_reply; false otherwise, with g->hash the hash of the request's
 * first key for prefetching (0 when none). */
bool kv_request_peek(const uint8_t *req, size_t len, struct kv_get *g);

/* The fast path: answers the get g of the len-byte request datagram in
 * buf, in place (cap bytes of room), and puts the reply's checksum partial
 * sum (net_csum_partial's) in *sum: for a plain get's hit from the item's
 * aux word, which keeps the sum of the reply after the frame header (the
 * first get of an item computes it), so that the reply is not read back.
 * Returns the reply's length, or 0 when it would not fit (then kv_serve
 * answers it). */
size_t kv_get_reply(struct kv *kv, uint8_t *buf, size_t len, size_t cap, const struct kv_get *g,
                    uint32_t *sum);

/* The same for a datagram of another shape that still holds one get/gets
 * of one key (parsed in full); 0 when it is not one or does not fit. */
size_t kv_serve_inplace(struct kv *kv, uint8_t *buf, size_t len, size_t cap, uint32_t *sum);

/* The reply to "stats", into p (room for cap bytes); its length or 0. */
size_t kv_stats_write(struct kv *kv, char *p, size_t cap);

#endif /* KVSTORE_KV_H */
