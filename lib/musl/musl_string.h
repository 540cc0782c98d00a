/* lib/musl's memmove and memset under their own names (string.c), which
 * also gives them the C library's names in an image; the unit test calls
 * them by these beside the host's. */
#ifndef NFOS_MUSL_STRING_H
#define NFOS_MUSL_STRING_H

#include <stddef.h>

void *nfos_memmove(void *dst, const void *src, size_t n);
void *nfos_memset(void *dst, int c, size_t n);

#endif /* NFOS_MUSL_STRING_H */
