/* netbuf pools and the slow-path chain helpers; the fast path is inline in
 * nfos/netbuf.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <nfos/netbuf.h>

#define NETBUF_ROOM_MAX 65535u

struct pool *netbuf_pool_create(const char *name, unsigned count, size_t priv_len, size_t headroom,
                                size_t data_room)
{
    size_t priv = NFOS_ALIGN_UP(priv_len, NFOS_CACHE_LINE);
    size_t obj_size = sizeof(struct netbuf) + priv + headroom + data_room;
    struct pool *p;
    unsigned i;

    if (count == 0 || priv_len > NETBUF_ROOM_MAX || headroom > NETBUF_ROOM_MAX || data_room == 0 ||
        data_room > NETBUF_ROOM_MAX) {
        fprintf(stderr,
                "netbuf: pool '%s': bad sizes (count %u, private %zu, headroom %zu, "
                "data room %zu; each at most %u, count and data room non-zero)\n",
                name, count, priv_len, headroom, data_room, NETBUF_ROOM_MAX);
        return NULL;
    }
    p = pool_create(name, obj_size, count, NFOS_CACHE_LINE);
    if (!p)
        return NULL;
    /* Every object once, through the pool's own stack: LIFO order is kept. */
    for (i = 0; i < count; i++) {
        struct netbuf *nb = (struct netbuf *)p->stack[i];

        memset(nb, 0, sizeof(*nb));
        nb->pool = p;
        nb->priv_len = (uint16_t)priv;
        nb->headroom = (uint16_t)headroom;
        nb->buf = (uint8_t *)(nb + 1) + priv;
        nb->buf_len = (uint32_t)(headroom + data_room);
        netbuf_reset(nb);
    }
    return p;
}

int netbuf_pool_destroy(struct pool *p)
{
    return pool_destroy(p);
}

int netbuf_ref(struct netbuf *nb)
{
    const struct netbuf *s;

    for (s = nb; s; s = s->next)
        if (s->refcnt == NETBUF_REFCNT_MAX)
            return -EOVERFLOW;
    for (; nb; nb = nb->next)
        nb->refcnt++;
    return 0;
}

int netbuf_chain(struct netbuf *head, struct netbuf *tail)
{
    if ((uint32_t)head->nb_segs + tail->nb_segs > UINT16_MAX ||
        (uint64_t)head->pkt_len + tail->pkt_len > UINT32_MAX)
        return -EOVERFLOW;
    netbuf_last(head)->next = tail;
    head->nb_segs = (uint16_t)(head->nb_segs + tail->nb_segs);
    head->pkt_len += tail->pkt_len;
    return 0;
}

void *netbuf_read(const struct netbuf *nb, uint32_t off, uint32_t len, void *dst)
{
    uint8_t *out = dst;

    if ((uint64_t)off + len > nb->pkt_len)
        return NULL;
    for (; nb && len; nb = nb->next) {
        uint32_t n;

        if (off >= nb->len) {
            off -= nb->len;
            continue;
        }
        n = NFOS_MIN(len, nb->len - off);
        memcpy(out, netbuf_data(nb) + off, n);
        out += n;
        len -= n;
        off = 0;
    }
    return len ? NULL : dst;
}

int netbuf_check(const struct netbuf *nb)
{
    const struct netbuf *s;
    uint64_t total = 0;
    unsigned segs = 0;

    for (s = nb; s; s = s->next) {
        if (s->refcnt == 0 || s->data_off > s->buf_len || s->len > s->buf_len - s->data_off)
            return -EINVAL;
        total += s->len;
        if (++segs > UINT16_MAX)
            return -EINVAL;
    }
    return total == nb->pkt_len && segs == nb->nb_segs ? 0 : -EINVAL;
}
