/* Executes memcached commands on kvtable and lays replies out as memcached
 * 1.6 sends them over UDP: one response object per command (per key for
 * the get family, "END" on the last), each split into 1392-byte numbered
 * datagrams, sent in batches (after every get-family command and at the
 * end of the datagram) where an empty response goes out as a bare header
 * only at the head of a batch. Not here: frames, devices, the meta and
 * binary protocols. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nfos/net.h>
#include "kv.h"

int kv_init(struct kv *kv, size_t mem_limit, size_t item_size_max, int64_t unix_now,
            unsigned max_dgrams)
{
    int rc;

    memset(kv, 0, sizeof(*kv));
    kv->table = &kv->own_table;
    kv->peers = &kv->self;
    kv->npeers = 1;
    if (!max_dgrams || max_dgrams > KV_MAX_DGRAMS) {
        fprintf(stderr, KV_APP_NAME ": --max-reply-dgrams must be 1..%u\n", KV_MAX_DGRAMS);
        return -EINVAL;
    }
    rc = kvtable_init(kv->table, mem_limit, item_size_max, unix_now);
    if (rc == -ENOMEM)
        fprintf(stderr,
                KV_APP_NAME ": cannot allocate --mem-limit %zu MiB and its index; give the guest "
                            "more RAM (--mem) or a smaller --mem-limit\n",
                mem_limit >> 20);
    else if (rc)
        fprintf(stderr, KV_APP_NAME ": --mem-limit must be at least 1M, --max-item-size 64..1M\n");
    if (rc)
        return rc;
    kv->scratch = malloc(KV_SCRATCH);
    if (!kv->scratch) {
        fprintf(stderr, KV_APP_NAME ": no memory for the reply buffer; give the guest more RAM\n");
        kvtable_fini(kv->table);
        return -ENOMEM;
    }
    kv->wallclock = unix_now != 0;
    kv->max_dgrams = max_dgrams;
    kv->self = kv;
    return 0;
}

int kv_init_peers(struct kv *const *all, unsigned n)
{
    struct kv *first = all[0];
    unsigned i;

    for (i = 1; i < n; i++) {
        struct kv *kv = all[i];

        memset(kv, 0, sizeof(*kv));
        if (!(kv->scratch = malloc(KV_SCRATCH))) {
            fprintf(stderr,
                    KV_APP_NAME ": no memory for lcore %u's reply buffer; give the guest "
                                "more RAM\n",
                    i);
            return -ENOMEM;
        }
        kv->table = first->table;
        kv->wallclock = first->wallclock;
        kv->max_dgrams = first->max_dgrams;
    }
    if (n > 1)
        kvtable_share(first->table);
    for (i = 0; i < n; i++) {
        all[i]->shared = n > 1;
        all[i]->peers = all;
        all[i]->npeers = n;
    }
    return 0;
}

/* --- Building responses ------------------------------------------------- */

static bool put(struct kv *kv, const void *p, size_t n)
{
    if (kv->len + n > KV_SCRATCH)
        return false;
    memcpy(kv->scratch + kv->len, p, n);
    kv->len += n;
    return true;
}

static bool put_str(struct kv *kv, const char *s)
{
    return put(kv, s, strlen(s));
}

static bool put_u64(struct kv *kv, uint64_t v)
{
    char b[20];

    return put(kv, b, (size_t)(mcproto_put_u64(b, v) - b));
}

static bool resp_start(struct kv *kv)
{
    if (kv->nresp == KV_MAX_RESPS)
        return false;
    kv->resp[kv->nresp].off = (uint32_t)kv->len;
    kv->resp[kv->nresp].len = 0;
    kv->resp[kv->nresp].skip = 0;
    kv->nresp++;
    return true;
}

static void resp_end(struct kv *kv)
{
    struct kv_resp *r = &kv->resp[kv->nresp - 1];

    r->len = (uint32_t)(kv->len - r->off);
}

/* memcached's out_string: the whole response is one line (or nothing with
 * noreply). */
static void out_string(struct kv *kv, const struct mcproto_req *r, const char *s)
{
    if (!resp_start(kv)) {
        kv->st.reply_overflow++;
        return;
    }
    if (r->noreply)
        kv->resp[kv->nresp - 1].skip = 1;
    else if (!put_str(kv, s) || !put(kv, "\r\n", 2))
        kv->st.reply_overflow++;
    resp_end(kv);
}

static void add_dgram(struct kv *kv, uint32_t off, uint32_t len, unsigned seq, unsigned total)
{
    struct kv_dgram *d;

    if (kv->ndgram == KV_MAX_DGRAMS) {
        kv->st.reply_overflow++;
        return;
    }
    d = &kv->dgram[kv->ndgram++];
    d->off = off;
    d->len = len;
    mcproto_frame_write(d->hdr, kv->req_id, (uint16_t)seq, (uint16_t)total);
    kv->st.bytes_written += MCPROTO_HDR_LEN + len;
}

/* The datagrams the responses queued since the last flush go out in. */
static unsigned batch_dgrams(const struct kv *kv)
{
    unsigned i, n = 0, total;
    bool head = true;

    for (i = kv->batch; i < kv->nresp; i++) {
        const struct kv_resp *r = &kv->resp[i];

        if (r->skip || (!r->len && !head))
            continue;
        head = false;
        total = mcproto_datagrams(r->len);
        n += total ? total : 1;
    }
    return n;
}

/* A batch that would take the request's reply past --max-reply-dgrams
 * (the bound on what one forged request can draw onto its victim) becomes
 * memcached's answer when it cannot build a reply, in one datagram while
 * there is room for one, else nothing; counted either way. */
static void over_limit(struct kv *kv, bool get)
{
    kv->st.reply_dgram_limit++;
    kv->len = kv->resp[kv->batch].off;
    kv->nresp = kv->batch;
    if (kv->ndgram >= kv->max_dgrams || !resp_start(kv))
        return;
    if (put_str(kv, get ? "SERVER_ERROR out of memory writing get response\r\n"
                        : "SERVER_ERROR out of memory preparing response\r\n"))
        resp_end(kv);
    else
        kv->nresp--;
}

/* memcached's transmit_udp over the responses queued since the last one;
 * get: they answer a get-family command. */
static void flush(struct kv *kv, bool get)
{
    bool head = true;
    unsigned i;

    if (unlikely(kv->ndgram + batch_dgrams(kv) > kv->max_dgrams))
        over_limit(kv, get);
    for (i = kv->batch; i < kv->nresp; i++) {
        const struct kv_resp *r = &kv->resp[i];
        unsigned total = mcproto_datagrams(r->len), seq;

        if (r->skip || (!r->len && !head))
            continue;
        head = false;
        if (!total)
            add_dgram(kv, r->off, 0, 0, 0);
        for (seq = 0; seq < total; seq++) {
            uint32_t off = seq * MCPROTO_UDP_DATA;
            uint32_t n = r->len - off < MCPROTO_UDP_DATA ? r->len - off : MCPROTO_UDP_DATA;

            add_dgram(kv, r->off + off, n, seq, total);
        }
    }
    kv->batch = kv->nresp;
}

/* --- Commands ------------------------------------------------------------ */

/* memcached's realtime() for the command's exptime into *out, or false
 * (answered and counted) for an absolute unix time when kvstore does not
 * know the time: a kvm guest started without --epoch, whose clock starts
 * at 0, would keep such an item for decades or expire it at random.
 * Negative is expired at once, clock or not: table second 1 has always
 * passed (kvtable_realtime would count it from the unix epoch). */
static bool exptime_of(struct kv *kv, const struct mcproto_req *r, uint32_t *out)
{
    if (r->exptime < 0) {
        *out = 1;
        return true;
    }
    if (r->exptime > KVTABLE_REALTIME_MAX && !kv->wallclock) {
        kv->st.exptime_no_clock++;
        out_string(kv, r,
                   "SERVER_ERROR absolute expiry time without a clock: start kvstore "
                   "with --epoch UNIXTIME");
        return false;
    }
    *out = kvtable_realtime(kv->table, r->exptime);
    return true;
}

/* The fields of it (or NULL) into v, as kvtable_read gives them. */
static inline const struct kvtable_item *view_of(const struct kvtable_item *it,
                                                 struct kvtable_view *v)
{
    v->it = it;
    if (it) {
        v->nkey = it->nkey;
        v->nbytes = it->nbytes;
        v->flags = it->flags;
        v->cas = it->cas;
        v->aux = it->aux;
    }
    return it;
}

/* A get's lookup, its item's fields in *v. One lcore: kvtable_get (the
 * item is ours until the next table call). Several: kvtable_read, without
 * a lock, and what the caller copies holds only if kv_get_done says so. */
static inline const struct kvtable_item *get_item(struct kv *kv, const void *k, size_t n,
                                                  uint64_t h, struct kvtable_view *v)
{
    if (likely(!kv_shared(kv)))
        return view_of(kvtable_get(kv->table, k, n, h), v);
    return kvtable_read(kv->table, k, n, h, v);
}

/* Whether what get_item found and the caller copied is whole (else: redo). */
static inline bool get_done(const struct kv *kv, const struct kvtable_view *v)
{
    return likely(!kv_shared(kv)) || kvtable_read_ok(kv->table, v);
}

static void do_get(struct kv *kv, const struct mcproto_req *r)
{
    bool touch = r->op == MCPROTO_OP_GAT || r->op == MCPROTO_OP_GATS;
    bool cas = r->op == MCPROTO_OP_GETS || r->op == MCPROTO_OP_GATS;
    uint32_t exptime = 0;
    unsigned nresp0 = kv->nresp;
    size_t len0 = kv->len, n;
    const uint8_t *cur = r->key, *k = NULL;
    bool ok;

    if (touch && !exptime_of(kv, r, &exptime)) {
        flush(kv, true);
        return;
    }
    ok = resp_start(kv);

    if (r->err) { /* a key too long: the ones before it count, nothing else */
        while (cur && (k = mcproto_key_next(&cur, r->keys_end, &n))) {
            uint64_t h = kvtable_hash(k, n);
            bool hit = touch ? kvtable_touch(kv->table, k, n, h, exptime)
                             : kvtable_get(kv->table, k, n, h);

            touch ? kv->st.cmd_touch++ : kv->st.cmd_get++;
            if (touch)
                hit ? kv->st.touch_hits++ : kv->st.touch_misses++;
            else
                hit ? kv->st.get_hits++ : kv->st.get_misses++;
        }
        kv->nresp = nresp0;
        out_string(kv, r, r->err);
        flush(kv, true);
        return;
    }

    while (ok && cur && (k = mcproto_key_next(&cur, r->keys_end, &n))) {
        uint64_t h = kvtable_hash(k, n);
        const struct kvtable_item *it;
        struct kvtable_view v;
        const uint8_t *next = cur;
        size_t nn, len1 = kv->len;

        for (;;) { /* touch: under the lock (execute) */
            it = touch ? view_of(kvtable_touch(kv->table, k, n, h, exptime), &v)
                       : get_item(kv, k, n, h, &v);
            if (it) {
                ok = put(kv, "VALUE ", 6) && put(kv, it->data, v.nkey) && put(kv, " ", 1) &&
                     put_u64(kv, v.flags) && put(kv, " ", 1) && put_u64(kv, v.nbytes - 2) &&
                     (!cas || (put(kv, " ", 1) && put_u64(kv, v.cas))) && put(kv, "\r\n", 2) &&
                     put(kv, it->data + v.nkey, v.nbytes);
            }
            if (touch || get_done(kv, &v))
                break;
            kv->len = len1; /* a writer was there: again */
            ok = true;
        }
        if (it && !touch && kv_shared(kv))
            kvtable_read_note(kv->table, &v, 0);

        if (touch) {
            kv->st.cmd_touch++;
            it ? kv->st.touch_hits++ : kv->st.touch_misses++;
        } else {
            kv->st.cmd_get++;
            it ? kv->st.get_hits++ : kv->st.get_misses++;
        }
        if (ok && mcproto_key_next(&next, r->keys_end, &nn)) {
            resp_end(kv);
            ok = resp_start(kv);
        }
    }
    if (ok && put(kv, "END\r\n", 5)) {
        resp_end(kv);
    } else { /* as memcached when it runs out of response memory */
        kv->st.reply_overflow++;
        kv->nresp = nresp0;
        kv->len = len0;
        out_string(kv, r, "SERVER_ERROR out of memory writing get response");
    }
    flush(kv, true); /* memcached transmits after every get */
}

static const enum kvtable_mode store_mode[MCPROTO_OP_COUNT] = {
    [MCPROTO_OP_SET] = KVTABLE_SET,         [MCPROTO_OP_ADD] = KVTABLE_ADD,
    [MCPROTO_OP_REPLACE] = KVTABLE_REPLACE, [MCPROTO_OP_APPEND] = KVTABLE_APPEND,
    [MCPROTO_OP_PREPEND] = KVTABLE_PREPEND, [MCPROTO_OP_CAS] = KVTABLE_CAS,
};

/* Whether a storage command's value is over the size limit: then memcached
 * answers so, and a set also removes the old value. */
static bool too_large(struct kv *kv, const struct mcproto_req *r, bool reply)
{
    if (kvtable_item_fits(kv->table, r->nkey, r->flags, r->vlen))
        return false;
    kv->st.store_too_large++;
    if (reply)
        out_string(kv, r, "SERVER_ERROR object too large for cache");
    if (r->op == MCPROTO_OP_SET)
        kvtable_delete(kv->table, r->key, r->nkey, kvtable_hash(r->key, r->nkey));
    return true;
}

static void do_store(struct kv *kv, const struct mcproto_req *r)
{
    enum kvtable_result res;
    uint32_t exptime;

    if (too_large(kv, r, true))
        return;
    kv->st.cmd_set++;
    if (r->data_st != MCPROTO_DATA_OK) {
        out_string(kv, r, "CLIENT_ERROR bad data chunk");
        return;
    }
    if (!exptime_of(kv, r, &exptime))
        return;
    res =
        kvtable_store(kv->table, store_mode[r->op], r->key, r->nkey, kvtable_hash(r->key, r->nkey),
                      r->flags, exptime, r->data, r->vlen, r->op == MCPROTO_OP_CAS ? r->num : 0);
    if (r->op == MCPROTO_OP_CAS)
        res == KVTABLE_STORED      ? kv->st.cas_hits++
        : res == KVTABLE_EXISTS    ? kv->st.cas_badval++
        : res == KVTABLE_NOT_FOUND ? kv->st.cas_misses++
                                   : 0;
    switch (res) {
    case KVTABLE_STORED:
        out_string(kv, r, "STORED");
        break;
    case KVTABLE_EXISTS:
        out_string(kv, r, "EXISTS");
        break;
    case KVTABLE_NOT_FOUND:
        out_string(kv, r, "NOT_FOUND");
        break;
    case KVTABLE_NO_MEMORY:
        kv->st.cmd_set--; /* memcached fails before reading the data */
        kv->st.store_no_memory++;
        out_string(kv, r, "SERVER_ERROR out of memory storing object");
        break;
    default:
        out_string(kv, r, "NOT_STORED");
    }
}

static void do_delta(struct kv *kv, const struct mcproto_req *r)
{
    bool incr = r->op == MCPROTO_OP_INCR;
    uint64_t v;
    char num[24];

    switch (kvtable_delta(kv->table, r->key, r->nkey, kvtable_hash(r->key, r->nkey), incr, r->num,
                          &v)) {
    case KVTABLE_DELTA_OK:
        incr ? kv->st.incr_hits++ : kv->st.decr_hits++;
        *mcproto_put_u64(num, v) = 0;
        out_string(kv, r, num);
        break;
    case KVTABLE_NOT_FOUND:
        incr ? kv->st.incr_misses++ : kv->st.decr_misses++;
        out_string(kv, r, "NOT_FOUND");
        break;
    case KVTABLE_NON_NUMERIC:
        out_string(kv, r, "CLIENT_ERROR cannot increment or decrement non-numeric value");
        break;
    default:
        out_string(kv, r, "SERVER_ERROR out of memory");
    }
}

static void do_stats(struct kv *kv, const struct mcproto_req *r)
{
    size_t n;

    if (!r->arg) {
        if (!resp_start(kv))
            return;
        n = kv_stats_write(kv, (char *)kv->scratch + kv->len, KV_SCRATCH - kv->len);
        if (!n) {
            kv->nresp--;
            out_string(kv, r, "SERVER_ERROR out of memory writing stats");
            return;
        }
        kv->len += n;
        resp_end(kv);
    } else if (r->narg == 5 && !memcmp(r->arg, "reset", 5)) {
        struct kvtable_stats *t = &kv->table->st;

        unsigned i;

        /* as memcached: counters go (every lcore's: one that serves a
         * request meanwhile may keep a count of it), what the table holds
         * stays */
        for (i = 0; i < kv->npeers; i++)
            memset(&kv->peers[i]->st, 0, sizeof(kv->peers[i]->st));
        t->total_items = t->evictions = t->reclaimed = t->expired_unfetched = 0;
        t->get_expired = t->get_flushed = 0;
        out_string(kv, r, "RESET");
    } else if (r->narg == 6 && !memcmp(r->arg, "detail", 6)) {
        const uint8_t *a = r->arg2;

        if (a &&
            ((r->narg2 == 2 && !memcmp(a, "on", 2)) || (r->narg2 == 3 && !memcmp(a, "off", 3))))
            out_string(kv, r, "OK"); /* per-prefix statistics are not kept */
        else if (a && r->narg2 == 4 && !memcmp(a, "dump", 4))
            out_string(kv, r, "END");
        else
            out_string(kv, r, "CLIENT_ERROR usage: stats detail on|off|dump");
    } else {
        out_string(kv, r, "ERROR"); /* items, slabs, settings, ...: not kept */
    }
}

static void do_touch(struct kv *kv, const struct mcproto_req *r)
{
    uint32_t exptime;

    if (!exptime_of(kv, r, &exptime))
        return;
    kv->st.cmd_touch++;
    if (kvtable_touch(kv->table, r->key, r->nkey, kvtable_hash(r->key, r->nkey), exptime)) {
        kv->st.touch_hits++;
        out_string(kv, r, "TOUCHED");
    } else {
        kv->st.touch_misses++;
        out_string(kv, r, "NOT_FOUND");
    }
}

static void do_flush_all(struct kv *kv, const struct mcproto_req *r)
{
    uint32_t unused;

    if (r->exptime > 0 && !exptime_of(kv, r, &unused))
        return;
    kv->st.cmd_flush++;
    kvtable_flush(kv->table, r->exptime);
    out_string(kv, r, "OK");
}

/* Whether a command changes the table or reads it other than as a plain
 * get: on a shared table it runs under the table's lock. */
static bool locked_op(const struct mcproto_req *r)
{
    switch (r->op) {
    case MCPROTO_OP_GET:
    case MCPROTO_OP_GETS:
        return r->err != NULL; /* counts hits up to a bad key with kvtable_get */
    case MCPROTO_OP_ERROR:
    case MCPROTO_OP_VERSION:
    case MCPROTO_OP_VERBOSITY:
    case MCPROTO_OP_QUIT:
        return false;
    default:
        return r->op < MCPROTO_OP_COUNT;
    }
}

static bool execute_op(struct kv *kv, const struct mcproto_req *r);

/* Runs one parsed command; false when the datagram ends here (quit). */
static bool execute(struct kv *kv, const struct mcproto_req *r)
{
    bool lock = kv_shared(kv) && locked_op(r), more;

    if (lock)
        kvtable_lock(kv->table);
    more = execute_op(kv, r);
    if (lock)
        kvtable_unlock(kv->table);
    return more;
}

static bool execute_op(struct kv *kv, const struct mcproto_req *r)
{
    switch (r->op) {
    case MCPROTO_OP_GET:
    case MCPROTO_OP_GETS:
    case MCPROTO_OP_GAT:
    case MCPROTO_OP_GATS:
        do_get(kv, r);
        break;
    case MCPROTO_OP_SET:
    case MCPROTO_OP_ADD:
    case MCPROTO_OP_REPLACE:
    case MCPROTO_OP_APPEND:
    case MCPROTO_OP_PREPEND:
    case MCPROTO_OP_CAS:
        do_store(kv, r);
        break;
    case MCPROTO_OP_DELETE:
        if (kvtable_delete(kv->table, r->key, r->nkey, kvtable_hash(r->key, r->nkey))) {
            kv->st.delete_misses++;
            out_string(kv, r, "NOT_FOUND");
        } else {
            kv->st.delete_hits++;
            out_string(kv, r, "DELETED");
        }
        break;
    case MCPROTO_OP_INCR:
    case MCPROTO_OP_DECR:
        do_delta(kv, r);
        break;
    case MCPROTO_OP_TOUCH:
        do_touch(kv, r);
        break;
    case MCPROTO_OP_FLUSH_ALL:
        do_flush_all(kv, r);
        break;
    case MCPROTO_OP_VERSION:
        out_string(kv, r, "VERSION " KV_VERSION);
        break;
    case MCPROTO_OP_VERBOSITY:
        out_string(kv, r, "OK");
        break;
    case MCPROTO_OP_STATS:
        do_stats(kv, r);
        break;
    case MCPROTO_OP_QUIT:
        if (resp_start(kv)) /* memcached sends it as an empty response */
            resp_end(kv);
        return false;
    default:
        out_string(kv, r, r->err);
    }
    return true;
}

unsigned kv_serve(struct kv *kv, const uint8_t *req, size_t len)
{
    struct mcproto_frame f;
    const uint8_t *p = req + MCPROTO_HDR_LEN;
    size_t n = len - MCPROTO_HDR_LEN;
    int rc;

    kv->len = kv->nresp = kv->batch = kv->ndgram = 0;
    rc = mcproto_frame_parse(req, len, &f);
    if (rc) {
        rc == -EMSGSIZE ? kv->st.bad_header++ : kv->st.multi_datagram++;
        return 0;
    }
    if (unlikely(mcproto_is_reply(p, n))) {
        kv->st.reply_loop_drops++; /* answering it could start a reply loop */
        return 0;
    }
    kv->req_id = f.req_id;
    kv->st.requests++;
    kv->st.bytes_read += len;
    while (n) {
        struct mcproto_req r;

        rc = mcproto_req_parse(p, n, &r);
        if (rc == MCPROTO_NEED_LINE) {
            kv->st.truncated++;
            break;
        }
        if (rc == MCPROTO_NEED_DATA) {
            /* memcached answers a value too large only once it has
             * swallowed all of it, which never comes in this datagram */
            if (kv_shared(kv))
                kvtable_lock(kv->table);
            too_large(kv, &r, false);
            if (kv_shared(kv))
                kvtable_unlock(kv->table);
            kv->st.truncated++;
            break;
        }
        if (!execute(kv, &r))
            break;
        p += r.len;
        n -= r.len;
    }
    flush(kv, false);
    return kv->ndgram;
}

unsigned kv_reply_replace(struct kv *kv, const char *line)
{
    unsigned i;

    for (i = 0; i < kv->ndgram; i++)
        kv->st.bytes_written -= MCPROTO_HDR_LEN + kv->dgram[i].len;
    kv->len = kv->nresp = kv->batch = kv->ndgram = 0;
    resp_start(kv);
    put_str(kv, line);
    put(kv, "\r\n", 2);
    resp_end(kv);
    flush(kv, false);
    return kv->ndgram;
}

bool kv_request_peek(const uint8_t *req, size_t len, struct kv_get *g)
{
    const uint8_t *p = req + MCPROTO_HDR_LEN, *end = req + len, *k;
    size_t n = mcproto_get_simple(req, len, &g->key, &g->gets);

    if (n) {
        g->nkey = (uint8_t)n;
        g->hash = kvtable_hash(g->key, n);
        return true;
    }
    g->hash = 0;
    if (len <= MCPROTO_HDR_LEN)
        return false;
    while (p < end && *p != ' ')
        p++;
    while (p < end && *p == ' ')
        p++;
    for (k = p; p < end && *p != ' ' && *p != '\r' && *p != '\n'; p++)
        ;
    if (p > k && p - k <= MCPROTO_KEY_MAX)
        g->hash = kvtable_hash(k, (size_t)(p - k));
    return false;
}

/* memcpy for the short keys and values of the fast path: 16 bytes at a
 * time, the last chunk overlapping the one before, no call. */
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
    size_t i;

    if (n < 16 || n > 128) {
        memcpy(d, s, n);
        return;
    }
    for (i = 0; i + 16 < n; i += 16)
        memcpy(d + i, s + i, 16);
    memcpy(d + n - 16, s + n - 16, 16);
}

/* The 16-bit partial sum of a body written at body[0 .. n). */
static inline uint32_t body_sum(const uint8_t *body, size_t n)
{
    return (uint16_t)~net_csum_fold(net_csum_partial(body, n, 0));
}

/* A hit's VALUE line and value at o, from the item's fields as the caller
 * read them; returns its end. */
static inline uint8_t *hit_body(uint8_t *o, const uint8_t *data, uint8_t nkey, uint32_t flags,
                                uint32_t nbytes, const uint64_t *cas)
{
    memcpy(o, "VALUE ", 6);
    copy_short(o + 6, data, nkey);
    o += 6 + nkey;
    *o++ = ' ';
    o = (uint8_t *)mcproto_put_u64((char *)o, flags);
    *o++ = ' ';
    o = (uint8_t *)mcproto_put_u64((char *)o, nbytes - 2);
    if (cas) {
        *o++ = ' ';
        o = (uint8_t *)mcproto_put_u64((char *)o, *cas);
    }
    *o++ = '\r';
    *o++ = '\n';
    copy_short(o, data + nkey, nbytes); /* the one copy of the value */
    return o + nbytes;
}

/* Whether the reply to a get of an item (key nkey, value nbytes) fits in
 * cap: room for the longest header line it can have. */
static inline bool get_fits(uint8_t nkey, uint32_t nbytes, size_t cap)
{
    return MCPROTO_HDR_LEN + 6 + nkey + 1 + 10 + 1 + 10 + 21 + 2 + nbytes + 5 <= cap;
}

/* kv_get_reply's end: END after the body (which ends at o), the counters,
 * the frame header; *sum: the payload's partial sum from the body's
 * (bsum). */
static inline size_t get_reply_end(struct kv *kv, uint8_t *buf, size_t len, uint8_t *o, bool hit,
                                   uint32_t bsum, uint32_t *sum)
{
    /* The request's id, sequence 0, one datagram: one 8-byte store. */
    const uint8_t hdr[MCPROTO_HDR_LEN] = { buf[0], buf[1], 0, 0, 0, 1, 0, 0 };
    uint16_t w0, w2;

    kv->st.requests++;
    kv->st.bytes_read += len;
    kv->st.cmd_get++;
    hit ? kv->st.get_hits++ : kv->st.get_misses++;
    memcpy(buf, hdr, MCPROTO_HDR_LEN);
    memcpy(&w0, hdr, sizeof(w0));
    memcpy(&w2, hdr + 4, sizeof(w2));
    *sum = bsum + w0 + w2;
    kv->st.bytes_written += (size_t)(o - buf);
    return (size_t)(o - buf);
}

/* kv_get_reply on a table that other lcores share: the item read without
 * the lock, its fields copied (kvtable_read), again when a writer was at
 * it. */
static size_t get_reply_shared(struct kv *kv, uint8_t *buf, size_t len, size_t cap,
                               const struct kv_get *g, uint32_t *sum)
{
    uint8_t *body = buf + MCPROTO_HDR_LEN, *o = body;
    const struct kvtable_item *it;
    struct kvtable_view v;
    uint32_t bsum;
    bool fits;

    do { /* once, unless a writer on another lcore was at the item */
        it = kvtable_read(kv->table, g->key, g->nkey, g->hash, &v);
        fits = !it || get_fits(v.nkey, v.nbytes, cap);
        if (fits)
            o = it ? hit_body(body, it->data, v.nkey, v.flags, v.nbytes, g->gets ? &v.cas : NULL)
                   : body;
    } while (!kvtable_read_ok(kv->table, &v));
    if (!fits)
        return 0;
    memcpy(o, "END\r\n", 5);
    o += 5;
    /* A get's body depends only on what aux is cleared with; a gets' also
     * on the cas. Bit 16 says the sum is there. */
    if (it && !g->gets && v.aux) {
        bsum = v.aux & 0xffff;
        kvtable_read_note(kv->table, &v, 0);
    } else {
        bsum = body_sum(body, (size_t)(o - body));
        if (it)
            kvtable_read_note(kv->table, &v, g->gets ? 0 : bsum | 0x10000);
    }
    return get_reply_end(kv, buf, len, o, it, bsum, sum);
}

size_t kv_get_reply(struct kv *kv, uint8_t *buf, size_t len, size_t cap, const struct kv_get *g,
                    uint32_t *sum)
{
    uint8_t *body = buf + MCPROTO_HDR_LEN, *o = body;
    struct kvtable_item *it;
    uint32_t bsum;

    if (cap > MCPROTO_UDP_MAX)
        cap = MCPROTO_UDP_MAX;
    if (unlikely(kv_shared(kv)))
        return get_reply_shared(kv, buf, len, cap, g, sum);
    /* One lcore: the item is ours until the next table call. */
    it = kvtable_get(kv->table, g->key, g->nkey, g->hash);
    if (it) {
        if (!get_fits(it->nkey, it->nbytes, cap))
            return 0;
        o = hit_body(body, it->data, it->nkey, it->flags, it->nbytes, g->gets ? &it->cas : NULL);
    }
    memcpy(o, "END\r\n", 5);
    o += 5;
    /* A get's body depends only on what aux is cleared with; a gets' also
     * on the cas. Bit 16 says the sum is there. */
    if (it && !g->gets && it->aux) {
        bsum = it->aux & 0xffff;
    } else {
        bsum = body_sum(body, (size_t)(o - body));
        if (it && !g->gets)
            it->aux = bsum | 0x10000;
    }
    return get_reply_end(kv, buf, len, o, it, bsum, sum);
}

size_t kv_serve_inplace(struct kv *kv, uint8_t *buf, size_t len, size_t cap, uint32_t *sum)
{
    const uint8_t *p = buf + MCPROTO_HDR_LEN, *cur;
    struct mcproto_req r;
    struct kv_get g;
    size_t kn;

    if (len < MCPROTO_HDR_LEN + 6 || buf[4] != 0 || buf[5] != 1 || memcmp(p, "get", 3))
        return 0;
    if (mcproto_req_parse(p, len - MCPROTO_HDR_LEN, &r) || r.len != len - MCPROTO_HDR_LEN ||
        r.err || (r.op != MCPROTO_OP_GET && r.op != MCPROTO_OP_GETS))
        return 0;
    cur = r.key + r.nkey;
    if (mcproto_key_next(&cur, r.keys_end, &kn))
        return 0;
    g.key = r.key;
    g.nkey = r.nkey;
    g.gets = r.op == MCPROTO_OP_GETS;
    g.hash = kvtable_hash(r.key, r.nkey);
    return kv_get_reply(kv, buf, len, cap, &g, sum);
}
