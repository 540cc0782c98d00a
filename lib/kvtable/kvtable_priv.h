/* lib/kvtable internals: where the two large blocks (the items' arena and
 * the index) come from, one file per kind of platform memory. */
#ifndef NFOS_KVTABLE_PRIV_H
#define NFOS_KVTABLE_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <nfos/kvtable.h>

#define WAYS            8
#define ITEM_FREE       0
#define ITEM_LINKED     1
#define ITEM_PINNED     2  /* with LINKED: CLOCK must not take it */
#define ITEM_SPILLED    4  /* with LINKED: in its second-choice bucket */
#define UPDATE_INTERVAL 60 /* memcached's ITEM_UPDATE_INTERVAL */
#define PREFETCH_LINES  4  /* of an item; the hardware streams the rest */
#define CUCKOO_BUCKETS  64 /* buckets a relocation search visits at most */
/* Past the arena's last page: a lock-free reader may compare a key at a
 * place a writer is reusing (kvtable_read), up to 36 + 255 bytes on. */
#define ARENA_SLACK 512

/* An item goes to its second-choice bucket only when the first is full,
 * and the first counts it in spilled: a lookup reads the second bucket
 * only when that count is not 0, so a hit or a miss costs one line.
 * version: odd while a writer changes the bucket or an item linked in it
 * (shared tables only, kvtable_share); lock-free readers compare it before
 * and after (kvtable_read.c). In the line the lookup reads anyway. */
struct kvtable_bucket {
    uint16_t tag[WAYS];
    uint32_t ref[WAYS]; /* 1 + item offset / 8; 0: empty */
    uint32_t spilled;   /* items whose first choice this is, in their second */
    uint32_t version;
    uint8_t pad[8];
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct kvtable_bucket) == 64, "one bucket, one cache line");
#define ITEM_HDR offsetof(struct kvtable_item, data)
_Static_assert(ITEM_HDR == 36, "item header");

static inline uint16_t tag_of(uint64_t hash)
{
    return (uint16_t)(hash >> 48);
}

typedef int16_t kvtable_tags __attribute__((vector_size(16)));
typedef char kvtable_bytes __attribute__((vector_size(16)));

/* The ways of bk whose tag is tag, as every other bit of a mask (way w:
 * bit 2w; its ref may still be 0): the eight tags compared at once (SSE2,
 * which every x86-64 has), not one at a time. */
static inline unsigned tag_match(const struct kvtable_bucket *bk, uint16_t tag)
{
    kvtable_tags tags = *(const kvtable_tags *)bk->tag, want = { 0 };

    want += (int16_t)tag;
    return (unsigned)__builtin_ia32_pmovmskb128((kvtable_bytes)(tags == want)) & 0x5555;
}

/* The first way of a tag_match mask (not 0). */
static inline int match_way(unsigned m)
{
    return __builtin_ctz(m) >> 1;
}

static inline struct kvtable_item *item_at(const struct kvtable *t, uint32_t ref)
{
    return (struct kvtable_item *)(t->arena + ((size_t)(ref - 1) << 3));
}

static inline bool is_flushed_at(const struct kvtable *t, uint32_t time, uint64_t cas)
{
    if (t->oldest_live == 0 || t->oldest_live > t->now)
        return false;
    return time <= t->oldest_live || (t->oldest_cas && cas && cas < t->oldest_cas);
}

static inline bool is_flushed(const struct kvtable *t, const struct kvtable_item *it)
{
    return is_flushed_at(t, it->time, it->cas);
}

static inline bool is_dead(const struct kvtable *t, const struct kvtable_item *it)
{
    return is_flushed(t, it) || (it->exptime && it->exptime <= t->now);
}

/* A writer (holding the table's lock) is about to change bk, or an item
 * linked in it, and is done with it: the version is odd in between. Calls
 * nest on one bucket (begin, begin, end, end: odd until the first end,
 * which comes after every change). Nothing on an unshared table. */
static inline void bucket_write_begin(const struct kvtable *t, struct kvtable_bucket *bk)
{
    if (t->shared) {
        __atomic_store_n(&bk->version, bk->version | 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_RELEASE); /* odd before the changes */
    }
}

static inline void bucket_write_end(const struct kvtable *t, struct kvtable_bucket *bk)
{
    if (t->shared && (bk->version & 1)) {
        __atomic_thread_fence(__ATOMIC_RELEASE); /* the changes before even */
        __atomic_store_n(&bk->version, bk->version + 1, __ATOMIC_RELAXED);
    }
}

/* len bytes, 64-byte aligned, or NULL. Slow path (kvtable_init). */
void *kvtable_mem_alloc(size_t len);
/* p from kvtable_mem_alloc(len), or NULL. */
void kvtable_mem_free(void *p, size_t len);

/* 16 random bytes into key; returns where they came from ("rdseed",
 * "rdrand", "getrandom"), or, when the platform has no random source, fills
 * key from the clock, prints one line saying so and returns "tsc". */
const char *kvtable_seed_random(uint8_t key[16]);

/* SipHash-c-d of p[0 .. n) under key k (kvtable_hash is c = 1, d = 3 under
 * the boot's key); for the tests' reference vectors. */
uint64_t kvtable_siphash(const uint8_t k[16], const void *p, size_t n, unsigned c, unsigned d);

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* memcmp(a, b, n) == 0 for keys, without a call: 8 bytes at a time, the
 * last word overlapping the one before. */
static inline bool key_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t d = 0;
    size_t i;

    if (n < 8) {
        for (i = 0; i < n; i++)
            d |= (uint64_t)(a[i] ^ b[i]);
        return !d;
    }
    for (i = 0; i + 8 < n; i += 8)
        d |= load64(a + i) ^ load64(b + i);
    return !(d | (load64(a + n - 8) ^ load64(b + n - 8)));
}

/* kvtable.c's lookup (expired and flushed items dropped, counted), for
 * kvtable_read's slow path under the lock. */
struct kvtable_item *kvtable_lookup(struct kvtable *t, const void *key, size_t n, uint64_t hash);

#endif /* NFOS_KVTABLE_PRIV_H */
