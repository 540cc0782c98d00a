/* kvproto: the memcached UDP requests kvgen sends and the replies it
 * accepts, on plain byte buffers (no DPDK here, so that unit tests drive
 * it). Only what the benchmark speaks: get and set of kvgen's own 16-byte
 * keys with 32-byte values; anything else in a reply is an error or
 * malformed, never trusted.
 *
 * Every datagram starts with memcached's 8-byte UDP frame header, all
 * fields big-endian: request id, sequence number, datagram count, reserved.
 * Requests carry sequence 0 of 1; a reply of more than one datagram is not
 * something these requests can cause, so it counts as malformed. */
#ifndef KVPROTO_H
#define KVPROTO_H

#include <stddef.h>
#include <stdint.h>

#define KVP_HDR_LEN 8
#define KVP_KEY_LEN 16
#define KVP_VAL_LEN 32
#define KVP_KEY_MAX 999999999999ull                     /* 12 decimal digits in a key */
#define KVP_GET_LEN (KVP_HDR_LEN + 4 + KVP_KEY_LEN + 2) /* 30 */
#define KVP_SET_LEN (KVP_HDR_LEN + 4 + KVP_KEY_LEN + 9 + KVP_VAL_LEN + 2) /* 71 */
#define KVP_REQ_MAX KVP_SET_LEN

enum kvp_kind {
    KVP_HIT,       /* VALUE <our key> <flags> 32\r\n<32 bytes>\r\nEND\r\n */
    KVP_MISS,      /* END\r\n */
    KVP_STORED,    /* STORED\r\n */
    KVP_ERROR,     /* ERROR, CLIENT_ERROR ..., SERVER_ERROR ..., NOT_STORED, a well-formed
                    * reply that is not an answer to get or set */
    KVP_MALFORMED, /* not a reply at all: see reason */
};

/* Why a datagram was malformed; counted per reason by kvgen. */
enum kvp_bad {
    KVP_BAD_NONE,
    KVP_BAD_SHORT,     /* shorter than the frame header */
    KVP_BAD_FRAME,     /* sequence, count or reserved not 0, 1, 0 */
    KVP_BAD_LINE,      /* no \r\n-terminated first line, or trailing bytes after it */
    KVP_BAD_VALUE_HDR, /* VALUE line: key, flags or length not as sent */
    KVP_BAD_DATA,      /* data block truncated, or not followed by \r\nEND\r\n */
    KVP_BAD_NREASONS,
};

struct kvp_reply {
    uint16_t id; /* request id from the frame header (valid unless SHORT) */
    enum kvp_kind kind;
    enum kvp_bad bad; /* KVP_MALFORMED only */
    uint64_t key;     /* KVP_HIT: the key's number */
    int value_ok;     /* KVP_HIT: the value is one kvgen wrote for that key */
};

/* Writes a `get KEY` request for key number key (<= KVP_KEY_MAX) with
 * request id id into out (at least KVP_GET_LEN bytes); returns its length. */
size_t kvp_get_build(uint8_t *out, uint16_t id, uint64_t key);

/* Writes a `set KEY 0 0 32` request; the value names the key and carries
 * version (its low 18 decimal digits). Returns its length, KVP_SET_LEN. */
size_t kvp_set_build(uint8_t *out, uint16_t id, uint64_t key, uint64_t version);

/* The key number in a 16-byte key kvgen made, or -1 for any other. */
int64_t kvp_key_parse(const uint8_t *key, size_t len);

/* Parses one UDP payload (frame header included) of len bytes. Never reads
 * outside [p, p + len). Returns r->kind. */
enum kvp_kind kvp_reply_parse(const uint8_t *p, size_t len, struct kvp_reply *r);

/* Short names of the kvp_bad reasons, for the report. */
const char *kvp_bad_name(enum kvp_bad bad);

#endif /* KVPROTO_H */
