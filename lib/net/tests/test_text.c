/* The command-line text helpers: tables of good and bad input, round
 * trips through the formatter (MACs: lib/netdev/tests). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net_test.h"

static const struct {
    const char *s;
    const char *addr; /* as inet_pton reads it */
    int prefix;       /* -1: a plain address */
} ipv4_good[] = {
    { "0.0.0.0", "0.0.0.0", -1 },
    { "10.0.0.1", "10.0.0.1", -1 },
    { "255.255.255.255", "255.255.255.255", -1 },
    { "192.168.100.200", "192.168.100.200", -1 },
    { "1.2.3.4/0", "1.2.3.4", 0 },
    { "10.0.0.1/8", "10.0.0.1", 8 },
    { "10.1.2.0/24", "10.1.2.0", 24 },
    { "172.16.0.9/32", "172.16.0.9", 32 },
    { "100.64.0.0/10", "100.64.0.0", 10 },
};

static const char *const ipv4_bad[] = {
    "",
    "1",
    "1.2.3",
    "1.2.3.4.",
    "1.2.3.4.5",
    ".1.2.3.4",
    "1..2.3",
    "256.0.0.0",
    "1.2.3.256",
    "1.2.3.999",
    "01.2.3.4",
    "1.2.3.04",
    "1.2.3.00",
    "-1.2.3.4",
    "+1.2.3.4",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "1.2.3.4x",
    "0x1.2.3.4",
    "1.2.3.4/",
    "1.2.3.4/33",
    "1.2.3.4/-1",
    "1.2.3.4/08",
    "1.2.3.4//8",
    "1.2.3.4/8/",
    "1.2.3.4/8 ",
    "1.2.3.4/ 8",
    "1 .2.3.4",
    "1.2.3.4/+8",
    "1.2.3.4/1000000000000",
    "4294967296.0.0.0",
    "1,2,3,4",
    "a.b.c.d",
};

static void ipv4_good_inputs(void)
{
    size_t i;

    for (i = 0; i < NFOS_ARRAY_SIZE(ipv4_good); i++) {
        uint32_t a = 1, want;
        unsigned p = 99;
        char buf[NET_IPV4_STRLEN];

        cr_assert_eq(inet_pton(AF_INET, ipv4_good[i].addr, &want), 1);
        cr_assert_eq(net_ipv4_parse(ipv4_good[i].s, &a, &p), 0, "%s", ipv4_good[i].s);
        cr_assert_eq(a, want, "%s", ipv4_good[i].s);
        cr_assert_eq(p, ipv4_good[i].prefix < 0 ? 32u : (unsigned)ipv4_good[i].prefix);
        cr_assert_str_eq(net_ipv4_format(a, buf), ipv4_good[i].addr);
        a = 1;
        cr_assert_eq(net_ipv4_parse(ipv4_good[i].s, &a, NULL),
                     ipv4_good[i].prefix < 0 ? 0 : -EINVAL, "%s without a prefix pointer",
                     ipv4_good[i].s);
    }
}

static void ipv4_bad_inputs(void)
{
    size_t i;

    for (i = 0; i < NFOS_ARRAY_SIZE(ipv4_bad); i++) {
        uint32_t a = 0x5a5a5a5a;
        unsigned p = 77;

        cr_assert_eq(net_ipv4_parse(ipv4_bad[i], &a, &p), -EINVAL, "'%s'", ipv4_bad[i]);
        cr_assert_eq(a, 0x5a5a5a5a, "'%s' left *addr alone", ipv4_bad[i]);
        cr_assert_eq(p, 77);
    }
}

static void ipv4_format_round_trips(void)
{
    uint64_t s = 31;
    char buf[NET_IPV4_STRLEN + 1], want[32];
    int i;

    for (i = 0; i < 20000; i++) {
        uint32_t a = (uint32_t)t_rand(&s), back;

        if (i < 256)
            a = NET_IPV4(i, 0, 255 - i, i % 10); /* every octet width */
        memset(buf, 'x', sizeof(buf));
        cr_assert_eq(net_ipv4_format(a, buf), buf);
        inet_ntop(AF_INET, &a, want, sizeof(want));
        cr_assert_str_eq(buf, want);
        cr_assert_eq(net_ipv4_parse(buf, &back, NULL), 0);
        cr_assert_eq(back, a);
    }
}

Test(text, ipv4)
{
    ipv4_good_inputs();
    ipv4_bad_inputs();
    ipv4_format_round_trips();
}
