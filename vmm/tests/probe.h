/* The guest's virtio-net driver on nfvm's device registers, for the probe
 * programs that run nfvm's network backends without /dev/kvm and without a
 * guest (vhost_probe.c, tap_probe.c; probe.c): register reads and writes
 * through nfvm_vnet_mmio, as KVM's MMIO exits would make them, that end
 * the program (status 1) when nfvm refuses one; queue q's rings at
 * PROBE_RINGS + q * 64 KiB (descriptors, avail 4 KiB above, used 8 KiB
 * above); feature negotiation, queue set-up and VQ_PAIRS_SET on the
 * control queue. Each program lays out its own buffers. */
#ifndef NFVM_TESTS_PROBE_H
#define NFVM_TESTS_PROBE_H

#include <stdint.h>
#include "vnet.h"

#define PROBE_RINGS   0x200000ULL
#define PROBE_F_MAC   (1ULL << 5)
#define PROBE_F_MQ    ((1ULL << 17) | (1ULL << 22)) /* CTRL_VQ, MQ */
#define PROBE_F_RSS   (1ULL << 60)
#define PROBE_CMD_ACK 0x400 /* a control command's ack: past its data */

/* The guest's memory and the device; the program creates and inits them. */
extern struct nfvm_mem probe_mem;
extern struct nfvm_vnet probe_dev;

uint32_t probe_rd(uint64_t off);
void probe_wr(uint64_t off, uint32_t v);
/* The host address of guest address gpa (the probe's own layout only). */
uint8_t *probe_at(uint64_t gpa);
/* Queue q's descriptor table; its avail ring is 4 KiB and used 8 KiB above. */
uint64_t probe_desc(unsigned q);
uint16_t probe_used_idx(unsigned q);

/* Reset, ACKNOWLEDGE | DRIVER, then takes what the device offers of want
 * and sets FEATURES_OK: the features taken; *offered (unless NULL), what
 * was offered. */
uint64_t probe_features(uint64_t want, uint64_t *offered);
/* Queue q of qn entries on its rings, made ready. */
void probe_queue_setup(unsigned q, uint16_t qn);
/* VQ_PAIRS_SET n on control queue q, the command at guest address cmd
 * (PROBE_CMD_ACK + 1 bytes), kicked: the device's ack (0: done). */
uint8_t probe_pairs_set(unsigned q, uint16_t n, uint64_t cmd);
/* RSS_CONFIG as nfos's driver sends it for n pairs (Microsoft's key, IPv4,
 * TCPv4 and UDPv4, 128 entries, entry i on pair i % n, unclassified frames
 * on pair 0), the same way: the device's ack. */
uint8_t probe_rss_set(unsigned q, uint16_t n, uint64_t cmd);

#endif /* NFVM_TESTS_PROBE_H */
