/* kvtable: memcached's store/expiry/flush/cas/incr rules, CLOCK eviction
 * under a small budget, and a random workload checked against a plain
 * reference model (an array searched linearly). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/kvtable.h>

#define T0 1700000000LL /* unix time the tests start at */

static struct kvtable t;

static void setup(void)
{
    cr_assert_eq(kvtable_init(&t, 4 << 20, 1 << 20, T0), 0);
}

static void teardown(void)
{
    kvtable_fini(&t);
}

static enum kvtable_result put(enum kvtable_mode m, const char *k, const char *v, uint32_t exp,
                               uint64_t cas)
{
    return kvtable_store(&t, m, k, strlen(k), kvtable_hash(k, strlen(k)), 7, exp, v, strlen(v),
                         cas);
}

static struct kvtable_item *get(const char *k)
{
    return kvtable_get(&t, k, strlen(k), kvtable_hash(k, strlen(k)));
}

static void expect_value(const char *k, const char *v)
{
    struct kvtable_item *it = get(k);
    size_t n = strlen(v);

    cr_assert(it, "%s missing", k);
    cr_assert_eq(it->nbytes, n + 2, "%s: %u bytes", k, it->nbytes);
    cr_assert(!memcmp(kvtable_item_value(it), v, n) &&
                  !memcmp(kvtable_item_value(it) + n, "\r\n", 2),
              "%s: %.*s", k, (int)it->nbytes, kvtable_item_value(it));
}

TestSuite(kvtable, .init = setup, .fini = teardown);

Test(kvtable, init_refuses_bad_sizes)
{
    struct kvtable x;

    cr_assert_eq(kvtable_init(&x, 1000, 1 << 20, T0), -EINVAL);
    cr_assert_eq(kvtable_init(&x, 4 << 20, 2 << 20, T0), -EINVAL);
    cr_assert_eq(kvtable_init(&x, 4 << 20, 10, T0), -EINVAL);
}

Test(kvtable, store_modes)
{
    cr_assert_eq(put(KVTABLE_REPLACE, "a", "1", 0, 0), KVTABLE_NOT_STORED);
    cr_assert_eq(put(KVTABLE_APPEND, "a", "1", 0, 0), KVTABLE_NOT_STORED);
    cr_assert_eq(put(KVTABLE_CAS, "a", "1", 0, 5), KVTABLE_NOT_FOUND);
    cr_assert_eq(put(KVTABLE_ADD, "a", "1", 0, 0), KVTABLE_STORED);
    cr_assert_eq(put(KVTABLE_ADD, "a", "2", 0, 0), KVTABLE_NOT_STORED);
    expect_value("a", "1");
    cr_assert_eq(put(KVTABLE_APPEND, "a", "xy", 0, 0), KVTABLE_STORED);
    cr_assert_eq(put(KVTABLE_PREPEND, "a", "<", 0, 0), KVTABLE_STORED);
    expect_value("a", "<1xy");
    cr_assert_eq(put(KVTABLE_REPLACE, "a", "r", 0, 0), KVTABLE_STORED);
    expect_value("a", "r");
    cr_assert_eq(t.st.curr_items, 1);
    cr_assert_eq(t.st.total_items, 4);
    cr_assert_eq(t.st.bytes, 48 + 1 + 1 + 3 + 4 + 8);
    cr_assert_eq(kvtable_delete(&t, "a", 1, kvtable_hash("a", 1)), 0);
    cr_assert_eq(kvtable_delete(&t, "a", 1, kvtable_hash("a", 1)), -ENOENT);
    cr_assert_null(get("a"));
    cr_assert_eq(t.st.curr_items, 0);
    cr_assert_eq(t.st.bytes, 0);
}

Test(kvtable, cas_ids_as_memcached)
{
    struct kvtable_item *it;
    uint64_t v;

    put(KVTABLE_SET, "a", "1", 0, 0);
    cr_assert_eq(get("a")->cas, 1);
    put(KVTABLE_SET, "b", "1", 0, 0);
    cr_assert_eq(put(KVTABLE_CAS, "a", "2", 0, 2), KVTABLE_EXISTS);
    cr_assert_eq(put(KVTABLE_CAS, "a", "2", 0, 1), KVTABLE_STORED);
    cr_assert_eq(get("a")->cas, 3);
    cr_assert_eq(kvtable_delta(&t, "a", 1, kvtable_hash("a", 1), true, 5, &v), KVTABLE_DELTA_OK);
    cr_assert_eq(v, 7);
    it = get("a");
    cr_assert_eq(it->cas, 4); /* incr in place takes a new id */
    kvtable_flush(&t, 0);     /* an immediate flush takes one too */
    put(KVTABLE_SET, "c", "1", 0, 0);
    cr_assert_eq(get("c")->cas, 6);
}

Test(kvtable, incr_decr_like_memcached)
{
    uint64_t v;
    uint64_t h = kvtable_hash("n", 1);

    put(KVTABLE_SET, "n", "18446744073709551615", 0, 0);
    cr_assert_eq(kvtable_delta(&t, "n", 1, h, true, 1, &v), KVTABLE_DELTA_OK);
    cr_assert_eq(v, 0);
    expect_value("n", "0                   "); /* padded in place */
    put(KVTABLE_SET, "n", "100", 0, 0);
    kvtable_delta(&t, "n", 1, h, false, 1, &v);
    expect_value("n", "99 ");
    kvtable_delta(&t, "n", 1, h, false, 1000, &v);
    cr_assert_eq(v, 0);
    put(KVTABLE_SET, "n", "9", 0, 0);
    kvtable_delta(&t, "n", 1, h, true, 1, &v); /* longer: a new item */
    expect_value("n", "10");
    put(KVTABLE_SET, "n", " 12", 0, 0);
    cr_assert_eq(kvtable_delta(&t, "n", 1, h, true, 1, &v), KVTABLE_DELTA_OK);
    cr_assert_eq(v, 13);
    put(KVTABLE_SET, "n", "12x", 0, 0);
    cr_assert_eq(kvtable_delta(&t, "n", 1, h, true, 1, &v), KVTABLE_NON_NUMERIC);
    put(KVTABLE_SET, "n", "", 0, 0);
    cr_assert_eq(kvtable_delta(&t, "n", 1, h, true, 1, &v), KVTABLE_NON_NUMERIC);
    put(KVTABLE_SET, "n", "-1", 0, 0);
    cr_assert_eq(kvtable_delta(&t, "n", 1, h, true, 1, &v), KVTABLE_NON_NUMERIC);
    cr_assert_eq(kvtable_delta(&t, "zz", 2, kvtable_hash("zz", 2), true, 1, &v), KVTABLE_NOT_FOUND);
}

/* The caller's word stays while the item does not change and is 0 after
 * anything that changes its key, flags or value. */
Test(kvtable, aux_cleared_on_every_change)
{
    uint64_t h = kvtable_hash("a", 1), v;

    put(KVTABLE_SET, "a", "10", 0, 0);
    cr_assert_eq(get("a")->aux, 0);
    get("a")->aux = 0x1abcd;
    cr_assert_eq(get("a")->aux, 0x1abcd);
    kvtable_touch(&t, "a", 1, h, 0);
    cr_assert_eq(get("a")->aux, 0x1abcd, "touch keeps it");
    cr_assert_eq(put(KVTABLE_ADD, "a", "x", 0, 0), KVTABLE_NOT_STORED);
    cr_assert_eq(get("a")->aux, 0x1abcd, "a refused add keeps it");
    cr_assert_eq(kvtable_delta(&t, "a", 1, h, true, 1, &v), KVTABLE_DELTA_OK);
    cr_assert_eq(get("a")->aux, 0, "incr in place");
    get("a")->aux = 1;
    cr_assert_eq(kvtable_delta(&t, "a", 1, h, true, 100, &v), KVTABLE_DELTA_OK);
    cr_assert_eq(get("a")->aux, 0, "incr to a new item");
    get("a")->aux = 1;
    put(KVTABLE_APPEND, "a", "y", 0, 0);
    cr_assert_eq(get("a")->aux, 0, "append");
    get("a")->aux = 1;
    put(KVTABLE_PREPEND, "a", "y", 0, 0);
    cr_assert_eq(get("a")->aux, 0, "prepend");
    get("a")->aux = 1;
    put(KVTABLE_SET, "a", "z", 0, 0);
    cr_assert_eq(get("a")->aux, 0, "set");
    get("a")->aux = 1;
    put(KVTABLE_CAS, "a", "w", 0, get("a")->cas);
    cr_assert_eq(get("a")->aux, 0, "cas");
    get("a")->aux = 1;
    put(KVTABLE_REPLACE, "a", "w", 0, 0);
    cr_assert_eq(get("a")->aux, 0, "replace");
}

Test(kvtable, expiry)
{
    put(KVTABLE_SET, "rel", "v", kvtable_realtime(&t, 10), 0);
    put(KVTABLE_SET, "neg", "v", kvtable_realtime(&t, -1), 0);
    put(KVTABLE_SET, "past", "v", kvtable_realtime(&t, T0 - 100), 0);
    put(KVTABLE_SET, "future", "v", kvtable_realtime(&t, T0 + 20), 0);
    put(KVTABLE_SET, "never", "v", 0, 0);
    cr_assert_null(get("neg"));
    cr_assert_null(get("past"));
    cr_assert_not_null(get("rel"));
    kvtable_clock(&t, T0 + 9);
    cr_assert_not_null(get("rel"));
    kvtable_clock(&t, T0 + 10);
    cr_assert_null(get("rel"));
    cr_assert_not_null(get("future"));
    kvtable_clock(&t, T0 + 20);
    cr_assert_null(get("future"));
    cr_assert_not_null(get("never"));
    cr_assert_eq(t.st.get_expired, 4);
    /* touch moves the deadline */
    put(KVTABLE_SET, "t", "v", kvtable_realtime(&t, 1), 0);
    cr_assert_not_null(kvtable_touch(&t, "t", 1, kvtable_hash("t", 1), kvtable_realtime(&t, 100)));
    kvtable_clock(&t, T0 + 50);
    cr_assert_not_null(get("t"));
}

Test(kvtable, flush_now_and_later)
{
    put(KVTABLE_SET, "a", "v", 0, 0);
    kvtable_flush(&t, 0);
    cr_assert_null(get("a"));
    put(KVTABLE_SET, "b", "v", 0, 0);
    cr_assert_not_null(get("b"));
    kvtable_flush(&t, 5); /* memcached: oldest_live = now + 5 - 1 */
    cr_assert_not_null(get("b"));
    kvtable_clock(&t, T0 + 3);
    cr_assert_not_null(get("b"));
    kvtable_clock(&t, T0 + 4);
    cr_assert_null(get("b"));
}

Test(kvtable, fits_like_memcached)
{
    struct kvtable x;

    cr_assert_eq(kvtable_init(&x, 2 << 20, 2048, T0), 0);
    /* memcached -I 2k: key "big", flags 0: 1986 bytes fit, 1987 do not */
    cr_assert(kvtable_item_fits(&x, 3, 0, 1986));
    cr_assert(!kvtable_item_fits(&x, 3, 0, 1987));
    cr_assert(kvtable_item_fits(&x, 3, 1, 1982));
    cr_assert(!kvtable_item_fits(&x, 3, 1, 1983));
    /* append past the limit: NOT_STORED, the old value stays */
    cr_assert_eq(
        kvtable_store(&x, KVTABLE_SET, "big", 3, kvtable_hash("big", 3), 0, 0, "0123456789", 10, 0),
        KVTABLE_STORED);
    {
        static char v[1980];

        cr_assert_eq(
            kvtable_store(&x, KVTABLE_APPEND, "big", 3, kvtable_hash("big", 3), 0, 0, v, 1980, 0),
            KVTABLE_NOT_STORED);
        cr_assert_eq(
            kvtable_store(&x, KVTABLE_APPEND, "big", 3, kvtable_hash("big", 3), 0, 0, v, 1976, 0),
            KVTABLE_STORED);
    }
    kvtable_fini(&x);
}

Test(kvtable, eviction_under_budget)
{
    struct kvtable x;
    char k[32], v[200];
    unsigned i, found = 0;

    cr_assert_eq(kvtable_init(&x, 1 << 20, 1 << 20, T0), 0);
    memset(v, 'v', sizeof(v));
    for (i = 0; i < 20000; i++) {
        int n = sprintf(k, "key%u", i);

        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, k, (size_t)n, kvtable_hash(k, (size_t)n), 0, 0,
                                   v, sizeof(v), 0),
                     KVTABLE_STORED);
        /* key0 is read all the time: CLOCK keeps it */
        cr_assert_not_null(kvtable_get(&x, "key0", 4, kvtable_hash("key0", 4)), "at %u", i);
    }
    cr_assert(x.st.evictions > 0);
    cr_assert_eq(x.st.curr_items + x.st.evictions, 20000);
    for (i = 0; i < 20000; i++) {
        int n = sprintf(k, "key%u", i);
        struct kvtable_item *it = kvtable_get(&x, k, (size_t)n, kvtable_hash(k, (size_t)n));

        if (it) {
            cr_assert(it->nbytes == sizeof(v) + 2 && !memcmp(kvtable_item_value(it), v, sizeof(v)));
            found++;
        }
    }
    cr_assert_eq(found, x.st.curr_items);
    /* a class with no page of its own takes one from the others */
    {
        uint64_t before = x.st.evictions;
        char *huge = calloc(1, 150000);

        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, "huge", 4, kvtable_hash("huge", 4), 0, 0, huge,
                                   150000, 0),
                     KVTABLE_STORED);
        free(huge);
        cr_assert(x.st.evictions > before);
        cr_assert_not_null(kvtable_get(&x, "huge", 4, kvtable_hash("huge", 4)));
        cr_assert_eq(x.st.curr_items + x.st.evictions, 20001);
    }
    kvtable_fini(&x);
}

/* A random workload against a linear-search model with room for all. */
#define MODEL_KEYS 300
struct model {
    bool live;
    char v[64];
    uint64_t cas;
} model[MODEL_KEYS];

Test(kvtable, random_against_model)
{
    uint64_t s = 1;
    unsigned i;

    for (i = 0; i < 200000; i++) {
        char k[16], v[64];
        unsigned ki, op, vl, j;
        size_t kn;
        struct model *m;
        enum kvtable_result r;
        uint64_t h, out;

        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        ki = (unsigned)(s >> 33) % MODEL_KEYS;
        op = (unsigned)(s >> 20) % 8;
        vl = (unsigned)(s >> 40) % 20;
        m = &model[ki];
        kn = (size_t)sprintf(k, "k%u", ki);
        h = kvtable_hash(k, kn);
        for (j = 0; j < vl; j++)
            v[j] = (char)('a' + (s >> (j % 50)) % 26);
        v[vl] = 0;
        switch (op) {
        case 0:
        case 1:
            r = put(KVTABLE_SET, k, v, 0, 0);
            cr_assert_eq(r, KVTABLE_STORED);
            m->live = true;
            strcpy(m->v, v);
            break;
        case 2:
            r = put(KVTABLE_ADD, k, v, 0, 0);
            cr_assert_eq(r, m->live ? KVTABLE_NOT_STORED : KVTABLE_STORED);
            if (!m->live) {
                m->live = true;
                strcpy(m->v, v);
            }
            break;
        case 3:
            if (m->live && strlen(m->v) + vl < sizeof(m->v)) {
                cr_assert_eq(put(KVTABLE_APPEND, k, v, 0, 0), KVTABLE_STORED);
                strcat(m->v, v);
            }
            break;
        case 4:
            cr_assert_eq(kvtable_delete(&t, k, kn, h), m->live ? 0 : -ENOENT);
            m->live = false;
            break;
        case 5: {
            struct kvtable_item *it = kvtable_get(&t, k, kn, h);

            r = put(KVTABLE_CAS, k, v, 0, it ? it->cas : 12345);
            cr_assert_eq(r, m->live ? KVTABLE_STORED : KVTABLE_NOT_FOUND);
            if (m->live)
                strcpy(m->v, v);
            break;
        }
        case 6:
            if (m->live && strlen(m->v) < 20) {
                r = kvtable_delta(&t, k, kn, h, true, 1, &out);
                if (r == KVTABLE_DELTA_OK) {
                    struct kvtable_item *it = kvtable_get(&t, k, kn, h);

                    memcpy(m->v, kvtable_item_value(it), it->nbytes - 2);
                    m->v[it->nbytes - 2] = 0;
                } else {
                    cr_assert_eq(r, KVTABLE_NON_NUMERIC);
                }
            }
            break;
        default:
            if (m->live)
                expect_value(k, m->v);
            else
                cr_assert_null(get(k));
        }
    }
    for (i = 0; i < MODEL_KEYS; i++) {
        char k[16];

        sprintf(k, "k%u", i);
        if (model[i].live)
            expect_value(k, model[i].v);
        else
            cr_assert_null(get(k));
    }
    cr_assert_eq(t.st.evictions, 0);
}

/* A small budget, values of every size class: pages move between classes,
 * items are evicted, and whatever a get returns is the last value stored
 * under that key; curr_items counts exactly the keys a get finds. */
Test(kvtable, mixed_sizes_under_pressure)
{
    static struct kvtable x;
    static uint32_t last[5000]; /* seed of the last value stored, 0: none */
    static uint8_t v[4000];
    uint64_t s = 7, found = 0;
    unsigned i, j;

    cr_assert_eq(kvtable_init(&x, 3 << 20, 1 << 20, T0), 0);
    for (i = 0; i < 60000; i++) {
        char k[16];
        unsigned ki, vl;
        size_t kn;
        struct kvtable_item *it;

        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        ki = (unsigned)(s >> 33) % 5000;
        vl = (unsigned)(s >> 13) % ((s >> 60) < 4 ? 4000 : 200);
        kn = (size_t)sprintf(k, "k%u", ki);
        for (j = 0; j < vl; j++)
            v[j] = (uint8_t)(i + j);
        if (kvtable_store(&x, KVTABLE_SET, k, kn, kvtable_hash(k, kn), vl, 0, v, vl, 0) ==
            KVTABLE_STORED)
            last[ki] = i + 1;
        else
            last[ki] = 0; /* a failed set leaves nothing behind */
        /* read back a random key */
        ki = (unsigned)(s >> 20) % 5000;
        kn = (size_t)sprintf(k, "k%u", ki);
        it = kvtable_get(&x, k, kn, kvtable_hash(k, kn));
        if (it) {
            cr_assert_neq(last[ki], 0, "k%u came back without a store", ki);
            cr_assert_eq(it->nbytes - 2, it->flags); /* flags hold the length */
            for (j = 0; j < it->flags; j++)
                cr_assert_eq(kvtable_item_value(it)[j], (uint8_t)(last[ki] - 1 + j), "k%u", ki);
        }
    }
    for (i = 0; i < 5000; i++) {
        char k[16];
        size_t kn = (size_t)sprintf(k, "k%u", i);

        found += kvtable_get(&x, k, kn, kvtable_hash(k, kn)) != NULL;
    }
    cr_assert_eq(found, x.st.curr_items);
    cr_assert(x.st.evictions > 0);
    kvtable_fini(&x);
}

/* Twenty keys with the same first-choice bucket: eight fill it, twelve
 * spill into their second choices and are still found; a key of that
 * bucket never stored is not; freed first-choice slots are reused; CLOCK
 * still evicts spilled items. */
Test(kvtable, spilled_items_are_found)
{
    char keys[20][16], k[16];
    uint64_t first = UINT64_MAX, absent = UINT64_MAX;
    unsigned n = 0, i;

    for (i = 0; n < 20 || absent == UINT64_MAX; i++) {
        size_t kn = (size_t)sprintf(k, "s%u", i);
        uint64_t b = kvtable_bucket_index(&t, kvtable_hash(k, kn), 0);

        if (first == UINT64_MAX)
            first = b;
        if (b != first)
            continue;
        if (n < 20)
            strcpy(keys[n++], k);
        else
            absent = i;
    }
    for (i = 0; i < 20; i++)
        cr_assert_eq(put(KVTABLE_SET, keys[i], keys[i], 0, 0), KVTABLE_STORED);
    for (i = 0; i < 20; i++)
        expect_value(keys[i], keys[i]);
    sprintf(k, "s%u", (unsigned)absent);
    cr_assert_null(get(k));
    for (i = 0; i < 4; i++) /* first-choice slots and spilled items go */
        cr_assert_eq(kvtable_delete(&t, keys[i * 5], strlen(keys[i * 5]),
                                    kvtable_hash(keys[i * 5], strlen(keys[i * 5]))),
                     0);
    for (i = 0; i < 20; i++)
        if (i % 5)
            expect_value(keys[i], keys[i]);
        else
            cr_assert_null(get(keys[i]));
    for (i = 0; i < 20; i += 5)
        cr_assert_eq(put(KVTABLE_SET, keys[i], "again", 0, 0), KVTABLE_STORED);
    for (i = 0; i < 20; i++)
        expect_value(keys[i], i % 5 ? keys[i] : "again");
    cr_assert_eq(t.st.curr_items, 20);
    /* Fill the budget with other keys: CLOCK evicts, spilled or not. */
    for (i = 0; i < 200000; i++) {
        size_t kn = (size_t)sprintf(k, "f%u", i);

        kvtable_store(&t, KVTABLE_SET, k, kn, kvtable_hash(k, kn), 0, 0, "v", 1, 0);
    }
    for (i = 0; i < 20; i++)
        cr_assert_null(get(keys[i]), "%s outlived 200000 stores", keys[i]);
    cr_assert(t.st.evictions > 0);
}

/* --- Keyed hash and the index's relocation ------------------------------ */

#include "../kvtable_priv.h"

static const uint8_t fixed_seed[16] = "nfos-test-seed!";

/* The paper's test vector (SipHash-2-4, key 00..0f, message 00..0e; and the
 * empty message), through the code kvtable_hash runs with 1 and 3 rounds. */
Test(kvtable, siphash_reference_vectors)
{
    uint8_t k[16], m[15];
    unsigned i;

    for (i = 0; i < 16; i++)
        k[i] = (uint8_t)i;
    for (i = 0; i < 15; i++)
        m[i] = (uint8_t)i;
    cr_expect_eq(kvtable_siphash(k, m, 0, 2, 4), 0x726fdb47dd0e0e31ULL);
    cr_expect_eq(kvtable_siphash(k, m, 15, 2, 4), 0xa129ca6149be45e5ULL);
}

/* SipHash written plainly from the paper (a byte at a time), against the
 * word loads and the tail's overlapping loads of kvtable.c: every length
 * from 0 to 40, every round count kvtable uses or the vectors use. */
static uint64_t rotl64(uint64_t x, unsigned b)
{
    return (x << b) | (x >> (64 - b));
}

static void sipround(uint64_t v[4])
{
    v[0] += v[1], v[1] = rotl64(v[1], 13), v[1] ^= v[0], v[0] = rotl64(v[0], 32);
    v[2] += v[3], v[3] = rotl64(v[3], 16), v[3] ^= v[2];
    v[0] += v[3], v[3] = rotl64(v[3], 21), v[3] ^= v[0];
    v[2] += v[1], v[1] = rotl64(v[1], 17), v[1] ^= v[2], v[2] = rotl64(v[2], 32);
}

static uint64_t plain_siphash(const uint8_t k[16], const uint8_t *m, size_t n, unsigned c,
                              unsigned d)
{
    uint64_t k0 = 0, k1 = 0, v[4], w;
    size_t i, j;

    for (i = 0; i < 8; i++) {
        k0 |= (uint64_t)k[i] << (8 * i);
        k1 |= (uint64_t)k[8 + i] << (8 * i);
    }
    v[0] = k0 ^ 0x736f6d6570736575ULL;
    v[1] = k1 ^ 0x646f72616e646f6dULL;
    v[2] = k0 ^ 0x6c7967656e657261ULL;
    v[3] = k1 ^ 0x7465646279746573ULL;
    for (i = 0; i <= n / 8; i++) {
        w = i == n / 8 ? (uint64_t)(n & 0xff) << 56 : 0;
        for (j = 0; j < 8 && 8 * i + j < n; j++)
            w |= (uint64_t)m[8 * i + j] << (8 * j);
        v[3] ^= w;
        for (j = 0; j < c; j++)
            sipround(v);
        v[0] ^= w;
    }
    v[2] ^= 0xff;
    for (j = 0; j < d; j++)
        sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

Test(kvtable, siphash_every_length_against_a_plain_one)
{
    uint8_t m[48];
    size_t n, i;

    for (i = 0; i < sizeof(m); i++)
        m[i] = (uint8_t)(i * 37 + 11);
    for (n = 0; n <= 40; n++) {
        cr_expect_eq(kvtable_siphash(fixed_seed, m + 3, n, 1, 3),
                     plain_siphash(fixed_seed, m + 3, n, 1, 3), "length %zu", n);
        cr_expect_eq(kvtable_siphash(fixed_seed, m, n, 2, 4), plain_siphash(fixed_seed, m, n, 2, 4),
                     "length %zu", n);
    }
}

Test(kvtable, hash_is_keyed)
{
    uint8_t other[16] = "another key....";
    uint64_t a, b;

    cr_expect_str_eq(kvtable_hash_seed(fixed_seed), "fixed");
    a = kvtable_hash("key", 3);
    cr_expect_eq(a, kvtable_siphash(fixed_seed, "key", 3, 1, 3));
    kvtable_hash_seed(other);
    b = kvtable_hash("key", 3);
    cr_expect_neq(a, b);
    kvtable_hash_seed(fixed_seed);
    cr_expect_eq(kvtable_hash("key", 3), a, "the same key, the same hash");
    cr_expect_str_eq(kvtable_hash_seed(NULL), "getrandom");
    cr_expect_neq(kvtable_hash("key", 3), a);
}

static unsigned filled; /* keys fill_bucket stored */

/* Stores n keys "PREFIX<i>" whose first-choice bucket is b in x (found by
 * trying names under the fixed key); *next is the name counter. */
static void fill_bucket(struct kvtable *x, uint64_t b, const char *prefix, unsigned n,
                        unsigned *next)
{
    char k[32];

    while (n) {
        int len = sprintf(k, "%s%u", prefix, (*next)++);
        uint64_t h = kvtable_hash(k, (size_t)len);

        cr_assert_lt(*next, 50000000u, "no key for bucket %llu", (unsigned long long)b);
        if (kvtable_bucket_index(x, h, 0) != b)
            continue;
        cr_assert_eq(kvtable_store(x, KVTABLE_SET, k, (size_t)len, h, 0, 0, "v", 1, 0),
                     KVTABLE_STORED);
        filled++;
        n--;
    }
}

static unsigned count_present(struct kvtable *x, const char *prefix, unsigned upto)
{
    unsigned i, found = 0;
    char k[32];

    for (i = 0; i < upto; i++) {
        int len = sprintf(k, "%s%u", prefix, i);

        found += kvtable_get(x, k, (size_t)len, kvtable_hash(k, (size_t)len)) != NULL;
    }
    return found;
}

/* Keys made to collide (the key known, as an attacker cannot know it): the
 * victim's two buckets are filled, then new keys come whose two buckets are
 * full too. Items move to their other buckets, nothing is evicted (the
 * table is nearly empty: no memory pressure), the victim survives. */
Test(kvtable, colliding_keys_relocate_and_the_victim_survives)
{
    struct kvtable x;
    uint64_t hv, b0, b1;
    unsigned fill = 0, attack = 0, stored = 0, i;

    kvtable_hash_seed(fixed_seed);
    cr_assert_eq(kvtable_init(&x, 1 << 20, 1 << 20, T0), 0);
    hv = kvtable_hash("victim", 6);
    b0 = kvtable_bucket_index(&x, hv, 0);
    b1 = kvtable_bucket_index(&x, hv, 1);
    cr_assert_neq(b0, b1, "pick another victim name for this seed");
    cr_assert_eq(kvtable_store(&x, KVTABLE_SET, "victim", 6, hv, 0, 0, "alive", 5, 0),
                 KVTABLE_STORED);
    fill_bucket(&x, b0, "f", 7, &fill); /* b0: the victim and 7 more */
    fill_bucket(&x, b1, "f", 8, &fill); /* b1: its way out, full too */
    for (i = 0; i < 8; i++) {
        char k[32];
        int len = sprintf(k, "a%u", attack++);
        uint64_t h = kvtable_hash(k, (size_t)len);

        if (kvtable_bucket_index(&x, h, 0) != b0) {
            i--;
            continue;
        }
        /* The attack key's second bucket full as well: no free way for it. */
        fill_bucket(&x, kvtable_bucket_index(&x, h, 1), "f", 8, &fill);
        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, k, (size_t)len, h, 0, 0, "x", 1, 0),
                     KVTABLE_STORED);
        stored++;
    }
    cr_expect_gt(x.st.relocations, 0);
    cr_expect_eq(x.st.evictions, 0);
    cr_expect_eq(x.st.index_full, 0);
    cr_expect_not_null(kvtable_get(&x, "victim", 6, hv), "the victim was evicted");
    cr_expect_eq(count_present(&x, "f", fill), filled, "every filler is there");
    cr_expect_eq(count_present(&x, "a", attack), stored, "every attack key is there");
    cr_expect_eq(x.st.curr_items, 1 + filled + stored);
    kvtable_fini(&x);
}

/* An index with room for nothing more (one bucket of 8): a new key is
 * refused and counted, nothing is evicted; a key already there can still
 * be replaced, and a delete makes room again. */
Test(kvtable, full_index_refuses_instead_of_evicting)
{
    struct kvtable x;
    char k[16];
    unsigned i;

    cr_assert_eq(kvtable_init(&x, 1 << 20, 1 << 20, T0), 0);
    x.bucket_mask = 0; /* the bucket array is larger: using one bucket is sound */
    for (i = 0; i < 8; i++) {
        int len = sprintf(k, "k%u", i);

        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, k, (size_t)len, kvtable_hash(k, (size_t)len), 0,
                                   0, "v", 1, 0),
                     KVTABLE_STORED);
    }
    cr_expect_eq(kvtable_store(&x, KVTABLE_SET, "new", 3, kvtable_hash("new", 3), 0, 0, "v", 1, 0),
                 KVTABLE_NO_MEMORY);
    cr_expect_eq(x.st.index_full, 1);
    cr_expect_eq(x.st.evictions, 0);
    cr_expect_eq(count_present(&x, "k", 8), 8);
    cr_expect_eq(kvtable_store(&x, KVTABLE_SET, "k3", 2, kvtable_hash("k3", 2), 0, 0, "w", 1, 0),
                 KVTABLE_STORED);
    cr_expect_eq(kvtable_delete(&x, "k0", 2, kvtable_hash("k0", 2)), 0);
    cr_expect_eq(kvtable_store(&x, KVTABLE_SET, "new", 3, kvtable_hash("new", 3), 0, 0, "v", 1, 0),
                 KVTABLE_STORED);
    cr_expect_eq(x.st.curr_items, 8);
    kvtable_fini(&x);
}

/* Keys whose tags are the same (16 bits of the hash, compared for all eight
 * ways at once) in one bucket: each is told apart by its key, a delete
 * takes only its own, and another key of that tag is a miss. */
Test(kvtable, same_tag_keys_in_one_bucket_are_told_apart)
{
    struct kvtable x;
    char k[5][16], v[16];
    size_t len[5];
    uint16_t tag = 0;
    unsigned i, n = 0, tries = 0;

    kvtable_hash_seed(fixed_seed);
    cr_assert_eq(kvtable_init(&x, 1 << 20, 1 << 20, T0), 0);
    x.bucket_mask = 0; /* one bucket (see above) */
    while (n < 5) {    /* five names with the first one's tag */
        int l = sprintf(k[n], "s%u", tries++);
        uint16_t t16 = (uint16_t)(kvtable_hash(k[n], (size_t)l) >> 48);

        cr_assert_lt(tries, 10000000u);
        if (n && t16 != tag)
            continue;
        tag = t16;
        len[n++] = (size_t)l;
    }
    for (i = 0; i < 3; i++) /* three other keys first: way order does not matter */
        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, "ooo", 1 + i, kvtable_hash("ooo", 1 + i), 0, 0,
                                   "o", 1, 0),
                     KVTABLE_STORED);
    for (i = 0; i < 4; i++) {
        sprintf(v, "value%u", i);
        cr_assert_eq(kvtable_store(&x, KVTABLE_SET, k[i], len[i], kvtable_hash(k[i], len[i]), 0, 0,
                                   v, strlen(v), 0),
                     KVTABLE_STORED);
    }
    for (i = 0; i < 4; i++) {
        struct kvtable_item *it = kvtable_get(&x, k[i], len[i], kvtable_hash(k[i], len[i]));

        sprintf(v, "value%u", i);
        cr_assert_not_null(it, "%s", k[i]);
        cr_expect(!memcmp(kvtable_item_value(it), v, strlen(v)), "%s", k[i]);
    }
    cr_expect_null(kvtable_get(&x, k[4], len[4], kvtable_hash(k[4], len[4])));
    cr_expect_eq(kvtable_delete(&x, k[1], len[1], kvtable_hash(k[1], len[1])), 0);
    cr_expect_null(kvtable_get(&x, k[1], len[1], kvtable_hash(k[1], len[1])));
    for (i = 0; i < 4; i++)
        if (i != 1)
            cr_expect_not_null(kvtable_get(&x, k[i], len[i], kvtable_hash(k[i], len[i])), "%s",
                               k[i]);
    cr_expect_eq(x.st.curr_items, 6);
    kvtable_fini(&x);
}
