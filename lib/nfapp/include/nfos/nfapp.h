/* nfapp: what every network-function app shares. Finding its ports with a
 * clear message when they are missing, the netbuf pool, the run limits
 * (--count, --time, a stop signal on linuxu) and the counters every app
 * prints the same way, every nfos.stats=N seconds and at exit:
 *
 *   APP: rx 1000 pkts 0.50 Mpp/s | tx 1000 pkts 0.50 Mpp/s | drops 0 | busy 45.6 cycles/pkt | 2.00
 * s
 *
 * Busy cycles per packet: TSC cycles spent in loop iterations that moved
 * packets, divided by the packets they moved. The caller brackets such an
 * iteration with nfapp_now() and nfapp_busy(). */
#ifndef NFOS_NFAPP_H
#define NFOS_NFAPP_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/netdev.h>

#define NFAPP_BURST     32
#define NFAPP_POOL_BUFS 4096

struct nfapp_counters {
    uint64_t rx, tx, drops;
    uint64_t rx_bytes, tx_bytes;
    uint64_t busy_cycles, busy_pkts;
};

struct nfapp {
    const char *name;
    struct nfapp_counters c;
    /* Limits: 0 means none. */
    uint64_t max_pkts;   /* --count: stop after this many packets (rx or tx, per app) */
    uint64_t max_cycles; /* --time: stop after this many TSC cycles */
    /* Reporting. */
    uint64_t start_tsc, next_report_tsc, report_every, tsc_hz;
    struct nfapp_counters last;
    uint64_t last_tsc;
};

/* Sets up app (name for the report lines, limits from --count N and
 * --time SECONDS already parsed by the app, 0 for none) and starts its
 * clock. */
void nfapp_init(struct nfapp *app, const char *name, uint64_t max_pkts, double max_seconds);

/* Port `port` started with one rx and one tx queue over pool: the device,
 * or NULL after one line saying what is missing (how to attach one). */
struct netdev *nfapp_port(struct nfapp *app, unsigned port, struct pool *pool);

/* A netbuf pool of count buffers (NETBUF_DATA_ROOM bytes each), or NULL
 * after one line. */
struct pool *nfapp_pool(struct nfapp *app, unsigned count);

static inline uint64_t nfapp_now(void)
{
    return arch_rdtsc();
}

/* Accounts one busy loop iteration started at t0 that moved pkts packets. */
static inline void nfapp_busy(struct nfapp *app, uint64_t t0, unsigned pkts)
{
    app->c.busy_cycles += arch_rdtsc() - t0;
    app->c.busy_pkts += pkts;
}

/* Prints the periodic line when due, and says whether the app should stop
 * (a limit reached or a stop requested). Cheap: one compare unless due;
 * call it once per loop iteration with the count the limit applies to. */
bool nfapp_poll(struct nfapp *app, uint64_t pkts_for_limit);

/* Prints the final line and, per port, the device counters. Returns 0. */
int nfapp_finish(struct nfapp *app);

/* Parses a count with an optional K/M/G (x1000) suffix, or seconds as a
 * decimal; -EINVAL when malformed. For the apps' option parsing. */
int nfapp_parse_count(const char *s, uint64_t *out);
int nfapp_parse_seconds(const char *s, double *out);

#endif /* NFOS_NFAPP_H */
