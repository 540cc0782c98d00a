/* tap data path: one read() or write() per frame on the non-blocking TAP fd.
 * A TAP hands frames one at a time, so there is no ring to batch over; the
 * cost is one system call per frame. Never prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>
#include "tap_priv.h"

uint16_t tap_rx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct tap_rxq *q = queue;
    uint16_t got = 0, reads;
    uint8_t over;

    for (reads = 0; reads < n; reads++) {
        struct netbuf *nb = q->spare ? q->spare : netbuf_alloc(q->pool);
        uint32_t room;
        ssize_t len;

        if (unlikely(!nb))
            break;
        q->spare = nb;
        room = netbuf_tailroom(nb);
        /* One byte past the tailroom tells a frame that does not fit from
         * one that fills it exactly: the TAP would cut it silently. */
        len = readv(q->fd, (struct iovec[2]){ { netbuf_data(nb), room }, { &over, sizeof(over) } },
                    2);
        if (len <= 0)
            break; /* EAGAIN: nothing queued; anything else: the TAP is gone */
        if (unlikely((size_t)len > room)) {
            q->stats.errors++;
            continue;
        }
        q->spare = NULL;
        nb->len = nb->pkt_len = (uint32_t)len;
        nb->port = q->port;
        q->stats.bytes += (uint64_t)len;
        pkts[got++] = nb;
    }
    q->stats.packets += got;
    if (!got)
        q->stats.empty_polls++;
    return got;
}

static ssize_t tap_write_chain(int fd, const struct netbuf *nb)
{
    struct iovec iov[TAP_TX_SEGS_MAX];
    int segs = 0;

    for (; nb; nb = nb->next) {
        if (unlikely(segs == TAP_TX_SEGS_MAX)) {
            errno = EMSGSIZE;
            return -1;
        }
        iov[segs].iov_base = netbuf_data(nb);
        iov[segs++].iov_len = nb->len;
    }
    return writev(fd, iov, segs);
}

uint16_t tap_tx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct tap_txq *q = queue;
    uint16_t i;

    for (i = 0; i < n; i++) {
        struct netbuf *nb = pkts[i];
        ssize_t done;

        if (likely(!nb->next))
            done = write(q->fd, netbuf_data(nb), nb->len);
        else
            done = tap_write_chain(q->fd, nb);
        if (unlikely(done < 0 && (errno == EAGAIN || errno == ENOBUFS)))
            break;
        if (likely(done == (ssize_t)nb->pkt_len)) {
            q->stats.packets++;
            q->stats.bytes += nb->pkt_len;
        } else {
            q->stats.errors++;
        }
        netbuf_free(nb);
    }
    q->stats.drops += (uint64_t)(n - i);
    return i;
}

void tap_rxq_flush(struct tap_rxq *q)
{
    netbuf_free(q->spare);
    q->spare = NULL;
}
