/* kvhist: percentiles from the log-linear latency histogram (kvhist.h). */
#include <string.h>

#include "kvhist.h"

void kvhist_reset(struct kvhist *h)
{
    memset(h, 0, sizeof(*h));
}

uint64_t kvhist_bucket_low(unsigned b)
{
    if (b < KVHIST_SUB)
        return b;
    unsigned shift = b / KVHIST_SUB - 1;
    return (uint64_t)(b % KVHIST_SUB + KVHIST_SUB) << shift;
}

uint64_t kvhist_bucket_high(unsigned b)
{
    if (b < KVHIST_SUB)
        return b;
    unsigned shift = b / KVHIST_SUB - 1;
    return kvhist_bucket_low(b) + ((1ull << shift) - 1);
}

uint64_t kvhist_quantile(const struct kvhist *h, double q)
{
    uint64_t rank, seen = 0;

    if (!h->n)
        return 0;
    rank = (uint64_t)(q * (double)h->n);
    if ((double)rank < q * (double)h->n)
        rank++;
    if (rank < 1)
        rank = 1;
    for (unsigned b = 0; b < KVHIST_BUCKETS; b++) {
        seen += h->count[b];
        if (seen >= rank)
            return kvhist_bucket_low(b) + (kvhist_bucket_high(b) - kvhist_bucket_low(b)) / 2;
    }
    return 0; /* not reached: the counts add up to n */
}
