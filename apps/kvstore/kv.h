/* kvstore's memcached engine: one request datagram in, its reply datagrams
 * out, with memcached 1.6's replies, statistics and datagram rules. Knows
 * nothing of frames or devices (main.c does those). */
#ifndef KVSTORE_KV_H
#define KVSTORE_KV_H

/* The name kv.c's messages begin with: kvstore-dpdk, which compiles this
 * engine too, defines its own. */
#ifndef KV_APP_NAME
#define KV_APP_NAME "kvstore"
#endif

#include <stddef.h>
#include <stdint.h>
#include <nfos/kvtable.h>
#include <nfos/lcore.h>
#include <nfos/mcproto.h>

/* Replies to one datagram, at most: room for the reply to a get of the
 * largest item the table can hold (a 1 MiB item, as memcached counts it,
 * has a shorter reply) and then some. An item that append or prepend grows
 * stays within the table's item_size_max, so its reply always fits. */
#define KV_SCRATCH    (KVTABLE_PAGE + (64 << 10))
#define KV_MAX_DGRAMS 1100 /* datagrams to one request, the most --max-reply-dgrams allows */
#define KV_MAX_RESPS  1100
#define KV_VERSION    "1.6.18" /* the memcached whose replies kvstore gives */
/* --max-reply-dgrams' default: about 11 KB, room for the values UDP clients
 * keep, while a 20-byte request can no longer draw 60 KB of replies. */
#define KV_REPLY_DGRAMS_DEFAULT 8

_Static_assert(KVTABLE_PAGE + 6 + 250 + 1 + 10 + 1 + 10 + 1 + 20 + 2 + 5 <= KV_SCRATCH,
               "a get of the largest item fits the reply buffer");
_Static_assert((KV_SCRATCH + MCPROTO_UDP_DATA - 1) / MCPROTO_UDP_DATA <= KV_MAX_DGRAMS,
               "and its datagrams the datagram list");

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
    /* Also in "stats", after memcached's names (kv_stats_write): */
    uint64_t reply_dgram_limit;  /* replies over --max-reply-dgrams: SERVER_ERROR or nothing */
    uint64_t reply_rate_limited; /* requests not answered: --udp-rate (main.c) */
    uint64_t reply_no_buffer;    /* replies sent as SERVER_ERROR: no netbufs (main.c) */
    uint64_t reply_loop_drops;   /* datagrams that were replies (mcproto_is_reply) */
    uint64_t exptime_no_clock;   /* absolute expiry times refused: no --epoch */
};

struct kv_dgram {
    uint8_t hdr[MCPROTO_HDR_LEN];
    uint32_t off, len; /* the data after the header, in kv->scratch */
};

struct kv_resp {
    uint32_t off, len;
    uint8_t skip; /* noreply */
};

/* One engine per lcore (its counters, its reply buffers) over one table:
 * the first engine's, shared (kvtable_share) when there are several. */
struct kv {
    struct kvtable *table;   /* own_table, or the first engine's */
    struct kv_stats st;      /* this lcore's: "stats" adds every engine's */
    bool shared;             /* several engines: locked writes, lock-free gets */
    struct kv *const *peers; /* every engine, this one included ("stats") */
    unsigned npeers;
    bool wallclock;      /* the unix time is known (--epoch, or linuxu's clock) */
    unsigned max_dgrams; /* --max-reply-dgrams */
    /* One datagram's replies. */
    uint8_t *scratch;
    size_t len;
    struct kv_resp resp[KV_MAX_RESPS];
    unsigned nresp, batch;
    struct kv_dgram dgram[KV_MAX_DGRAMS];
    unsigned ndgram;
    uint16_t req_id;
    struct kv *self;          /* peers when alone */
    struct kvtable own_table; /* the first engine's */
};

/* Whether kv's table is shared with other lcores' engines: a constant
 * false in a single-CPU image (LCORE_MAX 1), where the shared table's
 * lock-free reads and locks compile away. */
static inline bool kv_shared(const struct kv *kv)
{
    return LCORE_MAX > 1 && kv->shared;
}

/* unix_now: the unix time at start, or 0 when it is not known (a kvm
 * guest without --epoch: absolute expiry times are then refused with a
 * SERVER_ERROR that says so). max_dgrams: 1..KV_MAX_DGRAMS datagrams to
 * one request at most. 0, or a negative errno after one line on stderr.
 * Slow path. */
int kv_init(struct kv *kv, size_t mem_limit, size_t item_size_max, int64_t unix_now,
            unsigned max_dgrams);

/* Engines 1 .. n-1 over first's table, which becomes shared: all[0] is
 * first, all[1 .. n) are set up like it (one reply buffer each). 0, or
 * -ENOMEM after one line. Slow path, before the lcores run. */
int kv_init_peers(struct kv *const *all, unsigned n);

/* Advances the table's clock (one engine calls it, every second). */
static inline void kv_clock(struct kv *kv, int64_t unix_now)
{
    if (kv_shared(kv))
        kvtable_lock(kv->table);
    kvtable_clock(kv->table, unix_now);
    if (kv_shared(kv))
        kvtable_unlock(kv->table);
}

/* Serves one request (a UDP payload, frame header included). Returns the
 * number of reply datagrams, laid out in kv->dgram[] over kv->scratch:
 * at most kv->max_dgrams; a reply (the responses memcached sends
 * together: one get's, or the other commands' of a datagram) that would
 * take more becomes one SERVER_ERROR datagram, or nothing once no room is
 * left, and is counted in reply_dgram_limit. Every datagram's header
 * counts the datagrams of its response, all of which are laid out. */
unsigned kv_serve(struct kv *kv, const uint8_t *req, size_t len);

/* Replaces the reply kv_serve laid out by one datagram holding line (a
 * SERVER_ERROR, for a reply that cannot be sent whole); returns 1. */
unsigned kv_reply_replace(struct kv *kv, const char *line);

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
