/* "stats": memcached's field names, in memcached's order, for what kvstore
 * keeps (connections, rusage, slabs and the LRU crawler are not), then
 * kvstore's own counters of what it refuses to send. */
#include <stdio.h>
#include <string.h>
#include "kv.h"

/* Every engine's counters added up (each lcore keeps its own; those of a
 * running lcore may lag by the requests it serves now). */
static const struct kv_stats *sum(const struct kv *kv, struct kv_stats *out)
{
    unsigned i, j;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < kv->npeers; i++) {
        const uint64_t *a = (const uint64_t *)&kv->peers[i]->st;

        for (j = 0; j < sizeof(*out) / sizeof(uint64_t); j++)
            ((uint64_t *)out)[j] += a[j];
    }
    return out;
}

size_t kv_stats_write(struct kv *kv, char *p, size_t cap)
{
    struct kv_stats all;
    const struct kv_stats *s = sum(kv, &all);
    const struct kvtable_stats *t = &kv->table->st;
    /* The table's clock: unix time = started + now (kvtable_clock). */
    uint64_t now = kv->table->now;
    const struct {
        const char *name;
        uint64_t v;
    } f[] = {
        { "uptime", now },
        { "time", (uint64_t)(kv->table->started + (int64_t)now) },
        { "pointer_size", 8 * sizeof(void *) },
        { "cmd_get", s->cmd_get },
        { "cmd_set", s->cmd_set },
        { "cmd_flush", s->cmd_flush },
        { "cmd_touch", s->cmd_touch },
        { "get_hits", s->get_hits },
        { "get_misses", s->get_misses },
        { "get_expired", t->get_expired },
        { "get_flushed", t->get_flushed },
        { "delete_misses", s->delete_misses },
        { "delete_hits", s->delete_hits },
        { "incr_misses", s->incr_misses },
        { "incr_hits", s->incr_hits },
        { "decr_misses", s->decr_misses },
        { "decr_hits", s->decr_hits },
        { "cas_misses", s->cas_misses },
        { "cas_hits", s->cas_hits },
        { "cas_badval", s->cas_badval },
        { "touch_hits", s->touch_hits },
        { "touch_misses", s->touch_misses },
        { "store_too_large", s->store_too_large },
        { "store_no_memory", s->store_no_memory },
        { "bytes_read", s->bytes_read },
        { "bytes_written", s->bytes_written },
        { "limit_maxbytes", t->limit_maxbytes },
        { "threads", kv->npeers },
        { "hash_bytes", t->hash_bytes },
        { "bytes", t->bytes },
        { "curr_items", t->curr_items },
        { "total_items", t->total_items },
        { "evictions", t->evictions },
        { "reclaimed", t->reclaimed },
        /* kvstore's own, for what memcached does not do (kv.h) */
        { "reply_dgram_limit", s->reply_dgram_limit },
        { "reply_rate_limited", s->reply_rate_limited },
        { "reply_no_buffer", s->reply_no_buffer },
        { "reply_loop_drops", s->reply_loop_drops },
        { "exptime_no_clock", s->exptime_no_clock },
    };
    size_t n = 0, i;
    int w;

    w = snprintf(p, cap, "STAT version " KV_VERSION "\r\n");
    if (w < 0 || (size_t)w >= cap)
        return 0;
    n = (size_t)w;
    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        w = snprintf(p + n, cap - n, "STAT %s %llu\r\n", f[i].name, (unsigned long long)f[i].v);
        if (w < 0 || (size_t)w >= cap - n)
            return 0;
        n += (size_t)w;
    }
    if (cap - n < 5)
        return 0;
    memcpy(p + n, "END\r\n", 5);
    return n + 5;
}
