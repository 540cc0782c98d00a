/* libFuzzer harness for mcproto (make fuzz). The input is one request
 * datagram, UDP payload: frame header, then commands.
 *
 * Checked: the frame header reads back as its bytes; the commands parse one
 * after the other as kvstore walks them, each using at least one byte and
 * at most what is left, every pointer in a request inside the datagram,
 * keys within MCPROTO_KEY_MAX (unless the reply is the key error), a data
 * block's "\r\n" where data_st says; mcproto_get_simple accepts only what
 * mcproto_req_parse makes one get/gets of the same key; every token's number
 * parses as memcached's safe_strtoull/safe_strtoul/safe_strtol over libc's
 * strtoull/strtoul/strtol say (memcached 1.6 util.c); mcproto_put_u64 writes
 * what printf does. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nfos/mcproto.h>

#include "fuzz_check.h"

#define INSIDE(q, n) ((q) >= lo && (q) + (n) <= hi)

/* memcached's safe_strtoull, safe_strtoul and safe_strtol on a C string. */
static bool ref_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE || end == s)
        return false;
    if (!(isspace((unsigned char)*end) || *end == '\0'))
        return false;
    if ((long long)v < 0 && memchr(s, '-', (size_t)(end - s)))
        return false;
    *out = v;
    return true;
}

static bool ref_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno == ERANGE || end == s)
        return false;
    if (!(isspace((unsigned char)*end) || *end == '\0'))
        return false;
    if ((long)v < 0 && memchr(s, '-', (size_t)(end - s)))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool ref_i32(const char *s, int32_t *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno == ERANGE || end == s || v > INT_MAX)
        return false;
    if (!(isspace((unsigned char)*end) || *end == '\0'))
        return false;
    *out = (int32_t)v;
    return true;
}

/* A token as the tokenizer hands it over: no ' ', no NUL. */
static void numbers(const uint8_t *t, size_t n)
{
    char s[64];
    uint64_t a = 0, b = 0;
    uint32_t c = 0, d = 0;
    int32_t e = 0, f = 0;
    bool ok;

    if (n >= sizeof(s) || memchr(t, '\0', n))
        return;
    memcpy(s, t, n);
    s[n] = '\0';
    ok = mcproto_parse_u64(t, n, &a);
    CHECK(ok == ref_u64(s, &b) && (!ok || a == b), "u64 \"%s\": %d %llu vs %llu", s, ok,
          (unsigned long long)a, (unsigned long long)b);
    ok = mcproto_parse_u32(t, n, &c);
    CHECK(ok == ref_u32(s, &d) && (!ok || c == d), "u32 \"%s\": %d %u vs %u", s, ok, c, d);
    ok = mcproto_parse_i32(t, n, &e);
    CHECK(ok == ref_i32(s, &f) && (!ok || e == f), "i32 \"%s\": %d %d vs %d", s, ok, e, f);
}

static void tokens(const uint8_t *p, size_t n)
{
    size_t i = 0, j;

    while (i < n) {
        for (j = i; j < n && p[j] != ' '; j++)
            ;
        if (j > i)
            numbers(p + i, j - i);
        i = j + 1;
    }
}

static void check_req(const struct mcproto_req *r, int rc, const uint8_t *lo, const uint8_t *hi)
{
    const uint8_t *cur, *k;
    size_t kn;

    CHECK(r->op < MCPROTO_OP_COUNT, "op %u", r->op);
    if (r->op == MCPROTO_OP_ERROR) {
        CHECK(r->err != NULL, "an error without its line");
        return;
    }
    if (r->key)
        CHECK(INSIDE(r->key, r->nkey), "key outside the datagram");
    if (r->op <= MCPROTO_OP_GATS && r->key) {
        CHECK(r->keys_end && r->key <= r->keys_end && r->keys_end <= hi, "keys_end");
        cur = r->key;
        while ((k = mcproto_key_next(&cur, r->keys_end, &kn)))
            CHECK(kn <= MCPROTO_KEY_MAX && INSIDE(k, kn), "a key of %zu bytes", kn);
    } else if (r->key) {
        CHECK(r->nkey <= MCPROTO_KEY_MAX, "nkey %u", r->nkey);
    }
    if (r->op >= MCPROTO_OP_SET && r->op <= MCPROTO_OP_CAS && r->data) {
        CHECK(INSIDE(r->data, 0), "data outside");
        if (rc == 0 && r->data_st == MCPROTO_DATA_OK) /* NEED_DATA: cut short */
            CHECK(INSIDE(r->data, (size_t)r->vlen + 2) && !memcmp(r->data + r->vlen, "\r\n", 2),
                  "DATA_OK without \\r\\n");
    }
    if (r->arg)
        CHECK(INSIDE(r->arg, r->narg), "stats argument outside");
    if (r->arg2)
        CHECK(INSIDE(r->arg2, r->narg2), "stats argument outside");
}

static void simple(const uint8_t *data, size_t size)
{
    struct mcproto_req r;
    const uint8_t *key = NULL;
    bool gets = false;
    size_t n = mcproto_get_simple(data, size, &key, &gets);

    if (!n)
        return;
    CHECK(n <= MCPROTO_KEY_MAX && key >= data && key + n <= data + size, "simple key");
    CHECK(mcproto_req_parse(data + MCPROTO_HDR_LEN, size - MCPROTO_HDR_LEN, &r) == 0, "parse");
    CHECK(r.op == (gets ? MCPROTO_OP_GETS : MCPROTO_OP_GET) && !r.err && r.key == key &&
              r.nkey == n && r.len == size - MCPROTO_HDR_LEN && r.keys_end == key + n,
          "get_simple took what the parser does not make one get of that key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data + MCPROTO_HDR_LEN, *hi = data + size;
    struct mcproto_frame fr;
    struct mcproto_req r;
    char a[24], b[24];
    uint64_t v;
    int rc;

    rc = mcproto_frame_parse(data, size, &fr);
    if (size <= MCPROTO_HDR_LEN) {
        CHECK(rc == -EMSGSIZE, "short datagram: %d", rc);
        return 0;
    }
    CHECK(fr.req_id == (data[0] << 8 | data[1]) && fr.total == (data[4] << 8 | data[5]),
          "frame header");
    CHECK(rc == (fr.total == 1 ? 0 : -EPROTO), "frame result %d", rc);
    memcpy(&v, data, sizeof(v));
    *mcproto_put_u64(a, v) = '\0';
    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    CHECK(!strcmp(a, b), "put_u64 %s, printf %s", a, b);
    simple(data, size);
    tokens(p, (size_t)(hi - p));

    while (p < hi) {
        const uint8_t *lo = p;

        rc = mcproto_req_parse(p, (size_t)(hi - p), &r);
        if (rc == MCPROTO_NEED_LINE) {
            CHECK(!memchr(p, '\n', (size_t)(hi - p)), "NEED_LINE with a line there");
            break;
        }
        CHECK(rc == 0 || rc == MCPROTO_NEED_DATA, "result %d", rc);
        CHECK(r.len >= 1 && r.len <= (size_t)(hi - p), "used %zu of %zu", r.len, (size_t)(hi - p));
        check_req(&r, rc, lo, hi);
        if (rc == MCPROTO_NEED_DATA) {
            CHECK(r.op >= MCPROTO_OP_SET && r.op <= MCPROTO_OP_CAS, "NEED_DATA for op %u", r.op);
            break;
        }
        p += r.len;
    }
    return 0;
}
