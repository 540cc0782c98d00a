/* The probes' virtio-net driver side (probe.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "probe.h"

struct nfvm_mem probe_mem;
struct nfvm_vnet probe_dev;

uint32_t probe_rd(uint64_t off)
{
    uint32_t v = 0;

    if (nfvm_vnet_mmio(&probe_dev, off, (uint8_t *)&v, 4, false) < 0) {
        fprintf(stderr, "probe: register %#llx refused\n", (unsigned long long)off);
        exit(1);
    }
    return v;
}

void probe_wr(uint64_t off, uint32_t v)
{
    if (nfvm_vnet_mmio(&probe_dev, off, (uint8_t *)&v, 4, true) < 0) {
        fprintf(stderr, "probe: register %#llx = %#x refused\n", (unsigned long long)off, v);
        exit(1);
    }
}

uint8_t *probe_at(uint64_t gpa)
{
    return probe_mem.host + gpa;
}

uint64_t probe_desc(unsigned q)
{
    return PROBE_RINGS + (uint64_t)q * 0x10000;
}

uint16_t probe_used_idx(unsigned q)
{
    return __atomic_load_n((uint16_t *)(void *)probe_at(probe_desc(q) + 0x2002), __ATOMIC_ACQUIRE);
}

uint64_t probe_features(uint64_t want, uint64_t *offered)
{
    uint64_t offer, f;

    probe_wr(0x070, 0);
    probe_wr(0x070, 1 | 2);
    probe_wr(0x014, 0);
    offer = probe_rd(0x010);
    probe_wr(0x014, 1);
    offer |= (uint64_t)probe_rd(0x010) << 32;
    if (offered)
        *offered = offer;
    f = offer & want;
    for (uint32_t h = 0; h < 2; h++) {
        probe_wr(0x024, h);
        probe_wr(0x020, (uint32_t)(f >> (32 * h)));
    }
    probe_wr(0x070, 1 | 2 | 8);
    return f;
}

void probe_queue_setup(unsigned q, uint16_t qn)
{
    uint64_t d = probe_desc(q);

    probe_wr(0x030, q);
    probe_wr(0x038, qn);
    probe_wr(0x080, (uint32_t)d);
    probe_wr(0x084, 0);
    probe_wr(0x090, (uint32_t)(d + 0x1000));
    probe_wr(0x094, 0);
    probe_wr(0x0a0, (uint32_t)(d + 0x2000));
    probe_wr(0x0a4, 0);
    probe_wr(0x044, 1);
}

/* VIRTIO_NET_CTRL_MQ command c with data_len bytes of data, already at
 * cmd + 16, on control queue q (the ack at cmd + PROBE_CMD_ACK): the ack. */
static uint8_t probe_ctrl_mq(unsigned q, uint8_t c, uint32_t data_len, uint64_t cmd)
{
    uint8_t *d = probe_at(probe_desc(q)), hdr[2] = { 4, c };
    uint64_t addr[3] = { cmd, cmd + 16, cmd + PROBE_CMD_ACK };
    uint32_t len[3] = { 2, data_len, 1 };
    uint16_t flags[3] = { 1, 1, 2 }, next[3] = { 1, 2, 0 }, zero = 0;
    uint8_t *avail = probe_at(probe_desc(q) + 0x1000);

    memcpy(probe_at(cmd), hdr, 2);
    *probe_at(cmd + PROBE_CMD_ACK) = 0xee;
    for (int i = 0; i < 3; i++) {
        memcpy(d + 16 * i, &addr[i], 8);
        memcpy(d + 16 * i + 8, &len[i], 4);
        memcpy(d + 16 * i + 12, &flags[i], 2);
        memcpy(d + 16 * i + 14, &next[i], 2);
    }
    memcpy(avail + 4, &zero, 2);
    __atomic_store_n((uint16_t *)(void *)(avail + 2), (uint16_t)1, __ATOMIC_RELEASE);
    probe_wr(0x050, q);
    return *probe_at(cmd + PROBE_CMD_ACK);
}

uint8_t probe_pairs_set(unsigned q, uint16_t n, uint64_t cmd)
{
    memcpy(probe_at(cmd + 16), &n, 2);
    return probe_ctrl_mq(q, 0, 2, cmd);
}

/* The key nfos's driver programs. */
static const uint8_t ms_key[VIRTIO_NET_RSS_KEY_MIN] = VIRTIO_NET_RSS_KEY_MS;

uint8_t probe_rss_set(unsigned q, uint16_t n, uint64_t cmd)
{
    uint8_t *d = probe_at(cmd + 16), *t = d + 8 + 2 * 128;
    uint32_t types = 7;
    uint16_t mask = 127, zero = 0;

    memcpy(d, &types, 4);
    memcpy(d + 4, &mask, 2);
    memcpy(d + 6, &zero, 2);
    for (uint16_t i = 0; i < 128; i++) {
        uint16_t e = i % n;

        memcpy(d + 8 + 2 * i, &e, 2);
    }
    memcpy(t, &n, 2);
    t[2] = sizeof(ms_key);
    memcpy(t + 3, ms_key, sizeof(ms_key));
    return probe_ctrl_mq(q, 1, (uint32_t)(t + 3 + sizeof(ms_key) - d), cmd);
}
