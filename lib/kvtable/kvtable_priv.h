/* lib/kvtable internals: where the two large blocks (the items' arena and
 * the index) come from, one file per kind of platform memory. */
#ifndef NFOS_KVTABLE_PRIV_H
#define NFOS_KVTABLE_PRIV_H

#include <stddef.h>

/* len bytes, 64-byte aligned, or NULL. Slow path (kvtable_init). */
void *kvtable_mem_alloc(size_t len);
/* p from kvtable_mem_alloc(len), or NULL. */
void kvtable_mem_free(void *p, size_t len);

#endif /* NFOS_KVTABLE_PRIV_H */
