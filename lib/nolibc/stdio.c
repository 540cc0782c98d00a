/* stdout and stderr over plat_console_write, batched because each console
 * write is a VM exit. No input, no files, no setvbuf. With lcores, each
 * lcore has its own stdout line buffer and every call holds one console
 * lock, so lines from two lcores never mix (a line longer than the buffer
 * may). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <nfos/compiler.h>
#include <nfos/plat/console.h>
#if CONFIG_LIBLCORE_SMP
#include <nfos/lcore.h>
#endif

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

#if CONFIG_LIBLCORE_SMP
#define STDOUT_LCORES LCORE_MAX
static struct lcore_lock console_lock;
#define CONSOLE_LOCK()   lcore_lock(&console_lock)
#define CONSOLE_UNLOCK() lcore_unlock(&console_lock)
#else
#define STDOUT_LCORES    1
#define CONSOLE_LOCK()   ((void)0)
#define CONSOLE_UNLOCK() ((void)0)
#endif

static char stdout_buf[STDOUT_LCORES][STDOUT_BUF_SIZE];
static char stderr_buf[STDERR_BUF_SIZE];

/* stdout is one FILE to the app; its buffer is the calling lcore's. */
static struct nolibc_file stdout_file[STDOUT_LCORES]; /* set up at first use */

static struct nolibc_file stderr_file = {
    .buf = stderr_buf,
    .cap = sizeof(stderr_buf),
};

FILE *stdout = &stdout_file[0];
FILE *stderr = &stderr_file;

/* The FILE a call on f really uses (console lock held). */
static FILE *file_of(FILE *f)
{
    unsigned id = 0;

    if (f != stdout)
        return f;
#if CONFIG_LIBLCORE_SMP
    id = lcore_id_early();
#endif
    f = &stdout_file[id];
    if (!f->buf) {
        f->buf = stdout_buf[id];
        f->cap = STDOUT_BUF_SIZE;
        f->line = 1;
    }
    return f;
}

static void file_flush(FILE *f)
{
    if (f->len)
        plat_console_write(f->buf, f->len);
    f->len = 0;
    f->saw_newline = 0;
}

/* Every lcore's pending stdout text (console lock held). */
static void stdout_flush_all(void)
{
    unsigned i;

    for (i = 0; i < STDOUT_LCORES; i++)
        if (stdout_file[i].buf)
            file_flush(&stdout_file[i]);
}

void nolibc_stdout_flush(void)
{
    CONSOLE_LOCK();
    stdout_flush_all();
    CONSOLE_UNLOCK();
}

/* Starts a call on f: takes the console and returns the FILE to use.
 * stderr output must not overtake this lcore's older stdout text, as both
 * end up on the same console. */
static FILE *file_begin(FILE *f)
{
    CONSOLE_LOCK();
    f = file_of(f);
    if (!f->line)
        file_flush(file_of(stdout));
    return f;
}

static void file_end(FILE *f)
{
    if (!f->line || f->saw_newline)
        file_flush(f);
    CONSOLE_UNLOCK();
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
    struct file_sink fs = { .sink = { file_sink_put } };
    int n;

    f = fs.f = file_begin(f);
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

    f = file_begin(f);
    file_put(f, s, n);
    file_end(f);
    return clamp_count(n);
}

int puts(const char *s)
{
    size_t n = strlen(s);
    FILE *f = file_begin(stdout);

    file_put(f, s, n);
    file_put(f, "\n", 1);
    file_end(f);
    return clamp_count(n + 1);
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;

    f = file_begin(f);
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
    f = file_begin(f);
    file_put(f, p, n);
    file_end(f);
    return nmemb;
}

int fflush(FILE *f)
{
    CONSOLE_LOCK();
    if (f) {
        file_flush(file_of(f));
    } else {
        stdout_flush_all();
        file_flush(&stderr_file);
    }
    CONSOLE_UNLOCK();
    return 0;
}
