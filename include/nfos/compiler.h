/* Compiler helpers shared by every library: branch hints, alignment, sizes.
 * Platform- and libc-neutral: needs only the compiler's freestanding headers. */
#ifndef NFOS_COMPILER_H
#define NFOS_COMPILER_H

#define NFOS_CACHE_LINE 64
#define NFOS_PAGE_SIZE  4096UL
#define NFOS_PAGE_SHIFT 12

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define __nfos_cache_aligned __attribute__((aligned(NFOS_CACHE_LINE)))
#define __nfos_packed        __attribute__((packed))
#define __nfos_unused        __attribute__((unused))
#define __nfos_used          __attribute__((used))
#define __nfos_noinline      __attribute__((noinline))
#define __nfos_always_inline inline __attribute__((always_inline))
#define __nfos_section(s)    __attribute__((section(s)))
#define __nfos_printf(f, a)  __attribute__((format(printf, f, a)))

#define NFOS_ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define NFOS_ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define NFOS_ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define NFOS_IS_POW2(x)       ((x) != 0 && ((x) & ((x)-1)) == 0)
#define NFOS_MIN(a, b)        ((a) < (b) ? (a) : (b))
#define NFOS_MAX(a, b)        ((a) > (b) ? (a) : (b))

#define nfos_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - __builtin_offsetof(type, member)))

#define nfos_barrier() __asm__ __volatile__("" ::: "memory")

/* Asks for the cache line at p ahead of use: to read, or to write. For
 * x86-64 without -mprfchw (our default: PREFETCHW is not in the baseline)
 * GCC emits the write one as a read prefetch (prefetcht0): a real
 * PREFETCHW would need -mprfchw, and kvstore showed no clear gain from it
 * (figures in the commit history, not here). */
#define nfos_prefetch(p)  __builtin_prefetch((p), 0, 3)
#define nfos_prefetchw(p) __builtin_prefetch((p), 1, 3)

/* The same into L2 only (prefetcht1), for a batch that asks for more lines
 * at once than L1 has miss buffers: a prefetch that finds them all taken
 * waits, L2 keeps more in flight, and a line read from it a pass later
 * costs a few cycles more than from L1. kvstore's burst passes (buckets,
 * items, frames) use it; the gain is in docs/PERFORMANCE.md and the
 * commits that made the change. */
#define nfos_prefetch_l2(p) __builtin_prefetch((p), 0, 2)

#endif /* NFOS_COMPILER_H */
