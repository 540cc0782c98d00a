/* Unit tests for bench/kv/kvproto: the requests kvgen sends are byte for
 * byte memcached's UDP protocol, and every reply shape it may meet, good or
 * broken, parses to the right kind without reading outside the datagram
 * (AddressSanitizer watches: each reply is copied to a buffer of its exact
 * length). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "kvproto.h"

/* Parses the first len bytes of s from a heap copy of exactly len bytes. */
static enum kvp_kind parse_n(const void *s, size_t len, struct kvp_reply *r)
{
    uint8_t *p = malloc(len ? len : 1);
    enum kvp_kind k;

    memcpy(p, s, len);
    k = kvp_reply_parse(p, len, r);
    free(p);
    return k;
}

#define HDR(id) "\x00" id "\x00\x00\x00\x01\x00\x00"

static enum kvp_kind parse(const char *s, size_t len, struct kvp_reply *r)
{
    return parse_n(s, len, r);
}

#define PARSE(lit, r) parse(lit, sizeof(lit) - 1, r)

Test(kvproto, get_request_bytes)
{
    uint8_t buf[KVP_REQ_MAX];
    static const char want[] = "\x12\x34\x00\x00\x00\x01\x00\x00get key:000000000042\r\n";

    cr_assert_eq(kvp_get_build(buf, 0x1234, 42), KVP_GET_LEN);
    cr_assert_eq(KVP_GET_LEN, sizeof(want) - 1);
    cr_assert_arr_eq(buf, want, KVP_GET_LEN);
}

Test(kvproto, set_request_bytes)
{
    uint8_t buf[KVP_REQ_MAX];
    static const char want[] = "\xff\xfe\x00\x00\x00\x01\x00\x00"
                               "set key:999999999999 0 0 32\r\n"
                               "v999999999999-000000000000000007\r\n";

    cr_assert_eq(kvp_set_build(buf, 0xfffe, KVP_KEY_MAX, 7), KVP_SET_LEN);
    cr_assert_eq(KVP_SET_LEN, sizeof(want) - 1);
    cr_assert_arr_eq(buf, want, KVP_SET_LEN);
}

Test(kvproto, key_parse)
{
    cr_expect_eq(kvp_key_parse((const uint8_t *)"key:000001000000", 16), 1000000);
    cr_expect_eq(kvp_key_parse((const uint8_t *)"key:00000100000x", 16), -1);
    cr_expect_eq(kvp_key_parse((const uint8_t *)"kex:000001000000", 16), -1);
    cr_expect_eq(kvp_key_parse((const uint8_t *)"key:00000100000", 15), -1);
}

Test(kvproto, hit_miss_stored)
{
    struct kvp_reply r;

    cr_assert_eq(PARSE(HDR("\x07") "VALUE key:000000000042 0 32\r\n"
                                   "v000000000042-000000000000000001\r\nEND\r\n",
                       &r),
                 KVP_HIT);
    cr_expect_eq(r.id, 7);
    cr_expect_eq(r.key, 42);
    cr_expect(r.value_ok);
    cr_assert_eq(PARSE(HDR("\x08") "END\r\n", &r), KVP_MISS);
    cr_expect_eq(r.id, 8);
    cr_assert_eq(PARSE(HDR("\x09") "STORED\r\n", &r), KVP_STORED);
    cr_expect_eq(r.id, 9);
}

Test(kvproto, hit_with_cas_and_foreign_value)
{
    struct kvp_reply r;

    cr_assert_eq(PARSE(HDR("\x01") "VALUE key:000000000042 0 32 12345\r\n"
                                   "v000000000043-000000000000000001\r\nEND\r\n",
                       &r),
                 KVP_HIT);
    cr_expect_not(r.value_ok, "a value written for key 43 is not key 42's");
}

Test(kvproto, server_errors_are_errors)
{
    struct kvp_reply r;

    cr_expect_eq(PARSE(HDR("\x01") "ERROR\r\n", &r), KVP_ERROR);
    cr_expect_eq(PARSE(HDR("\x01") "SERVER_ERROR out of memory storing object\r\n", &r), KVP_ERROR);
    cr_expect_eq(PARSE(HDR("\x01") "CLIENT_ERROR bad data chunk\r\n", &r), KVP_ERROR);
    cr_expect_eq(PARSE(HDR("\x01") "NOT_STORED\r\n", &r), KVP_ERROR);
}

static void expect_bad(const char *s, size_t len, enum kvp_bad why)
{
    struct kvp_reply r;

    cr_expect_eq(parse(s, len, &r), KVP_MALFORMED, "%.*s", (int)len, s);
    cr_expect_eq(r.bad, why, "%s for %.*s", kvp_bad_name(r.bad), (int)len, s);
}

#define BAD(lit, why) expect_bad(lit, sizeof(lit) - 1, why)

Test(kvproto, malformed_frames)
{
    BAD("", KVP_BAD_SHORT);
    BAD("\x00\x01\x00\x00\x00\x01\x00", KVP_BAD_SHORT);
    BAD("\x00\x01\x00\x01\x00\x01\x00\x00STORED\r\n", KVP_BAD_FRAME); /* sequence 1 */
    BAD("\x00\x01\x00\x00\x00\x02\x00\x00STORED\r\n", KVP_BAD_FRAME); /* 2 datagrams */
    BAD("\x00\x01\x00\x00\x00\x01\x00\x01STORED\r\n", KVP_BAD_FRAME); /* reserved */
    BAD(HDR("\x01"), KVP_BAD_LINE);                                   /* no line */
    BAD(HDR("\x01") "STORED\r", KVP_BAD_LINE);                        /* unterminated */
    BAD(HDR("\x01") "STORED\r\nEND\r\n", KVP_BAD_LINE);               /* trailing bytes */
    BAD(HDR("\x01") "HELLO\r\n", KVP_BAD_LINE);                       /* unknown */
    BAD(HDR("\x01") "\r\n", KVP_BAD_LINE);
}

Test(kvproto, malformed_values)
{
    BAD(HDR("\x01") "VALUE \r\n", KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042\r\n", KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 0\r\n", KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 1 32\r\n"
                    "v000000000042-000000000000000001\r\nEND\r\n",
        KVP_BAD_VALUE_HDR); /* flags we never set */
    BAD(HDR("\x01") "VALUE other-key-16byte 0 32\r\n"
                    "v000000000042-000000000000000001\r\nEND\r\n",
        KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 0 31\r\n"
                    "v000000000042-00000000000000001\r\nEND\r\n",
        KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 0 99999999999999999999999\r\n", KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 0 32 x\r\n", KVP_BAD_VALUE_HDR);
    BAD(HDR("\x01") "VALUE key:000000000042 0 32\r\nv0000", KVP_BAD_DATA); /* truncated */
    BAD(HDR("\x01") "VALUE key:000000000042 0 32\r\n"
                    "v000000000042-000000000000000001\r\nEND\r",
        KVP_BAD_DATA);
    BAD(HDR("\x01") "VALUE key:000000000042 0 32\r\n"
                    "v000000000042-000000000000000001\r\nEND\r\nX",
        KVP_BAD_DATA);
    BAD(HDR("\x01") "VALUE key:000000000042 0 32\r\n"
                    "v000000000042-000000000000000001XXEND\r\n",
        KVP_BAD_DATA);
}

/* Every prefix and every single-byte corruption of good replies: a kind,
 * never a crash or a read past the end (ASan). */
Test(kvproto, every_truncation_and_corruption)
{
    static const char hit[] = HDR("\x05") "VALUE key:000000000042 0 32\r\n"
                                          "v000000000042-000000000000000001\r\nEND\r\n";
    uint8_t buf[sizeof(hit)];
    struct kvp_reply r;

    for (size_t len = 0; len < sizeof(hit) - 1; len++)
        cr_expect_eq(parse_n(hit, len, &r), KVP_MALFORMED, "prefix of %zu bytes", len);
    for (size_t i = 0; i < sizeof(hit) - 1; i++) {
        for (unsigned v = 0; v < 256; v += 17) {
            memcpy(buf, hit, sizeof(hit) - 1);
            buf[i] = (uint8_t)v;
            enum kvp_kind k = parse_n(buf, sizeof(hit) - 1, &r);
            cr_expect(k == KVP_HIT || k == KVP_MALFORMED, "byte %zu = %u: kind %d", i, v, k);
        }
    }
}

Test(kvproto, requests_parse_back_as_our_keys)
{
    uint8_t buf[KVP_REQ_MAX];

    for (uint64_t key = 0; key < 2000000; key += 99991) {
        kvp_set_build(buf, 1, key, key * 3);
        cr_assert_eq(kvp_key_parse(buf + KVP_HDR_LEN + 4, KVP_KEY_LEN), (int64_t)key);
        kvp_get_build(buf, 1, key);
        cr_assert_eq(kvp_key_parse(buf + KVP_HDR_LEN + 4, KVP_KEY_LEN), (int64_t)key);
    }
}
