/* In-image pool tests: a packet-buffer-sized pool from the heap, drained to
 * empty and refilled, LIFO reuse, bulk all-or-nothing. */
#include <stdint.h>
#include <nfos/pool.h>
#include "tap.h"

#define NR_OBJS  1024
#define OBJ_SIZE 2048

static void *objs[NR_OBJS + 1];

void selftest_pool(void)
{
    struct pool *p = pool_create("selftest", OBJ_SIZE, NR_OBJS, POOL_ALIGN_DEFAULT);
    unsigned n = 0, i;
    int aligned = 1;
    void *bulk[8];

    if (!TAP_OK(p != NULL, "pool: created %d objects of %d bytes", NR_OBJS, OBJ_SIZE))
        return;
    TAP_OK(pool_capacity(p) == NR_OBJS, "pool: capacity %u", pool_capacity(p));
    while (n <= NR_OBJS && (objs[n] = pool_get(p)))
        n++;
    for (i = 0; i < n; i++)
        aligned &= ((uintptr_t)objs[i] & (NFOS_CACHE_LINE - 1)) == 0;
    TAP_OK(n == NR_OBJS && p->stats.empty == 1, "pool: %u gets, then NULL, counted as empty once",
           n);
    TAP_OK(aligned, "pool: every object cache-line aligned");
    TAP_OK(pool_get_bulk(p, bulk, 1) != 0 && pool_in_use(p) == NR_OBJS,
           "pool: bulk get from an empty pool fails whole");
    for (i = 0; i < n; i++)
        pool_put(p, objs[i]);
    TAP_OK(pool_avail(p) == NR_OBJS, "pool: all %u objects back", pool_avail(p));
    TAP_OK(pool_get(p) == objs[n - 1], "pool: LIFO: the last put is the next get");
    pool_put(p, objs[n - 1]);
    TAP_OK(pool_get_bulk(p, bulk, 8) == 0 && pool_avail(p) == NR_OBJS - 8, "pool: bulk get of 8");
    pool_put_bulk(p, bulk, 8);
    TAP_OK(pool_destroy(p) == 0, "pool: destroyed");
}
