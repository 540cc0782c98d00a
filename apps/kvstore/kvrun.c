/* kvstore's start and main loop around the ports (kvrun.h), shared by
 * kvstore and kvstore-dpdk. */
#include <stdio.h>
#include "kvrun.h"
#include "lcores.h"

int kvrun_init(const struct nfapp *app, const struct kvrun *r)
{
    struct kvs_worker *w0 = lcores_main();

    if (kv_init(&w0->lc.kv, r->mem_limit, r->item_max, (int64_t)r->epoch, (unsigned)r->max_dgrams))
        return 2;
    if (!r->epoch)
        printf("%s: no --epoch: absolute expiry times (beyond 30 days) are refused\n", app->name);
    return lcores_init(app, r->rate);
}

int kvrun_loop(struct nfapp *app, const struct kvrun *r)
{
    struct kvs_worker *w0 = lcores_main();
    int64_t unix_now = (int64_t)r->epoch;
    unsigned i, nr = lcores_count();
    uint64_t sec_tsc;

    if (lcores_start(app))
        return 2;
    printf("%s: ready, %zu MiB of item memory, items up to %zu bytes\n", app->name,
           r->mem_limit >> 20, r->item_max);
    fflush(stdout);

    sec_tsc = nfapp_now() + app->tsc_hz;
    app->wake_tsc = sec_tsc; /* an idle sleep ends when the clock ticks */
    while (!nfapp_poll(app, nr > 1 ? lcores_requests() : w0->lc.kv.st.requests)) {
        if (nfapp_now() >= sec_tsc) { /* the table's clock, in whole seconds */
            sec_tsc += app->tsc_hz;
            app->wake_tsc = sec_tsc;
            kv_clock(&w0->lc.kv, ++unix_now);
        }
        for (i = 0; i < w0->nports; i++)
            kvreq_poll(app, &w0->ports[i]);
    }
    lcores_stop();
    for (i = 0; i < w0->nports; i++) /* what was received is still answered */
        kvreq_drain(app, &w0->ports[i]);
    lcores_report(app);
    return nfapp_finish(app);
}
