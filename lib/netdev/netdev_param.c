/* A port's command-line parameters and its MAC: the one parser, formatter
 * and default every driver and app uses. No registry state here (the port
 * numbers come from the caller), so the host unit tests drive it alone. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/core.h>
#include <nfos/netdev_driver.h>

char *netdev_port_prefix(unsigned port, char buf[NETDEV_PARAM_PREFIX_MAX])
{
    if (port)
        snprintf(buf, NETDEV_PARAM_PREFIX_MAX, "netdev%u", port);
    else
        snprintf(buf, NETDEV_PARAM_PREFIX_MAX, "netdev");
    return buf;
}

const char *netdev_port_param(unsigned port, const char *key)
{
    char prefix[NETDEV_PARAM_PREFIX_MAX], full[64];

    snprintf(full, sizeof(full), "%s.%s", netdev_port_prefix(port, prefix), key);
    return core_param(full);
}

const char *netdev_param(const struct netdev *dev, const char *key)
{
    return netdev_port_param(dev->port, key);
}

static int netdev_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int netdev_mac_parse(const char *s, uint8_t mac[NETDEV_MAC_LEN])
{
    uint8_t m[NETDEV_MAC_LEN];
    int i, hi, lo;

    /* Checked left to right, so a short string stops at its NUL. */
    for (i = 0; i < NETDEV_MAC_LEN; i++, s += 3) {
        hi = netdev_hex_value(s[0]);
        if (hi < 0)
            return -EINVAL;
        lo = netdev_hex_value(s[1]);
        if (lo < 0 || s[2] != (i < NETDEV_MAC_LEN - 1 ? ':' : '\0'))
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(mac, m, NETDEV_MAC_LEN);
    return 0;
}

char *netdev_mac_str(const uint8_t mac[NETDEV_MAC_LEN], char buf[NETDEV_MAC_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 0; i < NETDEV_MAC_LEN; i++) {
        buf[3 * i] = hex[mac[i] >> 4];
        buf[3 * i + 1] = hex[mac[i] & 0xf];
        buf[3 * i + 2] = i < NETDEV_MAC_LEN - 1 ? ':' : '\0';
    }
    return buf;
}

int netdev_port_mac(unsigned port, uint8_t mac[NETDEV_MAC_LEN])
{
    const char *s = netdev_port_param(port, "mac");
    uint8_t m[NETDEV_MAC_LEN];

    if (!s)
        return -ENOENT;
    if (netdev_mac_parse(s, m) || (m[0] & 1))
        return -EINVAL;
    memcpy(mac, m, NETDEV_MAC_LEN);
    return 0;
}

/* FNV-1a of the seed, made locally administered and unicast. The result is
 * an interface's identity: changing this function renames every derived
 * MAC (tap ports derive theirs from the interface name). */
void netdev_mac_from_seed(uint8_t mac[NETDEV_MAC_LEN], const void *seed, size_t len)
{
    const uint8_t *p = seed;
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    for (i = 0; i < NETDEV_MAC_LEN; i++)
        mac[i] = (uint8_t)(h >> (8 * i));
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

void netdev_mac_from_port(uint8_t mac[NETDEV_MAC_LEN], unsigned port)
{
    static const uint8_t base[NETDEV_MAC_LEN] = { 0x02, 0, 0, 0, 0x76, 0 };

    memcpy(mac, base, NETDEV_MAC_LEN);
    mac[5] = (uint8_t)port;
}
