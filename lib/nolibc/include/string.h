/* Memory and string functions of C11 plus the common POSIX ones (strdup,
 * strnlen, strtok_r, strcasecmp). No locale: comparisons are bytewise. */
#ifndef NFOS_NOLIBC_STRING_H
#define NFOS_NOLIBC_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
char *strcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
char *strncat(char *restrict dst, const char *restrict src, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
/* Reentrant: the position lives in *saveptr, never in a static. */
char *strtok_r(char *restrict s, const char *restrict delim, char **restrict saveptr);

/* Never NULL; the text is glibc's. Unknown numbers give "Unknown error". */
char *strerror(int errnum);

/* Allocate with malloc(); exist only when lib/alloc is in the image.
 * Return NULL with errno = ENOMEM when the heap is exhausted. */
char *strdup(const char *s);
char *strndup(const char *s, size_t n);

/*
 * The kvm build is -ffreestanding, which implies -fno-builtin: without these
 * a 6-byte MAC copy or a 20-byte header compare would be a call. The
 * builtins expand small constant sizes inline and otherwise call the
 * functions above. nolibc's own string.c and the unit tests turn them off.
 */
#ifndef NFOS_NOLIBC_NO_BUILTIN_MACROS
/* Object-like, not function-like: an argument with a comma of its own (a
 * compound literal) must not split into two. */
#define memcpy  __builtin_memcpy
#define memmove __builtin_memmove
#define memset  __builtin_memset
#define memcmp  __builtin_memcmp
#define strlen  __builtin_strlen
#endif

#endif /* NFOS_NOLIBC_STRING_H */
