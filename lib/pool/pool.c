/* Pool set-up, teardown and the CONFIG_LIBPOOL_DEBUG checks; get and put
 * themselves are inline in nfos/pool.h. No per-core caches, no growth: a
 * pool holds what its memory held at pool_init. */
#include <stdio.h>
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/pool.h>

#ifdef CONFIG_LIBPOOL_DEBUG
#define POOL_FLAG_BYTES 1 /* per object: 1 while handed out */
#else
#define POOL_FLAG_BYTES 0
#endif

static bool pool_args_ok(size_t obj_size, size_t obj_align, size_t *stride)
{
    if (obj_size == 0 || obj_align < sizeof(void *) || !NFOS_IS_POW2(obj_align))
        return false;
    *stride = NFOS_ALIGN_UP(obj_size, obj_align);
    /* Room for the stack slot and the flag too, so n * per cannot wrap. */
    return *stride >= obj_size && *stride <= SIZE_MAX / 2;
}

/* Does a layout with n objects fit between start and end? */
static bool pool_fits(uintptr_t start, uintptr_t end, size_t n, size_t stride, size_t align,
                      uintptr_t *objs)
{
    uintptr_t o = NFOS_ALIGN_UP(start + n * sizeof(void *), align);

    *objs = o;
    return o >= start && o <= end && (end - o) / (stride + POOL_FLAG_BYTES) >= n;
}

static int pool_carve(struct pool *p, void *mem, size_t mem_len, size_t obj_size, size_t obj_align,
                      const char *name, size_t max)
{
    uintptr_t start = NFOS_ALIGN_UP((uintptr_t)mem, sizeof(void *));
    uintptr_t end = (uintptr_t)mem + mem_len, objs = 0;
    size_t stride, n, i;

    if (!mem || end < (uintptr_t)mem || start >= end || !pool_args_ok(obj_size, obj_align, &stride))
        return -EINVAL;
    n = (end - start) / (sizeof(void *) + stride + POOL_FLAG_BYTES);
    n = NFOS_MIN(n, NFOS_MIN(max, (size_t)UINT32_MAX));
    /* The alignment pad is smaller than one stride: at most one retry. */
    while (n > 0 && !pool_fits(start, end, n, stride, obj_align, &objs))
        n--;
    if (n == 0)
        return -EINVAL;

    memset(p, 0, sizeof(*p));
    p->stack = (void **)start;
    p->objs = (char *)objs;
    p->stride = stride;
    p->capacity = (uint32_t)n;
    p->top = (uint32_t)n;
    p->name = name;
    /* Object 0 on top: the first gets walk memory upwards. */
    for (i = 0; i < n; i++)
        p->stack[i] = p->objs + (n - 1 - i) * stride;
    if (POOL_FLAG_BYTES) {
        p->in_use = (uint8_t *)(p->objs + n * stride);
        memset(p->in_use, 0, n);
    }
    return 0;
}

int pool_init(struct pool *p, void *mem, size_t mem_len, size_t obj_size, size_t obj_align,
              const char *name)
{
    return pool_carve(p, mem, mem_len, obj_size, obj_align, name, SIZE_MAX);
}

size_t pool_mem_size(size_t obj_size, size_t count, size_t obj_align)
{
    size_t stride, bytes, per;

    if (count == 0 || count > UINT32_MAX || !pool_args_ok(obj_size, obj_align, &stride))
        return 0;
    per = sizeof(void *) + stride + POOL_FLAG_BYTES;
    if (__builtin_mul_overflow(count, per, &bytes) ||
        __builtin_add_overflow(bytes, sizeof(void *) - 1 + obj_align - 1, &bytes))
        return 0;
    return bytes;
}

struct pool *pool_create(const char *name, size_t obj_size, size_t count, size_t obj_align)
{
    size_t need = pool_mem_size(obj_size, count, obj_align), total;
    struct pool *p;
    void *mem;
    int err;

    if (!need || __builtin_add_overflow(need, sizeof(*p), &total)) {
        fprintf(stderr,
                "pool: create '%s' failed: invalid geometry (%zu objects "
                "of %zu bytes, alignment %zu)\n",
                name, count, obj_size, obj_align);
        return NULL;
    }
    err = alloc_memalign(&mem, NFOS_MAX(obj_align, (size_t)NFOS_CACHE_LINE), total);
    if (err) {
        fprintf(stderr,
                "pool: create '%s' failed: %zu objects of %zu bytes "
                "need %zu bytes (error %d)\n",
                name, count, obj_size, total, err);
        return NULL;
    }
    p = mem;
    err = pool_carve(p, p + 1, need, obj_size, obj_align, name, count);
    if (err || p->capacity != count) { /* pool_mem_size is wrong: a bug */
        fprintf(stderr, "pool: create '%s' failed: layout error\n", name);
        alloc_free(mem);
        return NULL;
    }
    p->created = true;
#if CONFIG_LIBLCORE_SMP
    if (pool_cache_enable(p, 0)) {
        fprintf(stderr, "pool: create '%s' failed: no memory for its lcore caches\n", name);
        alloc_free(mem);
        return NULL;
    }
#endif
    return p;
}

int pool_destroy(struct pool *p)
{
    if (!p || !p->created)
        return -EINVAL;
    if (pool_in_use(p))
        return -EBUSY;
#if CONFIG_LIBLCORE_SMP
    pool_cache_flush_all(p);
    if (p->caches)
        alloc_free(p->caches);
#endif
    alloc_free(p);
    return 0;
}

#if !CONFIG_LIBLCORE_SMP
void pool_stats_sum(const struct pool *p, struct pool_stats *st)
{
    *st = p->stats;
}
#endif

bool pool_contains(const struct pool *p, const void *obj)
{
    uintptr_t off = (uintptr_t)obj - (uintptr_t)p->objs;

    return (uintptr_t)obj >= (uintptr_t)p->objs && off / p->stride < p->capacity &&
           off % p->stride == 0;
}

void pool_debug_on_get(struct pool *p, void *obj)
{
    if (p->in_use)
        p->in_use[((char *)obj - p->objs) / p->stride] = 1;
}

int pool_debug_on_put(struct pool *p, void *obj)
{
    size_t i;

    if (!pool_contains(p, obj) || p->top == p->capacity)
        goto err_bad;
    i = (size_t)((char *)obj - p->objs) / p->stride;
    if (p->in_use) {
        if (!p->in_use[i])
            goto err_bad;
        p->in_use[i] = 0;
    }
    return 0;

err_bad:
    p->stats.bad_puts++;
    return -EINVAL;
}
