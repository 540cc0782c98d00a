/* kvtable shared by threads (kvtable_share): two writers store and delete
 * thousands of keys under the lock, in a table small enough that items are
 * evicted, their places reused and pages moved between size classes, while
 * two readers get the same keys without a lock (kvtable_read and
 * kvtable_read_ok). Every value a reader accepts must be whole: a value is
 * one letter repeated, its length and letter also in the item's flags, so
 * a torn copy (letters of two values, a length of another) shows. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <nfos/kvtable.h>

#define KEYS      1500
#define WRITES    10000 /* per writer */
#define VALUE_MAX 3000
#define NREADERS  2
#define NWRITERS  2

static struct kvtable t;
static volatile int writers_left;

struct result {
    uint64_t hits, misses, retries, torn;
    char why[200];
};

static size_t key_of(unsigned k, char *buf)
{
    return (size_t)snprintf(buf, 32, "key:%u", k);
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void *writer(void *arg)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL * (uintptr_t)arg + 1;
    static char value[2][VALUE_MAX];
    char *val = value[(uintptr_t)arg & 1], key[32];
    unsigned i;

    for (i = 0; i < WRITES; i++) {
        unsigned k = (unsigned)(rnd(&s) % KEYS), len = 1 + (unsigned)(rnd(&s) % VALUE_MAX);
        char c = (char)('a' + rnd(&s) % 26);
        size_t n = key_of(k, key);
        uint64_t h = kvtable_hash(key, n);

        memset(val, c, len);
        kvtable_lock(&t);
        if (i % 16 == 0)
            kvtable_delete(&t, key, n, h);
        else
            kvtable_store(&t, KVTABLE_SET, key, n, h, len << 8 | (uint32_t)(c - 'a'), 0, val, len,
                          0);
        kvtable_unlock(&t);
    }
    __atomic_fetch_sub(&writers_left, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Whether the copy (key, flags, value with "\r\n") is one whole item. */
static bool whole(struct result *r, const char *key, size_t n, const struct kvtable_view *v,
                  const uint8_t *copy)
{
    uint32_t len = v->flags >> 8, i;
    char c = (char)('a' + (v->flags & 0xff));

    if (v->nkey != n || memcmp(copy, key, n) || v->nbytes != len + 2 || len > VALUE_MAX) {
        snprintf(r->why, sizeof(r->why), "%s: key or length torn (nkey %u, nbytes %u, flags %#x)",
                 key, v->nkey, v->nbytes, v->flags);
        return false;
    }
    for (i = 0; i < len; i++)
        if (copy[n + i] != c) {
            snprintf(r->why, sizeof(r->why), "%s: byte %u of %u is '%c', not '%c'", key, i, len,
                     copy[n + i], c);
            return false;
        }
    if (memcmp(copy + n + len, "\r\n", 2)) {
        snprintf(r->why, sizeof(r->why), "%s: no \\r\\n after %u bytes", key, len);
        return false;
    }
    return true;
}

static void *reader(void *arg)
{
    struct result *r = arg;
    uint64_t s = (uintptr_t)arg | 1;
    static __thread uint8_t copy[300 + VALUE_MAX + 2];
    char key[32];

    while (__atomic_load_n(&writers_left, __ATOMIC_ACQUIRE)) {
        unsigned k = (unsigned)(rnd(&s) % KEYS);
        size_t n = key_of(k, key);
        uint64_t h = kvtable_hash(key, n);
        const struct kvtable_item *it;
        struct kvtable_view v;

        for (;;) {
            it = kvtable_read(&t, key, n, h, &v);
            if (it) { /* the copy a reply makes, within v's lengths */
                memcpy(copy, it->data, v.nkey);
                memcpy(copy + v.nkey, it->data + v.nkey, v.nbytes);
            }
            if (kvtable_read_ok(&t, &v))
                break;
            r->retries++;
        }
        if (!it) {
            r->misses++;
            continue;
        }
        r->hits++;
        if (!whole(r, key, n, &v, copy)) {
            r->torn++;
            break;
        }
        kvtable_read_note(&t, &v, 0x10000 | k);
    }
    return NULL;
}

Test(kvtable_threads, readers_never_see_torn_values)
{
    pthread_t w[NWRITERS], rd[NREADERS];
    static struct result res[NREADERS];
    unsigned i;

    cr_assert_eq(kvtable_init(&t, 2 << 20, 1 << 20, 1700000000), 0);
    kvtable_share(&t);
    writers_left = NWRITERS;
    for (i = 0; i < NREADERS; i++)
        cr_assert_eq(pthread_create(&rd[i], NULL, reader, &res[i]), 0);
    for (i = 0; i < NWRITERS; i++)
        cr_assert_eq(pthread_create(&w[i], NULL, writer, (void *)(uintptr_t)(i + 1)), 0);
    for (i = 0; i < NWRITERS; i++)
        pthread_join(w[i], NULL);
    for (i = 0; i < NREADERS; i++) {
        pthread_join(rd[i], NULL);
        cr_log_info("reader %u: %llu hits, %llu misses, %llu retries", i,
                    (unsigned long long)res[i].hits, (unsigned long long)res[i].misses,
                    (unsigned long long)res[i].retries);
        cr_expect_eq(res[i].torn, 0, "reader %u: %s", i, res[i].why);
        cr_expect_gt(res[i].hits, 0, "reader %u never hit", i);
    }
    cr_expect_gt(t.st.evictions, 0, "the table never had to evict: too large for the test");
    kvtable_fini(&t);
}
