/* General utilities: heap (over lib/alloc), number parsing, sorting,
 * pseudo-random numbers and ending the image. No environment, no atexit. */
#ifndef NFOS_NOLIBC_STDLIB_H
#define NFOS_NOLIBC_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1
#define RAND_MAX     0x7fffffff

/*
 * Heap, present only when lib/alloc is in the image. On failure they return
 * NULL and set errno to ENOMEM (posix_memalign returns the error instead).
 * Slow path: use pools (netbuf, mempool) on the fast path.
 */
void *malloc(size_t size);
void *calloc(size_t nmemb, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);
int posix_memalign(void **out, size_t align, size_t size);
void *aligned_alloc(size_t align, size_t size);

/* Flushes stdout and ends the image (plat_exit); 0..127 survive on kvm. */
_Noreturn void exit(int status);
/* Prints "abort()" on stderr and ends the image with status 127. */
_Noreturn void abort(void);

/* Number parsing: leading space, a sign, base 0 (0x/0 prefixes) or 2..36.
 * Out of range: the limit value and errno = ERANGE; bad base: EINVAL. */
long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);

int abs(int x);
long labs(long x);
long long llabs(long long x);

/* qsort is not stable; worst case O(n log n), no allocation, no recursion
 * deeper than log2(n). */
void qsort(void *base, size_t nmemb, size_t size, int (*cmp)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t nmemb, size_t size,
              int (*cmp)(const void *, const void *));

/* Deterministic pseudo-random numbers (xorshift), not for cryptography.
 * The sequence starts as if srand(1) had been called. */
int rand(void);
void srand(unsigned int seed);

#endif /* NFOS_NOLIBC_STDLIB_H */
