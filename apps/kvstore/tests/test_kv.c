/* kvstore's engine: every reply kv_serve lays out stays within
 * --max-reply-dgrams, each datagram's header counts exactly the datagrams
 * of its response (all laid out, numbered in order), a reply over the
 * limit becomes one SERVER_ERROR (counted), kv_reply_replace makes one
 * datagram, replies are never answered, and expiry without a clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/compiler.h>

#include "kv.h"

static struct kv kv;

static unsigned serve_on(struct kv *k, const char *text)
{
    static uint8_t req[70000];
    size_t n = strlen(text);

    memcpy(req, "\0\1\0\0\0\1\0\0", 8);
    memcpy(req + 8, text, n);
    return kv_serve(k, req, 8 + n);
}

static unsigned serve(const char *text)
{
    return serve_on(&kv, text);
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Every response's datagrams: sequence 0 .. total-1 in a row, each with
 * that total (an empty response: one bare header with a total of 0). */
static void check_headers(unsigned nd)
{
    unsigned i = 0;

    while (i < nd) {
        unsigned total = be16(kv.dgram[i].hdr + 4), seq;

        cr_assert_eq(be16(kv.dgram[i].hdr + 2), 0, "datagram %u starts a response", i);
        for (seq = 0; seq < (total ? total : 1); seq++, i++) {
            cr_assert_lt(i, nd, "a response's datagrams all laid out");
            cr_assert_eq(be16(kv.dgram[i].hdr + 2), seq);
            cr_assert_eq(be16(kv.dgram[i].hdr + 4), total);
        }
    }
}

static void data_of(const struct kv *k, unsigned i, char *out, size_t cap)
{
    size_t n = NFOS_MIN(k->dgram[i].len, cap - 1);

    memcpy(out, k->scratch + k->dgram[i].off, n);
    out[n] = 0;
}

static void data(unsigned i, char *out, size_t cap)
{
    data_of(&kv, i, out, cap);
}

static void init(unsigned max_dgrams, int64_t now)
{
    cr_assert_eq(kv_init(&kv, 4 << 20, 1 << 20, now, max_dgrams), 0);
}

Test(kv, replies_stay_within_the_limit_and_count_true)
{
    static char big[20000 + 64];
    unsigned max, nd;
    char line[128];

    for (max = 1; max <= 20; max++) {
        init(max, 1700000000);
        strcpy(big, "set big 0 0 15000\r\n");
        memset(big + 19, 'v', 15000);
        memcpy(big + 19 + 15000, "\r\n", 3);
        cr_assert_eq(serve(big), 1);
        /* 15 KB: 11 datagrams of 1392 bytes */
        nd = serve("get big\r\n");
        cr_assert_leq(nd, max);
        check_headers(nd);
        data(0, line, sizeof(line));
        if (max < 11) {
            cr_assert_eq(nd, 1);
            cr_assert_str_eq(line, "SERVER_ERROR out of memory writing get response\r\n");
            cr_assert_eq(kv.st.reply_dgram_limit, 1);
        } else {
            cr_assert_eq(nd, 11);
            cr_assert(!strncmp(line, "VALUE big 0 15000\r\n", 19));
        }
        /* Twenty small responses in one datagram: one batch. */
        nd = serve("version\r\nversion\r\nversion\r\nversion\r\nversion\r\nversion\r\nversion\r\n"
                   "version\r\nversion\r\nversion\r\nversion\r\nversion\r\n");
        check_headers(nd);
        cr_assert_eq(nd, max >= 12 ? 12 : 1);
        /* Two gets: the second over what is left. */
        nd = serve("get big\r\nget big\r\n");
        cr_assert_leq(nd, max);
        check_headers(nd);
        kvtable_fini(kv.table);
        free(kv.scratch);
    }
}

Test(kv, replace_and_loops)
{
    char line[128];
    unsigned nd;

    init(8, 1700000000);
    cr_assert_eq(serve("set k 0 0 1\r\nv\r\n"), 1);
    nd = serve("get k k k\r\n");
    cr_assert_eq(nd, 3);
    cr_assert_eq(kv_reply_replace(&kv, "SERVER_ERROR out of memory writing response"), 1);
    check_headers(1);
    data(0, line, sizeof(line));
    cr_assert_str_eq(line, "SERVER_ERROR out of memory writing response\r\n");
    /* A reply sent to us is dropped, counted; a command is answered. */
    cr_assert_eq(serve("ERROR\r\n"), 0);
    cr_assert_eq(serve("STORED\r\n"), 0);
    cr_assert_eq(serve("VALUE k 0 1\r\nv\r\nEND\r\n"), 0);
    cr_assert_eq(serve("42\r\n"), 0);
    cr_assert_eq(kv.st.reply_loop_drops, 4);
    cr_assert_eq(serve("bogus\r\n"), 1);
    kvtable_fini(kv.table);
    free(kv.scratch);
}

Test(kv, expiry_without_a_clock)
{
    char line[200], set_abs[64];
    unsigned nd;

    init(8, 0); /* no --epoch */
    snprintf(set_abs, sizeof(set_abs), "set a 0 %d 1\r\nx\r\n", 1700000000);
    cr_assert_eq(serve("set n 0 -1 1\r\nx\r\n"), 1);
    nd = serve("get n\r\n");
    data(0, line, sizeof(line));
    cr_assert_eq(nd, 1);
    cr_assert_str_eq(line, "END\r\n", "a negative exptime expires at once, clock or not");
    serve(set_abs);
    data(0, line, sizeof(line));
    cr_assert(!strncmp(line, "SERVER_ERROR absolute expiry time without a clock", 49), "%s", line);
    cr_assert_eq(kv.st.exptime_no_clock, 1);
    serve("set r 0 100 1\r\nx\r\n");
    data(0, line, sizeof(line));
    cr_assert_str_eq(line, "STORED\r\n", "relative times need no clock");
    kvtable_fini(kv.table);
    free(kv.scratch);
    /* With a clock, the same absolute time in the past: expired. */
    init(8, 1800000000);
    serve(set_abs);
    serve("get a\r\n");
    data(0, line, sizeof(line));
    cr_assert_str_eq(line, "END\r\n");
    kvtable_fini(kv.table);
    free(kv.scratch);
}

Test(kv, limits_refused)
{
    cr_assert_neq(kv_init(&kv, 4 << 20, 1 << 20, 0, 0), 0);
    cr_assert_neq(kv_init(&kv, 4 << 20, 1 << 20, 0, KV_MAX_DGRAMS + 1), 0);
}

/* Two engines (two lcores) over one table: what one stores the other
 * finds, through kv_serve and the in-place get (whose checksum cache is
 * then set under the table's lock and used), and "stats" adds both
 * engines' counters. */
Test(kv, two_engines_share_the_table_and_add_their_counts)
{
    static struct kv other;
    static struct kv *const all[2] = { &kv, &other };
    uint8_t buf[256] = "\0\7\0\0\0\1\0\0get k\r\n";
    uint32_t sum1, sum2;
    char line[2000];
    size_t n;

    init(8, 1700000000);
    cr_assert_eq(kv_init_peers(all, 2), 0);
    cr_assert(kv.shared && other.shared && other.table == kv.table && kv.table->shared);
    cr_assert_eq(serve_on(&kv, "set k 3 0 2\r\nab\r\n"), 1);
    cr_assert_eq(serve_on(&other, "get k\r\n"), 1);
    data_of(&other, 0, line, sizeof(line));
    cr_assert_str_eq(line, "VALUE k 3 2\r\nab\r\nEND\r\n");
    n = kv_serve_inplace(&other, buf, 15, sizeof(buf), &sum1);
    cr_assert_eq(n, 8 + 22);
    cr_assert(!memcmp(buf + 8, "VALUE k 3 2\r\nab\r\nEND\r\n", 22));
    memcpy(buf + 8, "get k\r\n", 7);
    cr_assert_eq(kv_serve_inplace(&other, buf, 15, sizeof(buf), &sum2), n);
    cr_assert_eq(sum1, sum2, "the cached sum is the computed one");
    serve_on(&kv, "stats\r\n");
    data(0, line, sizeof(line));
    cr_assert(strstr(line, "STAT cmd_get 3\r\n"), "%s", line); /* other's three */
    cr_assert(strstr(line, "STAT cmd_set 1\r\n"), "%s", line);
    cr_assert(strstr(line, "STAT threads 2\r\n"), "%s", line);
    cr_assert_eq(serve_on(&other, "delete k\r\n"), 1);
    serve_on(&kv, "get k\r\n");
    data(0, line, sizeof(line));
    cr_assert_str_eq(line, "END\r\n");
    kvtable_fini(kv.table);
    free(kv.scratch);
    free(other.scratch);
}
