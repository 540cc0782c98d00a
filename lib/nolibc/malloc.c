/* The C heap API over lib/alloc, and the string functions that allocate.
 * Built only with lib/alloc; errno is set here, at the libc boundary. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/alloc.h>

void *malloc(size_t size)
{
    void *p = alloc_malloc(size);

    if (!p && size)
        errno = ENOMEM;
    return p;
}

void free(void *p)
{
    if (p)
        alloc_free(p);
}

void *calloc(size_t nmemb, size_t size)
{
    size_t total;
    void *p;

    /* Checked here too, so the errno is right whatever lib/alloc does. */
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    p = alloc_calloc(nmemb, size);
    if (!p && total)
        errno = ENOMEM;
    return p;
}

void *realloc(void *p, size_t size)
{
    void *q = alloc_realloc(p, size);

    if (!q && size)
        errno = ENOMEM; /* p is still valid */
    return q;
}

/* POSIX: the error is the return value; errno is left alone. */
int posix_memalign(void **out, size_t align, size_t size)
{
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    return -alloc_memalign(out, align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    void *p;
    int err;

    if (!align || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    /* C allows alignments below a pointer's; lib/alloc may not. */
    if (align < sizeof(void *))
        align = sizeof(void *);
    err = alloc_memalign(&p, align, size);
    if (err) {
        errno = -err;
        return NULL;
    }
    return p;
}

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);

    return d ? memcpy(d, s, n) : NULL;
}

char *strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *d = malloc(len + 1);

    if (!d)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}
