/* assert(), compiled out by NDEBUG. Like any assert.h this one has no guard
 * around assert itself: each inclusion follows the NDEBUG in force there. */
#ifndef NFOS_NOLIBC_ASSERT_H
#define NFOS_NOLIBC_ASSERT_H

/* Prints "Assertion failed: EXPR (FILE:LINE: FUNC)" on stderr, aborts. */
_Noreturn void __assert_fail(const char *expr, const char *file, unsigned int line,
                             const char *func);

#define static_assert _Static_assert

#endif /* NFOS_NOLIBC_ASSERT_H */

#undef assert
#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : __assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif
