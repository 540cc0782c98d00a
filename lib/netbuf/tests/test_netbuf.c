/* Unit tests for lib/netbuf: layout and alignment, headroom and tailroom
 * arithmetic at the edges, chains, reads across segments, reference counts
 * and pool accounting, over lib/pool with a fake lib/alloc. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/alloc.h>
#include <nfos/netbuf.h>

static struct pool *pool;

static void setup(void)
{
    pool = netbuf_pool_create("test", 8, 40, NETBUF_HEADROOM, 256);
    cr_assert(pool);
}

static void teardown(void)
{
    cr_assert_eq(pool_in_use(pool), 0, "every netbuf went back");
    cr_assert_eq(netbuf_pool_destroy(pool), 0);
}

TestSuite(netbuf, .init = setup, .fini = teardown);

Test(netbuf, layout_and_fresh_state)
{
    struct netbuf *nb = netbuf_alloc(pool);

    cr_assert(nb);
    cr_expect_eq((uintptr_t)nb % NFOS_CACHE_LINE, 0);
    cr_expect_eq(nb->priv_len, 64, "private area rounded up to a cache line");
    cr_expect_eq((uint8_t *)netbuf_priv(nb), (uint8_t *)nb + 64);
    cr_expect_eq(nb->buf, (uint8_t *)nb + 128);
    cr_expect_eq((uintptr_t)nb->buf % NFOS_CACHE_LINE, 0);
    cr_expect_eq(netbuf_headroom(nb), NETBUF_HEADROOM);
    cr_expect_eq(netbuf_tailroom(nb), 256);
    cr_expect_eq(nb->len, 0);
    cr_expect_eq(nb->pkt_len, 0);
    cr_expect_eq(nb->nb_segs, 1);
    cr_expect_eq(nb->refcnt, 1);
    cr_expect_eq(nb->pool, pool);
    cr_expect_eq(netbuf_check(nb), 0);
    netbuf_free(nb);
}

Test(netbuf, bad_pool_arguments_fail_cleanly)
{
    cr_expect_null(netbuf_pool_create("x", 0, 0, 0, 2048));
    cr_expect_null(netbuf_pool_create("x", 4, 0, 0, 0));
    cr_expect_null(netbuf_pool_create("x", 4, 70000, 0, 2048));
    cr_expect_null(netbuf_pool_create("x", 4, 0, 70000, 2048));
    cr_expect_null(netbuf_pool_create("x", 4, 0, 0, 70000));
}

Test(netbuf, prepend_append_adj_trim_at_the_edges)
{
    struct netbuf *nb = netbuf_alloc(pool);
    uint8_t *p;

    cr_assert(nb);
    p = netbuf_append(nb, 256);
    cr_expect_eq(p, nb->buf + NETBUF_HEADROOM, "append fills the whole tailroom");
    cr_expect_eq(netbuf_tailroom(nb), 0);
    cr_expect_null(netbuf_append(nb, 1), "no tailroom left");
    cr_expect_eq(nb->len, 256);

    cr_expect_eq(netbuf_prepend(nb, NETBUF_HEADROOM), nb->buf);
    cr_expect_null(netbuf_prepend(nb, 1), "no headroom left");
    cr_expect_eq(nb->len, 256 + NETBUF_HEADROOM);
    cr_expect_eq(nb->pkt_len, nb->len);

    cr_expect_eq(netbuf_adj(nb, 14), nb->buf + 14);
    cr_expect_null(netbuf_adj(nb, nb->len + 1));
    cr_expect_eq(netbuf_trim(nb, 10), 0);
    cr_expect_eq(netbuf_trim(nb, nb->len + 1), -EINVAL);
    cr_expect_eq(nb->len, 256 + NETBUF_HEADROOM - 24);
    cr_expect_eq(netbuf_headroom(nb) + nb->len + netbuf_tailroom(nb), nb->buf_len);
    cr_expect_eq(netbuf_adj(nb, nb->len), netbuf_data(nb), "adj may empty it");
    cr_expect_eq(nb->len, 0);
    cr_expect_eq(netbuf_check(nb), 0);

    cr_expect_eq(netbuf_set_len(nb, netbuf_tailroom(nb) + 1), -EINVAL);
    cr_expect_eq(netbuf_set_len(nb, netbuf_tailroom(nb)), 0);
    netbuf_reset(nb);
    cr_expect_eq(netbuf_headroom(nb), NETBUF_HEADROOM);
    cr_expect_eq(nb->len, 0);
    netbuf_free(nb);
}

static struct netbuf *filled(uint8_t start, uint32_t len)
{
    struct netbuf *nb = netbuf_alloc(pool);
    uint8_t *p;
    uint32_t i;

    cr_assert(nb);
    p = netbuf_append(nb, len);
    cr_assert(p);
    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(start + i);
    return nb;
}

Test(netbuf, chains_keep_lengths_and_read_across_segments)
{
    struct netbuf *a = filled(0, 100), *b = filled(100, 50), *c = filled(150, 106);
    uint8_t out[256];
    unsigned i;

    cr_assert_eq(netbuf_chain(b, c), 0);
    cr_assert_eq(netbuf_chain(a, b), 0);
    cr_expect_eq(a->nb_segs, 3);
    cr_expect_eq(a->pkt_len, 256);
    cr_expect_eq(netbuf_last(a), c);
    cr_expect_eq(netbuf_check(a), 0);
    cr_assert_eq(netbuf_read(a, 0, 256, out), out);
    for (i = 0; i < 256; i++)
        cr_assert_eq(out[i], (uint8_t)i, "byte %u", i);
    cr_assert_eq(netbuf_read(a, 95, 60, out), out, "across two boundaries");
    for (i = 0; i < 60; i++)
        cr_assert_eq(out[i], (uint8_t)(95 + i));
    cr_expect_null(netbuf_read(a, 200, 57, out), "past the end");
    cr_expect_null(netbuf_read(a, UINT32_MAX, 2, out), "offset overflow");

    /* append and trim work on the last segment, lengths on the first */
    cr_expect_null(netbuf_append(a, 151), "the last segment has 150 free");
    cr_expect(netbuf_append(a, 150));
    cr_expect_eq(a->pkt_len, 406);
    cr_expect_eq(netbuf_trim(a, 257), -EINVAL);
    cr_expect_eq(netbuf_trim(a, 256), 0);
    cr_expect_eq(c->len, 0);
    cr_expect_eq(netbuf_check(a), 0);

    a->pkt_len++;
    cr_expect_eq(netbuf_check(a), -EINVAL, "a wrong pkt_len is caught");
    a->pkt_len--;
    netbuf_free(a);
    cr_expect_eq(pool_in_use(pool), 0, "freeing the head frees the chain");
}

Test(netbuf, refcounts_free_on_the_last_reference)
{
    struct netbuf *a = filled(0, 10), *b = filled(0, 10);

    cr_assert_eq(netbuf_chain(a, b), 0);
    cr_assert_eq(netbuf_ref(a), 0);
    cr_expect_eq(a->refcnt, 2);
    cr_expect_eq(b->refcnt, 2);
    netbuf_free(a);
    cr_expect_eq(pool_in_use(pool), 2, "one reference left: nothing freed");
    cr_expect_eq(a->refcnt, 1);
    netbuf_free(a);
    cr_expect_eq(pool_in_use(pool), 0);

    a = filled(0, 1);
    a->refcnt = NETBUF_REFCNT_MAX;
    cr_expect_eq(netbuf_ref(a), -EOVERFLOW);
    cr_expect_eq(a->refcnt, NETBUF_REFCNT_MAX, "unchanged");
    a->refcnt = 1;
    netbuf_free(a);
}

Test(netbuf, exhaustion_and_bulk)
{
    struct netbuf *nbs[9];
    unsigned i;

    cr_expect_eq(netbuf_alloc_bulk(pool, nbs, 9), -ENOBUFS, "all or nothing");
    cr_expect_eq(pool_in_use(pool), 0);
    cr_assert_eq(netbuf_alloc_bulk(pool, nbs, 8), 0);
    for (i = 0; i < 8; i++)
        cr_expect_eq(nbs[i]->refcnt, 1);
    cr_expect_null(netbuf_alloc(pool));
    cr_expect_eq(pool->stats.empty, 2);
    netbuf_free_bulk(nbs, 8);
    netbuf_free(NULL);
}

Test(netbuf, chain_overflow_is_refused)
{
    struct netbuf *a = filled(0, 1), *b = filled(0, 1);

    a->nb_segs = UINT16_MAX;
    cr_expect_eq(netbuf_chain(a, b), -EOVERFLOW);
    cr_expect_null(a->next, "unchanged");
    a->nb_segs = 1;
    netbuf_free(a);
    netbuf_free(b);
}

/* A double free is refused and counted, in release and debug builds: the
 * pool keeps one copy of each buffer, and a stale chain is not followed
 * into a segment that has a new owner. */
Test(netbuf, double_free_is_caught_and_counted)
{
    struct netbuf *a, *b, *c, *d, *e;

    a = netbuf_alloc(pool);
    b = netbuf_alloc(pool);
    cr_assert(a && b);
    cr_assert_eq(netbuf_chain(a, b), 0);
    netbuf_free(a); /* a, then b home: b on top */
    cr_expect_eq(pool_avail(pool), 8);
    c = netbuf_alloc(pool);
    cr_expect_eq(c, b, "LIFO: the last one home comes first");
    netbuf_free(a); /* a twice: refused, and b (now c) is not touched */
    cr_expect_eq(pool->stats.bad_puts, 1);
    cr_expect_eq(c->refcnt, 1);
    cr_expect_eq(pool_avail(pool), 7);
    netbuf_free_seg(a);
    cr_expect_eq(pool->stats.bad_puts, 2);
    cr_expect_eq(pool_avail(pool), 7, "no buffer on the stack twice");
    d = netbuf_alloc(pool);
    cr_expect_eq(d, a);
    e = netbuf_alloc(pool);
    cr_expect_neq(e, a, "a handed out once only");
    cr_expect_eq(pool_avail(pool), 5);
    netbuf_free(c);
    netbuf_free(d);
    netbuf_free(e);
}

/* netbuf_free_bulk is netbuf_free of each, whatever the burst holds: plain
 * buffers, a chain, a shared buffer, another pool's buffer, and buffers
 * listed twice (a double free), refused and counted, never put twice. (A
 * bulk put of runs of plain buffers was tried for the drivers' tx
 * completion: callgrind counted more instructions per packet, not fewer.) */
Test(netbuf, free_bulk_is_free_of_each)
{
    struct pool *other = netbuf_pool_create("other", 2, 40, NETBUF_HEADROOM, 256);
    struct netbuf *nbs[8], *chain, *shared, *mine;

    cr_assert(other);
    cr_assert_eq(netbuf_alloc_bulk(pool, nbs, 3), 0);
    chain = filled(0, 1);
    cr_assert_eq(netbuf_chain(chain, filled(0, 1)), 0); /* pool: 5 in use */
    shared = netbuf_alloc(pool);
    cr_assert_eq(netbuf_ref(shared), 0);
    mine = netbuf_alloc(other);
    cr_assert(shared && mine);
    nbs[3] = chain;
    nbs[4] = shared;
    nbs[5] = mine;
    nbs[6] = nbs[0]; /* nbs[0] a second time */
    nbs[7] = nbs[1];
    netbuf_free_bulk(nbs, 8);
    cr_expect_eq(pool->stats.bad_puts, 2, "the two listed twice: refused");
    cr_expect_eq(pool_in_use(pool), 1, "the shared one keeps a reference");
    cr_expect_eq(shared->refcnt, 1);
    cr_expect_eq(pool_in_use(other), 0);
    cr_expect_eq(pool_avail(pool), 7, "no buffer home twice");
    netbuf_free(shared);
    cr_assert_eq(netbuf_pool_destroy(other), 0);
}
