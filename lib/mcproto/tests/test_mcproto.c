/* mcproto against memcached 1.6.18's answers (recorded from Debian
 * bookworm's memcached over UDP), and a fuzz run of random and mutated
 * datagrams, each in a buffer of exactly its length (ASan catches a read
 * past it): the parser must return a known result and never use more than
 * it was given. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/mcproto.h>

static int parse(const char *s, struct mcproto_req *r)
{
    static uint8_t b[1024]; /* r points into it until the next call */
    size_t n = strlen(s);

    memcpy(b, s, n);
    return mcproto_req_parse(b, n, r);
}

static void expect_err(const char *line, const char *err)
{
    struct mcproto_req r;

    cr_assert_eq(parse(line, &r), 0, "%s", line);
    cr_assert_eq(r.op, MCPROTO_OP_ERROR, "%s: op %d", line, r.op);
    cr_assert_str_eq(r.err, err, "%s", line);
}

Test(frame, header)
{
    uint8_t b[16] = { 0x12, 0x34, 0, 5, 0, 1, 0xaa, 0xbb, 'x' }, o[8];
    struct mcproto_frame f;

    cr_assert_eq(mcproto_frame_parse(b, 9, &f), 0);
    cr_assert_eq(f.req_id, 0x1234);
    cr_assert_eq(f.seq, 5);
    cr_assert_eq(f.reserved, 0xaabb);
    cr_assert_eq(mcproto_frame_parse(b, 8, &f), -EMSGSIZE);
    cr_assert_eq(mcproto_frame_parse(b, 0, &f), -EMSGSIZE);
    b[5] = 2;
    cr_assert_eq(mcproto_frame_parse(b, 9, &f), -EPROTO);
    b[5] = 0;
    cr_assert_eq(mcproto_frame_parse(b, 9, &f), -EPROTO);
    mcproto_frame_write(o, 0xbeef, 2, 3);
    cr_assert(!memcmp(o, "\xbe\xef\0\2\0\3\0\0", 8));
}

Test(frame, datagram_count)
{
    /* memcached: a 1395-byte reply goes in 1392 + 3 */
    cr_assert_eq(mcproto_datagrams(0), 0);
    cr_assert_eq(mcproto_datagrams(1), 1);
    cr_assert_eq(mcproto_datagrams(1392), 1);
    cr_assert_eq(mcproto_datagrams(1393), 2);
    cr_assert_eq(mcproto_datagrams(1395), 2);
}

Test(parse, set)
{
    struct mcproto_req r;

    cr_assert_eq(parse("set k 5 100 3\r\nabc\r\n", &r), 0);
    cr_assert_eq(r.op, MCPROTO_OP_SET);
    cr_assert_eq(r.nkey, 1);
    cr_assert_eq(r.flags, 5);
    cr_assert_eq(r.exptime, 100);
    cr_assert_eq(r.vlen, 3);
    cr_assert_eq(r.len, 20);
    cr_assert_eq(r.data_st, MCPROTO_DATA_OK);
    cr_assert(!r.noreply);
    cr_assert_eq(parse("set k 0 0 1 noreply\r\nv\r\n", &r), 0);
    cr_assert(r.noreply);
    cr_assert_eq(parse("set k 0 0 1\r\nvvv\r\n", &r), 0);
    cr_assert_eq(r.data_st, MCPROTO_DATA_BAD);
    cr_assert_eq(r.len, 16); /* "\r\n" after it is the next (empty) line */
    cr_assert_eq(parse("cas k 0 0 1 77\r\nv\r\n", &r), 0);
    cr_assert_eq(r.op, MCPROTO_OP_CAS);
    cr_assert_eq(r.num, 77);
    cr_assert_eq(parse("set  k  0 0 01\r\nv\r\n", &r), 0); /* memcached: STORED */
    cr_assert_eq(r.op, MCPROTO_OP_SET);
    cr_assert_eq(parse("set k 4294967296 0 +1\r\nv\r\n", &r), 0); /* flags truncated */
    cr_assert_eq(r.flags, 0);
}

Test(parse, truncated)
{
    struct mcproto_req r;

    cr_assert_eq(parse("set k 0 0 1", &r), MCPROTO_NEED_LINE);
    cr_assert_eq(parse("", &r), MCPROTO_NEED_LINE);
    cr_assert_eq(parse("get k", &r), MCPROTO_NEED_LINE);
    cr_assert_eq(parse("set k 0 0 2\r\nv\r\n", &r), MCPROTO_NEED_DATA);
    cr_assert_eq(parse("set k 0 0 1\r\nv", &r), MCPROTO_NEED_DATA);
}

Test(parse, errors_as_memcached)
{
    char key[300];

    expect_err("bogus\r\n", "ERROR");
    expect_err("\r\n", "ERROR");
    expect_err("get\r\n", "ERROR");
    expect_err("g\r\n", "ERROR");
    expect_err("SET k 0 0 1\r\n", "ERROR");
    expect_err("set k 0 0\r\n", "ERROR");
    expect_err("set k 0 0 1 2 3\r\n", "ERROR");
    expect_err("set k 0 0 1 noreply extra\r\n", "ERROR");
    expect_err("set k a 0 1\r\n", "CLIENT_ERROR bad command line format");
    expect_err("set k -1 0 1\r\n", "CLIENT_ERROR bad command line format");
    expect_err("set k 0 x 1\r\n", "CLIENT_ERROR bad command line format");
    expect_err("set k 0 0 -1\r\n", "CLIENT_ERROR bad command line format");
    expect_err("incr n x\r\n", "CLIENT_ERROR invalid numeric delta argument");
    expect_err("incr n -1\r\n", "CLIENT_ERROR invalid numeric delta argument");
    expect_err("incr k 18446744073709551616\r\n", "CLIENT_ERROR invalid numeric delta argument");
    expect_err("incr n\r\n", "ERROR");
    expect_err("touch n\r\n", "ERROR");
    expect_err("touch n x\r\n", "CLIENT_ERROR invalid exptime argument");
    expect_err("delete\r\n", "ERROR");
    expect_err("delete n 5\r\n",
               "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]");
    expect_err("flush_all x\r\n", "CLIENT_ERROR invalid exptime argument");
    expect_err("shutdown\r\n", "ERROR: shutdown not enabled");
    memset(key, 'x', sizeof(key));
    memcpy(key, "get ", 4);
    strcpy(key + 4 + 251, "\r\n");
    {
        struct mcproto_req r;

        cr_assert_eq(parse(key, &r), 0);
        cr_assert_eq(r.op, MCPROTO_OP_GET);
        cr_assert_str_eq(r.err, "CLIENT_ERROR bad command line format");
        cr_assert_eq(r.keys_end, r.key); /* no key before the long one */
    }
    memcpy(key, "set ", 4);
    strcpy(key + 4 + 251, " 0 0 1\r\n");
    expect_err(key, "CLIENT_ERROR bad command line format");
}

Test(parse, delete_forms)
{
    struct mcproto_req r;

    cr_assert_eq(parse("delete n 0\r\n", &r), 0);
    cr_assert_eq(r.op, MCPROTO_OP_DELETE);
    cr_assert_eq(parse("delete n noreply\r\n", &r), 0);
    cr_assert(r.noreply);
    cr_assert_eq(parse("delete n 0 noreply\r\n", &r), 0);
    cr_assert(r.noreply && r.op == MCPROTO_OP_DELETE);
}

Test(parse, get_keys)
{
    struct mcproto_req r;
    const uint8_t *cur, *k;
    size_t n, count = 0;
    char line[400] = "get";
    int i;

    for (i = 0; i < 40; i++) /* more than memcached's 24 tokens */
        sprintf(line + strlen(line), " k%d", i);
    strcat(line, "\r\n");
    cr_assert_eq(parse(line, &r), 0);
    cr_assert_eq(r.op, MCPROTO_OP_GET);
    cur = r.key;
    while ((k = mcproto_key_next(&cur, r.keys_end, &n))) {
        char want[8];

        sprintf(want, "k%zu", count);
        cr_assert(n == strlen(want) && !memcmp(k, want, n));
        count++;
    }
    cr_assert_eq(count, 40);
    cr_assert_eq(parse("gat 10 a b\r\n", &r), 0);
    cr_assert_eq(r.op, MCPROTO_OP_GAT);
    cr_assert_eq(r.exptime, 10);
    cr_assert_eq(r.nkey, 1);
    cr_assert_eq(r.key[0], 'a');
    cr_assert_eq(parse("get k\n", &r), 0); /* a bare \n ends a line too */
    cr_assert_eq(r.nkey, 1);
}

Test(parse, numbers)
{
    uint64_t u;
    uint32_t w;
    int32_t i;

    cr_assert(mcproto_parse_u64((const uint8_t *)"18446744073709551615", 20, &u));
    cr_assert_eq(u, UINT64_MAX);
    cr_assert(!mcproto_parse_u64((const uint8_t *)"18446744073709551616", 20, &u));
    cr_assert(!mcproto_parse_u64((const uint8_t *)"-1", 2, &u));
    cr_assert(mcproto_parse_u64((const uint8_t *)"-0", 2, &u) && u == 0);
    cr_assert(mcproto_parse_u64((const uint8_t *)"\t7", 2, &u) && u == 7);
    cr_assert(!mcproto_parse_u64((const uint8_t *)"7x", 2, &u));
    cr_assert(!mcproto_parse_u64((const uint8_t *)"", 0, &u));
    cr_assert(!mcproto_parse_u64((const uint8_t *)"+", 1, &u));
    cr_assert(mcproto_parse_u32((const uint8_t *)"4294967297", 10, &w) && w == 1);
    cr_assert(mcproto_parse_i32((const uint8_t *)"-1", 2, &i) && i == -1);
    cr_assert(!mcproto_parse_i32((const uint8_t *)"2147483648", 10, &i));
    cr_assert(mcproto_parse_i32((const uint8_t *)"2147483647", 10, &i) && i == INT32_MAX);
}

Test(put, u64)
{
    char b[32], *e;

    e = mcproto_put_u64(b, 0);
    cr_assert(e - b == 1 && b[0] == '0');
    e = mcproto_put_u64(b, UINT64_MAX);
    *e = 0;
    cr_assert_str_eq(b, "18446744073709551615");
    for (uint64_t v = 1, i = 0; i < 64; v = v * 3 + i++) { /* every length */
        char want[32];

        for (uint64_t d = 0; d < 3; d++) {
            e = mcproto_put_u64(b, v + d);
            *e = 0;
            snprintf(want, sizeof(want), "%llu", (unsigned long long)(v + d));
            cr_assert_str_eq(b, want);
        }
    }
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Every result is known, every byte used lies in the buffer, and walking a
 * datagram command by command ends. */
Test(fuzz, random_and_mutated)
{
    static const char *seeds[] = {
        "set k 0 0 1\r\nv\r\n",
        "get a b c\r\n",
        "gets k\r\n",
        "cas k 1 2 3 4 noreply\r\nabc\r\n",
        "incr n 5\r\n",
        "delete k 0 noreply\r\n",
        "flush_all 10\r\n",
        "gat 5 k\r\n",
        "touch k 1\r\n",
        "stats detail on\r\n",
        "verbosity 1 noreply\r\n",
        "append k 0 0 2\r\nxy\r\n",
    };
    uint64_t s = 42;
    int i;

    for (i = 0; i < 300000; i++) {
        size_t n, off = 0, j;
        uint8_t *b;
        const char *sd = seeds[rnd(&s) % (sizeof(seeds) / sizeof(seeds[0]))];

        n = rnd(&s) % 4 == 0 ? rnd(&s) % 64 : strlen(sd) + rnd(&s) % 4;
        b = malloc(n ? n : 1);
        for (j = 0; j < n; j++)
            b[j] = j < strlen(sd) ? (uint8_t)sd[j] : (uint8_t)rnd(&s);
        for (j = rnd(&s) % 4; j > 0 && n; j--) {
            static const uint8_t edge[] = { ' ', '\r', '\n', '\0', '0', '-', '9', 0xff };
            b[rnd(&s) % n] = rnd(&s) % 2 ? edge[rnd(&s) % sizeof(edge)] : (uint8_t)rnd(&s);
        }
        while (off < n) {
            struct mcproto_req r;
            int rc = mcproto_req_parse(b + off, n - off, &r);

            if (rc == MCPROTO_NEED_LINE)
                break;
            cr_assert(rc == 0 || rc == MCPROTO_NEED_DATA);
            cr_assert(r.len > 0 && r.len <= n - off);
            cr_assert(r.op < MCPROTO_OP_COUNT);
            if (r.op == MCPROTO_OP_ERROR)
                cr_assert(r.err && r.err[0]);
            if (rc == 0 && r.op >= MCPROTO_OP_SET && r.op <= MCPROTO_OP_CAS)
                cr_assert(r.data + r.vlen + 2 <= b + n);
            if (rc == 0 && r.op >= MCPROTO_OP_GET && r.op <= MCPROTO_OP_GATS && r.key) {
                const uint8_t *cur = r.key, *k;
                size_t kn;

                while ((k = mcproto_key_next(&cur, r.keys_end, &kn)))
                    cr_assert(kn >= 1 && kn <= MCPROTO_KEY_MAX && k + kn <= b + n);
            }
            if (rc)
                break;
            off += r.len;
        }
        free(b);
    }
}

/* The datagram "\0\1\0\0\0\1\0\0" + s in a buffer of exactly its length;
 * mcproto_get_simple's key length (0: not the simple shape). */
static size_t simple(const char *s, size_t n, uint8_t total, const uint8_t **key, bool *gets)
{
    static uint8_t b[512];
    uint8_t *d;
    size_t kn;

    memcpy(b, "\0\1\0\0\0\1\0\0", 8);
    b[5] = total;
    memcpy(b + 8, s, n);
    d = malloc(8 + n);
    memcpy(d, b, 8 + n);
    kn = mcproto_get_simple(d, 8 + n, key, gets);
    if (kn) /* the key, copied where the caller can still read it */
        *key = b + (*key - d);
    free(d);
    return kn;
}

/* Accepted exactly when the general parser makes it one get or gets of one
 * key, the whole datagram long: then with the same key. */
static void expect_same_as_parser(const uint8_t *s, size_t n)
{
    struct mcproto_req r;
    const uint8_t *k = NULL, *cur;
    bool gets = false, one;
    size_t kn = simple((const char *)s, n, 1, &k, &gets), kn2;
    int rc = mcproto_req_parse(s, n, &r);

    cur = r.key ? r.key + r.nkey : NULL;
    one = rc == 0 && r.len == n && !r.err && (r.op == MCPROTO_OP_GET || r.op == MCPROTO_OP_GETS) &&
          !mcproto_key_next(&cur, r.keys_end, &kn2);
    if (!kn)
        return; /* other shapes may be single gets too: the general path takes them */
    cr_assert(one, "accepted %.*s", (int)n, s);
    cr_assert_eq(gets, r.op == MCPROTO_OP_GETS);
    cr_assert_eq(kn, r.nkey);
    cr_assert(!memcmp(k, r.key, kn));
}

Test(parse, get_simple)
{
    static const char *no[] = {
        "get  k\r\n", "get k \r\n",  "get k\n",      "get a\tb\r\n", "get a b\r\n",
        "get \r\n",   "gets \r\n",   "bget k\r\n",   "GET k\r\n",    "get k\r\nget k\r\n",
        "get k\r",    "gat 1 k\r\n", "get a\0b\r\n", "getk\r\n",     "get k\r\n\r\n",
    };
    char big[300];
    const uint8_t *k;
    bool gets;
    unsigned i;

    cr_assert_eq(simple("get k\r\n", 7, 1, &k, &gets), 1);
    cr_assert(!gets && k[0] == 'k');
    cr_assert_eq(simple("gets abcdefghijklmnop\r\n", 23, 1, &k, &gets), 16);
    cr_assert(gets && !memcmp(k, "abcdefghijklmnop", 16));
    cr_assert_eq(simple("get \x7f\xff\x80!\r\n", 10, 1, &k, &gets), 4);
    cr_assert_eq(simple("get k\r\n", 7, 2, &k, &gets), 0); /* two datagrams */
    cr_assert_eq(simple("get k\r\n", 7, 0, &k, &gets), 0);
    for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        cr_assert_eq(simple(no[i], strlen(no[i]) + (i == 12 ? 4 : 0), 1, &k, &gets), 0, "%s",
                     no[i]);
    memcpy(big, "get ", 4);
    memset(big + 4, 'x', 251);
    memcpy(big + 4 + 250, "\r\n", 2);
    cr_assert_eq(simple(big, 256, 1, &k, &gets), 250);
    memcpy(big + 4 + 251, "\r\n", 2);
    cr_assert_eq(simple(big, 257, 1, &k, &gets), 0); /* memcached's bad format */
    for (i = 1; i <= 40; i++) {                      /* every tail length, a space at each place */
        unsigned j;

        memset(big + 4, 'y', i);
        memcpy(big + 4 + i, "\r\n", 2);
        cr_assert_eq(simple(big, 6 + i, 1, &k, &gets), i);
        for (j = 0; j < i; j++) {
            big[4 + j] = ' ';
            cr_assert_eq(simple(big, 6 + i, 1, &k, &gets), 0, "%u %u", i, j);
            big[4 + j] = 'y';
        }
    }
}

Test(fuzz, get_simple_as_parser)
{
    static const uint8_t alphabet[] = {
        'g', 'e', 't', 's', ' ', '\r', '\n', '\0', 'k', 0xff, '\t'
    };
    uint64_t s = 7;
    unsigned i;

    for (i = 0; i < 300000; i++) {
        uint8_t b[24];
        size_t n = 4 + rnd(&s) % 16, j;

        memcpy(b, rnd(&s) % 2 ? "get " : "gets", 4);
        for (j = 4; j < n; j++)
            b[j] =
                rnd(&s) % 2 ? (uint8_t)('a' + rnd(&s) % 26) : alphabet[rnd(&s) % sizeof(alphabet)];
        if (rnd(&s) % 2 && n >= 6)
            memcpy(b + n - 2, "\r\n", 2);
        expect_same_as_parser(b, n);
    }
}

static bool is_reply(const char *s)
{
    size_t n = strlen(s);
    uint8_t *b = malloc(n ? n : 1); /* exactly n: ASan sees a read past it */
    bool r;

    memcpy(b, s, n);
    r = mcproto_is_reply(b, n);
    free(b);
    return r;
}

Test(parse, replies_are_not_requests)
{
    static const char *const replies[] = {
        "VALUE k 0 1\r\nv\r\nEND\r\n",
        "END\r\n",
        "STORED\r\n",
        "NOT_STORED\r\n",
        "EXISTS\r\n",
        "NOT_FOUND\r\n",
        "DELETED\r\n",
        "TOUCHED\r\n",
        "OK\r\n",
        "RESET\r\n",
        "ERROR\r\n",
        "ERROR\n",
        "ERROR unknown\r\n",
        "CLIENT_ERROR bad command line format\r\n",
        "SERVER_ERROR out of memory writing get response\r\n",
        "STAT pid 1\r\n",
        "VERSION 1.6.18\r\n",
        "HD\r\n",
        "VA 2 f1\r\nhi\r\n",
        "EN\r\n",
        "NF\r\n",
        "NS\r\n",
        "EX\r\n",
        "MN\r\n",
        "ME k exp=-1\r\n",
        "0\r\n",
        "18446744073709551615\r\n",
    };
    /* Requests, and what memcached answers ERROR for that is no reply. */
    static const char *const others[] = {
        "get k\r\n",
        "set k 0 0 1\r\nv\r\n",
        "version\r\n",
        "stats\r\n",
        "SET a 0 0 1\r\n",
        "GET k\r\n",
        "ENDS\r\n",
        "ERRORS\r\n",
        "VALUES\r\n",
        "OKAY\r\n",
        "12a\r\n",
        "12",
        "12\r",
        "1 2\r\n",
        "bogus\r\n",
        "\r\n",
        "",
        "E",
        "ERROR",
        "OK",
        " OK\r\n",
        "ok\r\n",
        "mn\r\n",
        "\xff\r\n",
    };
    size_t i;

    for (i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
        cr_assert(is_reply(replies[i]), "%s", replies[i]);
    for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        cr_assert_not(is_reply(others[i]), "%s", others[i]);
}
