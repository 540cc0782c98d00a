/* netbuf: the packet buffer. One object of a netbuf pool is
 *
 *   | struct netbuf (64 B) | private area | headroom | data | tailroom |
 *   ^ nb                   ^ netbuf_priv  ^ nb->buf  ^ netbuf_data(nb)
 *
 * cache-line aligned, carved from a fixed-size pool (lib/pool), so that a
 * driver can hand buf to a device (the address is the device address: the
 * identity map on kvm, and the address registered with a vhost-user backend
 * on linuxu) and the app can grow headers in front of the data without a
 * copy. Chains (next) carry frames larger than one buffer; pkt_len and
 * nb_segs are kept on the first segment. refcnt lets one buffer be sent on
 * two ports: netbuf_free() gives it back only when the last reference goes.
 *
 * Single-threaded per pool (one run-to-completion core), like everything on
 * the data path. Fast-path functions are inline, O(1), never print. */
#ifndef NFOS_NETBUF_H
#define NFOS_NETBUF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <nfos/assert.h>
#include <nfos/compiler.h>
#include <nfos/pool.h>

#define NETBUF_HEADROOM   128  /* default headroom: room for encapsulation */
#define NETBUF_DATA_ROOM  2048 /* default data room after the headroom */
#define NETBUF_REFCNT_MAX UINT16_MAX

/* flags */
#define NETBUF_F_RX_CSUM_OK 0x0001 /* the device checked L4 checksum */
#define NETBUF_F_TX_NO_CSUM 0x0002 /* the app leaves L4 checksum to no one */

struct netbuf {
    uint8_t *buf;        /* start of the headroom: the device address base */
    struct netbuf *next; /* next segment of a chain, or NULL */
    uint32_t data_off;   /* data starts at buf + data_off */
    uint32_t len;        /* data bytes in this segment */
    uint32_t pkt_len;    /* data bytes in the whole chain (first segment) */
    uint32_t buf_len;    /* headroom + data room: bytes from buf */
    uint16_t refcnt;     /* references; 1 when allocated */
    uint16_t nb_segs;    /* segments in the chain (first segment) */
    uint16_t port;       /* rx: port it came in on */
    uint16_t flags;      /* NETBUF_F_* */
    struct pool *pool;   /* the pool it goes back to */
    uint64_t user;       /* the app's 8 bytes (a timestamp, a flow id) */
    uint16_t priv_len;   /* bytes of private area after this struct */
    uint16_t headroom;   /* data_off after netbuf_reset */
} __nfos_cache_aligned;

_Static_assert(sizeof(struct netbuf) == NFOS_CACHE_LINE, "netbuf header is one cache line");

/* A pool of count netbufs, each with priv_len bytes of private area (rounded
 * up to a cache line), headroom bytes of headroom and data_room bytes after
 * it. Every object is initialised here (slow path, O(count)). Returns NULL
 * and prints one line when memory is short or the arguments are bad
 * (headroom > data_room + headroom limits, sizes over 64 KiB). */
struct pool *netbuf_pool_create(const char *name, unsigned count, size_t priv_len, size_t headroom,
                                size_t data_room);
/* Frees a netbuf pool: 0, or -EBUSY while buffers are out. */
int netbuf_pool_destroy(struct pool *p);

static inline uint8_t *netbuf_data(const struct netbuf *nb)
{
    return nb->buf + nb->data_off;
}

/* The private area (priv_len bytes, cache-line aligned). */
static inline void *netbuf_priv(struct netbuf *nb)
{
    return nb + 1;
}

static inline uint32_t netbuf_headroom(const struct netbuf *nb)
{
    return nb->data_off;
}

static inline uint32_t netbuf_tailroom(const struct netbuf *nb)
{
    return nb->buf_len - nb->data_off - nb->len;
}

static inline struct netbuf *netbuf_last(struct netbuf *nb)
{
    while (nb->next)
        nb = nb->next;
    return nb;
}

/* Back to the state of a fresh allocation: empty, one segment, headroom
 * restored. Does not touch refcnt, pool, buf or the private area. */
static inline void netbuf_reset(struct netbuf *nb)
{
    nb->next = NULL;
    nb->data_off = nb->headroom;
    nb->len = 0;
    nb->pkt_len = 0;
    nb->nb_segs = 1;
    nb->port = 0;
    nb->flags = 0;
}

/* An empty netbuf with refcnt 1, or NULL when the pool is empty (counted in
 * the pool's stats.empty). */
static inline struct netbuf *netbuf_alloc(struct pool *p)
{
    struct netbuf *nb = (struct netbuf *)pool_get(p);

    if (likely(nb != NULL)) {
        netbuf_reset(nb);
        nb->refcnt = 1;
    }
    return nb;
}

/* n empty netbufs, all or nothing: 0 or -ENOBUFS. */
static inline int netbuf_alloc_bulk(struct pool *p, struct netbuf **nbs, unsigned n)
{
    unsigned i;

    if (unlikely(pool_get_bulk(p, (void **)nbs, n)))
        return -ENOBUFS;
    for (i = 0; i < n; i++) {
        netbuf_reset(nbs[i]);
        nbs[i]->refcnt = 1;
    }
    return 0;
}

/* Drops one reference to one segment; gives it back to its pool when it was
 * the last. Returns the next segment. A segment already home (refcnt 0: a
 * double free, the caller's bug) is refused and counted in its pool's
 * stats.bad_puts, and NULL is returned: its next is stale, those segments
 * may belong to someone else by now. The check costs nothing more than the
 * refcount compare every free makes anyway, on the header line it reads. A
 * buffer freed twice after it was allocated again cannot be told from its
 * new owner's: that one goes home early (CONFIG_LIBPOOL_DEBUG cannot tell
 * either). */
static inline struct netbuf *netbuf_free_seg(struct netbuf *nb)
{
    struct netbuf *next = nb->next;

    if (unlikely(nb->refcnt != 1)) {
        if (nb->refcnt == 0) {
            nb->pool->stats.bad_puts++;
            return NULL;
        }
        nb->refcnt--;
        return next;
    }
    nb->refcnt = 0;
    pool_put(nb->pool, nb);
    return next;
}

/* Drops one reference to every segment of a chain (NULL is a no-op). */
static inline void netbuf_free(struct netbuf *nb)
{
    while (nb)
        nb = netbuf_free_seg(nb);
}

static inline void netbuf_free_bulk(struct netbuf **nbs, unsigned n)
{
    unsigned i;

    for (i = 0; i < n; i++)
        netbuf_free(nbs[i]);
}

/* One more reference to every segment: 0, or -EOVERFLOW (nothing changed)
 * when a segment already has NETBUF_REFCNT_MAX. */
int netbuf_ref(struct netbuf *nb);

/* Grows the data at the front by n bytes of the headroom; returns the new
 * data start, or NULL (nothing changed) when the headroom is too small. */
static inline uint8_t *netbuf_prepend(struct netbuf *nb, uint32_t n)
{
    if (unlikely(n > nb->data_off))
        return NULL;
    nb->data_off -= n;
    nb->len += n;
    nb->pkt_len += n;
    return netbuf_data(nb);
}

/* Grows the data of the last segment by n bytes of its tailroom; returns
 * where the new bytes go, or NULL (nothing changed) when it is too small. */
static inline uint8_t *netbuf_append(struct netbuf *nb, uint32_t n)
{
    struct netbuf *last = netbuf_last(nb);
    uint8_t *tail;

    if (unlikely(n > netbuf_tailroom(last)))
        return NULL;
    tail = netbuf_data(last) + last->len;
    last->len += n;
    nb->pkt_len += n;
    return tail;
}

/* Removes n bytes from the front of the first segment; returns the new data
 * start, or NULL (nothing changed) when the segment holds fewer. */
static inline uint8_t *netbuf_adj(struct netbuf *nb, uint32_t n)
{
    if (unlikely(n > nb->len))
        return NULL;
    nb->data_off += n;
    nb->len -= n;
    nb->pkt_len -= n;
    return netbuf_data(nb);
}

/* Removes n bytes from the end of the last segment: 0, or -EINVAL (nothing
 * changed) when the last segment holds fewer. */
static inline int netbuf_trim(struct netbuf *nb, uint32_t n)
{
    struct netbuf *last = netbuf_last(nb);

    if (unlikely(n > last->len))
        return -EINVAL;
    last->len -= n;
    nb->pkt_len -= n;
    return 0;
}

/* Sets a single-segment netbuf's data length (after a driver or the app
 * wrote the bytes): 0, or -EINVAL when len does not fit after data_off. */
static inline int netbuf_set_len(struct netbuf *nb, uint32_t len)
{
    if (unlikely(len > nb->buf_len - nb->data_off))
        return -EINVAL;
    nb->len = len;
    nb->pkt_len = len;
    return 0;
}

/* Appends chain tail to chain head: 0, or -EOVERFLOW (nothing changed) when
 * the segment count or the packet length would overflow. */
int netbuf_chain(struct netbuf *head, struct netbuf *tail);

/* Copies len bytes from offset off of the chain's data into dst; returns
 * dst, or NULL when the chain holds fewer than off + len bytes. */
void *netbuf_read(const struct netbuf *nb, uint32_t off, uint32_t len, void *dst);

/* Checks a chain's bookkeeping (lengths add up, offsets inside buffers,
 * refcounts non-zero, nb_segs right): 0 or -EINVAL. Slow; for tests and
 * debug checks. */
int netbuf_check(const struct netbuf *nb);

#endif /* NFOS_NETBUF_H */
