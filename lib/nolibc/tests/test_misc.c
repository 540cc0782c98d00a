/* ctype.c, errno.c, setjmp.S and the assert macro: ctype and strerror
 * against glibc's "C" locale, longjmp across frames with live registers. */
#include <criterion/criterion.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fakes.h"
#include "lib_helpers.h"
#include "nolibc_test.h"

Test(ctype, all_bytes_and_eof_match_glibc)
{
    static int (*const mine[])(int) = {
        nolibc_isalnum, nolibc_isalpha, nolibc_iscntrl,  nolibc_isdigit,
        nolibc_isgraph, nolibc_islower, nolibc_isprint,  nolibc_ispunct,
        nolibc_isspace, nolibc_isupper, nolibc_isxdigit,
    };
    static int (*const theirs[])(int) = {
        isalnum, isalpha, iscntrl, isdigit, isgraph,  islower,
        isprint, ispunct, isspace, isupper, isxdigit,
    };

    for (int c = -1; c < 256; c++) {
        for (size_t f = 0; f < sizeof(mine) / sizeof(mine[0]); f++)
            cr_assert_eq(!!mine[f](c), !!theirs[f](c), "class %zu, c=%d", f, c);
        cr_assert_eq(nolibc_tolower(c), tolower(c), "c=%d", c);
        cr_assert_eq(nolibc_toupper(c), toupper(c), "c=%d", c);
    }
}

Test(errnos, strerror_matches_glibc)
{
    char want[64];

    for (int e = 0; e < 134; e++) {
        /* 41 and 58 are holes in Linux's numbering. */
        if (e == 41 || e == 58)
            continue;
        cr_assert_str_eq(nolibc_strerror(e), strerror(e), "errno %d", e);
    }
    cr_assert_str_eq(nolibc_strerror(EAGAIN), "Resource temporarily unavailable");
    cr_assert_str_eq(nolibc_strerror(EOPNOTSUPP), strerror(ENOTSUP));
    snprintf(want, sizeof(want), "%s", "Unknown error");
    cr_assert_str_eq(nolibc_strerror(-1), want);
    cr_assert_str_eq(nolibc_strerror(41), want);
    cr_assert_str_eq(nolibc_strerror(100000), want);
}

Test(errnos, numbers_are_linux)
{
    cr_assert_eq(nolibc_test_errno_value("EPERM"), EPERM);
    cr_assert_eq(nolibc_test_errno_value("ERANGE"), ERANGE);
    cr_assert_eq(nolibc_test_errno_value("EAGAIN"), EAGAIN);
    cr_assert_eq(nolibc_test_errno_value("EWOULDBLOCK"), EWOULDBLOCK);
    cr_assert_eq(nolibc_test_errno_value("ENOSYS"), ENOSYS);
    cr_assert_eq(nolibc_test_errno_value("ENOTSUP"), ENOTSUP);
    cr_assert_eq(nolibc_test_errno_value("EOPNOTSUPP"), EOPNOTSUPP);
    cr_assert_eq(nolibc_test_errno_value("ETIMEDOUT"), ETIMEDOUT);
    cr_assert_eq(nolibc_test_errno_value("EMSGSIZE"), EMSGSIZE);
    cr_assert_eq(nolibc_test_errno_value("EOVERFLOW"), EOVERFLOW);
    cr_assert_eq(nolibc_test_errno_value("ENOBUFS"), ENOBUFS);
    cr_assert_eq(nolibc_test_errno_value("EADDRINUSE"), EADDRINUSE);
    cr_assert_eq(nolibc_test_errno_value("ECONNREFUSED"), ECONNREFUSED);
    cr_assert_eq(nolibc_test_errno_value("EHWPOISON"), EHWPOISON);
}

static nolibc_jmp_buf env;
static int depth_reached;

/* A few real frames between setjmp and longjmp, each with a buffer that
 * AddressSanitizer poisons around. */
static __attribute__((noinline)) void dive3(int val)
{
    volatile char frame[64];

    frame[0] = 3;
    depth_reached = frame[0];
    nolibc_longjmp(env, val);
}

static __attribute__((noinline)) void dive2(int val)
{
    volatile char frame[64];

    frame[0] = 2;
    depth_reached = frame[0];
    dive3(val);
}

static __attribute__((noinline)) void dive(int val)
{
    volatile char frame[64];

    frame[0] = 1;
    depth_reached = frame[0];
    dive2(val);
}

Test(setjmp, returns_zero_then_the_value)
{
    volatile int calls = 0;
    int r = nolibc_setjmp(env);

    calls++;
    if (r == 0) {
        dive(77);
        cr_assert_fail("longjmp returned");
    }
    cr_assert_eq(r, 77);
    cr_assert_eq(calls, 2);
    cr_assert_eq(depth_reached, 3);
}

Test(setjmp, zero_becomes_one)
{
    int r = nolibc_setjmp(env);

    if (r == 0)
        nolibc_longjmp(env, 0);
    cr_assert_eq(r, 1);
}

Test(setjmp, callee_saved_registers_survive)
{
    /* The helper is compiled at -O1 with nolibc's flags; it keeps values
     * in callee-saved registers across setjmp and checks them after. */
    cr_assert_eq(nolibc_test_setjmp_registers(), 0);
}

Test(asserts, macro_message_and_ndebug)
{
    char want[160];

    fake_console_reset();
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc_test_assert_positive(1)), -1); /* passes */
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc_test_assert_ndebug(-1)), -1);  /* compiled out */
    cr_assert_eq(fake_console.len, 0);
    cr_assert_eq(FAKE_EXIT_STATUS(nolibc_test_assert_positive(-3)), 127);
    /* __FILE__ is relative to the tree, as -ffile-prefix-map makes it. */
    snprintf(want, sizeof(want),
             "Assertion failed: x > 0 (lib/nolibc/tests/lib_helpers.c:%u: "
             "nolibc_test_assert_positive)\nabort()\n",
             nolibc_test_assert_line);
    cr_assert_str_eq(fake_console.text, want);
}
