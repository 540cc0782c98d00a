/* Fatal errors and the core's error lines. Both go to stderr in one write. */
#include <stdarg.h>
#include <stdio.h>
#include <nfos/assert.h>
#include <nfos/core.h>
#include <nfos/plat/exit.h>
#include "core_priv.h"

void core_err(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fprintf(stderr, "nfos: %s\n", buf);
}

_Noreturn void core_panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    fflush(stdout);
    fprintf(stderr, "nfos: panic: %s\n", buf);
    plat_exit(PLAT_EXIT_CRASH);
}

/* A failed NFOS_ASSERT: debug builds only call it. */
_Noreturn void nfos_assert_fail(const char *expr, const char *file, int line)
{
    core_panic("%s:%d: assertion failed: %s", file, line, expr);
}
