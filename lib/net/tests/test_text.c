/* The command-line text helpers: tables of good and bad input, round
 * trips through the formatters, and the derived MAC. */
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

static void mac_inputs(void)
{
    static const char *const bad[] = {
        "",
        "00:11:22:33:44",
        "00:11:22:33:44:",
        "00:11:22:33:44:5",
        "00:11:22:33:44:55:",
        "00:11:22:33:44:556",
        "00:11:22:33:44:55:66",
        "00-11-22-33-44-55",
        "0011.2233.4455",
        "001122334455",
        "0:11:22:33:44:55",
        "00:11:22:33:44:5g",
        " 00:11:22:33:44:55",
        "00:11:22:33:44:55 ",
        "00:11:22:33:44:55\n",
        "00::11:22:33:44:55",
        "+0:11:22:33:44:55",
    };
    uint8_t m[6], keep[6] = { 9, 9, 9, 9, 9, 9 };
    char buf[NET_MAC_STRLEN];
    size_t i;

    cr_assert_eq(net_mac_parse("00:11:22:33:44:55", m), 0);
    cr_assert_eq(memcmp(m, "\x00\x11\x22\x33\x44\x55", 6), 0);
    cr_assert_eq(net_mac_parse("aA:bB:cC:dD:eE:fF", m), 0);
    cr_assert_eq(memcmp(m, "\xaa\xbb\xcc\xdd\xee\xff", 6), 0);
    cr_assert_str_eq(net_mac_format(m, buf), "aa:bb:cc:dd:ee:ff");
    cr_assert_str_eq(net_mac_format(t_mac_b, buf), "52:54:00:12:34:56");
    for (i = 0; i < NFOS_ARRAY_SIZE(bad); i++) {
        memcpy(m, keep, 6);
        cr_assert_eq(net_mac_parse(bad[i], m), -EINVAL, "'%s'", bad[i]);
        cr_assert_eq(memcmp(m, keep, 6), 0, "'%s' left mac alone", bad[i]);
    }
}

static void mac_round_trips(void)
{
    uint64_t s = 32;
    uint8_t m[6], back[6];
    char buf[NET_MAC_STRLEN], want[NET_MAC_STRLEN];
    int i;

    for (i = 0; i < 20000; i++) {
        t_fill(&s, m, 6);
        net_mac_format(m, buf);
        snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                 m[5]);
        cr_assert_str_eq(buf, want);
        cr_assert_eq(net_mac_parse(buf, back), 0);
        cr_assert_eq(memcmp(m, back, 6), 0);
    }
}

static void mac_from_seed(void)
{
    uint8_t a[6], b[6];
    char buf[NET_MAC_STRLEN], seed[16];
    int i, same = 0;

    net_mac_from_seed(a, "nfos0", 5);
    net_mac_from_seed(b, "nfos0", 5);
    cr_assert_eq(memcmp(a, b, 6), 0, "deterministic");
    /* Pinned (FNV-1a then splitmix64, recomputed in Python): a derived MAC
     * is an interface's identity across releases. */
    cr_assert_str_eq(net_mac_format(a, buf), "ee:39:fb:c3:91:7d");
    for (i = 0; i < 2000; i++) {
        snprintf(seed, sizeof(seed), "vm%d", i);
        net_mac_from_seed(a, seed, strlen(seed));
        cr_assert_eq(a[0] & 3, 2, "locally administered unicast");
        snprintf(seed, sizeof(seed), "vm%d", i + 1);
        net_mac_from_seed(b, seed, strlen(seed));
        same += memcmp(a, b, 6) == 0;
    }
    cr_assert_eq(same, 0, "neighbouring seeds give different MACs");
    net_mac_from_seed(a, NULL, 0);
    cr_assert_eq(a[0] & 3, 2);
}

Test(text, mac)
{
    mac_inputs();
    mac_round_trips();
    mac_from_seed();
}
