/* NFOS_ASSERT: a caller's programming error on an internal API (a queue
 * index out of range, a port not started), checked only in debug builds.
 * Anything from outside (packets, descriptors, the command line) gets a real
 * check and an error path instead (STYLE.md rule 6).
 *
 * With CONFIG_NFOS_DEBUG a failed assert prints "FILE:LINE: assertion
 * failed: EXPR" and ends the image like a panic (PLAT_EXIT_CRASH). Without
 * it the condition is type-checked and never evaluated: no code at all. */
#ifndef NFOS_ASSERT_H
#define NFOS_ASSERT_H

#include <nfos/compiler.h>

#if defined(CONFIG_NFOS_DEBUG) && defined(NFOS_UNIT_TEST)
/* Host unit tests: the libc's assert failure (SIGABRT), which Criterion can
 * expect with .signal = SIGABRT. */
#include <assert.h>
#define nfos_assert_fail(expr, file, line) __assert_fail(expr, file, line, __func__)
#else
/* Defined by lib/core: prints the line and ends the image. Only debug
 * builds call it. */
_Noreturn void nfos_assert_fail(const char *expr, const char *file, int line);
#endif

#ifdef CONFIG_NFOS_DEBUG
#define NFOS_ASSERT(cond)                                \
    do {                                                 \
        if (unlikely(!(cond)))                           \
            nfos_assert_fail(#cond, __FILE__, __LINE__); \
    } while (0)
#else
#define NFOS_ASSERT(cond) ((void)sizeof(!(cond)))
#endif

#endif /* NFOS_ASSERT_H */
