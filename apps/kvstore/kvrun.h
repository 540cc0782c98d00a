/* What kvstore and kvstore-dpdk share around their ports: kvstore's
 * options, the engines and lcores, the main loop and the exit. Each app's
 * main.c parses (with KVRUN_OPTS), calls kvrun_init, makes its pool and
 * opens its ports on lcores_main(), then kvrun_loop. Slow path but the
 * loop, which is the app's main loop. */
#ifndef KVSTORE_KVRUN_H
#define KVSTORE_KVRUN_H

#include <stddef.h>
#include <stdint.h>
#include <nfos/nfapp.h>
#include "kv.h"

struct kvrun {
    uint64_t epoch, max_dgrams, rate;
    size_t mem_limit, item_max;
    uint16_t udp_port;
};

/* clang-format off */
#define KVRUN_DEFAULTS { .max_dgrams = KV_REPLY_DGRAMS_DEFAULT, .mem_limit = 16 << 20, \
                         .item_max = 1 << 20, .udp_port = MCPROTO_PORT }
/* kvstore's option rows, into r (a struct kvrun) and app's limits. */
#define KVRUN_OPTS(app, r) \
    NFAPP_OPT_U16("--port", "N", (r).udp_port, 1, UINT16_MAX, "UDP port (default 11211)"), \
    NFAPP_OPT_SIZE("--mem-limit", "SIZE", (r).mem_limit, 1, SIZE_MAX, \
                   "item memory, K/M/G suffixes (default 16M; the index comes on top)"), \
    NFAPP_OPT_SIZE("--max-item-size", "SIZE", (r).item_max, 1, SIZE_MAX, \
                   "largest item as memcached -I counts it (default 1M, at most 1M)"), \
    NFAPP_OPT_COUNT("--epoch", "UNIXTIME", (r).epoch, 0, INT64_MAX, "the unix time at start"), \
    NFAPP_OPT_COUNT("--max-reply-dgrams", "N", (r).max_dgrams, 1, KV_MAX_DGRAMS, \
                    "datagrams one request may draw, 1.." NFAPP_STR(KV_MAX_DGRAMS) \
                    " (default " NFAPP_STR(KV_REPLY_DGRAMS_DEFAULT) ")"), \
    NFAPP_OPT_COUNT("--udp-rate", "R", (r).rate, 0, 10000000, \
                    "reply datagrams per second to each source address (default 0: no limit)"), \
    NFAPP_OPT_LIMITS(app, "REQUESTS", "requests")
/* clang-format on */

/* Lcore 0's engine over a table of r's sizes, then one worker per lcore
 * (lcores_init). 0, or 2 (main's status) after one line. */
int kvrun_init(const struct nfapp *app, const struct kvrun *r);

/* The ports are open: launches the other lcores, says ready, serves until
 * a limit or a stop, answers what was received, reports. Main's status
 * (nfapp_finish's: 1 when the pools do not balance), or 2 when an lcore
 * cannot start. */
int kvrun_loop(struct nfapp *app, const struct kvrun *r);

#endif /* KVSTORE_KVRUN_H */
