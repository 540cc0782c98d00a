/* kvkeys: which key each request names. Uniform over [0, n) from a
 * xorshift generator (multiply-high, no division), or Zipf with exponent
 * theta drawn with Gray et al.'s method ("Quickly generating billion-record
 * synthetic databases", SIGMOD '94, as YCSB does), ranks then scattered
 * over the key space so that hot keys are not neighbours. Zipf samples are
 * drawn ahead into a table at set-up: pow() per request would cost the
 * generator more than the server spends on a GET. */
#ifndef KVKEYS_H
#define KVKEYS_H

#include <stdint.h>

struct kvkeys {
    uint64_t n;      /* keys 0 .. n-1 */
    uint64_t rng;    /* xorshift64* state, never 0 */
    uint32_t *table; /* zipf: drawn keys; NULL for uniform */
    uint32_t mask;   /* table size - 1 */
    uint32_t pos;
};

static inline uint64_t kvkeys_rand(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline uint64_t kvkeys_next(struct kvkeys *k)
{
    if (k->table)
        return k->table[k->pos++ & k->mask];
    return (uint64_t)(((unsigned __int128)kvkeys_rand(&k->rng) * k->n) >> 64);
}

/* Uniform over n keys (n >= 1, at most 2^32). 0, or -EINVAL. */
int kvkeys_uniform(struct kvkeys *k, uint64_t n, uint64_t seed);

/* Zipf(theta) over n keys (n >= 2, 0 < theta < 1), 2^table_bits samples
 * drawn now. 0, -EINVAL, or -ENOMEM. */
int kvkeys_zipf(struct kvkeys *k, uint64_t n, double theta, unsigned table_bits, uint64_t seed);

/* The rank-to-key scattering: a bijection on [0, n). */
uint64_t kvkeys_scatter(uint64_t rank, uint64_t n);

void kvkeys_free(struct kvkeys *k);

#endif /* KVKEYS_H */
