/* net: byte-level helpers for Ethernet, ARP, IPv4, ICMP echo and UDP, and
 * the internet checksum. Protocol helpers, not a stack: no sockets, no
 * routing, no timers, no allocation, no printing.
 *
 * This header is the apps' umbrella; lib/net itself and drivers include
 * the one they use: nfos/net_wire.h (byte order, headers, address tests),
 * net_csum.h, net_parse.h, net_build.h, net_reasm.h (IPv4 reassembly),
 * net_guard.h (whom to answer, how often) and net_text.h (IPv4 as text).
 *
 * Conventions, for every function below:
 * - Frames are plain bytes: `uint8_t *frame, size_t len` (frame[0] is the
 *   Ethernet destination), never a netbuf. Nothing here reads or writes
 *   outside [frame, frame + len) (or + cap where a function says so).
 * - IPv4 addresses are uint32_t in network byte order, as they sit in the
 *   header (NET_IPV4(192, 168, 0, 1) makes one); MACs are uint8_t[6].
 *   Every other number a function takes or returns (ports, lengths,
 *   ethertypes, ids) is in host order. Wire structs hold network order.
 * - Checksums are 16-bit values in memory order: store them into a header
 *   as they are, without net_htons.
 * - Errors are negative errno values, except net_frame_parse, which returns
 *   a negative reason code (enum net_err) so that drops can be counted by
 *   cause.
 * - "Fast path" functions never block, print or allocate; the rest are for
 *   set-up and the command line. */
#ifndef NFOS_NET_H
#define NFOS_NET_H

#include <nfos/net_build.h>
#include <nfos/net_csum.h>
#include <nfos/net_guard.h>
#include <nfos/net_parse.h>
#include <nfos/net_reasm.h>
#include <nfos/net_text.h>
#include <nfos/net_wire.h>
#include <nfos/netdev.h> /* MACs as text */

/* The names apps know for the netdev layer's MAC text functions. */
#define NET_MAC_STRLEN NETDEV_MAC_STRLEN

static inline int net_mac_parse(const char *s, uint8_t mac[NET_ETH_ALEN])
{
    return netdev_mac_parse(s, mac);
}

static inline char *net_mac_format(const uint8_t mac[NET_ETH_ALEN], char buf[NET_MAC_STRLEN])
{
    return netdev_mac_str(mac, buf);
}

#endif /* NFOS_NET_H */
