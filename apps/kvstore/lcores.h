/* kvstore's lcores (issue 13): one worker per lcore, lcore i serving queue
 * pair i of every port that has one, engines over one shared table; the
 * per-lcore loop, its launch and stop, and the exit report that adds the
 * lcores up. Lcores are started through <kvio.h> (nfos lcores, or DPDK's
 * for kvstore-dpdk). Not here: opening ports (each app's main.c). */
#ifndef KVSTORE_LCORES_H
#define KVSTORE_LCORES_H

#include <stdbool.h>
#include <stdint.h>
#include "kvreq.h"

/* What one lcore has of its own (shared-nothing but the table and the
 * pool): its request state (engine, counters, --udp-rate buckets), queue
 * pair id of every port, its app counters. An lcore the devices have no
 * queue for idles. */
struct kvs_worker {
    struct kvreq_lcore lc;
    struct kvreq_port ports[NETDEV_MAX_PORTS];
    struct nfapp app; /* lcore 0: main's is used; others: a copy for their counters */
    unsigned id, nports;
    bool idle;
    volatile bool stop; /* main tells the others */
};

/* Lcore 0's worker (main's): its engine and ports are set up by main. */
struct kvs_worker *lcores_main(void);

/* Workers in use: 1 until lcores_init. */
unsigned lcores_count(void);

/* One worker per lcore (kvio_lcore_count), engines over lcore 0's table
 * (kv_init done); each gets --udp-rate / lcores (at least 1) per source.
 * 0, or 2 (main's status) after one line. */
int lcores_init(const struct nfapp *app, uint64_t rate);

/* Lcores 1 .. get a copy of every port of lcore 0's that has a queue for
 * them, main's pool and a copy of app for their counters; then they are
 * launched. 0, or 2 after one line. */
int lcores_start(const struct nfapp *app);

/* Stops the other lcores and waits for them (they answer what they hold). */
void lcores_stop(void);

/* Requests served by every lcore (for --count with several). */
uint64_t lcores_requests(void);

/* The exit report (every lcore's line, then the totals and each port's),
 * then the other lcores' app counters added to app's. After lcores_stop. */
void lcores_report(struct nfapp *app);

#endif /* KVSTORE_LCORES_H */
