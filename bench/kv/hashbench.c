/* hashbench: what kvtable_hash costs per key, against the unkeyed mix it
 * replaced (kept here only as the baseline), for memcached-like key
 * lengths. Two figures each: throughput (independent keys, as a burst of
 * requests hashes them) and latency (each key depends on the last hash).
 *   make -C bench/kv hashbench && build/bench/hashbench */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <nfos/kvtable.h>

#define NKEYS  1024
#define ROUNDS 200
#define REPEAT 15 /* the best of: a shared, busy machine adds only noise */

/* kvtable's hash before it was keyed (commit 9e760cb). */
static uint64_t old_hash(const void *key, size_t n)
{
    const uint8_t *p = key;
    uint64_t h = 0x243f6a8885a308d3ULL ^ (n * 0x9e3779b97f4a7c15ULL), w;

    for (; n >= 8; n -= 8, p += 8) {
        memcpy(&w, p, 8);
        h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, p, n);
    h = (h ^ (w * 0xbf58476d1ce4e5b9ULL)) * 0x94d049bb133111ebULL;
    h ^= h >> 31;
    h *= 0xd6e8feb86659fd93ULL;
    return h ^ (h >> 32);
}

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static uint8_t keys[NKEYS][256];
static volatile uint64_t sink;

static void run(const char *name, uint64_t (*h)(const void *, size_t), size_t len)
{
    double t0, thr = 1e9, lat = 1e9, x;
    uint64_t acc = 0;
    unsigned r, i, k;

    for (k = 0; k < REPEAT; k++) {
        t0 = now_ns();
        for (r = 0; r < ROUNDS; r++)
            for (i = 0; i < NKEYS; i++)
                acc += h(keys[i], len);
        x = (now_ns() - t0) / ((double)ROUNDS * NKEYS);
        thr = x < thr ? x : thr;
        t0 = now_ns();
        for (r = 0; r < ROUNDS; r++)
            for (i = 0; i < NKEYS; i++)
                acc = h(keys[(i + acc) % NKEYS], len);
        x = (now_ns() - t0) / ((double)ROUNDS * NKEYS);
        lat = x < lat ? x : lat;
    }
    sink = acc;
    printf("  %-14s %3zu-byte keys: %5.1f ns/key independent, %5.1f ns/key dependent\n", name, len,
           thr, lat);
}

int main(void)
{
    static const size_t lens[] = { 10, 16, 32, 64 };
    unsigned i, j;

    kvtable_hash_seed(NULL);
    for (i = 0; i < NKEYS; i++)
        for (j = 0; j < sizeof(keys[i]); j++)
            keys[i][j] = (uint8_t)(i * 131 + j * 7 + (i >> 3));
    printf("hashbench (%u keys x %u rounds, best of %u):\n", NKEYS, ROUNDS, REPEAT);
    for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        run("unkeyed (old)", old_hash, lens[i]);
        run("siphash-1-3", kvtable_hash, lens[i]);
    }
    return 0;
}
