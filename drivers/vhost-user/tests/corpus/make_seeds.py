"""Writes the seed corpus of drivers/vhost-user's fuzz harness (replies/):
byte 0 picks the queue indices (0x04: 0 and 1), then what a backend sends
back over a whole conversation, with and without REPLY_ACK, and a few
broken ones. Run by hand: python3 drivers/vhost-user/tests/corpus/make_seeds.py"""
import os
import struct

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "replies")
VERSION_1, EVENT_IDX, F_PROTOCOL, REPLY_ACK = 1 << 32, 1 << 29, 1 << 30, 1 << 3
(GET_FEATURES, SET_FEATURES, SET_MEM_TABLE, SET_VRING_NUM, SET_VRING_ADDR, SET_VRING_BASE,
 GET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL, GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES,
 SET_VRING_ENABLE) = 1, 2, 5, 8, 9, 10, 11, 12, 13, 15, 16, 18


def reply(req, value=0, flags=0x5, size=8):
    return struct.pack("<III", req, flags, size) + struct.pack("<Q", value)[:size]


def conversation(acks=True):
    ack = (lambda req: reply(req)) if acks else (lambda req: b"")
    ring = b"".join(ack(r) for r in (SET_VRING_CALL, SET_VRING_NUM, SET_VRING_BASE,
                                      SET_VRING_ADDR, SET_VRING_KICK))
    out = reply(GET_FEATURES, VERSION_1 | EVENT_IDX | (F_PROTOCOL if acks else 0))
    if acks:
        out += reply(GET_PROTOCOL_FEATURES, REPLY_ACK | 1)  # SET_PROTOCOL_FEATURES: no ack yet
    out += ack(SET_FEATURES) + ack(SET_MEM_TABLE) + ring * 2
    out += ack(SET_VRING_ENABLE) * 2
    for i in range(2):
        out += ack(SET_VRING_ENABLE) + reply(GET_VRING_BASE, i)
    return out


SEEDS = {
    "whole_with_acks": b"\x04" + conversation(),
    "whole_without_acks": b"\x04" + conversation(False),
    "queue_index_beyond": b"\x0e" + conversation(),
    "refused": b"\x04" + reply(GET_FEATURES, VERSION_1 | F_PROTOCOL) +
    reply(GET_PROTOCOL_FEATURES, REPLY_ACK) + reply(SET_FEATURES, 1),
    "wrong_size": b"\x04" + reply(GET_FEATURES, VERSION_1, size=4),
    "huge_size": b"\x04" + struct.pack("<III", GET_FEATURES, 0x5, 0xffffffff),
    "truncated": b"\x04" + conversation()[:100],
}
os.makedirs(D, exist_ok=True)
for name, body in SEEDS.items():
    with open(os.path.join(D, name), "wb") as f:
        f.write(body)
