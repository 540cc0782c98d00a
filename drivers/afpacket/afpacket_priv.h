/* afpacket: the two mmap'ed rings and their bursts, apart from the socket
 * set-up so that unit tests can drive them over rings made in memory.
 *
 * rx, TPACKET_V3: the ring is block_nr blocks of block_size bytes. The
 * kernel fills a block with variable-sized frames, then retires it
 * (block_status = TP_STATUS_USER); we copy its frames out in order and hand
 * it back (TP_STATUS_KERNEL) once all are consumed. Everything in a block
 * is checked before it is followed: a frame that does not lie inside its
 * block ends the block (counted in errors).
 *
 *   block: | tpacket_block_desc | frame | frame | ... |
 *   frame: | tpacket3_hdr | sockaddr_ll | pad | data (at tp_mac) |
 *           `--- tp_next_offset to the next frame --->
 *
 * tx, TPACKET_V3: frame_nr fixed slots of frame_size bytes, a power of two
 * that divides the block size, so slot i is at ring + i * frame_size:
 *
 *   slot: | tpacket3_hdr (tp_status, tp_len) | data at AFP_TX_DATA_OFF |
 *
 * We fill AVAILABLE slots in order, mark them SEND_REQUEST, and one
 * sendto() per burst asks the kernel to send them; it marks each AVAILABLE
 * again once the device is done with it. */
#ifndef NFOS_AFPACKET_PRIV_H
#define NFOS_AFPACKET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/if_packet.h>
#include <nfos/netdev_driver.h>

/* Where the kernel reads a tx frame's data: the V3 header, aligned. */
#define AFP_TX_DATA_OFF TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
/* Where the sockaddr_ll of an rx frame sits. */
#define AFP_RX_SLL_OFF TPACKET_ALIGN(sizeof(struct tpacket3_hdr))
#define AFP_ETH_HLEN   14
#define AFP_VLAN_HLEN  4

struct afp_rxq {
    struct netdev_queue_stats stats;
    uint8_t *ring;
    uint32_t block_size;
    uint32_t block_nr;
    uint32_t block;     /* the block being read, or waited for */
    bool open;          /* block is retired and being read */
    bool skip_outgoing; /* the kernel lacks PACKET_IGNORE_OUTGOING */
    uint16_t port;
    uint32_t frames_left; /* frames of the open block not yet consumed */
    uint32_t frame_off;   /* offset in the block of the next one */
    uint32_t room;        /* tailroom of a fresh netbuf of pool */
    struct pool *pool;
} __nfos_cache_aligned;

struct afp_txq {
    struct netdev_queue_stats stats;
    uint8_t *ring;
    uint32_t frame_size;
    uint32_t frame_nr;
    uint32_t head;    /* the next slot to fill */
    uint32_t max_len; /* longest frame the kernel sends: MTU + Ethernet header */
    int fd;
    bool unflushed; /* frames marked SEND_REQUEST that no sendto() took yet */
} __nfos_cache_aligned;

/* rx: copies up to n frames of retired blocks into netbufs of q->pool.
 * Frames the kernel cut short (tp_snaplen < tp_len) or longer than the
 * netbuf's tailroom are counted in errors and dropped; with skip_outgoing,
 * our own transmitted frames are skipped. A VLAN tag the kernel took out
 * of the frame (TP_STATUS_VLAN_VALID) is put back. When the pool is empty
 * the frame stays in the ring for the next call. */
uint16_t afp_rx_burst(void *queue, struct netbuf **pkts, uint16_t n);

/* tx: copies frames into free slots, frees them, and flushes with one
 * sendto(MSG_DONTWAIT). A frame shorter than an Ethernet header or longer
 * than max_len (max_len + 4 when VLAN-tagged) is counted in errors and
 * freed. When no slot is free the burst stops: the rest stays the caller's
 * (drops). */
uint16_t afp_tx_burst(void *queue, struct netbuf **pkts, uint16_t n);

#endif /* NFOS_AFPACKET_PRIV_H */
