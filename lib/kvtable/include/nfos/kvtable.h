/* kvtable: the table of a memcached-compatible key-value store. Keys up to
 * 250 bytes, values stored with their trailing "\r\n" so that a reply can
 * take them as they are. memcached 1.6's semantics where a client can see
 * them: which store modes store, cas unique ids (one counter bumped by
 * every link, incr/decr and immediate flush_all), expiry (relative seconds
 * up to 30 days, absolute unix times beyond, negative = already expired),
 * flush_all with and without delay, incr/decr rewriting short results in
 * place padded with spaces, and the "bytes" an item counts for.
 *
 * Layout: a bucketised hash index, two candidate buckets of 8 (16-bit tag,
 * item reference) pairs per 64-byte line, the second used only when the
 * first is full (and then read only for keys whose first bucket says
 * so). The hash is SipHash-1-3 under a key drawn once per boot, so that
 * nobody outside can make keys collide; when both buckets of a new key are
 * full, items already there move to their other bucket (cuckoo hashing, a
 * breadth-first search over at most 64 buckets) and, if that finds no
 * room, the store is refused (index_full) rather than anything evicted.
 * Items in size classes (x1.25)
 * carved from 1 MiB pages of one arena of mem_limit bytes; when a class has
 * no free item and no page is left, a CLOCK hand over that class evicts the
 * first item not referenced since it last passed (counted in evictions):
 * memory pressure, as memcached, is the only reason an item is evicted.
 * One thread, or several on a table made shared (kvtable_share, at the
 * end: one writer at a time under the table's lock, lock-free readers that
 * check bucket versions); no allocation after kvtable_init; every call
 * below but init, fini and share is fast path (no printing, no blocking). */
#ifndef NFOS_KVTABLE_H
#define NFOS_KVTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KVTABLE_KEY_MAX      250
#define KVTABLE_PAGE         (1u << 20)
#define KVTABLE_MAX_CLASSES  64
#define KVTABLE_REALTIME_MAX (60 * 60 * 24 * 30) /* 30 days: beyond, a unix time */

struct kvtable_item {
    uint32_t exptime; /* table seconds; 0: never */
    uint32_t time;    /* table seconds of the last link or touch */
    uint64_t cas;
    uint32_t flags;
    uint32_t nbytes; /* value bytes, "\r\n" included */
    uint32_t slot;   /* index position: bucket * 8 + way */
    uint32_t aux;    /* the caller's: 0 whenever the key, flags or value
                      * change (a reply's checksum can be kept here) */
    uint8_t nkey;
    uint8_t cls;    /* size class */
    uint8_t clock;  /* referenced since the CLOCK hand last passed */
    uint8_t state;  /* KVTABLE_ITEM_* */
    uint8_t data[]; /* key, then value and "\r\n" */
};

static inline uint8_t *kvtable_item_key(struct kvtable_item *it)
{
    return it->data;
}

static inline uint8_t *kvtable_item_value(struct kvtable_item *it)
{
    return it->data + it->nkey;
}

struct kvtable_stats {
    uint64_t curr_items, total_items, bytes; /* bytes: memcached's item sizes */
    uint64_t evictions;                      /* live items dropped for room */
    uint64_t reclaimed;                      /* expired items whose room was reused */
    uint64_t expired_unfetched, get_expired, get_flushed;
    uint64_t limit_maxbytes, hash_bytes;
    uint64_t out_of_memory; /* stores refused: no page for the class, nothing to evict,
                             * or no place in the index (index_full) */
    uint64_t relocations;   /* items moved to their other bucket to make room */
    uint64_t index_full;    /* stores refused: both buckets full, nothing movable */
};

struct kvtable_bucket;
struct kvtable_class {
    uint32_t size;      /* bytes per item in this class */
    uint32_t per_page;  /* items per page */
    uint32_t free;      /* free list head (reference), 0: empty */
    uint32_t npages;    /* pages owned */
    uint32_t *pages;    /* their numbers, in order of acquisition */
    uint32_t hand_page; /* CLOCK hand: index into pages, item in page */
    uint32_t hand_item;
    uint32_t carved; /* items of the last page handed out so far: a page is
                      * carved as it is used, not touched all at once */
};

struct kvtable {
    struct kvtable_bucket *buckets;
    uint64_t bucket_mask;
    uint8_t *arena; /* mem_limit bytes of pages */
    uint32_t npages, next_page;
    uint32_t nclasses;
    uint32_t item_size_max; /* memcached's -I: item_size_max */
    uint32_t now;           /* memcached's current_time */
    int64_t started;        /* unix time of time 0 (memcached's process_started) */
    uint64_t cas_id;
    uint32_t oldest_live; /* flush_all */
    uint64_t oldest_cas;
    struct kvtable_stats st;
    struct kvtable_class cls[KVTABLE_MAX_CLASSES];
    uint32_t *page_lists;                       /* storage behind cls[].pages */
    uint8_t *page_cls;                          /* each page's class, for prefetching whole items */
    bool shared;                                /* kvtable_share: versions kept, the lock used */
    uint32_t lock __attribute__((aligned(64))); /* the writers' (kvtable_lock) */
};

/* Sets up t with mem_limit bytes of item memory (at least one page; the
 * index comes on top and is reported as hash_bytes), items up to
 * item_size_max bytes by memcached's count (-I), and the unix time now.
 * Returns 0, -EINVAL (sizes), or -ENOMEM (malloc failed). Slow path. */
int kvtable_init(struct kvtable *t, size_t mem_limit, size_t item_size_max, int64_t unix_now);
void kvtable_fini(struct kvtable *t);

/* Advances the table's clock (whole seconds, never backwards). */
void kvtable_clock(struct kvtable *t, int64_t unix_now);

/* memcached's realtime(): an exptime as sent (relative seconds up to 30
 * days, a unix time beyond, negative: expired) to table seconds. */
uint32_t kvtable_realtime(const struct kvtable *t, int64_t exptime);

/* Whether an item of this key length, flags and value (bytes without
 * "\r\n") is within item_size_max, as memcached counts it; when not,
 * memcached answers "SERVER_ERROR object too large for cache". */
bool kvtable_item_fits(const struct kvtable *t, size_t nkey, uint32_t flags, size_t vlen);

/* The hash of key[0 .. n): SipHash-1-3 under the boot's key. Fast path. */
uint64_t kvtable_hash(const void *key, size_t n);

/* Sets the hash key to seed's 16 bytes (tests: collisions made on purpose),
 * or with NULL draws one (RDSEED/RDRAND on kvm, getrandom on linuxu; the
 * clock, said on the console, when there is none). The first kvtable_init
 * draws one unless a key was set. Only while no table holds items: their
 * places depend on the key. Returns kvtable_hash_source(). Slow path. */
const char *kvtable_hash_seed(const uint8_t seed[16]);

/* Where the key came from: "fixed", "rdseed", "rdrand", "getrandom", or a
 * guessable "tsc"/"clock"; NULL before the first kvtable_init. */
const char *kvtable_hash_source(void);

/* Burst batching: prefetch_bucket for every request of a burst (the
 * first-choice bucket's line), then prefetch_item (reads that bucket,
 * prefetches every line of the items whose tag matches, up to 256 bytes
 * each, and the second bucket when the first has spilled into it), then
 * the lookups proper, in order. */
void kvtable_prefetch_item(struct kvtable *t, uint64_t hash);

static inline uint64_t kvtable_bucket_index(const struct kvtable *t, uint64_t hash, int which)
{
    uint64_t h = which ? (hash >> 32) ^ ((hash & 0xffff) * 0x9e3779b97f4a7c15ULL) : hash;

    return h & t->bucket_mask;
}

void kvtable_prefetch_bucket(struct kvtable *t, uint64_t hash);

/* The live item of key, or NULL (expired and flushed items are dropped on
 * the way). Marks it referenced for CLOCK. The item stays valid until the
 * next call that stores, deletes, flushes or touches. */
struct kvtable_item *kvtable_get(struct kvtable *t, const void *key, size_t n, uint64_t hash);

/* get-and-touch: sets the expiry (table seconds from kvtable_realtime). */
struct kvtable_item *kvtable_touch(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                   uint32_t exptime);

enum kvtable_mode {
    KVTABLE_SET,
    KVTABLE_ADD,
    KVTABLE_REPLACE,
    KVTABLE_APPEND,
    KVTABLE_PREPEND,
    KVTABLE_CAS
};

enum kvtable_result {
    KVTABLE_STORED,
    KVTABLE_NOT_STORED,
    KVTABLE_EXISTS,
    KVTABLE_NOT_FOUND,
    KVTABLE_NO_MEMORY, /* "SERVER_ERROR out of memory storing object" */
    KVTABLE_NON_NUMERIC,
    KVTABLE_DELTA_OK,
};

/* Stores value[0 .. vlen) (without "\r\n") under key as memcached's
 * set/add/replace/append/prepend/cas do; cas_in is the cas command's
 * unique (0 otherwise); exptime in table seconds. The caller has checked
 * kvtable_item_fits. */
enum kvtable_result kvtable_store(struct kvtable *t, enum kvtable_mode mode, const void *key,
                                  size_t n, uint64_t hash, uint32_t flags, uint32_t exptime,
                                  const void *value, size_t vlen, uint64_t cas_in);

/* 0, or -ENOENT. */
int kvtable_delete(struct kvtable *t, const void *key, size_t n, uint64_t hash);

/* incr/decr: KVTABLE_DELTA_OK with the new value in *out, NOT_FOUND,
 * NON_NUMERIC, or NO_MEMORY. */
enum kvtable_result kvtable_delta(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                  bool incr, uint64_t delta, uint64_t *out);

/* flush_all [exptime as sent]: every item stored so far is invalid at once
 * (0) or from that time on. */
void kvtable_flush(struct kvtable *t, int32_t exptime);

/* --- Several threads (lcores) on one table ------------------------------
 *
 * kvtable_share(t), once, before a second thread uses t. From then on
 * every call above that may change the table (store, delete, delta,
 * touch, flush, clock, and get, which marks the item and drops a dead one)
 * runs between kvtable_lock() and kvtable_unlock(), the item it returns
 * used only until the unlock; writers bump the version of each bucket they
 * change (odd while they do). A get that only reads takes no lock:
 *
 *     struct kvtable_view v;
 *     do {
 *         it = kvtable_read(t, key, n, hash, &v);
 *         ... copy what the reply needs: v's fields, it's key and value ...
 *     } while (!kvtable_read_ok(t, &v));   (false: a writer was there, redo)
 *     if (it)
 *         kvtable_read_note(t, &v, aux);
 *
 * Until kvtable_read_ok says so, what was read may be torn: the copy may
 * hold garbage (never more than v.nkey and v.nbytes bytes, which keep it
 * within the table's memory) and must not be used. Without kvtable_share
 * nothing of this costs anything (kvtable_get is as before). */
struct kvtable_view {
    const struct kvtable_item *it; /* NULL: a miss */
    uint64_t cas;
    uint32_t flags, nbytes, aux, time; /* it's, as read */
    uint8_t nkey, clock;
    const uint32_t *ver[2]; /* the bucket versions read (ver[1] may be NULL) */
    uint32_t v[2];
};

/* Makes t shared (see above). Slow path, before the other threads run. */
void kvtable_share(struct kvtable *t);

/* The writers' lock: spins; for a few hundred cycles at most, never a
 * printf or a wait for a device inside. trylock: true when taken. */
void kvtable_lock(struct kvtable *t);
bool kvtable_trylock(struct kvtable *t);
void kvtable_unlock(struct kvtable *t);

/* A get without a lock on a shared table: the live item of key or NULL,
 * its fields in *v. A dead (expired, flushed) item is dropped under the
 * lock on the way, as kvtable_get does. Fast path. */
const struct kvtable_item *kvtable_read(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                        struct kvtable_view *v);

/* Whether nothing v read changed since kvtable_read: what was copied from
 * the item in between is whole. Fast path. */
static inline bool kvtable_read_ok(const struct kvtable *t, const struct kvtable_view *v)
{
    (void)t;
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the copies before the versions */
    return __atomic_load_n(v->ver[0], __ATOMIC_RELAXED) == v->v[0] &&
           (!v->ver[1] || __atomic_load_n(v->ver[1], __ATOMIC_RELAXED) == v->v[1]);
}

/* After a hit that kvtable_read_ok confirmed: the marks kvtable_get makes
 * (CLOCK's referenced bit, the access time) and aux when not 0 and the
 * item has none, under the lock when one is needed and free (skipped when
 * the lock is busy or the item changed: marks are hints, aux a cache). */
void kvtable_read_note(struct kvtable *t, const struct kvtable_view *v, uint32_t aux);

#endif /* NFOS_KVTABLE_H */
