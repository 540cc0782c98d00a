/* In-image libc tests beyond printf: setjmp, strtol and errno, qsort. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include "tap.h"

static jmp_buf env;
static int depth;

/* gcc cannot see that the longjmp ends the recursion. */
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static __attribute__((noinline)) void dive(int n)
{
    depth = n;
    if (n == 10)
        longjmp(env, n);
    dive(n + 1);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static void test_setjmp(void)
{
    volatile int pass = 0;

    if (setjmp(env) == 10)
        pass = depth == 10;
    else
        dive(0);
    TAP_OK(pass, "setjmp/longjmp: back from 10 frames deep");
}

void selftest_libc(void)
{
    int v[8] = { 5, 3, 9, 1, 7, 2, 8, 0 }, sorted = 1, i;
    char *end;
    long l;

    test_setjmp();

    errno = 0;
    l = strtol("99999999999999999999", &end, 10);
    TAP_OK(l == LONG_MAX && errno == ERANGE && !*end, "strtol: overflow gives LONG_MAX, ERANGE");
    l = strtol("  -0x1fZ", &end, 0);
    TAP_OK(l == -31 && *end == 'Z', "strtol: base 0 reads -0x1f, stops at Z");

    qsort(v, 8, sizeof(v[0]), cmp_int);
    for (i = 1; i < 8; i++)
        sorted &= v[i - 1] <= v[i];
    TAP_OK(sorted, "qsort: 8 ints sorted");
    TAP_OK(!strcmp(strerror(ENOMEM), "Out of memory") ||
               !strcmp(strerror(ENOMEM), "Cannot allocate memory"),
           "strerror(ENOMEM): \"%s\"", strerror(ENOMEM));
}
