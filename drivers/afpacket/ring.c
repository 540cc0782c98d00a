/* afpacket data path: the TPACKET_V3 rx block walker and the tx slot
 * filler (layouts in afpacket_priv.h). Frames are copied both ways: the
 * kernel's ring memory cannot become netbufs. Never prints. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/socket.h>
#include "afpacket_priv.h"

/* A frame's header and its sockaddr_ll: the least a frame occupies. */
#define AFP_RX_FRAME_MIN (AFP_RX_SLL_OFF + sizeof(struct sockaddr_ll))
/* The kernel aligns frames in a block to 8 bytes (V3_ALIGNMENT). */
#define AFP_RX_ALIGN 8

static inline struct tpacket_block_desc *afp_block(const struct afp_rxq *q)
{
    return (struct tpacket_block_desc *)(q->ring + (size_t)q->block * q->block_size);
}

/* Opens the current block if the kernel has retired it to us. */
static inline bool afp_block_open(struct afp_rxq *q, struct tpacket_block_desc *bd)
{
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER))
        return false;
    q->frames_left = bd->hdr.bh1.num_pkts;
    q->frame_off = bd->hdr.bh1.offset_to_first_pkt;
    q->open = true;
    return true;
}

/* Hands the block back to the kernel and moves on to the next. */
static inline void afp_block_release(struct afp_rxq *q, struct tpacket_block_desc *bd)
{
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    q->open = false;
    if (++q->block == q->block_nr)
        q->block = 0;
}

/* The frame at q->frame_off, or NULL when it or its data would leave the
 * block. */
static inline const struct tpacket3_hdr *afp_frame_check(const struct afp_rxq *q,
                                                         const uint8_t *block)
{
    uint32_t off = q->frame_off, left;
    const struct tpacket3_hdr *h;

    if (unlikely(off < sizeof(struct tpacket_block_desc) ||
                 off > q->block_size - AFP_RX_FRAME_MIN || off % AFP_RX_ALIGN))
        return NULL;
    h = (const struct tpacket3_hdr *)(block + off);
    left = q->block_size - off;
    if (unlikely(h->tp_mac < AFP_RX_FRAME_MIN || h->tp_mac > left ||
                 h->tp_snaplen > left - h->tp_mac))
        return NULL;
    return h;
}

/* Copies frame h into a netbuf: 1 (in *out), 0 when dropped (counted) or
 * skipped, -1 when the pool is empty (the frame stays). */
static inline int afp_frame_copy(struct afp_rxq *q, const struct tpacket3_hdr *h,
                                 struct netbuf **out)
{
    const struct sockaddr_ll *sll = (const void *)((const uint8_t *)h + AFP_RX_SLL_OFF);
    const uint8_t *data = (const uint8_t *)h + h->tp_mac;
    uint32_t len = h->tp_snaplen, tag = 0;
    struct netbuf *nb;
    uint8_t *dst;

    if (q->skip_outgoing && sll->sll_pkttype == PACKET_OUTGOING)
        return 0;
    if (h->tp_status & TP_STATUS_VLAN_VALID)
        tag = AFP_VLAN_HLEN;
    /* Cut short by the kernel (longer than a block), or too long for us. */
    if (unlikely(len < h->tp_len || len + tag > q->room || (tag && len < 12))) {
        q->stats.errors++;
        return 0;
    }
    if (unlikely(!(nb = netbuf_alloc(q->pool))))
        return -1;
    dst = netbuf_data(nb);
    if (likely(!tag)) {
        memcpy(dst, data, len);
    } else {
        /* The kernel moved the tag out of the frame: put it back. */
        uint16_t tpid = h->tp_status & TP_STATUS_VLAN_TPID_VALID ? h->hv1.tp_vlan_tpid : 0x8100;
        uint16_t tci = (uint16_t)h->hv1.tp_vlan_tci;

        memcpy(dst, data, 12);
        dst[12] = (uint8_t)(tpid >> 8);
        dst[13] = (uint8_t)tpid;
        dst[14] = (uint8_t)(tci >> 8);
        dst[15] = (uint8_t)tci;
        memcpy(dst + 16, data + 12, len - 12);
    }
    nb->len = nb->pkt_len = len + tag;
    nb->port = q->port;
    q->stats.bytes += len + tag;
    *out = nb;
    return 1;
}

uint16_t afp_rx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct afp_rxq *q = queue;
    uint16_t got = 0;

    while (got < n) {
        struct tpacket_block_desc *bd = afp_block(q);
        const struct tpacket3_hdr *h;
        int r;

        if (!q->open && !afp_block_open(q, bd))
            break;
        if (!q->frames_left) {
            afp_block_release(q, bd);
            continue;
        }
        if (unlikely(!(h = afp_frame_check(q, (const uint8_t *)bd)))) {
            q->stats.errors++; /* the rest of the block cannot be trusted */
            afp_block_release(q, bd);
            continue;
        }
        if (unlikely((r = afp_frame_copy(q, h, &pkts[got])) < 0))
            break;
        got = (uint16_t)(got + r);
        /* Offsets only grow, by a frame at least, and stay in the block:
         * a block cannot make the walker loop or leave it. */
        if (--q->frames_left == 0) {
            afp_block_release(q, bd);
        } else if (unlikely(h->tp_next_offset < AFP_RX_FRAME_MIN ||
                            h->tp_next_offset > q->block_size - q->frame_off)) {
            q->stats.errors++;
            afp_block_release(q, bd);
        } else {
            q->frame_off += h->tp_next_offset;
        }
    }
    q->stats.packets += got;
    if (!got)
        q->stats.empty_polls++;
    return got;
}

/* The kernel sends at most MTU + header bytes, 4 more for a VLAN tag. */
static inline bool afp_tx_len_ok(const struct afp_txq *q, const struct netbuf *nb)
{
    uint32_t len = nb->pkt_len;
    const uint8_t *e = netbuf_data(nb);

    if (likely(len >= AFP_ETH_HLEN && len <= q->max_len))
        return true;
    return len >= AFP_ETH_HLEN && len <= q->max_len + AFP_VLAN_HLEN && nb->len >= AFP_ETH_HLEN &&
           e[12] == 0x81 && e[13] == 0x00;
}

uint16_t afp_tx_burst(void *queue, struct netbuf **pkts, uint16_t n)
{
    struct afp_txq *q = queue;
    uint16_t i;

    for (i = 0; i < n; i++) {
        struct tpacket3_hdr *h = (void *)(q->ring + (size_t)q->head * q->frame_size);
        struct netbuf *nb = pkts[i], *seg;
        uint8_t *dst = (uint8_t *)h + AFP_TX_DATA_OFF;

        if (__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE)
            break; /* the kernel has not sent this slot yet: ring full */
        if (unlikely(!afp_tx_len_ok(q, nb))) {
            q->stats.errors++;
            netbuf_free(nb);
            continue;
        }
        for (seg = nb; seg; seg = seg->next) {
            memcpy(dst, netbuf_data(seg), seg->len);
            dst += seg->len;
        }
        h->tp_len = nb->pkt_len;
        h->tp_next_offset = 0;
        __atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
        if (++q->head == q->frame_nr)
            q->head = 0;
        q->stats.packets++;
        q->stats.bytes += nb->pkt_len;
        q->unflushed = true;
        netbuf_free(nb);
    }
    q->stats.drops += (uint64_t)(n - i);
    /* One system call for the burst; one that fails (the device queue
     * full) leaves the slots marked, and the next burst tries again. */
    if (q->unflushed && sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
        q->unflushed = false;
    return i;
}
