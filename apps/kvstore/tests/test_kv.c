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

static unsigned serve(const char *text)
{
    static uint8_t req[70000];
    size_t n = strlen(text);

    memcpy(req, "\0\1\0\0\0\1\0\0", 8);
    memcpy(req + 8, text, n);
    return kv_serve(&kv, req, 8 + n);
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

static void data(unsigned i, char *out, size_t cap)
{
    size_t n = NFOS_MIN(kv.dgram[i].len, cap - 1);

    memcpy(out, kv.scratch + kv.dgram[i].off, n);
    out[n] = 0;
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
