/* tablebench: what sharing kvtable between lcores costs one lcore. The same
 * random gets (16-byte keys, 32-byte values, as kvgen sends) on a table
 * used by one thread (kvtable_get) and on a shared one (kvtable_read, the
 * copy, kvtable_read_ok, kvtable_read_note), and the same sets without and
 * with the table's lock; TSC cycles per operation, the best of REPEAT
 * passes (a shared, busy machine adds only noise). One thread: the cost of
 * the versions and the lock themselves, not of lcores contending.
 *   make -C bench/kv tablebench && build/bench/tablebench [KEYS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>
#include <nfos/kvtable.h>

#define OPS    (1 << 20)
#define REPEAT 7

static struct kvtable t;
static char (*keys)[17];
static uint64_t *hashes;
static uint32_t *order;

static void fill(unsigned nkeys)
{
    char value[32];
    unsigned i;

    memset(value, 'v', sizeof(value));
    for (i = 0; i < nkeys; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key:%012u", i);
        hashes[i] = kvtable_hash(keys[i], 16);
        kvtable_store(&t, KVTABLE_SET, keys[i], 16, hashes[i], 0, 0, value, 32, 0);
    }
}

static uint64_t gets(int shared)
{
    static char out[64];
    uint64_t t0 = __rdtsc(), sink = 0;
    unsigned i;

    for (i = 0; i < OPS; i++) {
        uint32_t k = order[i];

        if (!shared) {
            struct kvtable_item *it = kvtable_get(&t, keys[k], 16, hashes[k]);

            memcpy(out, kvtable_item_value(it), it->nbytes);
        } else {
            const struct kvtable_item *it;
            struct kvtable_view v;

            do {
                it = kvtable_read(&t, keys[k], 16, hashes[k], &v);
                memcpy(out, it->data + v.nkey, v.nbytes);
            } while (!kvtable_read_ok(&t, &v));
            kvtable_read_note(&t, &v, 0);
        }
        sink += (uint8_t)out[0];
    }
    return (__rdtsc() - t0 + (sink & 1)) / OPS;
}

static uint64_t sets(int shared)
{
    char value[32];
    uint64_t t0 = __rdtsc();
    unsigned i;

    memset(value, 'w', sizeof(value));
    for (i = 0; i < OPS; i++) {
        uint32_t k = order[i];

        if (shared)
            kvtable_lock(&t);
        kvtable_store(&t, KVTABLE_SET, keys[k], 16, hashes[k], 0, 0, value, 32, 0);
        if (shared)
            kvtable_unlock(&t);
    }
    return (__rdtsc() - t0) / OPS;
}

/* The best of REPEAT passes of f one thread and shared, alternating on the
 * same table (the flag toggled: no writer runs between the passes), so that
 * both see the same layout and the same machine. */
static void best(uint64_t (*f)(int), uint64_t b[2])
{
    uint64_t c;
    int r, shared;

    b[0] = b[1] = UINT64_MAX;
    for (r = 0; r < REPEAT; r++)
        for (shared = 0; shared < 2; shared++) {
            t.shared = shared;
            if ((c = f(shared)) < b[shared])
                b[shared] = c;
        }
    t.shared = false;
}

int main(int argc, char **argv)
{
    unsigned nkeys = argc > 1 ? (unsigned)atoi(argv[1]) : 1000000, i;
    uint64_t g[2], s[2];

    if (!nkeys || kvtable_init(&t, (size_t)256 << 20, 1 << 20, 1700000000)) {
        fprintf(stderr, "tablebench: bad KEYS or no memory\n");
        return 2;
    }
    keys = malloc((size_t)nkeys * sizeof(*keys));
    hashes = malloc((size_t)nkeys * sizeof(*hashes));
    order = malloc((size_t)OPS * sizeof(*order));
    if (!keys || !hashes || !order)
        return 2;
    srand(1);
    for (i = 0; i < OPS; i++)
        order[i] = (uint32_t)((((uint64_t)rand() << 31) ^ (uint64_t)rand()) % nkeys);
    fill(nkeys);
    best(gets, g);
    best(sets, s);
    printf("tablebench: %u keys, %d random operations, TSC cycles per operation (best of %d)\n",
           nkeys, OPS, REPEAT);
    printf("  get: %llu one thread (kvtable_get), %llu shared (kvtable_read + versions)\n",
           (unsigned long long)g[0], (unsigned long long)g[1]);
    printf("  set: %llu one thread, %llu shared (under kvtable_lock, versions bumped)\n",
           (unsigned long long)s[0], (unsigned long long)s[1]);
    return 0;
}
