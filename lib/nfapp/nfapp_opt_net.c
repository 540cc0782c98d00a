/* The option kinds for addresses, over lib/net's strict text parsers;
 * built only when lib/net is in the image. */
#include <errno.h>
#include <nfos/net_text.h>
#include <nfos/net_wire.h>
#include <nfos/netdev.h>
#include <nfos/nfapp_opt.h>

_Static_assert(NET_ETH_ALEN == 6, "nfapp_opt_mac's destination is a uint8_t[6]");

static int parse_mac(const struct nfapp_opt *o, const char *s)
{
    return s ? netdev_mac_parse(s, o->dst) : -EINVAL;
}

static int parse_ipv4(const struct nfapp_opt *o, const char *s)
{
    return s ? net_ipv4_parse(s, o->dst, NULL) : -EINVAL;
}

const struct nfapp_opt_kind nfapp_opt_mac = { parse_mac, "a MAC address aa:bb:cc:dd:ee:ff" };
const struct nfapp_opt_kind nfapp_opt_ipv4 = { parse_ipv4, "an IPv4 address a.b.c.d" };
