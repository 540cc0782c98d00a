/* Formatted output to the platform console: stdout (line buffered) and
 * stderr (one write per call). No input, no files, no wide characters. */
#ifndef NFOS_NOLIBC_STDIO_H
#define NFOS_NOLIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

/* Opaque: only stdout and stderr exist. */
typedef struct nolibc_file FILE;

extern FILE *stdout;
extern FILE *stderr;

/*
 * Console output. Slow path: every flush is a VM exit on kvm. stdout is
 * flushed at the end of a call that wrote a newline, when its buffer fills,
 * by fflush() and by exit(); a write to stderr flushes stdout first so the
 * two stay in order. There is no locking: print from one core at a time.
 * They return the number of bytes written; only output beyond INT_MAX
 * bytes fails (EOF, errno = EOVERFLOW).
 */
int printf(const char *restrict fmt, ...) __attribute__((format(__printf__, 1, 2)));
int fprintf(FILE *restrict f, const char *restrict fmt, ...)
    __attribute__((format(__printf__, 2, 3)));
int vprintf(const char *restrict fmt, va_list ap) __attribute__((format(__printf__, 1, 0)));
int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
    __attribute__((format(__printf__, 2, 0)));
int puts(const char *s);
int fputs(const char *restrict s, FILE *restrict f);
int putchar(int c);
int fputc(int c, FILE *f);
size_t fwrite(const void *restrict p, size_t size, size_t nmemb, FILE *restrict f);
/* f == NULL flushes every stream. Returns 0. */
int fflush(FILE *f);

/*
 * Formatting into memory. Any context, no allocation. snprintf always
 * NUL-terminates when size > 0 and returns the length the whole output
 * would have had (so a result >= size means it was truncated), or -1 with
 * errno = EOVERFLOW beyond INT_MAX.
 * Conversions: d i u o x X c s p % with flags -+ #0, width and precision
 * (also *), lengths hh h l ll z t j; f F e E g G (also L) print what glibc
 * prints up to 17 significant digits (%f: 17 fraction digits), zeros after
 * those; a A print as e E; %n stores nothing; no wide characters (%lc
 * prints a byte, %ls is not supported).
 */
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((format(__printf__, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((format(__printf__, 3, 0)));
int sprintf(char *restrict buf, const char *restrict fmt, ...)
    __attribute__((format(__printf__, 2, 3)));
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
    __attribute__((format(__printf__, 2, 0)));

#endif /* NFOS_NOLIBC_STDIO_H */
