/* stdout and stderr over plat_console_write, batched because each console
 * write is a VM exit. No input, no files, no setvbuf, no locking. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nfos/compiler.h>
#include <nfos/plat/console.h>

#include "nolibc_priv.h"

/* A line of log output fits; longer ones go out in pieces of this size. */
#define STDOUT_BUF_SIZE 256
/* stderr collects one call's output so a message is one console write. */
#define STDERR_BUF_SIZE 256

struct nolibc_file {
    char *buf;
    size_t cap;
    size_t len;
    /* Line buffered (stdout): flushed at the end of a call that wrote a
     * newline. Otherwise (stderr): flushed at the end of every call. */
    unsigned char line;
    unsigned char saw_newline;
};

static char stdout_buf[STDOUT_BUF_SIZE];
static char stderr_buf[STDERR_BUF_SIZE];

static struct nolibc_file stdout_file = {
    .buf = stdout_buf,
    .cap = sizeof(stdout_buf),
    .line = 1,
};

static struct nolibc_file stderr_file = {
    .buf = stderr_buf,
    .cap = sizeof(stderr_buf),
};

FILE *stdout = &stdout_file;
FILE *stderr = &stderr_file;

static void file_flush(FILE *f)
{
    if (f->len)
        plat_console_write(f->buf, f->len);
    f->len = 0;
    f->saw_newline = 0;
}

void nolibc_stdout_flush(void)
{
    file_flush(&stdout_file);
}

/* Starts a call on f: stderr output must not overtake older stdout text,
 * as both end up on the same console. */
static void file_begin(FILE *f)
{
    if (f != &stdout_file)
        file_flush(&stdout_file);
}

static void file_end(FILE *f)
{
    if (!f->line || f->saw_newline)
        file_flush(f);
}

static void file_put(FILE *f, const char *s, size_t n)
{
    if (f->line && memchr(s, '\n', n))
        f->saw_newline = 1;
    while (n) {
        size_t k = f->cap - f->len;

        if (!f->len && n >= f->cap) {
            /* Would only fill the buffer to flush it: write through. */
            plat_console_write(s, n);
            return;
        }
        k = n < k ? n : k;
        memcpy(f->buf + f->len, s, k);
        f->len += k;
        s += k;
        n -= k;
        if (f->len == f->cap)
            file_flush(f);
    }
}

struct file_sink {
    struct nolibc_sink sink;
    FILE *f;
};

static void file_sink_put(struct nolibc_sink *sink, const char *s, size_t n)
{
    file_put(nfos_container_of(sink, struct file_sink, sink)->f, s, n);
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap)
{
    struct file_sink fs = { .sink = { file_sink_put }, .f = f };
    int n;

    file_begin(f);
    n = nolibc_vfmt(&fs.sink, fmt, ap);
    file_end(f);
    if (n < 0) {
        errno = -n;
        return EOF;
    }
    return n;
}

int fprintf(FILE *restrict f, const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *restrict fmt, va_list ap)
{
    return vfprintf(stdout, fmt, ap);
}

int printf(const char *restrict fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

static int clamp_count(size_t n)
{
    return n > INT_MAX ? INT_MAX : (int)n;
}

int fputs(const char *restrict s, FILE *restrict f)
{
    size_t n = strlen(s);

    file_begin(f);
    file_put(f, s, n);
    file_end(f);
    return clamp_count(n);
}

int puts(const char *s)
{
    size_t n = strlen(s);

    file_begin(stdout);
    file_put(stdout, s, n);
    file_put(stdout, "\n", 1);
    file_end(stdout);
    return clamp_count(n + 1);
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;

    file_begin(f);
    file_put(f, &ch, 1);
    file_end(f);
    return (unsigned char)ch;
}

int putchar(int c)
{
    return fputc(c, stdout);
}

size_t fwrite(const void *restrict p, size_t size, size_t nmemb, FILE *restrict f)
{
    size_t n;

    if (!size || !nmemb)
        return 0;
    if (__builtin_mul_overflow(size, nmemb, &n)) {
        errno = EOVERFLOW; /* no object is that large */
        return 0;
    }
    file_begin(f);
    file_put(f, p, n);
    file_end(f);
    return nmemb;
}

int fflush(FILE *f)
{
    if (f) {
        file_flush(f);
    } else {
        file_flush(&stdout_file);
        file_flush(&stderr_file);
    }
    return 0;
}
