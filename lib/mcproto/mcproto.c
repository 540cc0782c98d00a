/* memcached 1.6's ASCII command parser and UDP framing, byte for byte as
 * memcached answers (proto_text.c's tokenizer, WANT_TOKENS rules, noreply
 * and safe_strto* number rules). Executing commands is the caller's. */
#include <errno.h>
#include <string.h>
#include <nfos/mcproto.h>

int mcproto_frame_parse(const uint8_t *p, size_t len, struct mcproto_frame *f)
{
    if (len <= MCPROTO_HDR_LEN)
        return -EMSGSIZE;
    f->req_id = (uint16_t)(p[0] << 8 | p[1]);
    f->seq = (uint16_t)(p[2] << 8 | p[3]);
    f->total = (uint16_t)(p[4] << 8 | p[5]);
    f->reserved = (uint16_t)(p[6] << 8 | p[7]);
    return f->total == 1 ? 0 : -EPROTO;
}

void mcproto_frame_write(uint8_t *p, uint16_t req_id, uint16_t seq, uint16_t total)
{
    p[0] = (uint8_t)(req_id >> 8);
    p[1] = (uint8_t)req_id;
    p[2] = (uint8_t)(seq >> 8);
    p[3] = (uint8_t)seq;
    p[4] = (uint8_t)(total >> 8);
    p[5] = (uint8_t)total;
    p[6] = 0;
    p[7] = 0;
}

/* Digits counted first, then written from the end two at a time: the
 * flags and lengths of a get reply (mostly one or two digits) cost a few
 * compares and at most a multiply, no division loop. */
char *mcproto_put_u64(char *p, uint64_t v)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    unsigned n = 1;
    uint64_t x;
    char *e;

    for (x = v; x >= 10; x /= 10)
        n++;
    e = p + n;
    p = e;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);

        v /= 100;
        p -= 2;
        memcpy(p, pairs + 2 * r, 2);
    }
    if (v >= 10) {
        p -= 2;
        memcpy(p, pairs + 2 * v, 2);
    } else {
        *--p = (char)('0' + v);
    }
    return e;
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;

    memcpy(&v, p, sizeof(v));
    return v;
}

/* Whether every byte of the word is above ' ' (no space, no control byte:
 * nothing memcached's tokenizer or line rules look at): the "has a byte
 * less than 0x21" test of Hacker's Delight, exact for such a bound. */
static inline bool above_space(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ULL;

    return !((w - ones * 0x21) & ~w & ones * 0x80);
}

size_t mcproto_get_simple(const uint8_t *p, size_t len, const uint8_t **key, bool *gets)
{
    const uint8_t *k = p + MCPROTO_HDR_LEN + 4;
    size_t n, i;
    uint64_t w = ~0ULL;

    if (len < MCPROTO_HDR_LEN + 7 || p[4] != 0 || p[5] != 1 || memcmp(p + len - 2, "\r\n", 2))
        return 0;
    if (!memcmp(p + MCPROTO_HDR_LEN, "get ", 4))
        *gets = false;
    else if (!memcmp(p + MCPROTO_HDR_LEN, "gets ", 5))
        *gets = true, k++;
    else
        return 0;
    n = (size_t)(p + len - 2 - k);
    if (n > MCPROTO_KEY_MAX)
        return 0;
    if (n < 8) { /* the bytes past the key stay 0xff: above ' ' */
        memcpy(&w, k, n);
        if (!above_space(w))
            return 0;
    } else {
        for (i = 0; i + 8 < n; i += 8)
            if (!above_space(load64(k + i)))
                return 0;
        if (!above_space(load64(k + n - 8)))
            return 0;
    }
    *key = k;
    return n;
}

static inline bool is_space(uint8_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* strtoull's view of a token: *mag the magnitude (saturated on overflow),
 * *neg a leading '-'. Returns false without digits or when a non-space
 * follows them; *ovf when the magnitude exceeds 64 bits. */
static bool scan(const uint8_t *t, size_t n, uint64_t *mag, bool *neg, bool *ovf)
{
    size_t i = 0, d0;
    uint64_t v = 0;

    *neg = *ovf = false;
    while (i < n && is_space(t[i]))
        i++;
    if (i < n && (t[i] == '+' || t[i] == '-'))
        *neg = t[i++] == '-';
    d0 = i;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
        unsigned d = t[i] - '0';

        if (v > (UINT64_MAX - d) / 10)
            *ovf = true;
        v = v * 10 + d;
    }
    if (i == d0)
        return false;
    *mag = v;
    return i == n || is_space(t[i]);
}

bool mcproto_parse_u64(const uint8_t *tok, size_t n, uint64_t *out)
{
    uint64_t m;
    bool neg, ovf;

    if (!scan(tok, n, &m, &neg, &ovf) || ovf)
        return false;
    m = neg ? (uint64_t)0 - m : m;
    if ((int64_t)m < 0 && neg) /* memcached refuses '-' only then */
        return false;
    *out = m;
    return true;
}

bool mcproto_parse_u32(const uint8_t *tok, size_t n, uint32_t *out)
{
    uint64_t v;

    if (!mcproto_parse_u64(tok, n, &v))
        return false;
    *out = (uint32_t)v; /* memcached stores the unsigned long truncated */
    return true;
}

bool mcproto_parse_i32(const uint8_t *tok, size_t n, int32_t *out)
{
    uint64_t m;
    bool neg, ovf;

    if (!scan(tok, n, &m, &neg, &ovf) || ovf)
        return false;
    if (neg ? m > (uint64_t)INT64_MAX + 1 : m > (uint64_t)INT64_MAX)
        return false; /* strtol's ERANGE */
    if (!neg && m > INT32_MAX)
        return false; /* safe_strtol: l > INT_MAX */
    *out = (int32_t)(neg ? (uint64_t)0 - m : m);
    return true;
}

struct tok {
    const uint8_t *v;
    size_t n;
};

/* memcached's tokenize_command: splits on ' ' only, at most
 * MCPROTO_TOKENS - 1 tokens; returns its count, terminal token included. */
static size_t tokenize(const uint8_t *s, size_t len, struct tok *t)
{
    size_t nt = 0, i;
    const uint8_t *start = s;

    for (i = 0; i < len; i++) {
        if (s[i] == ' ') {
            if (start != s + i) {
                t[nt].v = start;
                t[nt].n = (size_t)(s + i - start);
                if (++nt == MCPROTO_TOKENS - 1)
                    return nt + 1;
            }
            start = s + i + 1;
        }
    }
    if (start != s + len) {
        t[nt].v = start;
        t[nt].n = (size_t)(s + len - start);
        nt++;
    }
    return nt + 1;
}

static bool tok_is(const struct tok *t, const char *s)
{
    size_t n = strlen(s);

    return t->n == n && !memcmp(t->v, s, n);
}

static int error(struct mcproto_req *r, const char *msg)
{
    r->op = MCPROTO_OP_ERROR;
    r->err = msg;
    return 0;
}

static const char bad_format[] = "CLIENT_ERROR bad command line format";

/* The last real token is "noreply" (set_noreply_maybe). */
static bool noreply(const struct tok *t, size_t nt)
{
    return nt >= 2 && tok_is(&t[nt - 2], "noreply");
}

static int parse_get(struct mcproto_req *r, const uint8_t *line, size_t n, const struct tok *t,
                     size_t nt)
{
    const uint8_t *cur = t[1].v, *end = line + n, *k;
    size_t kn;
    unsigned first = 1;

    if (nt < 3)
        return error(r, "ERROR");
    if (r->op == MCPROTO_OP_GAT || r->op == MCPROTO_OP_GATS) {
        if (!mcproto_parse_i32(t[1].v, t[1].n, &r->exptime))
            return error(r, "CLIENT_ERROR invalid exptime argument");
        cur = t[1].v + t[1].n; /* "gat 10" alone: no keys, just END */
    }
    while ((k = mcproto_key_next(&cur, end, &kn))) {
        if (kn > MCPROTO_KEY_MAX) {
            /* memcached has looked up the keys before this one (they
             * count, gat touches them) and then answers the error */
            if (first)
                r->key = k;
            r->keys_end = k;
            r->err = bad_format;
            return 0;
        }
        if (first) {
            r->key = k;
            r->nkey = (uint8_t)kn;
            first = 0;
        }
    }
    r->keys_end = end;
    return 0;
}

static int parse_store(struct mcproto_req *r, const uint8_t *p, size_t len, const struct tok *t,
                       size_t nt)
{
    bool cas = r->op == MCPROTO_OP_CAS;
    int32_t vlen;

    if (nt != (cas ? 7u : 6u) && nt != (cas ? 8u : 7u))
        return error(r, "ERROR");
    r->noreply = noreply(t, nt);
    if (t[1].n > MCPROTO_KEY_MAX)
        return error(r, bad_format);
    r->key = t[1].v;
    r->nkey = (uint8_t)t[1].n;
    if (!mcproto_parse_u32(t[2].v, t[2].n, &r->flags) ||
        !mcproto_parse_i32(t[3].v, t[3].n, &r->exptime) ||
        !mcproto_parse_i32(t[4].v, t[4].n, &vlen))
        return error(r, bad_format);
    if (cas && !mcproto_parse_u64(t[5].v, t[5].n, &r->num))
        return error(r, bad_format);
    if (vlen < 0 || vlen > INT32_MAX - 2)
        return error(r, bad_format);
    r->vlen = (uint32_t)vlen;
    r->data = p + r->len;
    if (len - r->len < (size_t)vlen + 2) {
        r->len = len;
        return MCPROTO_NEED_DATA;
    }
    r->len += (size_t)vlen + 2;
    r->data_st = memcmp(r->data + vlen, "\r\n", 2) ? MCPROTO_DATA_BAD : MCPROTO_DATA_OK;
    return 0;
}

static int parse_delete(struct mcproto_req *r, const struct tok *t, size_t nt)
{
    if (nt < 3 || nt > 5)
        return error(r, "ERROR");
    if (nt > 3) {
        bool zero = tok_is(&t[2], "0");

        r->noreply = noreply(t, nt);
        if (!((nt == 4 && (zero || r->noreply)) || (nt == 5 && zero && r->noreply)))
            return error(r, "CLIENT_ERROR bad command line format.  "
                            "Usage: delete <key> [noreply]");
    }
    if (t[1].n > MCPROTO_KEY_MAX)
        return error(r, bad_format);
    r->key = t[1].v;
    r->nkey = (uint8_t)t[1].n;
    return 0;
}

/* incr, decr, touch: KEY ARG [noreply]. */
static int parse_key_arg(struct mcproto_req *r, const struct tok *t, size_t nt)
{
    if (nt != 4 && nt != 5)
        return error(r, "ERROR");
    r->noreply = noreply(t, nt);
    if (t[1].n > MCPROTO_KEY_MAX)
        return error(r, bad_format);
    r->key = t[1].v;
    r->nkey = (uint8_t)t[1].n;
    if (r->op == MCPROTO_OP_TOUCH) {
        if (!mcproto_parse_i32(t[2].v, t[2].n, &r->exptime))
            return error(r, "CLIENT_ERROR invalid exptime argument");
    } else if (!mcproto_parse_u64(t[2].v, t[2].n, &r->num)) {
        return error(r, "CLIENT_ERROR invalid numeric delta argument");
    }
    return 0;
}

static int parse_other(struct mcproto_req *r, const struct tok *t, size_t nt)
{
    const struct tok *c = &t[0];
    uint32_t level;

    if (tok_is(c, "flush_all")) {
        r->op = MCPROTO_OP_FLUSH_ALL;
        if (nt < 2 || nt > 4)
            return error(r, "ERROR");
        r->noreply = noreply(t, nt);
        r->exptime = 0;
        if (nt != (r->noreply ? 3u : 2u) && !mcproto_parse_i32(t[1].v, t[1].n, &r->exptime))
            return error(r, "CLIENT_ERROR invalid exptime argument");
    } else if (tok_is(c, "version")) {
        r->op = MCPROTO_OP_VERSION;
    } else if (tok_is(c, "quit")) {
        r->op = MCPROTO_OP_QUIT;
    } else if (tok_is(c, "verbosity")) {
        r->op = MCPROTO_OP_VERBOSITY;
        if (nt != 3 && nt != 4)
            return error(r, "ERROR");
        r->noreply = noreply(t, nt);
        if (!mcproto_parse_u32(t[1].v, t[1].n, &level))
            return error(r, bad_format);
        r->num = level;
    } else if (tok_is(c, "shutdown")) {
        return error(r, "ERROR: shutdown not enabled");
    } else {
        return error(r, "ERROR");
    }
    return 0;
}

int mcproto_req_parse(const uint8_t *p, size_t len, struct mcproto_req *r)
{
    const uint8_t *nl = memchr(p, '\n', len), *z;
    struct tok t[MCPROTO_TOKENS];
    size_t n, nt;
    uint8_t first;

    if (!nl)
        return MCPROTO_NEED_LINE;
    memset(r, 0, sizeof(*r));
    r->len = (size_t)(nl - p) + 1;
    n = (size_t)(nl - p);
    if (n > 1 && p[n - 1] == '\r')
        n--;
    if ((z = memchr(p, '\0', n))) /* memcached's strings end there */
        n = (size_t)(z - p);
    nt = tokenize(p, n, t);
    if (nt < 2 || t[0].n < 2)
        return error(r, "ERROR");
    first = t[0].v[0];
    if (first == 'g' || tok_is(&t[0], "bget")) {
        if (nt < 3)
            return error(r, "ERROR");
        if (tok_is(&t[0], "get") || tok_is(&t[0], "bget"))
            r->op = MCPROTO_OP_GET;
        else if (tok_is(&t[0], "gets"))
            r->op = MCPROTO_OP_GETS;
        else if (tok_is(&t[0], "gat"))
            r->op = MCPROTO_OP_GAT;
        else if (tok_is(&t[0], "gats"))
            r->op = MCPROTO_OP_GATS;
        else
            return error(r, "ERROR");
        return parse_get(r, p, n, t, nt);
    }
    if (tok_is(&t[0], "set") || tok_is(&t[0], "add") || tok_is(&t[0], "append") ||
        tok_is(&t[0], "cas") || tok_is(&t[0], "replace") || tok_is(&t[0], "prepend")) {
        r->op = first == 's'   ? MCPROTO_OP_SET
                : first == 'c' ? MCPROTO_OP_CAS
                : first == 'r' ? MCPROTO_OP_REPLACE
                : first == 'p' ? MCPROTO_OP_PREPEND
                : t[0].n == 3  ? MCPROTO_OP_ADD
                               : MCPROTO_OP_APPEND;
        return parse_store(r, p, len, t, nt);
    }
    if (tok_is(&t[0], "stats")) {
        r->op = MCPROTO_OP_STATS;
        if (nt > 2) {
            r->arg = t[1].v;
            r->narg = (uint8_t)(t[1].n > 255 ? 255 : t[1].n);
            if (nt > 3) {
                r->arg2 = t[2].v;
                r->narg2 = (uint8_t)(t[2].n > 255 ? 255 : t[2].n);
            }
        }
        return 0;
    }
    if (tok_is(&t[0], "delete")) {
        r->op = MCPROTO_OP_DELETE;
        return parse_delete(r, t, nt);
    }
    if (tok_is(&t[0], "incr") || tok_is(&t[0], "decr") || tok_is(&t[0], "touch")) {
        r->op = first == 'i' ? MCPROTO_OP_INCR : first == 'd' ? MCPROTO_OP_DECR : MCPROTO_OP_TOUCH;
        return parse_key_arg(r, t, nt);
    }
    return parse_other(r, t, nt);
}

bool mcproto_is_reply(const uint8_t *p, size_t len)
{
    static const char *const words[] = {
        "VALUE",        "END",     "STORED",  "NOT_STORED", "EXISTS", "NOT_FOUND",
        "DELETED",      "TOUCHED", "OK",      "RESET",      "ERROR",  "CLIENT_ERROR",
        "SERVER_ERROR", "STAT",    "VERSION", "HD",         "VA",     "EN",
        "NF",           "NS",      "EX",      "MN",         "ME",
    };
    size_t i, n;

    if (!len)
        return false;
    if (p[0] >= '0' && p[0] <= '9') {
        for (n = 1; n < len && p[n] >= '0' && p[n] <= '9'; n++)
            ;
        return len - n >= 2 && p[n] == '\r' && p[n + 1] == '\n';
    }
    if (p[0] < 'A' || p[0] > 'Z')
        return false;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        n = strlen(words[i]);
        if (len > n && !memcmp(p, words[i], n) && (p[n] == ' ' || p[n] == '\r' || p[n] == '\n'))
            return true;
    }
    return false;
}
