/* Test helpers built like nolibc itself (its headers, rename.h), for what a
 * glibc-side test cannot reach: nolibc's macros and its errno values. */
#ifndef NFOS_NOLIBC_TESTS_LIB_HELPERS_H
#define NFOS_NOLIBC_TESTS_LIB_HELPERS_H

/* assert(x > 0) as nolibc's assert.h expands it; line of that assert. */
void nolibc_test_assert_positive(int x);
extern const unsigned int nolibc_test_assert_line;
/* The same under NDEBUG: never fires. */
void nolibc_test_assert_ndebug(int x);

/* The value nolibc's errno.h gives the macro called name, or -1. */
int nolibc_test_errno_value(const char *name);

/* setjmp_regs.S: 0 when setjmp/longjmp restored rbx rbp r12-r15 and
 * delivered the value. */
int nolibc_test_setjmp_registers(void);

#endif /* NFOS_NOLIBC_TESTS_LIB_HELPERS_H */
