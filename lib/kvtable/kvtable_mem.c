/* kvtable's large blocks from malloc: on kvm the heap is guest RAM mapped
 * with 2 MiB pages, so random lookups over hundreds of MiB cost few TLB
 * misses already. (linuxu: kvtable_mem_linuxu.c.) */
#include <stdlib.h>
#include "kvtable_priv.h"

void *kvtable_mem_alloc(size_t len)
{
    return aligned_alloc(64, (len + 63) & ~(size_t)63);
}

void kvtable_mem_free(void *p, size_t len)
{
    (void)len;
    free(p);
}
