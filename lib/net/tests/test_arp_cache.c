/* The ARP cache: hits, updates, the refusals, ageing, LRU eviction when
 * full, and a long random run against a plain model of the same rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "net_test.h"

static struct net_arp_cache c;

static uint32_t ip_n(unsigned n)
{
    return NET_IPV4(10, 1, n >> 8, n & 0xff);
}

static void mac_n(uint8_t mac[6], unsigned n)
{
    static const uint8_t base[6] = { 0x02, 0xaa, 0, 0, 0, 0 };

    memcpy(mac, base, 6);
    mac[4] = (uint8_t)(n >> 8);
    mac[5] = (uint8_t)n;
}

static void insert_lookup_update_remove(void)
{
    uint8_t m[6], got[6], m2[6];

    net_arp_cache_init(&c);
    mac_n(m, 1);
    mac_n(m2, 2);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(1), got, 0, 0), -ENOENT);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(1), m, 100), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(1), got, 100, 0), 0);
    cr_assert_eq(memcmp(got, m, 6), 0);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(1), m2, 200), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(1), got, 200, 0), 0);
    cr_assert_eq(memcmp(got, m2, 6), 0, "an update replaces the MAC");
    cr_assert_eq(c.stats.inserts, 1);
    cr_assert_eq(c.stats.updates, 1);
    cr_assert_eq(c.stats.hits, 2);
    cr_assert_eq(c.stats.misses, 1);

    cr_assert_eq(net_arp_cache_remove(&c, ip_n(1)), 0);
    cr_assert_eq(net_arp_cache_remove(&c, ip_n(1)), -ENOENT);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(1), got, 300, 0), -ENOENT);
}

static void refuses_what_a_packet_must_not_teach(void)
{
    uint8_t m[6], got[6];
    static const uint8_t group[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

    net_arp_cache_init(&c);
    mac_n(m, 1);
    cr_assert_eq(net_arp_cache_insert(&c, 0, m, 0), -EINVAL);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(1), group, 0), -EINVAL);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(1), bcast, 0), -EINVAL);
    /* Free slots hold 0.0.0.0: looking it up must not find them. */
    cr_assert_eq(net_arp_cache_lookup(&c, 0, got, 0, 0), -ENOENT);
    cr_assert_eq(net_arp_cache_remove(&c, 0), -ENOENT);
    cr_assert_eq(c.stats.inserts, 0);
}

static void ageing_on_the_callers_clock(void)
{
    uint8_t m[6], got[6];

    net_arp_cache_init(&c);
    mac_n(m, 7);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(7), m, 1000), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(7), got, 1500, 500), 0, "exactly max_age");
    memset(got, 0, 6);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(7), got, 1501, 500), -ESTALE);
    cr_assert_eq(memcmp(got, m, 6), 0, "a stale entry still gives its MAC");
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(7), got, 1000000, 0), 0, "no max_age");
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(7), got, 10, 500), 0, "clock went back");
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(7), m, 2000), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(7), got, 2400, 500), 0, "refreshed");
    cr_assert_eq(c.stats.stale, 1);
}

static void full_cache_evicts_the_least_recently_used(void)
{
    uint8_t m[6], got[6];
    unsigned i;

    net_arp_cache_init(&c);
    for (i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        mac_n(m, i);
        cr_assert_eq(net_arp_cache_insert(&c, ip_n(i), m, i), 0);
    }
    cr_assert_eq(c.stats.evictions, 0);
    for (i = 0; i < NET_ARP_CACHE_SIZE; i++) {
        cr_assert_eq(net_arp_cache_lookup(&c, ip_n(i), got, 0, 0), 0, "entry %u", i);
        mac_n(m, i);
        cr_assert_eq(memcmp(got, m, 6), 0);
    }
    /* Now use 0 and 1 again: 2 is the least recently used. */
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(0), got, 0, 0), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(1), got, 0, 0), 0);
    mac_n(m, 100);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(100), m, 0), 0);
    cr_assert_eq(c.stats.evictions, 1);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(2), got, 0, 0), -ENOENT, "2 was evicted");
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(0), got, 0, 0), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(100), got, 0, 0), 0);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(3), got, 0, 0), 0);
    /* An update of a present address evicts nothing; a removal frees a slot. */
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(3), m, 0), 0);
    cr_assert_eq(c.stats.evictions, 1);
    cr_assert_eq(net_arp_cache_remove(&c, ip_n(5)), 0);
    cr_assert_eq(net_arp_cache_insert(&c, ip_n(101), m, 0), 0);
    cr_assert_eq(c.stats.evictions, 1);
    cr_assert_eq(net_arp_cache_lookup(&c, ip_n(4), got, 0, 0), 0, "4 stayed");
}

Test(arp_cache, rules)
{
    insert_lookup_update_remove();
    refuses_what_a_packet_must_not_teach();
    ageing_on_the_callers_clock();
    full_cache_evicts_the_least_recently_used();
}

/* The model: the same rules, written as a list ordered by last use. */
struct model {
    uint32_t ip[NET_ARP_CACHE_SIZE];
    unsigned mac[NET_ARP_CACHE_SIZE];
    uint64_t born[NET_ARP_CACHE_SIZE];
    unsigned n; /* [0] least recently used */
};

static int model_find(const struct model *m, uint32_t ip)
{
    unsigned i;

    for (i = 0; i < m->n; i++)
        if (m->ip[i] == ip)
            return (int)i;
    return -1;
}

/* Moves entry i to the most recently used end. */
static void model_touch(struct model *m, unsigned i)
{
    uint32_t ip = m->ip[i];
    unsigned mac = m->mac[i];
    uint64_t born = m->born[i];

    memmove(m->ip + i, m->ip + i + 1, (m->n - i - 1) * sizeof(m->ip[0]));
    memmove(m->mac + i, m->mac + i + 1, (m->n - i - 1) * sizeof(m->mac[0]));
    memmove(m->born + i, m->born + i + 1, (m->n - i - 1) * sizeof(m->born[0]));
    m->ip[m->n - 1] = ip;
    m->mac[m->n - 1] = mac;
    m->born[m->n - 1] = born;
}

Test(arp_cache, random_operations_match_a_model)
{
    static struct model m;
    uint64_t s = 21, now = 0;
    uint8_t mac[6], got[6];
    int i;

    net_arp_cache_init(&c);
    memset(&m, 0, sizeof(m));
    for (i = 0; i < 200000; i++) {
        uint32_t ip = ip_n(1 + t_below(&s, 100));
        unsigned op = t_below(&s, 10), macn = t_below(&s, 1000);
        uint64_t age = t_below(&s, 2) ? 0 : 50;
        int at = model_find(&m, ip), rc;

        now += t_below(&s, 3);
        if (op < 4) {
            mac_n(mac, macn);
            cr_assert_eq(net_arp_cache_insert(&c, ip, mac, now), 0);
            if (at < 0 && m.n == NET_ARP_CACHE_SIZE) {
                model_touch(&m, 0); /* the LRU goes to the end, then is reused */
                at = (int)m.n - 1;
            } else if (at < 0) {
                at = (int)m.n++;
            }
            m.ip[at] = ip;
            m.mac[at] = macn;
            m.born[at] = now;
            model_touch(&m, (unsigned)at);
        } else if (op < 9) {
            rc = net_arp_cache_lookup(&c, ip, got, now, age);
            if (at < 0) {
                cr_assert_eq(rc, -ENOENT, "op %d", i);
                continue;
            }
            mac_n(mac, m.mac[at]);
            cr_assert_eq(memcmp(got, mac, 6), 0, "op %d", i);
            if (age && now - m.born[at] > age) {
                cr_assert_eq(rc, -ESTALE, "op %d", i);
            } else {
                cr_assert_eq(rc, 0, "op %d", i);
                model_touch(&m, (unsigned)at);
            }
        } else {
            cr_assert_eq(net_arp_cache_remove(&c, ip), at < 0 ? -ENOENT : 0);
            if (at >= 0) {
                model_touch(&m, (unsigned)at);
                m.n--;
            }
        }
    }
    cr_assert_gt(c.stats.evictions, 1000, "the run filled the cache");
    cr_assert_gt(c.stats.stale, 1000, "and aged entries");
}
