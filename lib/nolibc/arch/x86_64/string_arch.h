/* x86_64 bulk copy and fill for string.c: rep movsb/stosb, which CPUs with
 * ERMS run a cache line at a time. Forward only; overlaps are string.c's. */
#ifndef NFOS_NOLIBC_STRING_ARCH_H
#define NFOS_NOLIBC_STRING_ARCH_H

#include <stddef.h>

/* Below this, the startup cost of rep (some 30 cycles) beats the word loop. */
#define NOLIBC_BULK_MIN 256

static inline void nolibc_bulk_copy(void *dst, const void *src, size_t n)
{
    __asm__ __volatile__("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static inline void nolibc_bulk_fill(void *dst, unsigned char c, size_t n)
{
    __asm__ __volatile__("rep stosb" : "+D"(dst), "+c"(n) : "a"(c) : "memory");
}

#endif /* NFOS_NOLIBC_STRING_ARCH_H */
