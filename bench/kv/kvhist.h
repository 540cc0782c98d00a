/* kvhist: a latency histogram in TSC cycles, log-linear (HdrHistogram's
 * layout): exact below 32 cycles, then 32 buckets per power of two, so a
 * percentile is within 1/32 (3.1%) of the true value. Recording is a
 * count, a shift and an add; no division, no allocation. */
#ifndef KVHIST_H
#define KVHIST_H

#include <stdint.h>

#define KVHIST_SUB_BITS 5
#define KVHIST_SUB      (1u << KVHIST_SUB_BITS)
#define KVHIST_BUCKETS  ((64 - KVHIST_SUB_BITS + 1) * KVHIST_SUB)

struct kvhist {
    uint64_t n;
    uint64_t count[KVHIST_BUCKETS];
};

static inline unsigned kvhist_bucket(uint64_t v)
{
    if (v < KVHIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned shift = msb - KVHIST_SUB_BITS;
    return (shift + 1) * KVHIST_SUB + (unsigned)(v >> shift) - KVHIST_SUB;
}

static inline void kvhist_add(struct kvhist *h, uint64_t cycles)
{
    h->count[kvhist_bucket(cycles)]++;
    h->n++;
}

void kvhist_reset(struct kvhist *h);

/* The smallest and the largest value that land in bucket b. */
uint64_t kvhist_bucket_low(unsigned b);
uint64_t kvhist_bucket_high(unsigned b);

/* The value at quantile q (0 < q <= 1): the middle of the bucket holding
 * the ceil(q * n)-th smallest sample; 0 when the histogram is empty. */
uint64_t kvhist_quantile(const struct kvhist *h, double q);

#endif /* KVHIST_H */
