/* The "nfos" mempool ops: a DPDK mbuf pool whose objects are the netbufs of
 * one nfos pool (lib/pool), laid out as nfos/dpdk_mbuf.h draws, so that an
 * nfos driver fills and frees the very buffers DPDK apps see as mbufs.
 * rte_pktmbuf_pool_create() uses these ops once net_nfos has made them the
 * platform's (net_nfos.c), or by name (rte_pktmbuf_pool_create_by_ops).
 *
 * DPDK still places its own object header in front of every mbuf and runs
 * rte_pktmbuf_init on each; enqueue and dequeue are the nfos pool's put and
 * get (its per-lcore caches behind DPDK's). Not supported: pools of
 * anything but packet mbufs, pinned external buffers, and memory in more
 * than one chunk (rte_mempool_populate_default asks for one). */
#include <errno.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <nfos/alloc.h>
#include <nfos/dpdk_mbuf.h>
#include <nfos/netbuf.h>
#include <nfos/pool.h>

#include "net_nfos_priv.h"

/* mp->pool_data. */
struct nfos_mp {
    struct pool pool;
    bool populated;
};

/* Bytes of one object: netbuf line, header line, then DPDK's element. */
static size_t nfos_mp_obj_size(const struct rte_mempool *mp)
{
    return DPDK_MBUF_OFF + mp->elt_size + mp->trailer_size;
}

static int nfos_mp_alloc(struct rte_mempool *mp)
{
    const struct rte_pktmbuf_pool_private *priv;
    struct nfos_mp *nm;

    if (mp->private_data_size < sizeof(*priv)) {
        NFOS_PMD_LOG(ERR, "mempool %s: the nfos ops make packet mbuf pools only", mp->name);
        return -EINVAL;
    }
    priv = rte_mempool_get_priv(mp);
    if (priv->flags & RTE_PKTMBUF_POOL_F_PINNED_EXT_BUF) {
        NFOS_PMD_LOG(ERR, "mempool %s: pinned external buffers are not netbufs", mp->name);
        return -ENOTSUP;
    }
    if (mp->elt_size !=
        sizeof(struct rte_mbuf) + priv->mbuf_priv_size + priv->mbuf_data_room_size) {
        NFOS_PMD_LOG(ERR, "mempool %s: element of %u bytes is not one mbuf and its buffer",
                     mp->name, mp->elt_size);
        return -EINVAL;
    }
    nm = rte_zmalloc_socket("nfos_mp", sizeof(*nm), RTE_CACHE_LINE_SIZE, mp->socket_id);
    if (!nm)
        return -ENOMEM;
    mp->pool_data = nm;
    return 0;
}

static void nfos_mp_free(struct rte_mempool *mp)
{
    struct nfos_mp *nm = mp->pool_data;

    if (!nm)
        return;
    /* The object memory is the mempool's (a memzone). The lcore caches
     * pool_cache_enable allocated are the pool's to free, but lib/pool
     * frees them only with pool_destroy, for pools it created. */
    if (nm->pool.caches)
        alloc_free(nm->pool.caches);
    rte_free(nm);
    mp->pool_data = NULL;
}

/* One contiguous chunk for the whole pool: pool_init carves it. */
static ssize_t nfos_mp_calc_mem_size(const struct rte_mempool *mp, uint32_t obj_num,
                                     uint32_t pg_shift, size_t *min_chunk_size, size_t *align)
{
    size_t size = pool_mem_size(nfos_mp_obj_size(mp), obj_num, NFOS_CACHE_LINE);

    if (!size)
        return -EINVAL;
    *min_chunk_size = size;
    *align = NFOS_CACHE_LINE;
    return (ssize_t)size;
}

/* The netbuf of a fresh object; its mbuf is DPDK's, initialised after
 * populate by rte_pktmbuf_init from the same pool private data. */
static void nfos_mp_netbuf_init(struct nfos_mp *nm, struct netbuf *nb, uint16_t mbuf_priv,
                                uint16_t room)
{
    memset(nb, 0, sizeof(*nb));
    nb->pool = &nm->pool;
    nb->priv_len = (uint16_t)(DPDK_MBUF_OFF - sizeof(*nb) + sizeof(struct rte_mbuf) + mbuf_priv);
    nb->buf = (uint8_t *)dpdk_mbuf_of(nb) + sizeof(struct rte_mbuf) + mbuf_priv;
    nb->buf_len = room;
    nb->headroom = (uint16_t)RTE_MIN((uint16_t)RTE_PKTMBUF_HEADROOM, room);
    netbuf_reset(nb);
}

static int nfos_mp_populate(struct rte_mempool *mp, unsigned int max_objs, void *vaddr,
                            rte_iova_t iova, size_t len, rte_mempool_populate_obj_cb_t *obj_cb,
                            void *obj_cb_arg)
{
    struct nfos_mp *nm = mp->pool_data;
    size_t obj_size = nfos_mp_obj_size(mp);
    size_t need = pool_mem_size(obj_size, max_objs, NFOS_CACHE_LINE);
    uint16_t mbuf_priv = rte_pktmbuf_priv_size(mp), room = rte_pktmbuf_data_room_size(mp);
    struct netbuf *list = NULL, *nb;
    unsigned i, n;

    if (nm->populated) {
        NFOS_PMD_LOG(ERR, "mempool %s: an nfos pool takes its memory in one chunk", mp->name);
        return -ENOTSUP;
    }
    if (!need ||
        pool_init(&nm->pool, vaddr, RTE_MIN(len, need), obj_size, NFOS_CACHE_LINE, mp->name))
        return -EINVAL;
    /* pool_init put every object on the stack; take them off in order
     * (object 0 first), set each up, and put them back in reverse, which
     * leaves object 0 on top again as pool_init had it. */
    n = pool_capacity(&nm->pool);
    for (i = 0; i < n; i++) {
        struct rte_mbuf *m;

        if (!(nb = pool_get(&nm->pool)))
            break; /* cannot happen: the pool is full */
        nfos_mp_netbuf_init(nm, nb, mbuf_priv, room);
        m = dpdk_mbuf_of(nb);
        obj_cb(mp, obj_cb_arg, m,
               iova == RTE_BAD_IOVA ? RTE_BAD_IOVA : iova + (uint64_t)((char *)m - (char *)vaddr));
        nb->next = list;
        list = nb;
    }
    n = i;
    while ((nb = list)) {
        list = nb->next;
        nb->next = NULL;
        pool_put(&nm->pool, nb);
    }
#if CONFIG_LIBLCORE_SMP
    /* Per-lcore caches as pool_create gives its pools: every lcore of a
     * DPDK app gets and puts (rx refill, tx completion, DPDK's flushes). */
    if (pool_cache_enable(&nm->pool, 0)) {
        NFOS_PMD_LOG(ERR, "mempool %s: no memory for the lcore caches", mp->name);
        return -ENOMEM;
    }
#endif
    nm->populated = true;
    return (int)n;
}

static int nfos_mp_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
    struct nfos_mp *nm = mp->pool_data;

    /* Their netbufs' refcnt is 0 already (nfos/dpdk_mbuf.h): the lines
     * are not touched. DPDK flushes its cache here, hundreds at once: one
     * bulk put, each mbuf turned into its netbuf on the way in. */
    pool_put_bulk_at(&nm->pool, objs, n, DPDK_MBUF_OFF);
    return 0;
}

static int nfos_mp_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
    struct nfos_mp *nm = mp->pool_data;
    unsigned i;

    if (unlikely(pool_get_bulk(&nm->pool, objs, n)))
        return -ENOBUFS;
    for (i = 0; i < n; i++)
        objs[i] = dpdk_mbuf_of(objs[i]);
    return 0;
}

static unsigned nfos_mp_get_count(const struct rte_mempool *mp)
{
    const struct nfos_mp *nm = mp->pool_data;

    return pool_capacity(&nm->pool) - pool_in_use(&nm->pool);
}

static struct rte_mempool_ops nfos_mp_ops = {
    .name = DPDK_MEMPOOL_OPS_NFOS,
    .alloc = nfos_mp_alloc,
    .free = nfos_mp_free,
    .enqueue = nfos_mp_enqueue,
    .dequeue = nfos_mp_dequeue,
    .get_count = nfos_mp_get_count,
    .calc_mem_size = nfos_mp_calc_mem_size,
    .populate = nfos_mp_populate,
};

RTE_MEMPOOL_REGISTER_OPS(nfos_mp_ops);

bool dpdk_mempool_is_nfos(const struct rte_mempool *mp)
{
    return mp && rte_mempool_get_ops(mp->ops_index)->enqueue == nfos_mp_enqueue;
}

struct pool *dpdk_mempool_pool(const struct rte_mempool *mp)
{
    struct nfos_mp *nm;

    if (!dpdk_mempool_is_nfos(mp) || !(nm = mp->pool_data) || !nm->populated)
        return NULL;
    return &nm->pool;
}
