/* The port parameters and MACs every driver reads through lib/netdev: the
 * netdevN.KEY= lookup, the strict MAC parser and formatter, netdevN.mac=
 * (unicast only) and the two default MACs, pinned: a derived MAC is an
 * interface's identity across releases. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/netdev_driver.h>

#include "fakes.h"

static uint64_t rng = 32;

static uint8_t t_byte(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint8_t)(rng >> 56);
}

Test(netdev_mac, parse_and_format)
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
    char buf[NETDEV_MAC_STRLEN];
    size_t i;

    cr_assert_eq(netdev_mac_parse("00:11:22:33:44:55", m), 0);
    cr_assert_eq(memcmp(m, "\x00\x11\x22\x33\x44\x55", 6), 0);
    cr_assert_eq(netdev_mac_parse("aA:bB:cC:dD:eE:fF", m), 0);
    cr_assert_eq(memcmp(m, "\xaa\xbb\xcc\xdd\xee\xff", 6), 0);
    cr_assert_str_eq(netdev_mac_str(m, buf), "aa:bb:cc:dd:ee:ff");
    cr_assert_str_eq(netdev_mac_str((const uint8_t[6]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, buf),
                     "52:54:00:12:34:56");
    for (i = 0; i < NFOS_ARRAY_SIZE(bad); i++) {
        memcpy(m, keep, 6);
        cr_assert_eq(netdev_mac_parse(bad[i], m), -EINVAL, "'%s'", bad[i]);
        cr_assert_eq(memcmp(m, keep, 6), 0, "'%s' left mac alone", bad[i]);
    }
}

Test(netdev_mac, round_trips)
{
    uint8_t m[6], back[6];
    char buf[NETDEV_MAC_STRLEN], want[NETDEV_MAC_STRLEN];
    int i, j;

    for (i = 0; i < 20000; i++) {
        for (j = 0; j < 6; j++)
            m[j] = t_byte();
        netdev_mac_str(m, buf);
        snprintf(want, sizeof(want), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4],
                 m[5]);
        cr_assert_str_eq(buf, want);
        cr_assert_eq(netdev_mac_parse(buf, back), 0);
        cr_assert_eq(memcmp(m, back, 6), 0);
    }
}

Test(netdev_mac, from_seed)
{
    uint8_t a[6], b[6];
    char buf[NETDEV_MAC_STRLEN], seed[16];
    int i, same = 0;

    netdev_mac_from_seed(a, "nfos0", 5);
    netdev_mac_from_seed(b, "nfos0", 5);
    cr_assert_eq(memcmp(a, b, 6), 0, "deterministic");
    /* Pinned (FNV-1a, recomputed in Python): "nt0" is the TAP name
     * test_linuxu_net.py uses, and the MAC tap ports had before. */
    cr_assert_str_eq(netdev_mac_str(a, buf), "96:b1:67:5f:3b:3e");
    netdev_mac_from_seed(a, "nt0", 3);
    cr_assert_str_eq(netdev_mac_str(a, buf), "3e:d6:46:25:19:1c");
    for (i = 0; i < 2000; i++) {
        snprintf(seed, sizeof(seed), "vm%d", i);
        netdev_mac_from_seed(a, seed, strlen(seed));
        cr_assert_eq(a[0] & 3, 2, "locally administered unicast");
        snprintf(seed, sizeof(seed), "vm%d", i + 1);
        netdev_mac_from_seed(b, seed, strlen(seed));
        same += memcmp(a, b, 6) == 0;
    }
    cr_assert_eq(same, 0, "neighbouring seeds give different MACs");
    netdev_mac_from_seed(a, NULL, 0);
    cr_assert_eq(a[0] & 3, 2);
}

Test(netdev_mac, from_port)
{
    char buf[NETDEV_MAC_STRLEN];
    uint8_t m[6];

    netdev_mac_from_port(m, 0);
    cr_assert_str_eq(netdev_mac_str(m, buf), "02:00:00:00:76:00");
    netdev_mac_from_port(m, 7);
    cr_assert_str_eq(netdev_mac_str(m, buf), "02:00:00:00:76:07");
}

Test(netdev_param, keys_by_port)
{
    char prefix[NETDEV_PARAM_PREFIX_MAX];

    fake_param_set("netdev.ip", "10.0.0.2/24");
    fake_param_set("netdev1.ip", "10.0.1.2/24");
    fake_param_set("netdev.flag", "");
    cr_assert_str_eq(netdev_port_prefix(0, prefix), "netdev");
    cr_assert_str_eq(netdev_port_prefix(1, prefix), "netdev1");
    cr_assert_str_eq(netdev_port_prefix(4000000000u, prefix), "netdev4000000000");
    cr_assert_str_eq(netdev_port_param(0, "ip"), "10.0.0.2/24");
    cr_assert_str_eq(netdev_port_param(1, "ip"), "10.0.1.2/24");
    cr_assert_str_eq(netdev_port_param(0, "flag"), "");
    cr_assert_null(netdev_port_param(2, "ip"));
    cr_assert_null(netdev_port_param(0, "i"));
    cr_assert_null(netdev_port_param(1, "flag"));
    struct netdev dev = { .port = 1 };
    cr_assert_str_eq(netdev_param(&dev, "ip"), "10.0.1.2/24");
}

Test(netdev_param, port_mac)
{
    uint8_t m[6] = { 9, 9, 9, 9, 9, 9 }, keep[6] = { 9, 9, 9, 9, 9, 9 };
    char buf[NETDEV_MAC_STRLEN];

    fake_param_set("netdev.mac", "02:11:22:33:44:55");
    fake_param_set("netdev1.mac", "01:00:5e:00:00:01"); /* multicast: refused */
    fake_param_set("netdev2.mac", "02:00:00:00:00");    /* short */
    fake_param_set("netdev3.mac", "a:b:c:d:e:f");       /* single digits: refused */
    cr_assert_eq(netdev_port_mac(1, m), -EINVAL);
    cr_assert_eq(netdev_port_mac(2, m), -EINVAL);
    cr_assert_eq(netdev_port_mac(3, m), -EINVAL);
    cr_assert_eq(memcmp(m, keep, 6), 0, "left alone");
    cr_assert_eq(netdev_port_mac(4, m), -ENOENT);
    cr_assert_eq(memcmp(m, keep, 6), 0, "left alone");
    cr_assert_eq(netdev_port_mac(0, m), 0);
    cr_assert_str_eq(netdev_mac_str(m, buf), "02:11:22:33:44:55");
}
