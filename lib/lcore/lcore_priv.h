/* lib/lcore internals shared by lcore.c (SMP) and lcore_one.c (one lcore),
 * of which an image links one. */
#ifndef NFOS_LCORE_PRIV_H
#define NFOS_LCORE_PRIV_H

#include <errno.h>
#include <stddef.h>
#include <nfos/compiler.h>
#include <nfos/lcore.h>

/* lcore_var_alloc over the *used bytes of the per-lcore area carved so
 * far: the offset of size bytes aligned to align, or -EINVAL / -ENOMEM. */
static inline long lcore_var_carve(size_t *used, size_t size, size_t align)
{
    size_t off;

    if (!align || !NFOS_IS_POW2(align) || align > NFOS_CACHE_LINE)
        return -EINVAL;
    off = NFOS_ALIGN_UP(*used, align);
    if (size > LCORE_VAR_BYTES || off > LCORE_VAR_BYTES - size)
        return -ENOMEM;
    *used = off + size;
    return (long)off;
}

#endif /* NFOS_LCORE_PRIV_H */
