/* net text, for the command line (slow path): IPv4 addresses and
 * prefixes. MACs as text are the netdev layer's (nfos/netdev.h:
 * netdev_mac_parse, netdev_mac_str), one parser for ports and apps. */
#ifndef NFOS_NET_TEXT_H
#define NFOS_NET_TEXT_H

#include <stdint.h>

/* --- Text, for the command line (slow path) ----------------------------- */

#define NET_IPV4_STRLEN 16 /* "255.255.255.255" and its NUL */

/* Parses "a.b.c.d", or "a.b.c.d/p" when prefix is not NULL (plain gives
 * 32): decimal octets 0..255 and p 0..32, without signs, spaces, leading
 * zeros ("01") or anything after. Returns 0, or -EINVAL with *addr and
 * *prefix untouched. */
int net_ipv4_parse(const char *s, uint32_t *addr, unsigned *prefix);

/* Writes "a.b.c.d" into buf; returns buf. */
char *net_ipv4_format(uint32_t addr, char buf[NET_IPV4_STRLEN]);

#endif /* NFOS_NET_TEXT_H */
