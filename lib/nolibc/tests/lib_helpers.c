/* Compiled like the nolibc sources under test (its headers, rename.h).
 * Including nolibc_test.h beside the real headers makes any prototype
 * there that disagrees with them a build error. */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "lib_helpers.h"
#include "nolibc_test.h"

_Static_assert(sizeof(jmp_buf) == sizeof(nolibc_jmp_buf), "jmp_buf layout");
_Static_assert(sizeof(ssize_t) == sizeof(size_t), "ssize_t");
_Static_assert(LONG_MAX == INT64_MAX && ULONG_MAX == UINT64_MAX, "LP64 limits");
_Static_assert(CHAR_MIN == SCHAR_MIN && UCHAR_MAX == 255, "char limits");

const unsigned int nolibc_test_assert_line = __LINE__ + 3;
void nolibc_test_assert_positive(int x)
{
    assert(x > 0);
}

/* assert.h has no guard around assert: this inclusion redefines it. */
#define NDEBUG
#include <assert.h>

void nolibc_test_assert_ndebug(int x)
{
    assert(x > 0);
    (void)x;
}

#define E(name)     \
    {               \
#name, name \
    }
static const struct {
    const char *name;
    int value;
} errno_names[] = {
    E(EPERM),     E(ENOENT),  E(EIO),        E(EAGAIN),       E(EWOULDBLOCK), E(ENOMEM),
    E(EBUSY),     E(EEXIST),  E(ENODEV),     E(EINVAL),       E(ENOSPC),      E(ERANGE),
    E(ENOSYS),    E(ENOTSUP), E(EOPNOTSUPP), E(ETIMEDOUT),    E(EMSGSIZE),    E(EPROTO),
    E(EOVERFLOW), E(ENOBUFS), E(EADDRINUSE), E(ECONNREFUSED), E(EHWPOISON),
};

int nolibc_test_errno_value(const char *name)
{
    for (size_t i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++)
        if (!strcmp(errno_names[i].name, name))
            return errno_names[i].value;
    return -1;
}
