/* kvkeys: uniform and Zipf key choice (kvkeys.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "kvkeys.h"

/* An odd multiplier that is coprime with n scatters ranks as rank*m mod n;
 * found at set-up by trying the golden-ratio constant and its successors. */
static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t scatter_mult(uint64_t n)
{
    uint64_t m = 0x9E3779B97F4A7C15ull % n;

    while (n > 1 && (m == 0 || gcd(m, n) != 1))
        m = (m + 1) % n;
    return m;
}

uint64_t kvkeys_scatter(uint64_t rank, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rank * scatter_mult(n)) % n);
}

int kvkeys_uniform(struct kvkeys *k, uint64_t n, uint64_t seed)
{
    if (n < 1 || n > (1ull << 32))
        return -EINVAL;
    *k = (struct kvkeys){ .n = n, .rng = seed | 1 };
    return 0;
}

static double zeta(uint64_t n, double theta)
{
    double sum = 0;

    for (uint64_t i = 1; i <= n; i++)
        sum += 1.0 / pow((double)i, theta);
    return sum;
}

int kvkeys_zipf(struct kvkeys *k, uint64_t n, double theta, unsigned table_bits, uint64_t seed)
{
    if (n < 2 || n > (1ull << 32) || !(theta > 0 && theta < 1) || table_bits > 28)
        return -EINVAL;
    *k = (struct kvkeys){ .n = n, .rng = seed | 1, .mask = (1u << table_bits) - 1 };
    k->table = malloc(sizeof(*k->table) << table_bits);
    if (!k->table)
        return -ENOMEM;
    double zetan = zeta(n, theta), zeta2 = zeta(2, theta);
    double alpha = 1.0 / (1.0 - theta);
    double eta = (1.0 - pow(2.0 / (double)n, 1.0 - theta)) / (1.0 - zeta2 / zetan);
    uint64_t m = scatter_mult(n);

    for (uint64_t i = 0; i <= k->mask; i++) {
        double u = (double)(kvkeys_rand(&k->rng) >> 11) * 0x1.0p-53;
        double uz = u * zetan;
        uint64_t rank;

        if (uz < 1.0)
            rank = 0;
        else if (uz < 1.0 + pow(0.5, theta))
            rank = 1;
        else
            rank = (uint64_t)((double)n * pow(eta * u - eta + 1.0, alpha));
        if (rank >= n)
            rank = n - 1;
        k->table[i] = (uint32_t)(((unsigned __int128)rank * m) % n);
    }
    return 0;
}

void kvkeys_free(struct kvkeys *k)
{
    free(k->table);
    k->table = NULL;
}
