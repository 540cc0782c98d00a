/* mcproto: memcached's ASCII protocol over UDP, as memcached 1.6 speaks it.
 * The 8-byte frame header, splitting a reply into numbered datagrams, and a
 * parser that turns one command line (and a storage command's data block)
 * into a struct mcproto_req with memcached's tokenizer, number rules and
 * error strings. No table, no allocation, no printing; the binary protocol
 * and the meta commands (mg, ms, ...) are not here.
 *
 * Every function reads only [p, p + len) and may run on the fast path. */
#ifndef NFOS_MCPROTO_H
#define NFOS_MCPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MCPROTO_PORT     11211
#define MCPROTO_HDR_LEN  8    /* request id, sequence, datagram count, reserved */
#define MCPROTO_UDP_MAX  1400 /* a reply datagram, header included (memcached) */
#define MCPROTO_UDP_DATA (MCPROTO_UDP_MAX - MCPROTO_HDR_LEN)
#define MCPROTO_KEY_MAX  250
#define MCPROTO_TOKENS   24 /* memcached's MAX_TOKENS, the terminal token included */

/* The frame header, host order. */
struct mcproto_frame {
    uint16_t req_id;
    uint16_t seq;
    uint16_t total;
    uint16_t reserved;
};

/* Reads the header of a request datagram of len bytes (UDP payload).
 * Returns 0; -EMSGSIZE for 8 bytes or fewer (memcached ignores them);
 * -EPROTO when the datagram count is not 1 (memcached drops multi-datagram
 * requests without a reply). The sequence number and reserved bytes are
 * not checked, as memcached does not. */
int mcproto_frame_parse(const uint8_t *p, size_t len, struct mcproto_frame *f);

/* Writes a reply header: the request's id, this datagram's sequence number
 * and the datagram count (0 for memcached's empty reply datagram). */
void mcproto_frame_write(uint8_t *p, uint16_t req_id, uint16_t seq, uint16_t total);

/* How many datagrams memcached sends a reply of len bytes in: one per
 * MCPROTO_UDP_DATA bytes; 0 for an empty reply, which still goes out as one
 * bare header with a count of 0. */
static inline unsigned mcproto_datagrams(size_t len)
{
    return (unsigned)((len + MCPROTO_UDP_DATA - 1) / MCPROTO_UDP_DATA);
}

enum mcproto_op {
    MCPROTO_OP_ERROR, /* reply r->err (and nothing else happens) */
    MCPROTO_OP_GET,
    MCPROTO_OP_GETS,
    MCPROTO_OP_GAT,
    MCPROTO_OP_GATS,
    MCPROTO_OP_SET,
    MCPROTO_OP_ADD,
    MCPROTO_OP_REPLACE,
    MCPROTO_OP_APPEND,
    MCPROTO_OP_PREPEND,
    MCPROTO_OP_CAS,
    MCPROTO_OP_DELETE,
    MCPROTO_OP_INCR,
    MCPROTO_OP_DECR,
    MCPROTO_OP_TOUCH,
    MCPROTO_OP_FLUSH_ALL,
    MCPROTO_OP_VERSION,
    MCPROTO_OP_STATS,
    MCPROTO_OP_VERBOSITY,
    MCPROTO_OP_QUIT,
    MCPROTO_OP_COUNT
};

/* mcproto_req_parse results besides 0. */
#define MCPROTO_NEED_LINE                               \
    1 /* no '\n': memcached waits for more (the rest of \
       * a datagram is dropped) */
#define MCPROTO_NEED_DATA                             \
    2 /* a storage command's data block is cut short; \
       * r is filled, r->len is what there is */

/* Data block states of a storage command. */
#define MCPROTO_DATA_OK 0 /* vlen bytes and "\r\n" */
#define MCPROTO_DATA_BAD                           \
    1 /* vlen + 2 bytes that do not end in "\r\n": \
       * "CLIENT_ERROR bad data chunk" */

struct mcproto_req {
    uint8_t op;      /* enum mcproto_op */
    bool noreply;    /* reply nothing (errors included, as memcached) */
    uint8_t data_st; /* storage commands: MCPROTO_DATA_* */
    uint8_t nkey;
    const uint8_t *key; /* the (first) key */
    /* get family: the keys, separated by spaces, in [key, keys_end); each
     * at most MCPROTO_KEY_MAX bytes (checked here). */
    const uint8_t *keys_end;
    uint32_t flags;
    int32_t exptime;     /* storage, touch, gat, flush_all: as sent */
    uint32_t vlen;       /* storage: value bytes, "\r\n" excluded */
    uint64_t num;        /* cas: unique; incr/decr: delta; verbosity: level */
    const uint8_t *data; /* storage: the value, followed by "\r\n" when DATA_OK */
    const char *err;     /* OP_ERROR: the reply line, without "\r\n"; get family:
                          * a key is too long, the reply is err, and the keys
                          * before it are looked up first (memcached counts
                          * them and gat touches them) */
    const uint8_t *arg;  /* stats: the subcommand token, or NULL */
    const uint8_t *arg2; /* stats: the token after it, or NULL */
    uint8_t narg, narg2; /* their lengths (255 for longer ones) */
    size_t len;          /* bytes of the buffer this command used */
};

/* Parses one command at p (len bytes left in the datagram). Returns 0 with
 * *r filled (r->op may be MCPROTO_OP_ERROR with the reply memcached gives),
 * MCPROTO_NEED_LINE, or MCPROTO_NEED_DATA. The value-size limit is not
 * checked here: that is the table's "SERVER_ERROR object too large for
 * cache", after which the caller skips r->len bytes as well. */
int mcproto_req_parse(const uint8_t *p, size_t len, struct mcproto_req *r);

/* The fast path's shape: a whole request datagram (len bytes, frame
 * header included) holding one "get KEY\r\n" or "gets KEY\r\n" with a
 * datagram count of 1 and a key of 1 to MCPROTO_KEY_MAX bytes above ' '.
 * Returns the key's length with *key and *gets set, or 0 for any other
 * datagram (mcproto_req_parse then decides). What it accepts means just
 * what mcproto_req_parse would make of it: one get/gets of that key.
 * A few word operations per 8 bytes of key, no per-byte branches. */
size_t mcproto_get_simple(const uint8_t *p, size_t len, const uint8_t **key, bool *gets);

/* Whether the command line at p (len bytes left in a datagram) is what a
 * memcached server sends, not what it is asked: a reply word (VALUE, END,
 * STORED, NOT_STORED, EXISTS, NOT_FOUND, DELETED, TOUCHED, OK, RESET,
 * ERROR, CLIENT_ERROR, SERVER_ERROR, STAT, VERSION, or a meta reply code:
 * HD, VA, EN, NF, NS, EX, MN, ME) ending at a space or line end, or an
 * incr/decr result (digits, then "\r\n"). memcached answers such a line
 * "ERROR"; a server that does so answers another server's replies, and two
 * of them (a request forged from one to the other) answer each other for
 * ever: a reply loop. No command is upper case or a number, so nothing a
 * client asks is taken for one. */
bool mcproto_is_reply(const uint8_t *p, size_t len);

/* The next key of a get-family request: skips spaces from *cur, returns the
 * key and its length in *n and moves *cur past it; NULL at end. */
static inline const uint8_t *mcproto_key_next(const uint8_t **cur, const uint8_t *end, size_t *n)
{
    const uint8_t *p = *cur, *k;

    while (p < end && *p == ' ')
        p++;
    if (p == end)
        return NULL;
    k = p;
    while (p < end && *p != ' ')
        p++;
    *n = (size_t)(p - k);
    *cur = p;
    return k;
}

/* memcached's number rules (strtoull/strtoul/strtol, then safe_strto*):
 * the token (no spaces in it) must hold digits after optional leading
 * whitespace and sign, followed by nothing or whitespace. Return true and
 * *out, or false. */
bool mcproto_parse_u64(const uint8_t *tok, size_t n, uint64_t *out);
bool mcproto_parse_u32(const uint8_t *tok, size_t n, uint32_t *out);
bool mcproto_parse_i32(const uint8_t *tok, size_t n, int32_t *out);

/* Writes v in decimal at p; returns the end. At most 20 bytes. */
char *mcproto_put_u64(char *p, uint64_t v);

#endif /* NFOS_MCPROTO_H */
