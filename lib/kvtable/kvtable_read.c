/* kvtable on several threads: the writers' lock and the lock-free read of
 * a get (kvtable.h, "Several threads"). A read is a seqlock read per
 * bucket: the version of each bucket it looks in, before and after; every
 * change to a bucket or to an item linked in it (kvtable.c) makes the
 * version odd while it happens. Not here: the writers' side (kvtable.c). */
#include <nfos/kvtable.h>
#include "kvtable_priv.h"

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

void kvtable_share(struct kvtable *t)
{
    t->shared = true;
}

static inline void cpu_relax(void)
{
    __builtin_ia32_pause();
}

bool kvtable_trylock(struct kvtable *t)
{
    return !LOAD(t->lock) && !__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE);
}

void kvtable_lock(struct kvtable *t)
{
    while (__atomic_exchange_n(&t->lock, 1, __ATOMIC_ACQUIRE))
        while (LOAD(t->lock))
            cpu_relax();
}

void kvtable_unlock(struct kvtable *t)
{
    __atomic_store_n(&t->lock, 0, __ATOMIC_RELEASE);
}

/* The item's fields into v, as one read (each field loaded once: the
 * caller uses these, never the item's, so that a torn item cannot make it
 * read past the arena). False when they cannot be an item's (a writer
 * reuses its place): the versions will say so. */
static bool snapshot(const struct kvtable *t, const struct kvtable_item *it, struct kvtable_view *v)
{
    size_t off = (size_t)((const uint8_t *)it - t->arena);

    v->it = it;
    v->nkey = LOAD(it->nkey);
    v->nbytes = LOAD(it->nbytes);
    v->flags = LOAD(it->flags);
    v->cas = LOAD(it->cas);
    v->aux = LOAD(it->aux);
    v->time = LOAD(it->time);
    v->clock = LOAD(it->clock);
    return v->nbytes >= 2 &&
           off + ITEM_HDR + v->nkey + v->nbytes <= (size_t)t->npages * KVTABLE_PAGE;
}

/* One pass over the key's buckets: 1 found (v filled), 0 a miss, -1 a
 * writer was there (redo). */
static int read_once(const struct kvtable *t, const void *key, size_t n, uint64_t hash,
                     struct kvtable_view *v)
{
    uint16_t tag = tag_of(hash);
    int b, w;

    v->ver[1] = NULL;
    for (b = 0; b < 2; b++) {
        const struct kvtable_bucket *bk = &t->buckets[kvtable_bucket_index(t, hash, b)];
        uint32_t ver = __atomic_load_n(&bk->version, __ATOMIC_ACQUIRE);

        if (ver & 1)
            return -1;
        v->ver[b] = &bk->version;
        v->v[b] = ver;
        for (w = 0; w < WAYS; w++) {
            uint32_t ref = LOAD(bk->ref[w]);
            const struct kvtable_item *it;

            if (LOAD(bk->tag[w]) != tag || !ref)
                continue;
            it = item_at(t, ref); /* key bytes within the arena's slack */
            if (LOAD(it->nkey) == n && key_eq(it->data, key, n))
                return snapshot(t, it, v) ? 1 : -1;
        }
        if (!LOAD(bk->spilled))
            break;
    }
    v->it = NULL;
    return 0;
}

/* The item is dead: dropped (and counted) under the lock by the same
 * lookup a locked get makes, which may find a newer one stored since. */
static const struct kvtable_item *read_locked(struct kvtable *t, const void *key, size_t n,
                                              uint64_t hash, struct kvtable_view *v)
{
    struct kvtable_item *it;

    kvtable_lock(t);
    it = kvtable_get(t, key, n, hash);
    v->ver[0] = &t->buckets[kvtable_bucket_index(t, hash, 0)].version;
    v->ver[1] = &t->buckets[kvtable_bucket_index(t, hash, 1)].version;
    v->v[0] = *v->ver[0];
    v->v[1] = *v->ver[1];
    if (!it || !snapshot(t, it, v))
        v->it = NULL;
    kvtable_unlock(t);
    return v->it;
}

static bool view_dead(const struct kvtable *t, const struct kvtable_view *v)
{
    uint32_t exptime = LOAD(v->it->exptime);

    return is_flushed_at(t, v->time, v->cas) || (exptime && exptime <= LOAD(t->now));
}

const struct kvtable_item *kvtable_read(struct kvtable *t, const void *key, size_t n, uint64_t hash,
                                        struct kvtable_view *v)
{
    for (;; cpu_relax()) {
        int r = read_once(t, key, n, hash, v);

        if (r < 0)
            continue;
        if (!r || !view_dead(t, v))
            return v->it; /* the caller checks the versions after its copy */
        if (kvtable_read_ok(t, v))
            return read_locked(t, key, n, hash, v);
    }
}

void kvtable_read_note(struct kvtable *t, const struct kvtable_view *v, uint32_t aux)
{
    struct kvtable_item *it = (struct kvtable_item *)v->it;
    uint32_t now = LOAD(t->now);

    if (v->clock && v->time + UPDATE_INTERVAL >= now && (!aux || v->aux))
        return;
    if (!kvtable_trylock(t))
        return;
    if (kvtable_read_ok(t, v)) { /* the same item, and no writer can come now */
        it->clock = 1;
        if (it->time + UPDATE_INTERVAL < now)
            it->time = now;
        if (aux && !it->aux)
            it->aux = aux;
    }
    kvtable_unlock(t);
}
