/* The key-value table: a two-choice bucketised hash index over items kept
 * in size classes, with memcached's store, expiry, flush and cas rules and
 * CLOCK eviction per class. Not here: the protocol, threads, persistence. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/compiler.h>
#include <nfos/kvtable.h>
#include "kvtable_priv.h"

static inline uint32_t ref_of(const struct kvtable *t, const struct kvtable_item *it)
{
    return (uint32_t)(((const uint8_t *)it - t->arena) >> 3) + 1;
}

/* What memcached counts an item as (ITEM_ntotal, with cas): the "bytes"
 * statistic and the item_size_max check. */
static inline uint64_t mc_size(size_t nkey, uint32_t flags, size_t nbytes)
{
    return 48 + nkey + 1 + nbytes + (flags ? 4 : 0) + 8;
}

/* --- Keyed hash ----------------------------------------------------------- */

/* The key of this boot: drawn at the first kvtable_init unless a test set
 * one. Whoever knows it can make keys collide in the index. */
static struct {
    uint64_t k0, k1;
    const char *source; /* NULL until set */
} hash_key;

static inline uint64_t rotl(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

#define SIPROUND(v0, v1, v2, v3)                                  \
    do {                                                          \
        v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32); \
        v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;                    \
        v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;                    \
        v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32); \
    } while (0)

/* The last 0 to 7 bytes of a key as a little-endian word, zero-padded: two
 * loads that may overlap (the same bytes land in the same places), never a
 * byte outside p[0 .. r), and no call to memcpy. full: the key had 8 bytes
 * before these, so one load ending at p + r may reach back into them. */
static inline uint64_t tail_word(const uint8_t *p, size_t r, bool full)
{
    uint32_t lo, hi;
    uint64_t w;

    if (r == 0)
        return 0;
    if (full) {
        memcpy(&w, p + r - 8, 8);
        return w >> (64 - 8 * r);
    }
    if (r >= 4) {
        memcpy(&lo, p, 4);
        memcpy(&hi, p + r - 4, 4);
        return lo | ((uint64_t)hi << (8 * (r - 4)));
    }
    return p[0] | ((uint64_t)p[r / 2] << (8 * (r / 2))) | ((uint64_t)p[r - 1] << (8 * (r - 1)));
}

/* SipHash-c-d (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): 8-byte little-endian words, the last one padded with zeros and
 * the length's low byte on top. Inlined with constant rounds below. */
static inline __attribute__((always_inline)) uint64_t
siphash(uint64_t k0, uint64_t k1, const void *key, size_t n, unsigned c, unsigned d)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    uint64_t m, b = (uint64_t)n << 56;
    const uint8_t *p = key;
    bool full = n >= 8;
    unsigned i;

    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&m, p, 8);
        v3 ^= m;
        for (i = 0; i < c; i++)
            SIPROUND(v0, v1, v2, v3);
        v0 ^= m;
    }
    b |= tail_word(p, n, full);
    v3 ^= b;
    for (i = 0; i < c; i++)
        SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    for (i = 0; i < d; i++)
        SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t kvtable_siphash(const uint8_t k[16], const void *p, size_t n, unsigned c, unsigned d)
{
    uint64_t k0, k1;

    memcpy(&k0, k, 8);
    memcpy(&k1, k + 8, 8);
    return siphash(k0, k1, p, n, c, d);
}

/* SipHash-1-3, as Python, Rust and CRuby key their hash tables: one round
 * per word is plenty against collisions made without the key. */
uint64_t kvtable_hash(const void *key, size_t n)
{
    return siphash(hash_key.k0, hash_key.k1, key, n, 1, 3);
}

const char *kvtable_hash_seed(const uint8_t seed[16])
{
    uint8_t k[16];

    if (seed) {
        memcpy(k, seed, 16);
        hash_key.source = "fixed";
    } else {
        hash_key.source = kvtable_seed_random(k);
    }
    memcpy(&hash_key.k0, k, 8);
    memcpy(&hash_key.k1, k + 8, 8);
    return hash_key.source;
}

const char *kvtable_hash_source(void)
{
    return hash_key.source;
}

int kvtable_init(struct kvtable *t, size_t mem_limit, size_t item_size_max, int64_t unix_now)
{
    uint64_t nb = 1, max_items;
    uint32_t size = 64, c = 0;

    memset(t, 0, sizeof(*t));
    if (!hash_key.source)
        kvtable_hash_seed(NULL);
    if (mem_limit < KVTABLE_PAGE || item_size_max < 64 || item_size_max > KVTABLE_PAGE ||
        mem_limit / KVTABLE_PAGE > UINT32_MAX / 2)
        return -EINVAL;
    t->npages = (uint32_t)(mem_limit / KVTABLE_PAGE);
    /* Twice as many slots as the smallest items could fill. */
    max_items = (uint64_t)t->npages * (KVTABLE_PAGE / 64);
    while (nb * WAYS < 2 * max_items)
        nb <<= 1;
    t->bucket_mask = nb - 1;
    /* The largest block first: an allocator may align it to its size. */
    t->arena = kvtable_mem_alloc((size_t)t->npages * KVTABLE_PAGE + ARENA_SLACK);
    t->buckets = kvtable_mem_alloc(nb * sizeof(struct kvtable_bucket));
    t->page_lists = calloc((size_t)t->npages * KVTABLE_MAX_CLASSES, sizeof(uint32_t));
    t->page_cls = calloc(t->npages, 1);
    if (!t->buckets || !t->arena || !t->page_lists || !t->page_cls) {
        kvtable_fini(t);
        return -ENOMEM;
    }
    memset(t->buckets, 0, nb * sizeof(struct kvtable_bucket));
    for (;;) {
        struct kvtable_class *k = &t->cls[c];

        k->size = size;
        k->per_page = KVTABLE_PAGE / size;
        k->pages = t->page_lists + (size_t)c * t->npages;
        c++;
        if (size == KVTABLE_PAGE)
            break;
        size = (uint32_t)(((uint64_t)size * 5 / 4 + 7) & ~7ULL);
        if (size > KVTABLE_PAGE / 2 || c == KVTABLE_MAX_CLASSES - 1)
            size = KVTABLE_PAGE;
    }
    t->nclasses = c;
    t->item_size_max = (uint32_t)item_size_max;
    t->started = unix_now - 2; /* as memcached: time 0 is never "now" */
    t->now = 2;
    t->st.limit_maxbytes = (uint64_t)t->npages * KVTABLE_PAGE;
    t->st.hash_bytes = nb * sizeof(struct kvtable_bucket);
    return 0;
}

void kvtable_fini(struct kvtable *t)
{
    kvtable_mem_free(t->buckets, (t->bucket_mask + 1) * sizeof(struct kvtable_bucket));
    kvtable_mem_free(t->arena, (size_t)t->npages * KVTABLE_PAGE + ARENA_SLACK);
    free(t->page_lists);
    free(t->page_cls);
    t->buckets = NULL;
    t->arena = NULL;
    t->page_lists = NULL;
    t->page_cls = NULL;
}

void kvtable_clock(struct kvtable *t, int64_t unix_now)
{
    int64_t now = unix_now - t->started;

    if (now > (int64_t)t->now && now <= UINT32_MAX)
        t->now = (uint32_t)now;
}

uint32_t kvtable_realtime(const struct kvtable *t, int64_t exptime)
{
    if (exptime == 0)
        return 0;
    if (exptime < 0) /* memcached's EXPTIME_TO_POSITIVE_TIME */
        exptime = KVTABLE_REALTIME_MAX + 1;
    if (exptime > KVTABLE_REALTIME_MAX) {
        if (exptime <= t->started)
            return 1;
        return (uint32_t)(exptime - t->started);
    }
    return (uint32_t)(exptime + t->now);
}

bool kvtable_item_fits(const struct kvtable *t, size_t nkey, uint32_t flags, size_t vlen)
{
    return mc_size(nkey, flags, vlen + 2) <= t->item_size_max;
}

/* The burst's prefetches go to L2 (nfos_prefetch_l2): a burst asks DRAM
 * for dozens of lines at once, more than L1 has miss buffers for (the gain
 * is in commit cffbb4c's message and docs/PERFORMANCE.md). */
void kvtable_prefetch_bucket(struct kvtable *t, uint64_t hash)
{
    nfos_prefetch_l2(&t->buckets[kvtable_bucket_index(t, hash, 0)]);
}

/* Every line of the item's chunk (its class's size, at most
 * PREFETCH_LINES): its key is compared and its value copied next. */
static void prefetch_chunk(const struct kvtable *t, uint32_t ref)
{
    const uint8_t *it = (const uint8_t *)item_at(t, ref);
    uint32_t size = t->cls[t->page_cls[(size_t)(it - t->arena) / KVTABLE_PAGE]].size;
    uintptr_t a = (uintptr_t)it & ~(uintptr_t)63, end = (uintptr_t)it + size;
    unsigned i;

    for (i = 0; i < PREFETCH_LINES && a < end; i++, a += 64)
        nfos_prefetch_l2((const void *)a);
}

void kvtable_prefetch_item(struct kvtable *t, uint64_t hash)
{
    const struct kvtable_bucket *bk = &t->buckets[kvtable_bucket_index(t, hash, 0)];
    unsigned m;

    for (m = tag_match(bk, tag_of(hash)); m; m &= m - 1)
        if (bk->ref[match_way(m)])
            prefetch_chunk(t, bk->ref[match_way(m)]);
    if (bk->spilled) /* rare: read when the lookup comes */
        nfos_prefetch_l2(&t->buckets[kvtable_bucket_index(t, hash, 1)]);
}

/* --- Index ------------------------------------------------------------- */

static struct kvtable_item *find(struct kvtable *t, const void *key, size_t n, uint64_t hash)
{
    uint16_t tag = tag_of(hash);
    unsigned m;
    int b;

    for (b = 0; b < 2; b++) {
        struct kvtable_bucket *bk = &t->buckets[kvtable_bucket_index(t, hash, b)];

        for (m = tag_match(bk, tag); m; m &= m - 1) {
            uint32_t ref = bk->ref[match_way(m)];
            struct kvtable_item *it;

            if (!ref)
                continue;
            it = item_at(t, ref);
            if (it->nkey == n && key_eq(it->data, key, n))
                return it;
        }
        if (!bk->spilled)
            break;
    }
    return NULL;
}

static void item_free(struct kvtable *t, struct kvtable_item *it)
{
    struct kvtable_class *k = &t->cls[it->cls];

    it->state = ITEM_FREE;
    it->exptime = k->free; /* the free list runs through exptime */
    k->free = ref_of(t, it);
}

static void unlink_item(struct kvtable *t, struct kvtable_item *it)
{
    struct kvtable_bucket *bk = &t->buckets[it->slot / WAYS], *first = bk;

    if (it->state & ITEM_SPILLED) /* its first choice counted it */
        first = &t->buckets[kvtable_bucket_index(t, kvtable_hash(it->data, it->nkey), 0)];
    bucket_write_begin(t, bk);
    bucket_write_begin(t, first);
    bk->ref[it->slot % WAYS] = 0;
    if (it->state & ITEM_SPILLED)
        first->spilled--;
    bucket_write_end(t, bk);
    bucket_write_end(t, first);
    t->st.curr_items--;
    t->st.bytes -= mc_size(it->nkey, it->flags, it->nbytes);
    it->state = ITEM_FREE;
}

static void drop(struct kvtable *t, struct kvtable_item *it)
{
    unlink_item(t, it);
    item_free(t, it);
}

static int free_way(const struct kvtable_bucket *bk)
{
    int w;

    for (w = 0; w < WAYS; w++)
        if (!bk->ref[w])
            return w;
    return -1;
}

/* The bucket the item in bucket b is not in (b itself when both are one). */
static uint64_t other_bucket(const struct kvtable *t, const struct kvtable_item *it)
{
    uint64_t h = kvtable_hash(it->data, it->nkey);

    return kvtable_bucket_index(t, h, !(it->state & ITEM_SPILLED));
}

/* Moves the item in (from, w) to the free way nw of its other bucket. */
static void move_item(struct kvtable *t, uint64_t from, int w, uint64_t to, int nw)
{
    struct kvtable_bucket *a = &t->buckets[from], *z = &t->buckets[to];
    struct kvtable_item *it = item_at(t, a->ref[w]);

    bucket_write_begin(t, a);
    bucket_write_begin(t, z);
    z->tag[nw] = a->tag[w];
    z->ref[nw] = a->ref[w];
    a->ref[w] = 0;
    it->slot = (uint32_t)(to * WAYS + (unsigned)nw);
    if (it->state & ITEM_SPILLED) { /* back to its first choice, to */
        it->state &= (uint8_t)~ITEM_SPILLED;
        z->spilled--;
    } else { /* from is its first choice */
        it->state |= ITEM_SPILLED;
        a->spilled++;
    }
    bucket_write_end(t, a);
    bucket_write_end(t, z);
    t->st.relocations++;
}

/* Both candidates of a new key (bi[0], bi[1]) are full: a breadth-first
 * search from them over the items' other buckets for a free way, then the
 * items on the path each move one step, the last first. Returns which
 * candidate now has a free way (in *way), or -1 (nothing moved). Costs a
 * hash of every item looked at: rare below half load, and the key keeps
 * others from making it common. */
static int cuckoo(struct kvtable *t, const uint64_t bi[2], int *way)
{
    struct node {
        uint64_t b;
        int parent; /* node whose item at way moves into b */
        int way;
    } q[CUCKOO_BUCKETS];
    int n = 0, head, i, w, cur, fw;

    q[n++] = (struct node){ bi[0], -1, 0 };
    if (bi[1] != bi[0])
        q[n++] = (struct node){ bi[1], -1, 0 };
    for (head = 0; head < n; head++) {
        for (w = 0; w < WAYS; w++) {
            uint64_t alt = other_bucket(t, item_at(t, t->buckets[q[head].b].ref[w]));

            if (alt == q[head].b)
                continue;
            if ((fw = free_way(&t->buckets[alt])) >= 0) {
                move_item(t, q[head].b, w, alt, fw);
                for (cur = head; q[cur].parent >= 0; cur = q[cur].parent) {
                    move_item(t, q[q[cur].parent].b, q[cur].way, q[cur].b, w);
                    w = q[cur].way;
                }
                *way = w;
                return q[cur].b == bi[0] ? 0 : 1;
            }
            for (i = 0; i < n && q[i].b != alt; i++)
                ;
            if (i == n && n < CUCKOO_BUCKETS)
                q[n++] = (struct node){ alt, head, w };
        }
    }
    return -1;
}

/* Links it under hash: false (nothing changed, index_full counted) when
 * neither candidate bucket has room and none can be made. */
static bool link_item(struct kvtable *t, struct kvtable_item *it, uint64_t hash)
{
    uint64_t bi[2] = { kvtable_bucket_index(t, hash, 0), kvtable_bucket_index(t, hash, 1) };
    struct kvtable_bucket *bk;
    int b, w;

    for (b = 0; b < 2; b++)
        if ((w = free_way(&t->buckets[bi[b]])) >= 0)
            goto found;
    if ((b = cuckoo(t, bi, &w)) < 0) {
        t->st.index_full++;
        t->st.out_of_memory++;
        return false;
    }
found:
    bk = &t->buckets[bi[b]];
    bucket_write_begin(t, bk);
    bucket_write_begin(t, &t->buckets[bi[0]]);
    bk->tag[w] = tag_of(hash);
    bk->ref[w] = ref_of(t, it);
    it->slot = (uint32_t)(bi[b] * WAYS + (unsigned)w);
    it->state = ITEM_LINKED;
    if (b) {
        it->state |= ITEM_SPILLED;
        t->buckets[bi[0]].spilled++;
    }
    it->clock = 0;
    it->cas = ++t->cas_id;
    it->time = t->now;
    bucket_write_end(t, bk);
    bucket_write_end(t, &t->buckets[bi[0]]);
    t->st.curr_items++;
    t->st.total_items++;
    t->st.bytes += mc_size(it->nkey, it->flags, it->nbytes);
    return true;
}

/* --- Memory ------------------------------------------------------------ */

/* Page pg becomes k's last page, carved lazily (the one before is full). */
static void class_add_page(struct kvtable *t, struct kvtable_class *k, uint32_t pg)
{
    t->page_cls[pg] = (uint8_t)(k - t->cls);
    k->pages[k->npages++] = pg;
    k->carved = 0;
}

/* The next never-used item of the class's last page, or NULL. */
static struct kvtable_item *carve_one(struct kvtable *t, struct kvtable_class *k)
{
    struct kvtable_item *it;

    if (!k->npages || k->carved == k->per_page)
        return NULL;
    it = (struct kvtable_item *)(t->arena + (size_t)k->pages[k->npages - 1] * KVTABLE_PAGE +
                                 (size_t)k->carved++ * k->size);
    it->cls = (uint8_t)(k - t->cls);
    it->state = ITEM_FREE;
    return it;
}

static bool class_grow(struct kvtable *t, struct kvtable_class *k)
{
    if (t->next_page == t->npages)
        return false;
    class_add_page(t, k, t->next_page++);
    return true;
}

/* CLOCK over the class's items: dead ones are reclaimed, referenced ones
 * get their bit cleared, the first other one is evicted. */
static struct kvtable_item *class_evict(struct kvtable *t, struct kvtable_class *k)
{
    uint64_t steps, max = 2ULL * k->npages * k->per_page + 1;

    for (steps = 0; k->npages && steps < max; steps++) {
        uint32_t lim = k->hand_page == k->npages - 1 ? k->carved : k->per_page;
        struct kvtable_item *it;

        if (k->hand_item >= lim) { /* past the carved items: next page */
            k->hand_item = 0;
            k->hand_page = k->hand_page + 1 >= k->npages ? 0 : k->hand_page + 1;
            continue;
        }
        it = (struct kvtable_item *)(t->arena + (size_t)k->pages[k->hand_page] * KVTABLE_PAGE +
                                     (size_t)k->hand_item++ * k->size);
        if ((it->state & (ITEM_LINKED | ITEM_PINNED)) != ITEM_LINKED)
            continue; /* free (not on a full class) or pinned */
        if (is_dead(t, it)) {
            t->st.reclaimed++;
        } else if (it->clock) {
            it->clock = 0;
            continue;
        } else {
            t->st.evictions++;
        }
        unlink_item(t, it);
        return it;
    }
    return NULL;
}

static bool page_has_pinned(struct kvtable *t, const struct kvtable_class *v, uint8_t *page)
{
    uint32_t i;

    for (i = 0; i < v->per_page; i++)
        if (((struct kvtable_item *)(page + (size_t)i * v->size))->state & ITEM_PINNED)
            return true;
    return false;
}

/* No page left and nothing of the class's own to evict: take a page from
 * the class holding the most (its items evicted), as memcached's slab
 * rebalancer would. Slow: the victim's free list is rebuilt. */
static bool page_steal(struct kvtable *t, struct kvtable_class *k)
{
    struct kvtable_class *v = NULL;
    struct kvtable_item *it;
    uint32_t c, j, i, pg = 0;
    uint8_t *page = NULL;

    for (c = 0; c < t->nclasses; c++)
        if (&t->cls[c] != k && t->cls[c].npages && (!v || t->cls[c].npages > v->npages))
            v = &t->cls[c];
    if (!v)
        return false;
    while ((it = carve_one(t, v))) /* every page of v fully carved */
        item_free(t, it);
    for (j = v->npages; j-- > 0;) {
        page = t->arena + (size_t)v->pages[j] * KVTABLE_PAGE;
        if (!page_has_pinned(t, v, page))
            break;
    }
    if (j == UINT32_MAX)
        return false;
    pg = v->pages[j];
    for (i = 0; i < v->per_page; i++) {
        it = (struct kvtable_item *)(page + (size_t)i * v->size);
        if (it->state & ITEM_LINKED) { /* none pinned on this page */
            is_dead(t, it) ? t->st.reclaimed++ : t->st.evictions++;
            unlink_item(t, it);
        }
    }
    v->pages[j] = v->pages[--v->npages];
    v->hand_page = v->hand_item = 0;
    v->free = 0;
    v->carved = v->per_page;
    for (j = 0; j < v->npages; j++)
        for (i = 0; i < v->per_page; i++) {
            it = (struct kvtable_item *)(t->arena + (size_t)v->pages[j] * KVTABLE_PAGE +
                                         (size_t)i * v->size);
            if (it->state == ITEM_FREE)
                item_free(t, it);
        }
    class_add_page(t, k, pg);
    return true;
}

static struct kvtable_item *item_alloc(struct kvtable *t, size_t nkey, size_t nbytes)
{
    size_t need = ITEM_HDR + nkey + nbytes;
    struct kvtable_class *k = t->cls;
    struct kvtable_item *it;

    while (k->size < need) {
        if (k == &t->cls[t->nclasses - 1])
            return NULL;
        k++;
    }
    if (k->free) {
        it = item_at(t, k->free);
        k->free = it->exptime;
        return it;
    }
    if ((it = carve_one(t, k)) || (class_grow(t, k) && (it = carve_one(t, k))))
        return it;
    if ((it = class_evict(t, k)))
        return it;
    if (page_steal(t, k))
        return carve_one(t, k);
    t->st.out_of_memory++;
    return NULL;
}

static struct kvtable_item *item_new(struct kvtable *t, const void *key, size_t n, uint32_t flags,
                                     uint32_t exptime, size_t nbytes, struct kvtable_item *pin)
{
    struct kvtable_item *it;

    if (pin)
        pin->state |= ITEM_PINNED;
    it = item_alloc(t, n, nbytes);
    if (pin)
        pin->state &= (uint8_t)~ITEM_PINNED;
    if (!it)
        return NULL;
    it->nkey = (uint8_t)n;
    it->flags = flags;
    it->exptime = exptime;
    it->nbytes = (uint32_t)nbytes;
    it->aux = 0;
    memcpy(it->data, key, n);
    return it;
}

/* --- Operations ---------------------------------------------------------- */

struct kvtable_item *kvtable_lookup(struct kvtable *t, const void *key, size_t n, uint64_t hash)
{
    struct kvtable_item *it = find(t, key, n, hash);

    if (!it)
        return NULL;
    if (is_flushed(t, it)) {
        t->st.get_flushed++;
        drop(t, it);
        return NULL;
    }
    if (it->exptime && it->exptime <= t->now) {
        t->st.get_expired++;
        drop(t, it);
        return NULL;
    }
    return it;
}

struct kvtable_item *kvtable_get(struct kvtable *t, const void *key, size_t n, uint64_t hash)
{
    struct kvtable_item *it = kvtable_lookup(t, key, n, hash);

    if (it) { /* stores only when needed: a clean line costs no write-back */
        if (!it->clock)
            it->clock = 1;
        if (it->time + UPDATE_INTERVAL < t->now)
            it->time = t->now;
    }
    return it;
}

struct kvtable_item *kvtable_touch(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                   uint32_t exptime)
{
    struct kvtable_item *it = kvtable_get(t, key, n, hash);

    if (it)
        it->exptime = exptime;
    return it;
}

/* it takes old's place (old's key is it's: same buckets, so with old there
 * is always room), or a new place: false, it freed, when there is none. */
static bool replace(struct kvtable *t, struct kvtable_item *old, struct kvtable_item *it,
                    uint64_t hash)
{
    if (old)
        drop(t, old);
    if (link_item(t, it, hash))
        return true;
    item_free(t, it);
    return false;
}

enum kvtable_result kvtable_store(struct kvtable *t, enum kvtable_mode mode, const void *key,
                                  size_t n, uint64_t hash, uint32_t flags, uint32_t exptime,
                                  const void *value, size_t vlen, uint64_t cas_in)
{
    struct kvtable_item *old = kvtable_lookup(t, key, n, hash), *it;

    if (!old) {
        if (mode == KVTABLE_CAS)
            return KVTABLE_NOT_FOUND;
        if (mode != KVTABLE_SET && mode != KVTABLE_ADD)
            return KVTABLE_NOT_STORED;
    } else if (mode == KVTABLE_ADD) {
        old->clock = 1; /* memcached bumps it in its LRU */
        return KVTABLE_NOT_STORED;
    } else if (mode == KVTABLE_CAS && cas_in != old->cas) {
        return KVTABLE_EXISTS;
    }
    if (old && (mode == KVTABLE_APPEND || mode == KVTABLE_PREPEND)) {
        size_t ov = old->nbytes - 2;

        if (!kvtable_item_fits(t, n, old->flags, ov + vlen))
            return KVTABLE_NOT_STORED; /* memcached's allocation fails */
        it = item_new(t, key, n, old->flags, old->exptime, ov + vlen + 2, old);
        if (!it)
            return KVTABLE_NOT_STORED;
        if (mode == KVTABLE_APPEND) {
            memcpy(kvtable_item_value(it), kvtable_item_value(old), ov);
            memcpy(kvtable_item_value(it) + ov, value, vlen);
        } else {
            memcpy(kvtable_item_value(it), value, vlen);
            memcpy(kvtable_item_value(it) + vlen, kvtable_item_value(old), ov);
        }
    } else {
        it = item_new(t, key, n, flags, exptime, vlen + 2, old);
        if (!it) {
            if (old && mode == KVTABLE_SET) /* no stale value left behind */
                drop(t, old);
            return KVTABLE_NO_MEMORY;
        }
        memcpy(kvtable_item_value(it), value, vlen);
    }
    memcpy(kvtable_item_value(it) + it->nbytes - 2, "\r\n", 2);
    if (!replace(t, old, it, hash))
        return KVTABLE_NO_MEMORY; /* no old: a new key with no place */
    return KVTABLE_STORED;
}

int kvtable_delete(struct kvtable *t, const void *key, size_t n, uint64_t hash)
{
    struct kvtable_item *it = kvtable_lookup(t, key, n, hash);

    if (!it)
        return -ENOENT;
    drop(t, it);
    return 0;
}

/* memcached's safe_strtoull over an item's value: digits after optional
 * spaces and sign, ending at the value's end (its "\r\n"), a NUL or a
 * space. */
static bool value_number(const uint8_t *v, size_t n, uint64_t *out)
{
    const uint8_t *z = memchr(v, '\0', n);
    size_t i = 0, d0;
    uint64_t x = 0;
    bool neg = false;

    if (z)
        n = (size_t)(z - v);
    while (i < n && (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r')))
        i++;
    if (i < n && (v[i] == '+' || v[i] == '-'))
        neg = v[i++] == '-';
    for (d0 = i; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
        if (x > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    if (i == d0 || (i < n && !(v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r'))))
        return false;
    if (neg)
        x = (uint64_t)0 - x;
    if (neg && (int64_t)x < 0)
        return false;
    *out = x;
    return true;
}

enum kvtable_result kvtable_delta(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                  bool incr, uint64_t delta, uint64_t *out)
{
    struct kvtable_item *it = kvtable_lookup(t, key, n, hash), *nit;
    char buf[24], *e;
    uint64_t v;
    size_t res;

    if (!it)
        return KVTABLE_NOT_FOUND;
    if (it->nbytes <= 2 || !value_number(kvtable_item_value(it), it->nbytes - 2, &v))
        return KVTABLE_NON_NUMERIC;
    v = incr ? v + delta : (delta > v ? 0 : v - delta);
    *out = v;
    e = buf + sizeof(buf);
    do {
        *--e = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    res = (size_t)(buf + sizeof(buf) - e);
    if (res + 2 <= it->nbytes) { /* in place, padded as memcached does */
        struct kvtable_bucket *bk = &t->buckets[it->slot / WAYS];

        bucket_write_begin(t, bk);
        memcpy(kvtable_item_value(it), e, res);
        memset(kvtable_item_value(it) + res, ' ', it->nbytes - 2 - res);
        it->aux = 0;
        it->cas = ++t->cas_id;
        it->clock = 1;
        bucket_write_end(t, bk);
        return KVTABLE_DELTA_OK;
    }
    nit = item_new(t, key, n, it->flags, it->exptime, res + 2, it);
    if (!nit)
        return KVTABLE_NO_MEMORY;
    memcpy(kvtable_item_value(nit), e, res);
    memcpy(kvtable_item_value(nit) + res, "\r\n", 2);
    if (!replace(t, it, nit, hash)) /* cannot happen: it's place is free */
        return KVTABLE_NO_MEMORY;
    return KVTABLE_DELTA_OK;
}

void kvtable_flush(struct kvtable *t, int32_t exptime)
{
    uint32_t oldest = exptime > 0 ? kvtable_realtime(t, exptime) : t->now;

    t->oldest_live = oldest - 1;
    if (t->oldest_live <= t->now)
        t->oldest_cas = ++t->cas_id;
}
