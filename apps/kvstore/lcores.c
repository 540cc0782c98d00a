/* kvstore's lcores (lcores.h). Shared by kvstore and kvstore-dpdk: the
 * front end's <kvio.h> launches and waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/lcore.h>
#include "lcores.h"

static struct kvs_worker w0; /* lcore 0 */
static struct kvs_worker *workers[LCORE_MAX] = { &w0 };
static struct kv *engines[LCORE_MAX]; /* workers[i]->lc.kv, for kv_init_peers */
static unsigned nr_workers = 1;

/* The lcores serving: a constant 1 in a single-CPU image (LCORE_MAX 1), so
 * that every loop over the other lcores, and the code they would run,
 * compiles away. */
static inline unsigned workers_n(void)
{
    return LCORE_MAX > 1 ? nr_workers : 1;
}

struct kvs_worker *lcores_main(void)
{
    return &w0;
}

unsigned lcores_count(void)
{
    return workers_n();
}

int lcores_init(const struct nfapp *app, uint64_t rate)
{
    unsigned l, n = kvio_lcore_count();

    nr_workers = n < LCORE_MAX ? n : LCORE_MAX;
    for (l = 1; l < workers_n(); l++)
        if (!(workers[l] = calloc(1, sizeof(*workers[l])))) {
            fprintf(stderr, "%s: no memory for lcore %u; give the guest more RAM\n", app->name, l);
            return 2;
        }
    for (l = 0; l < workers_n(); l++) {
        workers[l]->id = l;
        engines[l] = &workers[l]->lc.kv;
        if (l && kv_init_peers(engines, l + 1))
            return 2;
        if (kvreq_rate_init(app, &workers[l]->lc, rate ? NFOS_MAX(rate / workers_n(), 1) : 0))
            return 2;
    }
    return 0;
}

/* Lcore l's copy of every port that has a queue for it: 0, or 2 when a
 * reassembly table cannot be had. */
static int ports_copy(const struct nfapp *app, struct kvs_worker *w)
{
    unsigned i;

    w->app = *app;
    memset(&w->app.c, 0, sizeof(w->app.c));
    w->lc.pool = w0.lc.pool;
    for (i = 0; i < w0.nports; i++) {
        const struct kvreq_port *p0 = &w0.ports[i];
        struct kvreq_port *p = &w->ports[w->nports];

        if (w->id >= p0->nq)
            continue;
        p->io = p0->io;
        kvio_port_queue(&p->io, (uint16_t)w->id);
        if (kvreq_port_clone(p, p0, &w->lc)) {
            fprintf(stderr, "%s: no memory for lcore %u's IP reassembly\n", app->name, w->id);
            return 2;
        }
        w->nports++;
    }
    w->idle = !w->nports;
    return 0;
}

/* An lcore's loop until main says stop, then what it still holds answered. */
static int worker_loop(void *arg)
{
    struct kvs_worker *w = arg;
    unsigned i;

    while (!w->stop)
        for (i = 0; i < w->nports; i++)
            kvreq_poll(&w->app, &w->ports[i]);
    for (i = 0; i < w->nports; i++)
        kvreq_drain(&w->app, &w->ports[i]);
    return 0;
}

int lcores_start(const struct nfapp *app)
{
    unsigned l;
    int err;

    for (l = 1; l < workers_n(); l++)
        if (ports_copy(app, workers[l]))
            return 2;
    for (l = 1; l < workers_n(); l++)
        if (!workers[l]->idle && (err = kvio_lcore_launch(l, worker_loop, workers[l]))) {
            fprintf(stderr, "%s: cannot launch lcore %u (error %d)\n", app->name, l, err);
            return 2;
        }
    return 0;
}

void lcores_stop(void)
{
    unsigned l;

    for (l = 1; l < workers_n(); l++) {
        workers[l]->stop = true;
        if (!workers[l]->idle)
            kvio_lcore_wait(l);
    }
}

uint64_t lcores_requests(void)
{
    uint64_t n = 0;
    unsigned l;

    for (l = 0; l < workers_n(); l++)
        n += __atomic_load_n(&workers[l]->lc.kv.st.requests, __ATOMIC_RELAXED);
    return n;
}

static double per(uint64_t cycles, uint64_t n)
{
    return n ? (double)cycles / (double)n : 0.0;
}

/* With several lcores, one line each: its queue, requests and busy
 * cycles per request and per packet, or why it idled. */
static void print_lcores(const struct nfapp *app)
{
    unsigned l;

    for (l = 0; workers_n() > 1 && l < workers_n(); l++) {
        const struct kvs_worker *w = workers[l];
        const struct nfapp_counters *c = l ? &w->app.c : &app->c;
        const struct kv_stats *s = &w->lc.kv.st;

        if (w->idle) {
            printf("%s: lcore %u idle: no queue for it (port 0 (%s) has %u queue pair(s))\n",
                   app->name, l, w0.ports[0].name, w0.ports[0].nq);
            continue;
        }
        printf("%s: lcore %u queue %u: requests %llu | get %llu (hits %llu) | set %llu | rx "
               "%llu tx %llu | busy %.1f cycles/request, %.1f cycles/pkt\n",
               app->name, l, l, (unsigned long long)s->requests, (unsigned long long)s->cmd_get,
               (unsigned long long)s->get_hits, (unsigned long long)s->cmd_set,
               (unsigned long long)c->rx, (unsigned long long)c->tx,
               per(w->lc.req_cycles, w->lc.reqs), per(c->busy_cycles, c->busy_pkts));
    }
}

/* The counters of lcore 0's port i, every lcore's queue of it added up. */
static void port_sum(unsigned i, struct kvreq_port *t)
{
    unsigned l, j;

    memset(t, 0, sizeof(*t));
    t->port = w0.ports[i].port;
    t->name = w0.ports[i].name;
    for (l = 0; l < workers_n(); l++)
        for (j = 0; j < workers[l]->nports; j++)
            if (workers[l]->ports[j].port == t->port)
                kvreq_port_add(t, &workers[l]->ports[j]);
}

void lcores_report(struct nfapp *app)
{
    static struct kvreq_port tot; /* large (the bursts in flight): not on the stack */
    struct kv_stats all = { 0 };
    uint64_t req_cycles = 0, reqs = 0;
    unsigned i;

    for (i = 0; i < workers_n(); i++) {
        KVREQ_ADD64(all, workers[i]->lc.kv.st);
        req_cycles += workers[i]->lc.req_cycles, reqs += workers[i]->lc.reqs;
    }
    print_lcores(app);
    kvreq_report(app, &all, w0.lc.kv.table, req_cycles, reqs);
    for (i = 0; i < w0.nports; i++) {
        if (workers_n() == 1) { /* the port's only queue: its counters as they are */
            kvreq_port_report(app, &w0.ports[i]);
            continue;
        }
        port_sum(i, &tot);
        kvreq_port_report(app, &tot);
    }
    for (i = 1; i < workers_n(); i++)
        KVREQ_ADD64(app->c, workers[i]->app.c);
}
