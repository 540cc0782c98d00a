/* IPv4 addresses as text, for the command line: a strict parser (a typo
 * must not become an address) and a formatter. No locale, no libc number
 * parsing: strtoul would accept signs, spaces and octal. MACs as text are
 * lib/netdev's (netdev_param.c). */
#include <errno.h>
#include <string.h>

#include <nfos/net_text.h>
#include <nfos/net_wire.h>

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
