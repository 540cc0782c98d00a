/* libFuzzer harness for kvtable, model-checked against a plain array of 24
 * keys (make fuzz). Byte 0 of the input sizes the table (bits 0-1: 1 to 4
 * pages of 1 MiB; bits 2-3: items up to 1 to 8 KiB: small enough that
 * memory runs out and eviction happens; bits 4-5: the index cut down to 1,
 * 2 or 4 buckets of 8, fewer than the 24 keys, so that items relocate
 * between buckets and stores are refused for a full index); then each 5
 * bytes are an operation:
 *
 *   op: bits 0-3 set add replace append prepend cas get touch delete incr
 *       decr clock flush_all (13-15: get); 4: a decimal value; 5: flags;
 *       6-7: exptime 0, a few seconds, -1 (expired), an absolute unix time
 *   key: which of the 24 keys (16 short, 8 of 240 to 250 bytes)
 *   a, b, c: value length (a, b), value bytes and numbers (c), delta, the
 *       seconds the clock moves, and whether a cas sends the right unique
 *
 * What is checked against the model after every operation, as far as
 * kvtable.h's eviction rules allow: items are evicted only for room (a
 * class with no free item and no page left: its CLOCK hand or a page taken
 * from another class; never for a full index), and each is counted in
 * evictions. So a key the model holds may vanish only in an
 * operation during which evictions rose; from then on the model knows it as
 * "maybe" until an operation's result tells which. Everything else is
 * exact: every result code (NO_MEMORY and an append that fails for room
 * only when out_of_memory rose, which a full index counts too), and every item the table returns
 * has the model's value, "\r\n", flags and cas unique (the model counts cas ids as kvtable.h
 * describes). Expiry and flush_all follow the table's clock; at the end every key is read back, and
 * curr_items and bytes agree with the items found. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/kvtable.h>
#include "../kvtable_priv.h"

#include "fuzz_check.h"

#define NKEYS  24
#define VMAX   8192
#define UNIX0  1700000000LL
#define ABSENT 0
#define LIVE   1
#define MAYBE  2 /* live unless an eviction took it */

struct model {
    uint8_t state;
    uint32_t flags, exptime; /* exptime: table seconds, 0 never */
    uint64_t cas;
    size_t vlen;
    uint8_t v[VMAX];
};

static struct {
    struct kvtable t;
    struct model m[NKEYS];
    uint8_t keys[NKEYS][KVTABLE_KEY_MAX];
    size_t nkey[NKEYS];
    uint64_t cas_id; /* the model's count of cas ids */
    int64_t unix_now;
} S;

/* kvtable_priv.h's two large blocks (the arena, then the index), each
 * allocated once at the largest size an input asks for (a fresh mmap and
 * its page faults per input cost most of the time) and handed out again
 * filled with 0xa5, so that the table reads nothing it has not written
 * the same way for every input. */
#define PAGES_MAX 4

static uint8_t *blocks[2];
static bool busy[2];

void *kvtable_mem_alloc(size_t len)
{
    static const size_t max[2] = { PAGES_MAX * KVTABLE_PAGE + 4096, PAGES_MAX * KVTABLE_PAGE / 4 };
    unsigned i = busy[0];

    if (busy[i] || len > max[i])
        return NULL;
    if (!blocks[i] && !(blocks[i] = aligned_alloc(64, max[i])))
        return NULL;
    busy[i] = true;
    memset(blocks[i], 0xa5, len);
    return blocks[i];
}

void kvtable_mem_free(void *p, size_t len)
{
    busy[0] &= p != blocks[0];
    busy[1] &= p != blocks[1];
}

static uint64_t mc_bytes(size_t nkey, uint32_t flags, size_t vlen)
{
    return 48 + nkey + 1 + vlen + 2 + (flags ? 4 : 0) + 8; /* kvtable.c's mc_size */
}

/* A found item against the model's key k. */
static void same(int k, struct kvtable_item *it)
{
    const struct model *m = &S.m[k];

    CHECK(it->nkey == S.nkey[k] && !memcmp(kvtable_item_key(it), S.keys[k], S.nkey[k]), "key");
    CHECK(it->nbytes == m->vlen + 2, "key %d: %u value bytes, model %zu", k, it->nbytes,
          m->vlen + 2);
    CHECK(!memcmp(kvtable_item_value(it), m->v, m->vlen), "key %d: value differs", k);
    CHECK(!memcmp(kvtable_item_value(it) + m->vlen, "\r\n", 2), "key %d: no \\r\\n", k);
    CHECK(it->flags == m->flags, "key %d: flags %u, model %u", k, it->flags, m->flags);
    CHECK(it->cas == m->cas, "key %d: cas %llu, model %llu", k, (unsigned long long)it->cas,
          (unsigned long long)m->cas);
}

/* Expired items are gone for the model (the table drops them when met). */
static void expire(void)
{
    int k;

    for (k = 0; k < NKEYS; k++)
        if (S.m[k].state != ABSENT && S.m[k].exptime && S.m[k].exptime <= S.t.now)
            S.m[k].state = ABSENT;
}

static void stored(int k, const uint8_t *v, size_t vlen, uint32_t flags, uint32_t exptime)
{
    struct model *m = &S.m[k];

    memmove(m->v, v, vlen);
    m->vlen = vlen;
    m->flags = flags;
    m->exptime = exptime;
    m->cas = ++S.cas_id;
    m->state = LIVE;
}

static void value_of(uint8_t op, uint8_t c, size_t *vlen, uint8_t *v)
{
    static uint8_t pattern[VMAX + 256];
    size_t i;

    if (op & 0x10) { /* a number, for incr and decr */
        *vlen = (size_t)snprintf((char *)v, 24, "%llu",
                                 (unsigned long long)c * (c & 1 ? 0x0123456789ULL : 1));
        return;
    }
    if (!pattern[1])
        for (i = 0; i < sizeof(pattern); i++)
            pattern[i] = (uint8_t)(i * 13 + (i >> 8));
    memcpy(v, pattern + c, *vlen);
}

/* set/add/replace/cas. present: whether the model has the key (for MAYBE,
 * the caller tries both). Returns false when res cannot happen then. */
static bool store_ok(int mode, bool present, int k, uint64_t cas_in, enum kvtable_result res,
                     bool oom)
{
    if (!present) {
        if (mode == KVTABLE_CAS)
            return res == KVTABLE_NOT_FOUND;
        if (mode == KVTABLE_REPLACE)
            return res == KVTABLE_NOT_STORED;
        return res == KVTABLE_STORED || (res == KVTABLE_NO_MEMORY && oom);
    }
    if (mode == KVTABLE_ADD)
        return res == KVTABLE_NOT_STORED;
    if (mode == KVTABLE_CAS && cas_in != S.m[k].cas)
        return res == KVTABLE_EXISTS;
    return res == KVTABLE_STORED || (res == KVTABLE_NO_MEMORY && oom);
}

static void op_store(int mode, int k, uint64_t hash, uint8_t op, const uint8_t *arg)
{
    static uint8_t v[VMAX], nv[2 * VMAX];
    struct model *m = &S.m[k];
    uint32_t flags = op & 0x20 ? arg[2] * 0x01010101u : 0;
    uint32_t exp = 0, oom0 = (uint32_t)S.t.st.out_of_memory;
    size_t vlen = (arg[0] | (size_t)arg[1] << 8) % VMAX;
    uint64_t cas_in = arg[1] & 1 ? m->cas : m->cas + 1;
    enum kvtable_result res;
    bool present, oom;

    switch (op >> 6) {
    case 1:
        exp = kvtable_realtime(&S.t, 1 + arg[2] % 8);
        break;
    case 2:
        exp = kvtable_realtime(&S.t, -1);
        break;
    case 3:
        exp = kvtable_realtime(&S.t, S.unix_now + arg[2] % 16);
        break;
    }
    value_of(op, arg[2], &vlen, v);
    if (!kvtable_item_fits(&S.t, S.nkey[k], flags, vlen))
        return; /* the caller's check: SERVER_ERROR object too large */
    res = kvtable_store(&S.t, mode, S.keys[k], S.nkey[k], hash, flags, exp, v, vlen, cas_in);
    oom = S.t.st.out_of_memory != oom0;
    if (mode == KVTABLE_APPEND || mode == KVTABLE_PREPEND) {
        bool fits =
            m->state != ABSENT && kvtable_item_fits(&S.t, S.nkey[k], m->flags, m->vlen + vlen);

        if (res == KVTABLE_STORED) {
            CHECK(m->state != ABSENT && fits, "%s of an absent key or beyond the item size",
                  mode == KVTABLE_APPEND ? "append" : "prepend");
            if (mode == KVTABLE_APPEND) {
                memcpy(nv, m->v, m->vlen);
                memcpy(nv + m->vlen, v, vlen);
            } else {
                memcpy(nv, v, vlen);
                memcpy(nv + vlen, m->v, m->vlen);
            }
            stored(k, nv, m->vlen + vlen, m->flags, m->exptime);
        } else {
            CHECK(res == KVTABLE_NOT_STORED, "append/prepend result %d", res);
            CHECK(m->state != LIVE || !fits || oom, "a live key's append refused with room");
            if (m->state == MAYBE && fits && !oom)
                m->state = ABSENT;
        }
        return;
    }
    present = m->state == LIVE;
    if (m->state == MAYBE)
        present = store_ok(mode, true, k, cas_in, res, oom);
    CHECK(store_ok(mode, present, k, cas_in, res, oom), "mode %d on a%s key: result %d", mode,
          present ? " present" : "n absent", res);
    if (res == KVTABLE_STORED)
        stored(k, v, vlen, flags, exp);
    else if (res == KVTABLE_NO_MEMORY && mode == KVTABLE_SET)
        m->state = ABSENT; /* no stale value left behind */
    else
        m->state = present ? LIVE : ABSENT;
}

static void op_get(int k, uint64_t hash, bool touch, uint8_t c)
{
    uint32_t exp = kvtable_realtime(&S.t, c % 4 ? c % 8 : 0);
    struct kvtable_item *it = touch ? kvtable_touch(&S.t, S.keys[k], S.nkey[k], hash, exp)
                                    : kvtable_get(&S.t, S.keys[k], S.nkey[k], hash);

    if (!it) {
        CHECK(S.m[k].state != LIVE, "key %d lost without an eviction", k);
        S.m[k].state = ABSENT;
        return;
    }
    CHECK(S.m[k].state != ABSENT, "key %d found, the model has none", k);
    same(k, it);
    S.m[k].state = LIVE;
    if (touch)
        S.m[k].exptime = exp;
}

/* A value memcached's incr takes for sure: 1 to 19 digits and nothing else. */
static bool plain_number(const struct model *m, uint64_t *out)
{
    size_t i;

    if (m->vlen < 1 || m->vlen > 19)
        return false;
    for (*out = 0, i = 0; i < m->vlen; i++) {
        if (m->v[i] < '0' || m->v[i] > '9')
            return false;
        *out = *out * 10 + (m->v[i] - '0');
    }
    return true;
}

static void op_delta(int k, uint64_t hash, bool incr, const uint8_t *arg)
{
    struct model *m = &S.m[k];
    uint64_t delta = arg[2] & 1 ? UINT64_MAX - arg[0] : (uint64_t)arg[0] << arg[1] % 56, out = 0;
    uint64_t oom0 = S.t.st.out_of_memory, plain, want;
    enum kvtable_result res = kvtable_delta(&S.t, S.keys[k], S.nkey[k], hash, incr, delta, &out);
    char d[24];
    size_t n;

    if (res == KVTABLE_NOT_FOUND) {
        CHECK(m->state != LIVE, "key %d lost without an eviction", k);
        m->state = ABSENT;
        return;
    }
    CHECK(m->state != ABSENT, "incr/decr found key %d, the model has none", k);
    m->state = LIVE;
    if (res == KVTABLE_NON_NUMERIC) {
        CHECK(!plain_number(m, &plain), "%.*s refused as not a number", (int)m->vlen, m->v);
        return;
    }
    if (res == KVTABLE_NO_MEMORY) {
        CHECK(S.t.st.out_of_memory != oom0, "NO_MEMORY not counted");
        return;
    }
    CHECK(res == KVTABLE_DELTA_OK, "result %d", res);
    if (plain_number(m, &plain)) {
        want = incr ? plain + delta : (delta > plain ? 0 : plain - delta);
        CHECK(out == want, "%llu, want %llu", (unsigned long long)out, (unsigned long long)want);
    }
    n = (size_t)snprintf(d, sizeof(d), "%llu", (unsigned long long)out);
    if (n <= m->vlen) { /* in place, padded with spaces */
        memcpy(m->v, d, n);
        memset(m->v + n, ' ', m->vlen - n);
        m->cas = ++S.cas_id;
    } else {
        stored(k, (const uint8_t *)d, n, m->flags, m->exptime);
    }
}

static void op(const uint8_t *p)
{
    int k = p[1] % NKEYS, kind = p[0] & 15;
    uint64_t hash = kvtable_hash(S.keys[k], S.nkey[k]);
    uint64_t ev0 = S.t.st.evictions;
    int j;

    expire();
    if (kind <= 5)
        op_store(kind, k, hash, p[0], p + 2);
    else if (kind == 7)
        op_get(k, hash, true, p[4]);
    else if (kind == 8) {
        int rc = kvtable_delete(&S.t, S.keys[k], S.nkey[k], hash);

        CHECK(rc == 0 || rc == -ENOENT, "delete %d", rc);
        CHECK(rc == 0 ? S.m[k].state != ABSENT : S.m[k].state != LIVE, "delete: %d", rc);
        S.m[k].state = ABSENT;
    } else if (kind == 9 || kind == 10)
        op_delta(k, hash, kind == 9, p + 2);
    else if (kind == 11) {
        S.unix_now += p[2] % 128;
        kvtable_clock(&S.t, S.unix_now);
    } else if (kind == 12) {
        kvtable_flush(&S.t, 0);
        S.cas_id++;
        for (j = 0; j < NKEYS; j++)
            S.m[j].state = ABSENT;
    } else
        op_get(k, hash, false, 0);
    if (S.t.st.evictions != ev0)
        for (j = 0; j < NKEYS; j++)
            if (S.m[j].state == LIVE && !(j == k && kind <= 5))
                S.m[j].state = MAYBE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t bytes = 0, items = 0;
    size_t i;
    int k;

    static const uint8_t seed[16] = "fuzz: fixed key";

    if (size < 1)
        return -1;
    kvtable_hash_seed(seed); /* an input runs the same way every time */
    memset(S.m, 0, sizeof(S.m));
    S.cas_id = 0;
    S.unix_now = UNIX0;
    for (k = 0; k < NKEYS; k++) {
        S.nkey[k] = k < 16 ? (size_t)snprintf((char *)S.keys[k], 16, "key%d", k) : 227 + k;
        if (k >= 16)
            memset(S.keys[k], 'a' + k, S.nkey[k]);
    }
    CHECK(kvtable_init(&S.t, (size_t)(1 + data[0] % PAGES_MAX) << 20, 1024u << ((data[0] >> 2) & 3),
                       S.unix_now) == 0,
          "init");
    if (data[0] & 0x30) /* 1, 2 or 4 buckets: the array is larger, so this is sound */
        S.t.bucket_mask = (1u << (((data[0] >> 4) & 3) - 1)) - 1;
    for (i = 1; i + 5 <= size; i += 5)
        op(data + i);
    expire();
    for (k = 0; k < NKEYS; k++) {
        struct kvtable_item *it =
            kvtable_get(&S.t, S.keys[k], S.nkey[k], kvtable_hash(S.keys[k], S.nkey[k]));

        CHECK(it || S.m[k].state != LIVE, "key %d lost without an eviction", k);
        CHECK(!it || S.m[k].state != ABSENT, "key %d found, the model has none", k);
        if (it) {
            same(k, it);
            items++;
            bytes += mc_bytes(S.nkey[k], S.m[k].flags, S.m[k].vlen);
        }
    }
    CHECK(S.t.st.curr_items == items, "curr_items %llu, found %llu",
          (unsigned long long)S.t.st.curr_items, (unsigned long long)items);
    CHECK(S.t.st.bytes == bytes, "bytes %llu, model %llu", (unsigned long long)S.t.st.bytes,
          (unsigned long long)bytes);
    kvtable_fini(&S.t);
    return 0;
}
