/* In-image printf-family tests: the formats the libraries rely on. On kvm
 * this is nolibc; on linuxu the host libc, which must agree. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tap.h"

static void check(const char *want, const char *got, int ret)
{
    TAP_OK(!strcmp(want, got) && ret == (int)strlen(want), "printf: \"%s\"", want);
}

#define CHECK(want, ...)                                \
    do {                                                \
        char _b[128];                                   \
        int _r = snprintf(_b, sizeof(_b), __VA_ARGS__); \
        check(want, _b, _r);                            \
    } while (0)

void selftest_printf(void)
{
    char small[8];
    int r;

    CHECK("42 -7 +5", "%d %i %+d", 42, -7, 5);
    CHECK("[   42] [42   ] [00042]", "[%5d] [%-5d] [%05d]", 42, 42, 42);
    CHECK("[   17]", "[%*d]", 5, 17);
    CHECK("[17   ]", "[%*d]", -5, 17);
    CHECK("18446744073709551615", "%zu", (size_t)-1);
    CHECK("deadbeefcafe", "%lx", 0xdeadbeefcafeUL);
    CHECK("0XFF 0377 0xff", "%#X %#o %#x", 255, 255, 255);
    CHECK("-9223372036854775808", "%lld", (long long)INT64_MIN);
    CHECK("255 65535", "%hhu %hu", 0x1ff, 0x1ffff);
    CHECK("0x1000", "%p", (void *)0x1000);
    CHECK("[abc] [  abc] [ab]", "[%s] [%5s] [%.2s]", "abc", "abc", "abc");
    CHECK("c%", "%c%%", 'c');
    CHECK("[0042]", "[%.4d]", 42);
    r = snprintf(small, sizeof(small), "%s", "0123456789");
    TAP_OK(r == 10 && !strcmp(small, "0123456"),
           "snprintf: truncates, terminates, returns the full length");
}
