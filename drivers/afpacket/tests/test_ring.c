/* Unit tests for the afpacket rings against rings built in memory the way
 * the kernel lays them out: the TPACKET_V3 block walker (order, partial
 * bursts, wrap-around, corrupt blocks counted and not followed, frames cut
 * short or too long, our own frames, an empty pool, VLAN tags put back)
 * and the tx slot filler (exact bytes, one flush per burst, a full ring,
 * lengths the kernel would refuse, chains). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nfos/alloc.h>
#include "afpacket_priv.h"

#define ROOM    256 /* data room of the test netbufs */
#define BUFS    32
#define BS      4096 /* rx block size */
#define NB      4    /* rx blocks */
#define MAC_OFF 82   /* where the kernel puts a raw frame's data */
#define BLK_HDR NFOS_ALIGN_UP(sizeof(struct tpacket_block_desc), 8)
#define SLOT    2048
#define SLOTS   4
#define TX_MAX  1514

static struct pool *pool;
static uint8_t rx_ring[BS * NB] __attribute__((aligned(4096)));
static uint8_t tx_ring[SLOT * SLOTS] __attribute__((aligned(4096)));
static uint32_t fill_off[NB], last_frame[NB];
static struct afp_rxq rxq;
static struct afp_txq txq;
static int fds[2] = { -1, -1 };

static void setup(void)
{
    int b;

    pool = netbuf_pool_create("afp-test", BUFS, 0, 64, ROOM);
    cr_assert(pool);
    memset(rx_ring, 0xee, sizeof(rx_ring)); /* garbage outside what we write */
    for (b = 0; b < NB; b++) {
        struct tpacket_block_desc *bd = (void *)(rx_ring + b * BS);

        memset(bd, 0, BLK_HDR);
        bd->version = TPACKET_V3;
        bd->hdr.bh1.offset_to_first_pkt = BLK_HDR;
        bd->hdr.bh1.block_status = TP_STATUS_KERNEL;
        fill_off[b] = BLK_HDR;
    }
    memset(&rxq, 0, sizeof(rxq));
    rxq.ring = rx_ring;
    rxq.block_size = BS;
    rxq.block_nr = NB;
    rxq.room = ROOM;
    rxq.pool = pool;
    rxq.port = 1;

    memset(tx_ring, 0, sizeof(tx_ring)); /* every slot TP_STATUS_AVAILABLE */
    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds), 0);
    memset(&txq, 0, sizeof(txq));
    txq.ring = tx_ring;
    txq.frame_size = SLOT;
    txq.frame_nr = SLOTS;
    txq.max_len = TX_MAX;
    txq.fd = fds[0];
}

static void teardown(void)
{
    close(fds[0]);
    close(fds[1]);
    cr_assert_eq(pool_in_use(pool), 0, "every netbuf went back");
    cr_assert_eq(netbuf_pool_destroy(pool), 0);
}

TestSuite(afp, .init = setup, .fini = teardown);

static void pattern(uint8_t *p, size_t len, uint8_t seed)
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] = (uint8_t)(seed * 31 + i);
}

static struct tpacket_block_desc *block(int b)
{
    return (void *)(rx_ring + b * BS);
}

static struct tpacket3_hdr *frame_at(int b, uint32_t off)
{
    return (void *)(rx_ring + b * BS + off);
}

/* Appends a frame to block b as the kernel would; returns its header. */
static struct tpacket3_hdr *add_frame(int b, uint32_t len, uint8_t seed)
{
    struct tpacket_block_desc *bd = block(b);
    uint32_t off = fill_off[b];
    struct tpacket3_hdr *h = frame_at(b, off);
    struct sockaddr_ll *sll = (void *)((uint8_t *)h + AFP_RX_SLL_OFF);

    cr_assert(off + MAC_OFF + len <= BS, "test frame fits its block");
    memset(h, 0, MAC_OFF);
    h->tp_mac = MAC_OFF;
    h->tp_snaplen = h->tp_len = len;
    h->tp_status = TP_STATUS_USER;
    sll->sll_family = AF_PACKET;
    sll->sll_pkttype = PACKET_HOST;
    pattern((uint8_t *)h + MAC_OFF, len, seed);
    if (bd->hdr.bh1.num_pkts)
        frame_at(b, last_frame[b])->tp_next_offset = off - last_frame[b];
    last_frame[b] = off;
    fill_off[b] = NFOS_ALIGN_UP(off + MAC_OFF + len, 8);
    bd->hdr.bh1.num_pkts++;
    return h;
}

static void retire(int b)
{
    block(b)->hdr.bh1.block_status = TP_STATUS_USER;
}

static void expect_frame(struct netbuf *nb, size_t len, uint8_t seed)
{
    uint8_t want[ROOM];

    pattern(want, len, seed);
    cr_assert(nb);
    cr_expect_eq(nb->len, len);
    cr_expect_eq(nb->pkt_len, len);
    cr_expect_eq(nb->port, 1);
    cr_expect_eq(netbuf_check(nb), 0);
    cr_expect_arr_eq(netbuf_data(nb), want, len);
}

Test(afp, nothing_retired_is_an_empty_poll)
{
    struct netbuf *pkts[8];

    add_frame(0, 60, 1); /* filled but not retired: not ours yet */
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 0);
    cr_expect_eq(rxq.stats.empty_polls, 1);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
}

Test(afp, frames_of_a_retired_block_then_the_block_goes_back)
{
    struct netbuf *pkts[8];

    add_frame(0, 60, 1);
    add_frame(0, ROOM, 2);
    add_frame(0, 14, 3);
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 3);
    expect_frame(pkts[0], 60, 1);
    expect_frame(pkts[1], ROOM, 2);
    expect_frame(pkts[2], 14, 3);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    cr_expect_eq(rxq.block, 1);
    cr_expect_eq(rxq.stats.packets, 3);
    cr_expect_eq(rxq.stats.bytes, 60 + ROOM + 14);
    cr_expect_eq(rxq.stats.errors, 0);
    netbuf_free_bulk(pkts, 3);
}

Test(afp, a_block_is_kept_until_its_last_frame_is_taken)
{
    struct netbuf *pkts[8];

    add_frame(0, 60, 1);
    add_frame(0, 61, 2);
    add_frame(0, 62, 3);
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 2), 2);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_USER);
    cr_assert_eq(afp_rx_burst(&rxq, pkts + 2, 2), 1);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    expect_frame(pkts[0], 60, 1);
    expect_frame(pkts[1], 61, 2);
    expect_frame(pkts[2], 62, 3);
    netbuf_free_bulk(pkts, 3);
}

Test(afp, blocks_in_order_around_the_ring)
{
    struct netbuf *pkts[8];

    rxq.block = NB - 1;
    add_frame(NB - 1, 60, 1);
    add_frame(0, 70, 2);
    add_frame(0, 80, 3);
    add_frame(1, 90, 4);
    retire(NB - 1);
    retire(0);
    /* block 1 is filled but not retired: the walk stops there */
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 3);
    expect_frame(pkts[0], 60, 1);
    expect_frame(pkts[1], 70, 2);
    expect_frame(pkts[2], 80, 3);
    cr_expect_eq(rxq.block, 1);
    netbuf_free_bulk(pkts, 3);
    retire(1);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 90, 4);
    netbuf_free(pkts[0]);
}

/* Block 0 holds a good frame then the corruption set up by the caller;
 * block 1 a good frame. The good ones arrive, the bad one is one error,
 * the rest of block 0 is not followed, block 0 goes back. */
static void expect_corrupt_block_skipped(void)
{
    struct netbuf *pkts[8];

    add_frame(1, 99, 9);
    retire(0);
    retire(1);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 2);
    expect_frame(pkts[0], 60, 1);
    expect_frame(pkts[1], 99, 9);
    cr_expect_eq(rxq.stats.errors, 1);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    cr_expect_eq(block(1)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    netbuf_free_bulk(pkts, 2);
}

Test(afp, corrupt_next_offset_outside_the_block)
{
    struct tpacket3_hdr *h = add_frame(0, 60, 1);

    add_frame(0, 60, 2);
    h->tp_next_offset = BS; /* points past the block */
    expect_corrupt_block_skipped();
}

Test(afp, corrupt_next_offset_into_the_last_bytes)
{
    struct tpacket3_hdr *h = add_frame(0, 60, 1);

    add_frame(0, 60, 2);
    /* Inside the block, but no room there for a frame header. */
    h->tp_next_offset = BS - BLK_HDR - 8;
    expect_corrupt_block_skipped();
}

Test(afp, corrupt_frame_data_outside_the_block)
{
    struct tpacket3_hdr *h;

    add_frame(0, 60, 1);
    h = add_frame(0, 60, 2);
    h->tp_snaplen = h->tp_len = BS; /* data would run past the block */
    expect_corrupt_block_skipped();
}

Test(afp, corrupt_zero_next_offset_does_not_loop)
{
    struct tpacket3_hdr *h = add_frame(0, 60, 1);

    add_frame(0, 60, 2);
    h->tp_next_offset = 0;
    block(0)->hdr.bh1.num_pkts = 1000000;
    expect_corrupt_block_skipped();
}

Test(afp, corrupt_huge_frame_count_ends_at_the_block_end)
{
    struct netbuf *pkts[BUFS];
    uint16_t got;

    add_frame(0, 60, 1);
    /* The kernel says there are a million frames; after the real one the
     * "next" offset points into the 0xee garbage, which fails the checks. */
    frame_at(0, BLK_HDR)->tp_next_offset = NFOS_ALIGN_UP(MAC_OFF + 60, 8);
    block(0)->hdr.bh1.num_pkts = 1000000;
    retire(0);
    got = afp_rx_burst(&rxq, pkts, BUFS);
    cr_assert_eq(got, 1);
    expect_frame(pkts[0], 60, 1);
    cr_expect_eq(rxq.stats.errors, 1);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    netbuf_free(pkts[0]);
}

Test(afp, corrupt_first_offset)
{
    struct netbuf *pkts[8];

    add_frame(0, 60, 1);
    block(0)->hdr.bh1.offset_to_first_pkt = BS + 64;
    add_frame(1, 99, 9);
    retire(0);
    retire(1);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 99, 9);
    cr_expect_eq(rxq.stats.errors, 1);
    netbuf_free(pkts[0]);
}

Test(afp, frames_cut_short_or_too_long_are_errors)
{
    struct netbuf *pkts[8];
    struct tpacket3_hdr *h;

    h = add_frame(0, 100, 1);
    h->tp_len = 9000; /* the kernel kept only 100 bytes of it */
    add_frame(0, ROOM + 1, 2);
    add_frame(0, 50, 3);
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 50, 3);
    cr_expect_eq(rxq.stats.errors, 2);
    cr_expect_eq(rxq.stats.packets, 1);
    cr_expect_eq(rxq.stats.bytes, 50);
    netbuf_free(pkts[0]);
}

Test(afp, our_own_frames_are_skipped_when_the_kernel_does_not)
{
    struct netbuf *pkts[8];
    struct tpacket3_hdr *h;

    h = add_frame(0, 60, 1);
    ((struct sockaddr_ll *)((uint8_t *)h + AFP_RX_SLL_OFF))->sll_pkttype = PACKET_OUTGOING;
    add_frame(0, 61, 2);
    retire(0);
    rxq.skip_outgoing = true;
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 61, 2);
    cr_expect_eq(rxq.stats.errors, 0, "skipping is not an error");
    netbuf_free(pkts[0]);
}

Test(afp, outgoing_frames_pass_when_the_kernel_filters)
{
    struct netbuf *pkts[8];
    struct tpacket3_hdr *h;

    h = add_frame(0, 60, 1);
    ((struct sockaddr_ll *)((uint8_t *)h + AFP_RX_SLL_OFF))->sll_pkttype = PACKET_OUTGOING;
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    netbuf_free(pkts[0]);
}

Test(afp, empty_pool_leaves_the_frame_in_the_ring)
{
    struct netbuf *held[BUFS], *pkts[8];
    int i;

    for (i = 0; i < BUFS; i++)
        cr_assert(held[i] = netbuf_alloc(pool));
    add_frame(0, 60, 1);
    add_frame(0, 61, 2);
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 0);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_USER);
    netbuf_free(held[0]);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 60, 1);
    netbuf_free(pkts[0]);
    netbuf_free_bulk(held + 1, BUFS - 1);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 1);
    expect_frame(pkts[0], 61, 2);
    cr_expect_eq(block(0)->hdr.bh1.block_status, TP_STATUS_KERNEL);
    cr_expect_eq(rxq.stats.drops, 0, "nothing was lost");
    netbuf_free(pkts[0]);
}

Test(afp, vlan_tag_taken_out_by_the_kernel_is_put_back)
{
    struct netbuf *pkts[8];
    struct tpacket3_hdr *h;
    uint8_t want[80], *d;

    h = add_frame(0, 60, 1);
    h->tp_status |= TP_STATUS_VLAN_VALID | TP_STATUS_VLAN_TPID_VALID;
    h->hv1.tp_vlan_tci = 0x2123;
    h->hv1.tp_vlan_tpid = 0x88a8;
    h = add_frame(0, 60, 2);
    h->tp_status |= TP_STATUS_VLAN_VALID;
    h->hv1.tp_vlan_tci = 0x0005;
    h = add_frame(0, ROOM - 2, 3); /* with its tag, two bytes too long */
    h->tp_status |= TP_STATUS_VLAN_VALID;
    retire(0);
    cr_assert_eq(afp_rx_burst(&rxq, pkts, 8), 2);
    cr_expect_eq(rxq.stats.errors, 1);
    pattern(want, 12, 1);
    memcpy(want + 12, "\x88\xa8\x21\x23", 4);
    pattern(want + 16, 60, 1);
    memmove(want + 16, want + 16 + 12, 48);
    d = netbuf_data(pkts[0]);
    cr_expect_eq(pkts[0]->len, 64);
    cr_expect_arr_eq(d, want, 64);
    d = netbuf_data(pkts[1]);
    cr_expect_eq(pkts[1]->len, 64);
    cr_expect_arr_eq(d + 12, "\x81\x00\x00\x05", 4);
    netbuf_free_bulk(pkts, 2);
}

static struct netbuf *tx_frame(size_t len, uint8_t seed)
{
    struct netbuf *nb = netbuf_alloc(pool);

    cr_assert(nb);
    pattern(netbuf_append(nb, (uint32_t)len), len, seed);
    return nb;
}

static struct tpacket3_hdr *slot(int i)
{
    return (void *)(tx_ring + i * SLOT);
}

static void expect_slot(int i, size_t len, uint8_t seed)
{
    uint8_t want[ROOM * 3];

    pattern(want, len, seed);
    cr_expect_eq(slot(i)->tp_status, TP_STATUS_SEND_REQUEST);
    cr_expect_eq(slot(i)->tp_len, len);
    cr_expect_arr_eq((uint8_t *)slot(i) + AFP_TX_DATA_OFF, want, len);
}

/* Flush calls the "kernel" saw: each sendto(NULL, 0) is an empty datagram. */
static int flushes(void)
{
    char c;
    int n = 0;

    while (recv(fds[1], &c, 1, MSG_DONTWAIT) == 0)
        n++;
    return n;
}

Test(afp, tx_fills_slots_and_flushes_once_per_burst)
{
    struct netbuf *pkts[2] = { tx_frame(60, 1), tx_frame(ROOM, 2) };

    cr_assert_eq(afp_tx_burst(&txq, pkts, 2), 2);
    expect_slot(0, 60, 1);
    expect_slot(1, ROOM, 2);
    cr_expect_eq(slot(2)->tp_status, TP_STATUS_AVAILABLE);
    cr_expect_eq(txq.head, 2);
    cr_expect_eq(flushes(), 1);
    cr_expect_eq(txq.stats.packets, 2);
    cr_expect_eq(txq.stats.bytes, 60 + ROOM);
    cr_expect_eq(pool_in_use(pool), 0, "copied frames are freed");
}

Test(afp, tx_full_ring_leaves_the_rest_to_the_caller)
{
    struct netbuf *pkts[4];
    int i;

    for (i = 0; i < 4; i++)
        pkts[i] = tx_frame(60, (uint8_t)i);
    cr_assert_eq(afp_tx_burst(&txq, pkts, 3), 3);
    slot(0)->tp_status = TP_STATUS_AVAILABLE; /* the kernel sent slot 0 only */
    cr_assert_eq(afp_tx_burst(&txq, pkts + 3, 1), 1);
    expect_slot(3, 60, 3);
    for (i = 0; i < 4; i++)
        pkts[i] = tx_frame(60, (uint8_t)(10 + i));
    cr_assert_eq(afp_tx_burst(&txq, pkts, 4), 1, "one free slot: 0, after the wrap");
    expect_slot(0, 60, 10);
    cr_expect_eq(txq.head, 1);
    cr_expect_eq(txq.stats.drops, 3);
    cr_expect_eq(pool_in_use(pool), 3, "frames not taken stay the caller's");
    netbuf_free_bulk(pkts + 1, 3);
    cr_expect_eq(flushes(), 3);
}

static struct netbuf *tagged(struct netbuf *nb)
{
    netbuf_data(nb)[12] = 0x81;
    netbuf_data(nb)[13] = 0x00;
    return nb;
}

Test(afp, tx_lengths_the_kernel_would_refuse_are_errors)
{
    struct netbuf *pkts[6];

    txq.max_len = 100;                  /* an MTU of 86 */
    pkts[0] = tx_frame(13, 1);          /* shorter than an Ethernet header */
    pkts[1] = tx_frame(101, 2);         /* longer than the MTU allows */
    pkts[2] = tx_frame(104, 3);         /* 4 more, but not VLAN-tagged */
    pkts[3] = tagged(tx_frame(104, 4)); /* 4 more and tagged: sent */
    pkts[4] = tagged(tx_frame(105, 5)); /* tagged, still too long */
    pkts[5] = tx_frame(100, 6);         /* sent */
    cr_assert_eq(afp_tx_burst(&txq, pkts, 6), 6, "refused frames are taken (and freed)");
    cr_expect_eq(txq.stats.errors, 4);
    cr_expect_eq(txq.stats.packets, 2);
    cr_expect_eq(slot(0)->tp_len, 104);
    expect_slot(1, 100, 6);
    cr_expect_eq(slot(2)->tp_status, TP_STATUS_AVAILABLE);
    cr_expect_eq(pool_in_use(pool), 0);
}

Test(afp, tx_chain_is_copied_into_one_slot)
{
    struct netbuf *nb = tx_frame(ROOM, 1);
    uint8_t want[ROOM * 2 + 10];

    cr_assert_eq(netbuf_chain(nb, tx_frame(ROOM, 2)), 0);
    cr_assert_eq(netbuf_chain(nb, tx_frame(10, 3)), 0);
    txq.max_len = TX_MAX;
    cr_assert_eq(afp_tx_burst(&txq, &nb, 1), 1);
    pattern(want, ROOM, 1);
    pattern(want + ROOM, ROOM, 2);
    pattern(want + 2 * ROOM, 10, 3);
    cr_expect_eq(slot(0)->tp_len, sizeof(want));
    cr_expect_arr_eq((uint8_t *)slot(0) + AFP_TX_DATA_OFF, want, sizeof(want));
    cr_expect_eq(txq.stats.bytes, sizeof(want));
    cr_expect_eq(pool_in_use(pool), 0);
}
