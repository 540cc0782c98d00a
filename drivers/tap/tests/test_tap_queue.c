/* Unit tests for the tap data path over an AF_UNIX SOCK_SEQPACKET pair,
 * which keeps frame boundaries like a TAP fd: exact bytes both ways,
 * frames larger than the tailroom counted and never truncated, burst
 * limits, an empty pool, chains, refused and not-taken frames. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nfos/alloc.h>
#include "tap_priv.h"

#define ROOM 256 /* data room of the test netbufs */
#define BUFS 64

static struct pool *pool;
static int fds[2]; /* [0]: the driver's end, [1]: the kernel's side */
static struct tap_rxq rxq;
static struct tap_txq txq;

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN);
    pool = netbuf_pool_create("tap-test", BUFS, 0, 64, ROOM);
    cr_assert(pool);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, fds), 0);
    memset(&rxq, 0, sizeof(rxq));
    memset(&txq, 0, sizeof(txq));
    rxq.fd = txq.fd = fds[0];
    rxq.pool = pool;
    rxq.port = 3;
}

static void teardown(void)
{
    tap_rxq_flush(&rxq);
    close(fds[0]);
    if (fds[1] >= 0)
        close(fds[1]);
    cr_assert_eq(pool_in_use(pool), 0, "every netbuf went back");
    cr_assert_eq(netbuf_pool_destroy(pool), 0);
}

TestSuite(tap, .init = setup, .fini = teardown);

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static void peer_send(size_t len, uint8_t seed)
{
    uint8_t buf[4096];

    fill(buf, len, seed);
    cr_assert_eq(send(fds[1], buf, len, 0), (ssize_t)len);
}

static void expect_frame(struct netbuf *nb, size_t len, uint8_t seed)
{
    uint8_t want[4096];

    fill(want, len, seed);
    cr_expect_eq(nb->len, len);
    cr_expect_eq(nb->pkt_len, len);
    cr_expect_eq(nb->port, 3);
    cr_expect_eq(netbuf_check(nb), 0);
    cr_expect_arr_eq(netbuf_data(nb), want, len);
}

Test(tap, rx_reads_frames_exactly)
{
    struct netbuf *pkts[8];

    peer_send(60, 1);
    peer_send(ROOM, 2); /* exactly the tailroom: fits */
    peer_send(14, 3);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 3);
    expect_frame(pkts[0], 60, 1);
    expect_frame(pkts[1], ROOM, 2);
    expect_frame(pkts[2], 14, 3);
    cr_expect_eq(rxq.stats.packets, 3);
    cr_expect_eq(rxq.stats.bytes, 60 + ROOM + 14);
    cr_expect_eq(rxq.stats.errors, 0);
    cr_expect_eq(rxq.stats.empty_polls, 0);
    netbuf_free_bulk(pkts, 3);
}

Test(tap, rx_nothing_queued_is_an_empty_poll)
{
    struct netbuf *pkts[8];

    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 0);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 0);
    cr_expect_eq(rxq.stats.empty_polls, 2);
    cr_expect_eq(rxq.stats.packets, 0);
    cr_expect_eq(pool_in_use(pool), 1, "one spare netbuf kept for the next read");
}

Test(tap, rx_frame_larger_than_tailroom_is_counted_not_truncated)
{
    struct netbuf *pkts[8];

    peer_send(ROOM + 1, 1);
    peer_send(3000, 2);
    peer_send(100, 3);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 100, 3);
    cr_expect_eq(rxq.stats.errors, 2);
    cr_expect_eq(rxq.stats.packets, 1);
    cr_expect_eq(rxq.stats.bytes, 100);
    netbuf_free(pkts[0]);
}

Test(tap, rx_makes_at_most_n_reads)
{
    struct netbuf *pkts[8];
    int i;

    for (i = 0; i < 5; i++)
        peer_send(64, (uint8_t)i);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 2), 2);
    expect_frame(pkts[0], 64, 0);
    expect_frame(pkts[1], 64, 1);
    netbuf_free_bulk(pkts, 2);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 3);
    expect_frame(pkts[2], 64, 4);
    netbuf_free_bulk(pkts, 3);
    /* Oversized frames use up reads too: a flood of them cannot hold the
     * caller in rx_burst. */
    peer_send(ROOM + 10, 9);
    peer_send(64, 10);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 1), 0);
    cr_expect_eq(rxq.stats.errors, 1);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 64, 10);
    netbuf_free(pkts[0]);
}

Test(tap, rx_pool_empty_leaves_frames_queued)
{
    struct netbuf *held[BUFS], *pkts[8];
    int i;

    for (i = 0; i < BUFS; i++)
        cr_assert(held[i] = netbuf_alloc(pool));
    peer_send(80, 5);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 0);
    cr_expect_eq(rxq.stats.drops, 0, "nothing lost yet: the frame waits in the queue");
    netbuf_free(held[0]);
    cr_assert_eq(tap_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 80, 5);
    netbuf_free(pkts[0]);
    netbuf_free_bulk(held + 1, BUFS - 1);
}

static struct netbuf *frame(size_t len, uint8_t seed)
{
    struct netbuf *nb = netbuf_alloc(pool);

    cr_assert(nb);
    fill(netbuf_append(nb, (uint32_t)len), len, seed);
    return nb;
}

static void expect_peer_got(const uint8_t *want, size_t len)
{
    uint8_t buf[4096];

    cr_assert_eq(recv(fds[1], buf, sizeof(buf), MSG_DONTWAIT), (ssize_t)len);
    cr_expect_arr_eq(buf, want, len);
}

Test(tap, tx_writes_frames_and_chains_exactly)
{
    struct netbuf *pkts[2];
    uint8_t want[600];

    pkts[0] = frame(60, 1);
    pkts[1] = frame(200, 2);
    cr_assert_eq(netbuf_chain(pkts[1], frame(200, 3)), 0);
    cr_assert_eq(netbuf_chain(pkts[1], frame(150, 4)), 0);
    cr_assert_eq(tap_tx_burst(&txq, pkts, 2), 2);
    fill(want, 60, 1);
    expect_peer_got(want, 60);
    fill(want, 200, 2);
    fill(want + 200, 200, 3);
    fill(want + 400, 150, 4);
    expect_peer_got(want, 550);
    cr_expect_eq(txq.stats.packets, 2);
    cr_expect_eq(txq.stats.bytes, 610);
    cr_expect_eq(txq.stats.errors, 0);
    cr_expect_eq(pool_in_use(pool), 0, "sent frames are freed");
}

Test(tap, tx_refused_frames_are_errors_and_freed)
{
    struct netbuf *pkts[3] = { frame(60, 1), frame(60, 2), frame(60, 3) };

    close(fds[1]); /* writes now fail with EPIPE */
    fds[1] = -1;
    cr_assert_eq(tap_tx_burst(&txq, pkts, 3), 3, "refused frames are taken (and freed)");
    cr_expect_eq(txq.stats.errors, 3);
    cr_expect_eq(txq.stats.packets, 0);
    cr_expect_eq(pool_in_use(pool), 0);
}

Test(tap, tx_would_block_leaves_the_rest_to_the_caller)
{
    struct netbuf *pkts[BUFS];
    int sndbuf = 1; /* the kernel's minimum: a few frames */
    uint16_t sent, i;

    /* The peer never reads: the send buffer fills. */
    cr_assert_eq(setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
    for (i = 0; i < BUFS; i++)
        pkts[i] = frame(60, (uint8_t)i);
    sent = tap_tx_burst(&txq, pkts, BUFS);
    cr_assert(sent > 0 && sent < BUFS, "sent %u", sent);
    cr_expect_eq(txq.stats.packets, sent);
    cr_expect_eq(txq.stats.drops, BUFS - sent);
    cr_expect_eq(txq.stats.errors, 0);
    cr_expect_eq(pool_in_use(pool), BUFS - sent, "frames not taken stay the caller's");
    netbuf_free_bulk(pkts + sent, BUFS - sent);
}
