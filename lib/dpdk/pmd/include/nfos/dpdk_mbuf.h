/* dpdk_mbuf: one packet buffer that is at once an nfos netbuf and a DPDK
 * rte_mbuf, the zero copy of net_nfos. An object of an "nfos" mempool
 * (mempool_nfos.c; rte_pktmbuf_pool_create gives them) is
 *
 *   | struct netbuf | pad, objhdr | struct rte_mbuf | mbuf priv | headroom | data room |
 *   ^ nb: the nfos pool's object  ^ m = nb + DPDK_MBUF_OFF   ^ nb->buf == m->buf_addr
 *
 * The mbuf lives in the netbuf's private area; DPDK's own object header
 * (struct rte_mempool_objhdr, written by the mempool right before m) sits in
 * the pad line between them. So both headers always describe one buffer:
 * nb->buf and m->buf_addr are the same address, nb->buf_len and m->buf_len
 * the same length, and converting between them is an add or a subtract.
 *
 * Who owns a buffer decides which header is current:
 *   - free (in the nfos pool, or in DPDK's mempool cache): the mbuf is as
 *     DPDK keeps every free mbuf (refcnt 1, next NULL, nb_segs 1); the
 *     netbuf's refcnt is 0 once the nfos pool has it;
 *   - held by an nfos driver (posted for rx, in flight on tx): the netbuf;
 *     the mbuf stays as a free one, because the driver gives it back with
 *     netbuf_free() straight into the nfos pool;
 *   - held by the DPDK app, or free in DPDK's mempool cache: the mbuf; the
 *     netbuf header is stale but for its refcnt, which is 0 as in the nfos
 *     pool. So a buffer is free-shaped for nfos wherever DPDK holds it
 *     (netbuf_free's double-free check refuses it there too, where it
 *     would otherwise put a buffer that DPDK's cache also holds), and the
 *     mempool takes buffers back without touching their netbuf lines.
 *     dpdk_mbuf_from_rx() zeroes it, tx puts the 1 the driver frees, and
 *     net_nfos zeroes it again on a frame the driver did not take.
 * dpdk_mbuf_from_rx() and dpdk_netbuf_from_tx() move a buffer across; they
 * write only the fields the other side reads. Fast path: inline, no checks
 * beyond what their comments say (net_nfos makes the rest). */
#ifndef NFOS_DPDK_MBUF_H
#define NFOS_DPDK_MBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <nfos/compiler.h>
#include <nfos/netbuf.h>

/* The mbuf's offset from its netbuf: the netbuf's line, then the line whose
 * tail holds DPDK's object header. */
#define DPDK_MBUF_OFF (2 * NFOS_CACHE_LINE)

/* The mempool ops name of the pools whose mbufs are netbufs. */
#define DPDK_MEMPOOL_OPS_NFOS "nfos"

_Static_assert(sizeof(struct netbuf) == NFOS_CACHE_LINE, "the netbuf header is one line");
_Static_assert(DPDK_MBUF_OFF - sizeof(struct netbuf) >= sizeof(struct rte_mempool_objhdr),
               "DPDK's object header fits between the netbuf and the mbuf");
_Static_assert(DPDK_MBUF_OFF % RTE_CACHE_LINE_SIZE == 0, "the mbuf stays cache aligned");
_Static_assert(offsetof(struct rte_mbuf, data_off) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, pkt_len) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, data_len) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, ol_flags) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, pool) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, nb_segs) < RTE_CACHE_LINE_MIN_SIZE &&
                   offsetof(struct rte_mbuf, buf_len) < RTE_CACHE_LINE_MIN_SIZE,
               "rx and tx conversions touch only the mbuf's first cache line");
/* An nfos mempool's buffers are at most UINT16_MAX bytes (the mbuf's
 * buf_len): every netbuf offset in them fits the mbuf's 16-bit fields. */
_Static_assert(sizeof(((struct rte_mbuf *)0)->buf_len) == 2, "mbuf buffers are under 64 KiB");

static inline struct rte_mbuf *dpdk_mbuf_of(struct netbuf *nb)
{
    return (struct rte_mbuf *)((char *)nb + DPDK_MBUF_OFF);
}

/* Pointer arithmetic only: meaningful for an mbuf of an nfos mempool. */
static inline struct netbuf *dpdk_netbuf_of(struct rte_mbuf *m)
{
    return (struct netbuf *)((char *)m - DPDK_MBUF_OFF);
}

/* The conversions below move whole words where several fields sit side
 * by side and hold constants or values at hand (what DPDK's vector PMDs do
 * with rearm_data): four word stores into the mbuf on rx; on tx, where the
 * mbuf's fields are scattered, a store per field read and one immediate
 * word. memcpy keeps that within C's aliasing rules and compiles to one
 * load or store. These are the layouts they rely on. */

_Static_assert(offsetof(struct rte_mbuf, refcnt) == offsetof(struct rte_mbuf, data_off) + 2 &&
                   offsetof(struct rte_mbuf, nb_segs) == offsetof(struct rte_mbuf, data_off) + 4 &&
                   offsetof(struct rte_mbuf, port) == offsetof(struct rte_mbuf, data_off) + 6 &&
                   offsetof(struct rte_mbuf, ol_flags) == offsetof(struct rte_mbuf, data_off) + 8,
               "rx words: data_off, refcnt, nb_segs, port, then ol_flags");
_Static_assert(offsetof(struct rte_mbuf, pkt_len) == offsetof(struct rte_mbuf, packet_type) + 4 &&
                   offsetof(struct rte_mbuf, data_len) ==
                       offsetof(struct rte_mbuf, packet_type) + 8 &&
                   offsetof(struct rte_mbuf, vlan_tci) ==
                       offsetof(struct rte_mbuf, packet_type) + 10,
               "rx words: packet_type and pkt_len, then data_len and vlan_tci");
_Static_assert(offsetof(struct netbuf, nb_segs) == offsetof(struct netbuf, refcnt) + 2 &&
                   offsetof(struct netbuf, port) == offsetof(struct netbuf, refcnt) + 4 &&
                   offsetof(struct netbuf, flags) == offsetof(struct netbuf, refcnt) + 6,
               "tx word: refcnt, nb_segs, port, flags");

/* An mbuf's rearm word: data_off 0, refcnt 1, nb_segs 1, port. The rx
 * queue keeps it; dpdk_mbuf_from_rx ORs data_off in. */
static inline uint64_t dpdk_mbuf_rearm(uint16_t port)
{
    return (1ULL << 16) | (1ULL << 32) | ((uint64_t)port << 48);
}

/* The rest of a frame's chain, for dpdk_mbuf_from_rx. */
static inline void dpdk_mbuf_from_rx_segs(struct rte_mbuf *m, struct netbuf *nb)
{
    struct rte_mbuf *seg = m;
    struct netbuf *s;

    m->nb_segs = nb->nb_segs;
    for (s = nb->next; s; s = s->next) {
        seg->next = dpdk_mbuf_of(s);
        seg = seg->next;
        s->refcnt = 0; /* the app's now (see above) */
        seg->data_off = (uint16_t)s->data_off;
        seg->data_len = (uint16_t)s->len;
    }
}

/* A frame an nfos driver received into nb (len, pkt_len, data_off, next,
 * nb_segs, flags set; every segment from an nfos mempool) handed to DPDK:
 * its mbuf, rearm being dpdk_mbuf_rearm(the DPDK port). The mbuf of every
 * segment is a free one (see above): next is NULL already. packet_type
 * and vlan_tci are 0 (no offload sets them). Every segment's netbuf
 * refcnt becomes 0, on the line the driver has just written. */
static inline struct rte_mbuf *dpdk_mbuf_from_rx(struct netbuf *nb, uint64_t rearm)
{
    struct rte_mbuf *m = dpdk_mbuf_of(nb);
    uint64_t w = rearm | nb->data_off;
    uint32_t lens = nb->len; /* data_len, and vlan_tci 0 */

    /* Word by word: gcc makes the first two one 16-byte store by itself,
     * and the code it gives for these stores measured no slower than an
     * explicit vector pair. */
    memcpy(&m->rearm_data, &w, sizeof(w));
    m->ol_flags = (uint64_t)(nb->flags & NETBUF_F_RX_CSUM_OK) << 8;
    w = (uint64_t)nb->pkt_len << 32; /* packet_type 0 */
    memcpy(&m->packet_type, &w, sizeof(w));
    memcpy(&m->data_len, &lens, sizeof(lens));
    nb->refcnt = 0;
    if (unlikely(nb->next != NULL))
        dpdk_mbuf_from_rx_segs(m, nb);
    return m;
}
_Static_assert(NETBUF_F_RX_CSUM_OK << 8 == RTE_MBUF_F_RX_L4_CKSUM_GOOD,
               "the rx checksum flag maps by a shift");

/* Whether an mbuf can go to an nfos driver as its netbuf, no copy: one
 * segment, direct, refcnt 1 and from mp, a pool the caller already knows to
 * be an nfos mempool. One branch for the caller: the tests are combined,
 * and need no 64-bit constant (refcnt and nb_segs are one 32-bit word,
 * the two flags the top bits but one of ol_flags), so that a loop keeps
 * its registers. Reads the mbuf's first cache line only. */
static inline bool dpdk_mbuf_tx_direct(const struct rte_mbuf *m, const struct rte_mempool *mp)
{
    uint32_t one; /* refcnt, nb_segs */

    memcpy(&one, &m->refcnt, sizeof(one));
    return ((one ^ 0x00010001u) | ((m->ol_flags >> 61) & 3) |
            ((uintptr_t)m->pool ^ (uintptr_t)mp)) == 0;
}
_Static_assert((RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL) == 3ULL << 61,
               "the indirect and external flags are ol_flags' bits 61 and 62");

/* An mbuf DPDK hands over for tx as the netbuf the nfos driver sends. Only
 * for a direct, one-segment mbuf of an nfos mempool with refcnt 1 (the
 * caller checks); the mbuf is left as a free one, as it already is.
 * buf_len is not written: one buffer, whose length only an attach of
 * another buffer changes (an indirect or external mbuf, never direct);
 * port is left 0, tx does not read it. */
static inline struct netbuf *dpdk_netbuf_from_tx(struct rte_mbuf *m)
{
    struct netbuf *nb = dpdk_netbuf_of(m);
    /* refcnt 1, nb_segs 1, port 0, flags 0 */
    uint64_t c = 1 | 1ULL << 16;

    /* Field by field, an immediate for the rest: fewer instructions than
     * building two words (or a vector) of four loads and storing those. */
    nb->next = NULL;
    nb->data_off = m->data_off;
    nb->len = m->data_len;
    nb->pkt_len = m->pkt_len;
    memcpy(&nb->refcnt, &c, sizeof(c));
    return nb;
}

/* A frame the driver did not take back in the app's hands: every
 * segment's netbuf refcnt 0 again (see above). */
static inline void dpdk_netbuf_untx(struct netbuf *nb)
{
    for (; nb; nb = nb->next)
        nb->refcnt = 0;
}

/* True when mp's objects are netbufs (its ops are "nfos"). Slow path. */
bool dpdk_mempool_is_nfos(const struct rte_mempool *mp);

/* The nfos pool behind an nfos mempool (what netdev_rxq_setup takes), or
 * NULL for any other mempool or one not populated yet. Slow path. */
struct pool *dpdk_mempool_pool(const struct rte_mempool *mp);

#endif /* NFOS_DPDK_MBUF_H */
