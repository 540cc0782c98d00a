/* The failure path of assert(): one message on stderr, then abort(). No
 * backtrace; the function name and line are what the message offers. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

_Noreturn void __assert_fail(const char *expr, const char *file, unsigned int line,
                             const char *func)
{
    /* stderr writes the whole line in one console write. */
    fprintf(stderr, "Assertion failed: %s (%s:%u: %s)\n", expr, file, line, func);
    abort();
}
