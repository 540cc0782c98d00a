/* nfapp: what every network-function app shares. The command line as an
 * option table (nfapp_opt.h), finding its ports with a clear message when
 * they are missing, the netbuf pool, the run limits (--count, --time, a
 * stop signal on linuxu) and the counters every app prints the same way,
 * every nfos.stats=N seconds and at exit, one line each (shown here in two):
 *
 *   l2fwd: total rx 1000 pkts 0.500 Mpp/s | tx 1000 pkts 0.500 Mpp/s
 *          | drops 0 | busy 45.6 cycles/pkt | 2.00 s
 *
 * ("interval" instead of "total" for the periodic lines.) Busy cycles per
 * packet: TSC cycles spent in loop iterations that moved packets, divided
 * by the packets they moved. The caller brackets such an iteration with
 * nfapp_now() and nfapp_busy(). At exit it also accounts for every packet
 * buffer of the pools it made (nfapp_pools_check), one line:
 *
 *   l2fwd: netbufs: 4096 in 1 pool(s), 3840 home, 256 in port rings,
 *          0 lost, 0 double frees: balanced */
#ifndef NFOS_NFAPP_H
#define NFOS_NFAPP_H

#include <stdbool.h>
#include <stdint.h>
#include <nfos/arch/cpu.h>
#include <nfos/netdev.h>
#include <nfos/nfapp_opt.h>

#define NFAPP_BURST     32
#define NFAPP_POOL_BUFS 4096
#define NFAPP_POOLS_MAX 4 /* pools nfapp_pool makes and checks at exit */

/* The line of an app's --help (its about text) for the periodic report. */
#define NFAPP_STATS_HELP "  nfos.stats=N on the command line prints counters every N seconds.\n"

struct nfapp_counters {
    uint64_t rx, tx, drops;
    uint64_t rx_bytes, tx_bytes;
    uint64_t busy_cycles, busy_pkts;
};

/* Idle (nfos.idle_us=N, default NFAPP_IDLE_US; 0: always poll): when no
 * packet moved for N microseconds, nfapp_poll asks the platform to stop
 * the CPU until a frame arrives or the app's next timer is due
 * (nfos/plat/idle.h; served under nfvm and on linuxu, while under QEMU
 * the app keeps polling and only counts the periods). At exit one line:
 *
 *   pong: idle: 12 periods, 12 sleeps (11 woken by a frame, 1 by a timer), 2.514 s asleep */
#define NFAPP_IDLE_US 50

struct nfapp_idle {
    uint64_t cycles;  /* idle this long before yielding; 0: never */
    uint64_t mark;    /* packets moved, as of the last poll */
    uint64_t since;   /* TSC of the first poll that moved none; 0: moving */
    int state;        /* NFAPP_IDLE_* (nfapp.c) */
    uint64_t periods; /* times no packet moved for `cycles` */
    uint64_t sleeps, woken_frame, woken_timer, slept_ns;
    int unsupported; /* the platform cannot sleep: poll on */
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
    double max_seconds;                  /* --time as given */
    struct pool *pools[NFAPP_POOLS_MAX]; /* from nfapp_pool, checked at exit */
    unsigned npools;
    /* The app's own next timer (TSC), 0: none. An app that must act at a
     * time of its own (a clock, a send rate) sets it before each poll, so
     * that an idle sleep ends by then. */
    uint64_t wake_tsc;
    struct nfapp_idle idle;
};

/* The options every packet app has, as rows of its table: --count UNIT
 * (stop after UNIT WHAT: app.max_pkts) and --time SECONDS
 * (app.max_seconds); --burst N (1..NETDEV_BURST_MAX, into the uint64_t
 * var, whose default the app sets to NFAPP_BURST). */
/* clang-format off */
#define NFAPP_OPT_LIMITS(app, unit, what) \
    NFAPP_OPT_COUNT("--count", unit, (app).max_pkts, 0, UINT64_MAX, \
                    "stop after " unit " " what " (K/M/G suffixes)"), \
    NFAPP_OPT_SECONDS("--time", "SECONDS", (app).max_seconds, "stop after SECONDS")
#define NFAPP_OPT_BURST(var, what) \
    NFAPP_OPT_COUNT("--burst", "N", var, 1, NETDEV_BURST_MAX, what " per burst (1.." \
                    NFAPP_STR(NETDEV_BURST_MAX) ", default " NFAPP_STR(NFAPP_BURST) ")")
#define NFAPP_STR(x)  NFAPP_STR_(x)
#define NFAPP_STR_(x) #x
/* clang-format on */

/* The start of every app: sets up app (name for its report and error
 * lines), parses the command line with opts (nfapp_args_parse: about and
 * the table; --count and --time go into app, see NFAPP_OPT_LIMITS) and
 * starts the app's clock. Returns NFAPP_RUN, or the status main returns:
 * 0 after --help, 2 after a bad argument. */
int nfapp_start(struct nfapp *app, const char *name, const char *about,
                const struct nfapp_opt *opts, int argc, char **argv);

/* Port `port` started with one rx and one tx queue over pool: the device,
 * or NULL after one line saying what is missing (how to attach one). */
struct netdev *nfapp_port(struct nfapp *app, unsigned port, struct pool *pool);
/* The same with nq queue pairs (one per lcore that polls the port). */
struct netdev *nfapp_port_queues(struct nfapp *app, unsigned port, struct pool *pool, uint16_t nq);

/* The queue pairs port offers (netdev_info), 0 when there is no such port. */
uint16_t nfapp_port_max_queues(unsigned port);

/* How many ports an app that serves them all opens: netdev_count(), but at
 * least 1, so that when there is none, nfapp_port(app, 0, ...) says how to
 * attach one. */
static inline unsigned nfapp_port_count(void)
{
    return netdev_count() ? netdev_count() : 1;
}

/* A netbuf pool of count buffers (NETBUF_DATA_ROOM bytes each), or NULL
 * after one line. The app's first NFAPP_POOLS_MAX pools are checked at exit
 * (nfapp_pools_check). */
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
 * (a limit reached or a stop requested). Cheap: a few compares unless due
 * or idle; call it once per loop iteration with the count the limit
 * applies to. When rx, tx and that count have not moved for nfos.idle_us,
 * it yields the CPU (struct nfapp_idle above): the call may then block
 * until a frame arrives or a timer is due. */
bool nfapp_poll(struct nfapp *app, uint64_t pkts_for_limit);

/* Stops every started port (a driver then frees the tx frames the device
 * has taken) and checks that every netbuf of app's pools is home or held by
 * a port's driver (rx buffers posted to its ring, tx frames not yet
 * reclaimed: netdev_stats' bufs_held), and that no netbuf was freed twice
 * (pool stats.bad_puts). Prints the "netbufs:" line (top of this file),
 * which ends in "balanced" or in "NOT balanced". Returns 0 when balanced,
 * else -1. The app must have freed every buffer it still held. Exit path. */
int nfapp_pools_check(struct nfapp *app);

/* Prints the final line and, per port, the device counters, then checks the
 * pools (nfapp_pools_check). Returns 0, or 1 when the pools do not balance:
 * main's exit status. */
int nfapp_finish(struct nfapp *app);

/* With lib/net in the image (nfapp_net.c): */
struct net_parse_stats;

/* The unicast address of port dev (its ip parameter: ./nfos run --ip,
 * netdev.ip=) into *ip, network order: 0, or -EINVAL after one line that
 * says what to give. */
int nfapp_port_ipv4(const struct nfapp *app, const struct netdev *dev, uint32_t *ip);

/* Prints "APP: port N parsed: KIND COUNT ..." and one line per reason
 * malformed frames were dropped for. */
void nfapp_print_parse_stats(const struct nfapp *app, unsigned port,
                             const struct net_parse_stats *s);

#endif /* NFOS_NFAPP_H */
