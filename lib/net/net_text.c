/* IPv4 addresses and MACs as text, for the command line: strict parsers
 * (a typo must not become an address) and formatters. No locale, no libc
 * number parsing: strtoul would accept signs, spaces and octal. */
#include <errno.h>
#include <string.h>

#include <nfos/net.h>

static bool net_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* A decimal number 0..max without sign or leading zero; returns the text
 * after it, or NULL. */
static const char *net_parse_dec(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;

    if (!net_is_digit(*s) || (s[0] == '0' && net_is_digit(s[1])))
        return NULL;
    for (; net_is_digit(*s); s++) {
        v = v * 10 + (unsigned)(*s - '0');
        if (v > max)
            return NULL;
    }
    *out = v;
    return s;
}

int net_ipv4_parse(const char *s, uint32_t *addr, unsigned *prefix)
{
    unsigned octet, p = 32, i;
    uint32_t a = 0;

    for (i = 0; i < 4; i++) {
        if (i > 0 && *s++ != '.')
            return -EINVAL;
        s = net_parse_dec(s, 255, &octet);
        if (!s)
            return -EINVAL;
        a = a << 8 | octet;
    }
    if (*s == '/' && prefix) {
        s = net_parse_dec(s + 1, 32, &p);
        if (!s)
            return -EINVAL;
    }
    if (*s != '\0')
        return -EINVAL;
    *addr = net_htonl(a);
    if (prefix)
        *prefix = p;
    return 0;
}

char *net_ipv4_format(uint32_t addr, char buf[NET_IPV4_STRLEN])
{
    uint32_t a = net_ntohl(addr);
    char *p = buf;
    int i;

    for (i = 3; i >= 0; i--) {
        unsigned o = (a >> (8 * i)) & 0xff;

        if (o >= 100)
            *p++ = (char)('0' + o / 100);
        if (o >= 10)
            *p++ = (char)('0' + o / 10 % 10);
        *p++ = (char)('0' + o % 10);
        *p++ = i ? '.' : '\0';
    }
    return buf;
}

static int net_hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int net_mac_parse(const char *s, uint8_t mac[NET_ETH_ALEN])
{
    uint8_t m[NET_ETH_ALEN];
    int i, hi, lo;

    /* Checked left to right, so a short string stops at its NUL. */
    for (i = 0; i < NET_ETH_ALEN; i++, s += 3) {
        hi = net_hex_value(s[0]);
        if (hi < 0)
            return -EINVAL;
        lo = net_hex_value(s[1]);
        if (lo < 0 || s[2] != (i < NET_ETH_ALEN - 1 ? ':' : '\0'))
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(mac, m, NET_ETH_ALEN);
    return 0;
}

char *net_mac_format(const uint8_t mac[NET_ETH_ALEN], char buf[NET_MAC_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    int i;

    for (i = 0; i < NET_ETH_ALEN; i++) {
        buf[3 * i] = hex[mac[i] >> 4];
        buf[3 * i + 1] = hex[mac[i] & 0xf];
        buf[3 * i + 2] = i < NET_ETH_ALEN - 1 ? ':' : '\0';
    }
    return buf;
}

/* FNV-1a over the seed, then the splitmix64 finaliser so that seeds which
 * differ in one bit give unrelated MACs. The result is an interface's
 * identity: changing this function renames every derived MAC. */
void net_mac_from_seed(uint8_t mac[NET_ETH_ALEN], const void *seed, size_t len)
{
    const uint8_t *p = seed;
    uint64_t x = 0xcbf29ce484222325ULL;
    size_t i;

    for (i = 0; i < len; i++)
        x = (x ^ p[i]) * 0x100000001b3ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    for (i = 0; i < NET_ETH_ALEN; i++)
        mac[i] = (uint8_t)(x >> (8 * i));
    mac[0] = (uint8_t)((mac[0] & ~1U) | 2U); /* unicast, locally administered */
}
