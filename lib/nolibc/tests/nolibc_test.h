/* nolibc's public API under the names rename.h gives it, for the host
 * tests that cannot include nolibc's headers next to glibc's. protos_check.c
 * compiles this beside the real headers, so a mismatch fails the build. */
#ifndef NFOS_NOLIBC_TESTS_NOLIBC_TEST_H
#define NFOS_NOLIBC_TESTS_NOLIBC_TEST_H

#include <stdarg.h>
#include <stddef.h>

struct nolibc_file;
typedef unsigned long nolibc_jmp_buf[8];

void *nolibc_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *nolibc_memmove(void *dst, const void *src, size_t n);
void *nolibc_memset(void *dst, int c, size_t n);
int nolibc_memcmp(const void *a, const void *b, size_t n);
void *nolibc_memchr(const void *s, int c, size_t n);
size_t nolibc_strlen(const char *s);
size_t nolibc_strnlen(const char *s, size_t maxlen);
int nolibc_strcmp(const char *a, const char *b);
int nolibc_strncmp(const char *a, const char *b, size_t n);
int nolibc_strcasecmp(const char *a, const char *b);
int nolibc_strncasecmp(const char *a, const char *b, size_t n);
char *nolibc_strcpy(char *restrict dst, const char *restrict src);
char *nolibc_strncpy(char *restrict dst, const char *restrict src, size_t n);
char *nolibc_strcat(char *restrict dst, const char *restrict src);
char *nolibc_strncat(char *restrict dst, const char *restrict src, size_t n);
char *nolibc_strchr(const char *s, int c);
char *nolibc_strrchr(const char *s, int c);
char *nolibc_strstr(const char *haystack, const char *needle);
size_t nolibc_strspn(const char *s, const char *accept);
size_t nolibc_strcspn(const char *s, const char *reject);
char *nolibc_strtok_r(char *restrict s, const char *restrict delim, char **restrict saveptr);
char *nolibc_strerror(int errnum);
char *nolibc_strdup(const char *s);
char *nolibc_strndup(const char *s, size_t n);

extern struct nolibc_file *nolibc_stdout;
extern struct nolibc_file *nolibc_stderr;
int nolibc_printf(const char *restrict fmt, ...);
int nolibc_fprintf(struct nolibc_file *restrict f, const char *restrict fmt, ...);
int nolibc_vprintf(const char *restrict fmt, va_list ap);
int nolibc_vfprintf(struct nolibc_file *restrict f, const char *restrict fmt, va_list ap);
int nolibc_puts(const char *s);
int nolibc_fputs(const char *restrict s, struct nolibc_file *restrict f);
int nolibc_putchar(int c);
int nolibc_fputc(int c, struct nolibc_file *f);
size_t nolibc_fwrite(const void *restrict p, size_t size, size_t nmemb,
                     struct nolibc_file *restrict f);
int nolibc_fflush(struct nolibc_file *f);
int nolibc_snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...);
int nolibc_vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap);
int nolibc_sprintf(char *restrict buf, const char *restrict fmt, ...);
int nolibc_vsprintf(char *restrict buf, const char *restrict fmt, va_list ap);

void *nolibc_malloc(size_t size);
void *nolibc_calloc(size_t nmemb, size_t size);
void *nolibc_realloc(void *p, size_t size);
void nolibc_free(void *p);
int nolibc_posix_memalign(void **out, size_t align, size_t size);
void *nolibc_aligned_alloc(size_t align, size_t size);
_Noreturn void nolibc_exit(int status);
_Noreturn void nolibc_abort(void);
long nolibc_strtol(const char *restrict s, char **restrict end, int base);
long long nolibc_strtoll(const char *restrict s, char **restrict end, int base);
unsigned long nolibc_strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long nolibc_strtoull(const char *restrict s, char **restrict end, int base);
int nolibc_atoi(const char *s);
long nolibc_atol(const char *s);
long long nolibc_atoll(const char *s);
int nolibc_abs(int x);
long nolibc_labs(long x);
long long nolibc_llabs(long long x);
void nolibc_qsort(void *base, size_t nmemb, size_t size, int (*cmp)(const void *, const void *));
void *nolibc_bsearch(const void *key, const void *base, size_t nmemb, size_t size,
                     int (*cmp)(const void *, const void *));
int nolibc_rand(void);
void nolibc_srand(unsigned int seed);

int nolibc_isalnum(int c);
int nolibc_isalpha(int c);
int nolibc_iscntrl(int c);
int nolibc_isdigit(int c);
int nolibc_isgraph(int c);
int nolibc_islower(int c);
int nolibc_isprint(int c);
int nolibc_ispunct(int c);
int nolibc_isspace(int c);
int nolibc_isupper(int c);
int nolibc_isxdigit(int c);
int nolibc_tolower(int c);
int nolibc_toupper(int c);

extern int nolibc_errno;
_Noreturn void nolibc___assert_fail(const char *expr, const char *file, unsigned int line,
                                    const char *func);

int nolibc_setjmp(nolibc_jmp_buf env) __attribute__((returns_twice));
_Noreturn void nolibc_longjmp(nolibc_jmp_buf env, int val);

#endif /* NFOS_NOLIBC_TESTS_NOLIBC_TEST_H */
