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
