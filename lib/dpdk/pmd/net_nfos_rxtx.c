/* net_nfos bursts: one call into the nfos driver's burst each way, the
 * buffers handed across as they are (nfos/dpdk_mbuf.h). rx never copies: a
 * queue takes only an nfos mempool. tx copies only what an nfos driver
 * cannot own: mbufs of other mempools, indirect or external ones, and
 * mbufs someone else holds a reference to (refcnt > 1); each copy is
 * counted. No locks, no allocation, no printing. */
#include <string.h>
#include <rte_mbuf.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/netbuf.h>

#include "net_nfos_priv.h"

uint16_t nfos_pmd_rx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
    struct nfos_pmd_rxq *q = queue;
    const uint64_t rearm = q->rearm; /* kept in a register: the stores below may alias q */
    uint16_t got, i;

    /* The driver fills the caller's array with netbufs; each slot is then
     * overwritten with that netbuf's mbuf (read through memcpy: the slot's
     * type is the mbuf pointer's). */
    got = q->burst(q->drvq, (struct netbuf **)(void *)pkts, RTE_MIN(n, NFOS_PMD_BURST));
    for (i = 0; i < got; i++) {
        struct netbuf *nb;

        memcpy(&nb, &pkts[i], sizeof(nb));
        pkts[i] = dpdk_mbuf_from_rx(nb, rearm);
    }
    return got;
}

/* A chain of nfos-mempool mbufs, each direct with refcnt 1, as the netbuf
 * chain of the same buffers; false (nothing changed) for anything else.
 * The mbufs are left free-shaped (next NULL, nb_segs 1): the driver gives
 * the netbufs straight back to their pools. */
static bool nfos_pmd_tx_chain(struct rte_mbuf *m, struct netbuf **out)
{
    struct rte_mbuf *s, *next;
    struct netbuf *prev = NULL;

    for (s = m; s; s = s->next)
        if (!dpdk_mempool_is_nfos(s->pool) || rte_mbuf_refcnt_read(s) != 1 ||
            (s->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)))
            return false;
    *out = dpdk_netbuf_from_tx(m);
    (*out)->nb_segs = m->nb_segs;
    for (s = m; s; s = next) {
        struct netbuf *nb = s == m ? *out : dpdk_netbuf_from_tx(s);

        if (prev)
            prev->next = nb;
        prev = nb;
        next = s->next;
        s->next = NULL;
        s->nb_segs = 1;
    }
    return true;
}

/* The mbuf chain back from a netbuf chain nfos_pmd_tx_chain made, for a
 * frame the driver did not take. */
static void nfos_pmd_tx_unchain(struct rte_mbuf *m, struct netbuf *nb)
{
    m->nb_segs = nb->nb_segs;
    for (; nb->next; nb = nb->next, m = m->next)
        m->next = dpdk_mbuf_of(nb->next);
}

/* A frame that cannot go as it is: zero copy as a chain, else copied into
 * one of the port's netbufs. 0 with *out set; -ENOBUFS when no copy buffer
 * is free now (try later); -EMSGSIZE when the frame cannot be sent. */
static __rte_noinline int nfos_pmd_tx_slow(struct nfos_pmd_txq *q, struct rte_mbuf *m,
                                           struct netbuf **out)
{
    struct netbuf *nb;
    const void *src;
    uint8_t *dst;

    if (nfos_pmd_tx_chain(m, out)) {
        q->mp = m->pool; /* an nfos mempool: its next mbufs take the fast way */
        return 0;
    }
    if (!(nb = netbuf_alloc(q->copy_pool)))
        return -ENOBUFS;
    /* rte_pktmbuf_read gives the data in place when it is contiguous, else
     * gathers it into dst; NULL when the chain holds fewer bytes than
     * pkt_len says. */
    if (!(dst = netbuf_append(nb, m->pkt_len)) ||
        !(src = rte_pktmbuf_read(m, 0, m->pkt_len, dst))) {
        netbuf_free(nb);
        return -EMSGSIZE;
    }
    if (src != dst)
        memcpy(dst, src, m->pkt_len);
    nb->port = m->port;
    q->copies++;
    *out = nb;
    return 0;
}

/* After a burst with slow frames: the originals of the copies sent are
 * freed. */
static void nfos_pmd_tx_copies_sent(struct rte_mbuf **pkts, struct netbuf **nbs, uint16_t sent)
{
    uint16_t i;

    for (i = 0; i < sent; i++)
        if (nbs[i] != dpdk_netbuf_of(pkts[i]))
            rte_pktmbuf_free(pkts[i]);
}

/* The frames the driver did not take go back to the app: copies dropped,
 * chains restored, and each buffer's netbuf refcnt 0 again. */
static void nfos_pmd_tx_unsent(struct rte_mbuf **pkts, struct netbuf **nbs, uint16_t n)
{
    uint16_t i;

    for (i = 0; i < n; i++) {
        if (nbs[i] != dpdk_netbuf_of(pkts[i])) {
            netbuf_free(nbs[i]);
            continue;
        }
        if (unlikely(nbs[i]->next != NULL))
            nfos_pmd_tx_unchain(pkts[i], nbs[i]);
        dpdk_netbuf_untx(nbs[i]);
    }
}

/* The direct frames at the front of pkts (n of them at most) into nbs, as
 * they are: how many. A loop of its own, the slow way out of line, so that
 * its constants and pointers stay in registers. */
static inline unsigned nfos_pmd_tx_direct(const struct rte_mempool *mp, struct rte_mbuf **pkts,
                                          struct netbuf **nbs, unsigned n)
{
    unsigned k;

    for (k = 0; k < n; k++) {
        struct rte_mbuf *m = pkts[k];

        if (unlikely(!dpdk_mbuf_tx_direct(m, mp)))
            break;
        nbs[k] = dpdk_netbuf_from_tx(m);
    }
    return k;
}

/* Takes up to want frames of pkts into nbs, the direct ones as they are
 * and the others through nfos_pmd_tx_slow; stops at a frame that cannot
 * go now. Returns how many, *slow how many took the slow way, *err why it
 * stopped early (0 when it did not). */
static uint16_t nfos_pmd_tx_take(struct nfos_pmd_txq *q, struct rte_mbuf **pkts,
                                 struct netbuf **nbs, uint16_t want, uint16_t *slow, int *err)
{
    unsigned k = nfos_pmd_tx_direct(q->mp, pkts, nbs, want);

    *slow = 0;
    *err = 0;
    while (unlikely(k < want)) {
        if ((*err = nfos_pmd_tx_slow(q, pkts[k], &nbs[k])))
            break;
        (*slow)++;
        k++;
        /* the slow way may have learnt a pool */
        k += nfos_pmd_tx_direct(q->mp, pkts + k, nbs + k, want - k);
    }
    return (uint16_t)k;
}

/* After a burst the driver did not take whole, its ring is full: the next
 * burst offers it one frame first and converts the rest only once that
 * one went. An app that retries at once (testpmd txonly, which counts such
 * bursts as busy) then pays one frame's conversion per burst that sends
 * nothing, not a burst's, as DPDK's own PMDs look at their free
 * descriptors first. */
uint16_t nfos_pmd_tx_burst(void *queue, struct rte_mbuf **pkts, uint16_t n)
{
    struct nfos_pmd_txq *q = queue;
    struct netbuf *nbs[NFOS_PMD_BURST];
    uint16_t done = 0;

    while (done < n) {
        uint16_t want = unlikely(q->full) ? 1 : RTE_MIN(n - done, NFOS_PMD_BURST), k, sent, slow;
        int err;

        k = nfos_pmd_tx_take(q, pkts + done, nbs, want, &slow, &err);
        if (k == 0) {
            if (err == -ENOBUFS)
                break;
            /* The first frame left can never go: taken and dropped. */
            rte_pktmbuf_free(pkts[done++]);
            q->dropped++;
            continue;
        }
        sent = q->burst(q->drvq, nbs, k);
        q->full = sent < k;
        if (unlikely(slow))
            nfos_pmd_tx_copies_sent(pkts + done, nbs, sent);
        if (sent < k) {
            nfos_pmd_tx_unsent(pkts + done + sent, nbs + sent, k - sent);
            done += sent;
            break;
        }
        done += sent;
    }
    return done;
}
