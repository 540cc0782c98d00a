/* kvproto: memcached UDP get/set requests and their replies (kvproto.h).
 * Builds with fixed layouts, parses with a bounds check before every
 * read; no allocation, no libc formatting on the fast path. */
#include <string.h>

#include "kvproto.h"

/* Key:   "key:" 12 digits                      (16 bytes)
 * Value: "v" 12 digits "-" 18 digits of version (32 bytes) */
#define KEY_PREFIX    "key:"
#define KEY_DIGITS    12
#define VER_DIGITS    18
#define VALUE_TRAILER "\r\nEND\r\n"
#define SET_MIDDLE    " 0 0 32\r\n"

static void put_digits(uint8_t *out, uint64_t v, unsigned n)
{
    for (unsigned i = n; i-- > 0; v /= 10)
        out[i] = (uint8_t)('0' + v % 10);
}

static void put_hdr(uint8_t *out, uint16_t id)
{
    const uint8_t hdr[KVP_HDR_LEN] = { (uint8_t)(id >> 8), (uint8_t)id, 0, 0, 0, 1, 0, 0 };

    memcpy(out, hdr, sizeof(hdr));
}

static void put_key(uint8_t *out, uint64_t key)
{
    memcpy(out, KEY_PREFIX, 4);
    put_digits(out + 4, key, KEY_DIGITS);
}

size_t kvp_get_build(uint8_t *out, uint16_t id, uint64_t key)
{
    put_hdr(out, id);
    memcpy(out + KVP_HDR_LEN, "get ", 4);
    put_key(out + KVP_HDR_LEN + 4, key);
    memcpy(out + KVP_HDR_LEN + 4 + KVP_KEY_LEN, "\r\n", 2);
    return KVP_GET_LEN;
}

size_t kvp_set_build(uint8_t *out, uint16_t id, uint64_t key, uint64_t version)
{
    uint8_t *p = out + KVP_HDR_LEN;

    put_hdr(out, id);
    memcpy(p, "set ", 4);
    put_key(p + 4, key);
    p += 4 + KVP_KEY_LEN;
    memcpy(p, SET_MIDDLE, 9);
    p += 9;
    p[0] = 'v';
    memcpy(p + 1, p - 9 - KEY_DIGITS, KEY_DIGITS); /* the key's digits */
    p[1 + KEY_DIGITS] = '-';
    put_digits(p + 2 + KEY_DIGITS, version, VER_DIGITS);
    memcpy(p + KVP_VAL_LEN, "\r\n", 2);
    return KVP_SET_LEN;
}

static int all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return n > 0;
}

static uint64_t get_digits(const uint8_t *p, size_t n)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++)
        v = v * 10 + (uint64_t)(p[i] - '0');
    return v;
}

int64_t kvp_key_parse(const uint8_t *key, size_t len)
{
    if (len != KVP_KEY_LEN || memcmp(key, KEY_PREFIX, 4) != 0 || !all_digits(key + 4, KEY_DIGITS))
        return -1;
    return (int64_t)get_digits(key + 4, KEY_DIGITS);
}

static int value_ok(const uint8_t *v, const uint8_t *key)
{
    return v[0] == 'v' && memcmp(v + 1, key + 4, KEY_DIGITS) == 0 && v[1 + KEY_DIGITS] == '-' &&
           all_digits(v + 2 + KEY_DIGITS, VER_DIGITS);
}

/* Position after the first "\r\n" in [p, end), or NULL. */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
    for (; p + 1 < end; p++)
        if (p[0] == '\r' && p[1] == '\n')
            return p + 2;
    return NULL;
}

static int starts(const uint8_t *p, const uint8_t *end, const char *s)
{
    size_t n = strlen(s);

    return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

static enum kvp_kind bad(struct kvp_reply *r, enum kvp_bad why)
{
    r->bad = why;
    return r->kind = KVP_MALFORMED;
}

/* Next space-separated field of line [*p, end): digits only, advances *p.
 * Returns its length, 0 when it is not a field of digits. */
static size_t digit_field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *q = *p;

    while (q < end && *q >= '0' && *q <= '9')
        q++;
    if (q - *p > 19)
        return 0; /* would overflow; no reply to our requests has that */
    size_t n = (size_t)(q - *p);
    *p = q;
    return n;
}

/* "VALUE <key> <flags> <bytes>[ <cas>]\r\n<data>\r\nEND\r\n" with line
 * [p, eol) the first line (eol after its \r\n) and end the payload's end. */
static enum kvp_kind parse_value(const uint8_t *p, const uint8_t *eol, const uint8_t *end,
                                 struct kvp_reply *r)
{
    const uint8_t *le = eol - 2, *q = p + 6, *f;
    int64_t key;
    size_t n;
    uint64_t bytes;

    if (le - q < KVP_KEY_LEN + 1 || q[KVP_KEY_LEN] != ' ')
        return bad(r, KVP_BAD_VALUE_HDR);
    key = kvp_key_parse(q, KVP_KEY_LEN);
    q += KVP_KEY_LEN + 1;
    f = q;
    n = digit_field(&q, le);
    if (key < 0 || n != 1 || *f != '0' || q >= le || *q++ != ' ')
        return bad(r, KVP_BAD_VALUE_HDR); /* we set flags 0 */
    f = q;
    n = digit_field(&q, le);
    if (n == 0)
        return bad(r, KVP_BAD_VALUE_HDR);
    bytes = get_digits(f, n);
    if (q < le) { /* gets adds a cas unique */
        if (*q++ != ' ' || digit_field(&q, le) == 0 || q != le)
            return bad(r, KVP_BAD_VALUE_HDR);
    }
    if (bytes != KVP_VAL_LEN)
        return bad(r, KVP_BAD_VALUE_HDR);
    if ((size_t)(end - eol) != KVP_VAL_LEN + sizeof(VALUE_TRAILER) - 1 ||
        memcmp(eol + KVP_VAL_LEN, VALUE_TRAILER, sizeof(VALUE_TRAILER) - 1) != 0)
        return bad(r, KVP_BAD_DATA);
    r->key = (uint64_t)key;
    r->value_ok = value_ok(eol, p + 6);
    return r->kind = KVP_HIT;
}

enum kvp_kind kvp_reply_parse(const uint8_t *p, size_t len, struct kvp_reply *r)
{
    const uint8_t *end = p + len, *eol;

    memset(r, 0, sizeof(*r));
    if (len < KVP_HDR_LEN)
        return bad(r, KVP_BAD_SHORT);
    r->id = (uint16_t)(p[0] << 8 | p[1]);
    if (p[2] || p[3] || p[4] || p[5] != 1 || p[6] || p[7])
        return bad(r, KVP_BAD_FRAME);
    p += KVP_HDR_LEN;
    eol = line_end(p, end);
    if (!eol)
        return bad(r, KVP_BAD_LINE);
    if (starts(p, eol, "VALUE "))
        return parse_value(p, eol, end, r);
    if (eol != end)
        return bad(r, KVP_BAD_LINE); /* every other answer is one line */
    if (starts(p, eol, "END\r\n") && eol - p == 5)
        return r->kind = KVP_MISS;
    if (starts(p, eol, "STORED\r\n") && eol - p == 8)
        return r->kind = KVP_STORED;
    if (starts(p, eol, "ERROR") || starts(p, eol, "CLIENT_ERROR ") ||
        starts(p, eol, "SERVER_ERROR ") || starts(p, eol, "NOT_STORED\r\n") ||
        starts(p, eol, "EXISTS\r\n") || starts(p, eol, "NOT_FOUND\r\n"))
        return r->kind = KVP_ERROR;
    return bad(r, KVP_BAD_LINE);
}

const char *kvp_bad_name(enum kvp_bad why)
{
    static const char *const names[KVP_BAD_NREASONS] = {
        [KVP_BAD_NONE] = "none",
        [KVP_BAD_SHORT] = "short",
        [KVP_BAD_FRAME] = "frame-header",
        [KVP_BAD_LINE] = "reply-line",
        [KVP_BAD_VALUE_HDR] = "value-header",
        [KVP_BAD_DATA] = "value-data",
    };

    return (unsigned)why < KVP_BAD_NREASONS ? names[why] : "?";
}
