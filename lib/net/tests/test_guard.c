/* net_guard: every reason a source is refused, on frames built by the
 * reference builder; the inline check against a plain restatement of the
 * rules over random sources; the rate limiter's bucket, burst, refill and
 * debt. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include <nfos/net_guard.h>

#include "net_test.h"

#define OURS   0x0a000001 /* 10.0.0.1/24, host order */
#define CLIENT 0x0a000002
#define PORT   11211

static struct net_src_filter filter;

static void setup(void)
{
    net_src_filter_init(&filter, net_htonl(OURS), 24, PORT);
}

/* A UDP (or ICMP echo) request from mac/sip:sport to us. */
static size_t request(uint8_t *buf, bool udp, const uint8_t *mac, uint32_t sip, uint16_t sport,
                      struct net_hdrs *h)
{
    static const uint8_t payload[16] = "get k\r\n";
    struct tf t = { .vid = -1,
                    .ethertype = NET_ETH_P_IPV4,
                    .ttl = 64,
                    .proto = udp ? NET_IP_PROTO_UDP : NET_IP_PROTO_ICMP,
                    .sip = sip,
                    .dip = OURS,
                    .sport = sport,
                    .dport = PORT,
                    .udp_csum = true,
                    .icmp_type = NET_ICMP_ECHO_REQUEST,
                    .payload = payload,
                    .payload_len = sizeof(payload) };
    size_t n;

    memcpy(t.dst, t_mac_a, 6);
    memcpy(t.src, mac, 6);
    n = tf_build(buf, &t);
    cr_assert_eq(net_frame_parse(buf, n, h, 0), udp ? NET_KIND_UDP : NET_KIND_ICMP);
    return n;
}

static int check(bool udp, const uint8_t *mac, uint32_t sip, uint16_t sport)
{
    uint8_t buf[128];
    struct net_hdrs h;

    request(buf, udp, mac, sip, sport, &h);
    return net_src_check(&filter, buf, &h);
}

Test(guard, every_reason, .init = setup)
{
    static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    const uint8_t *mac = t_mac_b;
    int udp;

    for (udp = 0; udp < 2; udp++) {
        cr_assert_eq(check(udp, mac, CLIENT, 40000), NET_SRC_OK);
        cr_assert_eq(check(udp, mac, 0xc0a80101, 1024), NET_SRC_OK, "another subnet");
        cr_assert_eq(check(udp, group, CLIENT, 40000), NET_SRC_MAC_GROUP);
        cr_assert_eq(check(udp, bcast, CLIENT, 40000), NET_SRC_MAC_GROUP);
        cr_assert_eq(check(udp, mac, 0, 40000), NET_SRC_IP_ZERO);
        cr_assert_eq(check(udp, mac, 0x00010203, 40000), NET_SRC_IP_ZERO, "0.0.0.0/8");
        cr_assert_eq(check(udp, mac, 0x7f000001, 40000), NET_SRC_IP_LOOPBACK);
        cr_assert_eq(check(udp, mac, 0xe0000001, 40000), NET_SRC_IP_MULTICAST);
        cr_assert_eq(check(udp, mac, 0xefffffff, 40000), NET_SRC_IP_MULTICAST);
        cr_assert_eq(check(udp, mac, 0xffffffff, 40000), NET_SRC_IP_BROADCAST);
        cr_assert_eq(check(udp, mac, 0x0a0000ff, 40000), NET_SRC_IP_BROADCAST, "the subnet's");
        cr_assert_eq(check(udp, mac, 0xf0000001, 40000), NET_SRC_IP_RESERVED);
        cr_assert_eq(check(udp, mac, 0xfffffffe, 40000), NET_SRC_IP_RESERVED);
        cr_assert_eq(check(udp, mac, OURS, 40000), NET_SRC_IP_OURS);
        /* The MAC is checked first, then the address, then the port. */
        cr_assert_eq(check(udp, group, OURS, 0), NET_SRC_MAC_GROUP);
        cr_assert_eq(check(udp, mac, OURS, 0), NET_SRC_IP_OURS);
    }
    /* Ports: UDP only (ICMP has none and is answered). */
    cr_assert_eq(check(true, mac, CLIENT, 0), NET_SRC_PORT_ZERO);
    cr_assert_eq(check(true, mac, CLIENT, PORT), NET_SRC_PORT_OURS);
    cr_assert_eq(check(true, mac, CLIENT, 7), NET_SRC_PORT_SERVICE, "echo");
    cr_assert_eq(check(true, mac, CLIENT, 19), NET_SRC_PORT_SERVICE, "chargen");
    cr_assert_eq(check(true, mac, CLIENT, 53), NET_SRC_PORT_SERVICE, "DNS");
    cr_assert_eq(check(true, mac, CLIENT, 123), NET_SRC_PORT_SERVICE, "NTP");
    cr_assert_eq(check(true, mac, CLIENT, 1900), NET_SRC_PORT_SERVICE, "SSDP");
    cr_assert_eq(check(true, mac, CLIENT, 8), NET_SRC_OK, "not a listed service");
    cr_assert_eq(check(false, mac, CLIENT, 0), NET_SRC_OK);
}

Test(guard, names_and_ports)
{
    size_t i;

    for (i = 0; i < NET_SRC_COUNT; i++)
        cr_assert(net_src_names[i] && net_src_names[i][0], "name %zu", i);
    cr_assert_str_eq(net_src_names[NET_SRC_PORT_SERVICE], "port_service");
    for (i = 0; i < net_src_ports_count; i++)
        cr_assert(net_src_ports[i] > 0 && net_src_ports[i] < 32768,
                  "port %u: listed ports stay out of the ephemeral ranges", net_src_ports[i]);
    for (i = 1; i < net_src_ports_count; i++)
        cr_assert_gt(net_src_ports[i], net_src_ports[i - 1], "sorted, no repeats");
}

Test(guard, prefixes)
{
    uint8_t buf[128];
    struct net_hdrs h;

    /* /31 and /32 have no broadcast address: the neighbour is a host. */
    net_src_filter_init(&filter, net_htonl(OURS), 31, PORT);
    request(buf, true, t_mac_b, 0x0a000000, 40000, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_OK);
    net_src_filter_init(&filter, net_htonl(OURS), 32, PORT);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_OK);
    net_src_filter_init(&filter, net_htonl(OURS), 30, PORT);
    request(buf, true, t_mac_b, 0x0a000003, 40000, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_IP_BROADCAST);
    net_src_filter_init(&filter, net_htonl(OURS), 8, PORT);
    request(buf, true, t_mac_b, 0x0affffff, 40000, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_IP_BROADCAST);
    /* No service port: only port 0 and the listed ones (memcached's among
     * them, whatever our own). */
    net_src_filter_init(&filter, net_htonl(OURS), 24, 0);
    request(buf, true, t_mac_b, CLIENT, 11212, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_OK);
    request(buf, true, t_mac_b, CLIENT, PORT, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_PORT_SERVICE);
    request(buf, true, t_mac_b, CLIENT, 0, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_PORT_ZERO);
    /* Another service port: 11211 stays refused, as memcached's. */
    net_src_filter_init(&filter, net_htonl(OURS), 24, 11300);
    request(buf, true, t_mac_b, CLIENT, 11300, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_PORT_OURS);
    request(buf, true, t_mac_b, CLIENT, PORT, &h);
    cr_assert_eq(net_src_check(&filter, buf, &h), NET_SRC_PORT_SERVICE);
}

/* The rules again, the plain way. */
static int reference(const uint8_t *mac, uint32_t sip, uint16_t sport, bool udp)
{
    unsigned o = sip >> 24;
    size_t i;

    if (mac[0] & 1)
        return NET_SRC_MAC_GROUP;
    if (o == 0)
        return NET_SRC_IP_ZERO;
    if (o == 127)
        return NET_SRC_IP_LOOPBACK;
    if (o >= 224 && o <= 239)
        return NET_SRC_IP_MULTICAST;
    if (sip == 0xffffffff || sip == (OURS | 0xff))
        return NET_SRC_IP_BROADCAST;
    if (o >= 240)
        return NET_SRC_IP_RESERVED;
    if (sip == OURS)
        return NET_SRC_IP_OURS;
    if (!udp)
        return NET_SRC_OK;
    if (sport == 0)
        return NET_SRC_PORT_ZERO;
    if (sport == PORT)
        return NET_SRC_PORT_OURS;
    for (i = 0; i < net_src_ports_count; i++)
        if (sport == net_src_ports[i])
            return NET_SRC_PORT_SERVICE;
    return NET_SRC_OK;
}

Test(guard, random_sources_match_the_rules, .init = setup)
{
    static const uint32_t near[] = { OURS, OURS | 0xff, CLIENT, 0, 0xffffffff, 0x7f000001 };
    uint64_t seed = 21, counts[NET_SRC_COUNT] = { 0 };
    uint8_t buf[128], mac[6];
    struct net_hdrs h;
    int i, got, want;

    for (i = 0; i < 200000; i++) {
        bool udp = t_below(&seed, 4) != 0;
        uint32_t sip = t_below(&seed, 4) ? (uint32_t)t_rand(&seed) : near[t_below(&seed, 6)];
        uint16_t sport =
            t_below(&seed, 2) ? (uint16_t)t_rand(&seed) : (uint16_t)t_below(&seed, 2048);

        memcpy(mac, t_mac_b, 6);
        if (t_below(&seed, 16) == 0)
            mac[0] |= 1;
        if (t_below(&seed, 4) == 0)
            sport = net_src_ports[t_below(&seed, (uint32_t)net_src_ports_count)];
        request(buf, udp, mac, sip, sport, &h);
        got = net_src_check(&filter, buf, &h);
        want = reference(mac, sip, sport, udp);
        cr_assert_eq(got, want, "%08x:%u udp %d: %s, want %s", sip, sport, udp, net_src_names[got],
                     net_src_names[want]);
        counts[got]++;
    }
    for (i = 0; i < NET_SRC_COUNT; i++)
        cr_assert_gt(counts[i], 0, "%s never came up", net_src_names[i]);
}

Test(guard, ratelimit_burst_refill_and_debt)
{
    struct net_ratelimit r;
    uint32_t a = net_htonl(CLIENT), b = net_htonl(0x0a000003);
    uint64_t now = 1000000;
    int i;

    /* 100 ticks per reply, bursts of 5. */
    cr_assert_eq(net_ratelimit_init(&r, 1024, 100, 5, 0x1234), 0);
    for (i = 0; i < 5; i++)
        cr_assert(net_ratelimit_take(&r, a, now), "burst reply %d", i);
    cr_assert_not(net_ratelimit_take(&r, a, now), "the sixth at once");
    cr_assert_not(net_ratelimit_take(&r, a, now + 99));
    cr_assert(net_ratelimit_take(&r, a, now + 100), "one interval later, one more");
    cr_assert_not(net_ratelimit_take(&r, a, now + 100));
    /* Another address has a bucket of its own (unless the key puts both
     * in one slot, which this key does not). */
    cr_assert_neq(net_ratelimit_slot(&r, a), net_ratelimit_slot(&r, b));
    cr_assert(net_ratelimit_take(&r, b, now));
    /* A long pause refills to the burst, no further. */
    now += 1000000;
    for (i = 0; i < 5; i++)
        cr_assert(net_ratelimit_take(&r, a, now));
    cr_assert_not(net_ratelimit_take(&r, a, now));
    /* A full bucket (5) lets a reply of 11 datagrams through and is 6
     * short after it: nothing until 7 intervals have put one back. */
    now += 1000000;
    cr_assert(net_ratelimit_take(&r, a, now));
    net_ratelimit_charge(&r, a, 10);
    cr_assert_not(net_ratelimit_take(&r, a, now + 699));
    cr_assert(net_ratelimit_take(&r, a, now + 700));
    cr_assert_not(net_ratelimit_take(&r, a, now + 700));
    net_ratelimit_fini(&r);
}

Test(guard, ratelimit_rate_over_time)
{
    struct net_ratelimit r;
    uint32_t a = net_htonl(CLIENT);
    uint64_t now, allowed = 0;

    /* Asked every 10 ticks for 100000 ticks at one per 100 and a burst of
     * 8: the burst and one per interval. */
    cr_assert_eq(net_ratelimit_init(&r, 0, 100, 8, 99), 0);
    for (now = 0; now < 100000; now += 10)
        allowed += net_ratelimit_take(&r, a, now);
    cr_assert(allowed >= 1000 && allowed <= 1000 + 8, "%llu allowed", (unsigned long long)allowed);
    net_ratelimit_fini(&r);
}

Test(guard, ratelimit_init_refusals)
{
    struct net_ratelimit r;

    cr_assert_eq(net_ratelimit_init(&r, 1000, 100, 5, 1), -EINVAL, "not a power of two");
    cr_assert_eq(net_ratelimit_init(&r, 1, 100, 5, 1), -EINVAL, "one slot");
    cr_assert_eq(net_ratelimit_init(&r, 64, 0, 5, 1), -EINVAL, "no interval");
    cr_assert_eq(net_ratelimit_init(&r, 64, 100, 0, 1), -EINVAL, "no burst");
    cr_assert_eq(net_ratelimit_init(&r, 64, UINT64_MAX / 2, 3, 1), -EINVAL, "overflow");
    cr_assert_eq(net_ratelimit_init(&r, 2, 100, 1, 1), 0);
    cr_assert(net_ratelimit_take(&r, 5, 1000));
    cr_assert_not(net_ratelimit_take(&r, 5, 1000), "a burst of one");
    net_ratelimit_fini(&r);
}
