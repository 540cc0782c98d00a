/* What nfapp offers apps that link lib/net: a port's own address and the
 * parse counters' report lines. Built only with lib/net. */
#include <errno.h>
#include <stdio.h>
#include <nfos/net.h>
#include <nfos/nfapp.h>

int nfapp_port_ipv4(const struct nfapp *app, const struct netdev *dev, uint32_t *ip)
{
    const char *s = netdev_param(dev, "ip");
    unsigned prefix;
    uint32_t a;

    if (!s) {
        fprintf(stderr, "%s: port %u (%s) has no address: give --ip ADDR/PREFIX (%s.ip=)\n",
                app->name, dev->port, dev->name, dev->param_prefix);
        return -EINVAL;
    }
    if (net_ipv4_parse(s, &a, &prefix) || !net_ipv4_is_unicast(a)) {
        fprintf(stderr, "%s: %s.ip=%s: expected a unicast ADDR/PREFIX, e.g. 10.0.0.2/24\n",
                app->name, dev->param_prefix, s);
        return -EINVAL;
    }
    *ip = a;
    return 0;
}

void nfapp_print_parse_stats(const struct nfapp *app, unsigned port,
                             const struct net_parse_stats *s)
{
    unsigned i;

    printf("%s: port %u parsed:", app->name, port);
    for (i = 0; i < NET_KIND_COUNT; i++)
        if (s->kind[i])
            printf(" %s %llu", net_kind_names[i], (unsigned long long)s->kind[i]);
    printf("\n");
    for (i = 1; i < NET_ERR_COUNT; i++)
        if (s->err[i])
            printf("%s: port %u dropped malformed (%s): %llu\n", app->name, port, net_err_names[i],
                   (unsigned long long)s->err[i]);
}
