"""Writes the seed corpus of drivers/virtio's used-ring fuzz harness (used/):
rings that work, and devices that get the used ring wrong (fuzz_used.c
describes the operations). Run by hand: python3 drivers/virtio/tests/corpus/make_seeds.py"""
import os
import struct

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "used")
RX, TX, CHAIN, PUB, ENTRY, IDX, FLAGS, TAKE = range(8)


def op(code, a=0, b=0, c=0, d=0, e=0):
    return bytes([code, a, b, c, d, e])


def entry(raw, flags):
    """A used entry: flags bit 0 a popped head (raw picks it), 1 raw length,
    2 publish used.idx."""
    return op(ENTRY, flags, *struct.pack("<I", raw))


def good_round(adds, kind=RX):
    return (b"".join(op(kind, 60) for _ in range(adds)) + op(PUB) +
            b"".join(entry(i, 1 | 4) for i in range(adds)) + op(TAKE, 63))


SEEDS = {
    "rx_round_trip": bytes([4]) + good_round(8) * 3,
    "tx_round_trip_event_idx": bytes([0x80 | 5]) + good_round(16, TX) * 2,
    "chains": bytes([6]) + op(CHAIN, 2, 3) * 4 + op(PUB) +
    b"".join(entry(i, 5) for i in range(4)) + op(TAKE, 10),
    "bad_ids": bytes([3]) + op(RX, 9) * 4 + op(PUB) + entry(1000, 4) +
    entry(0xffffffff, 4) + entry(0, 5) + entry(0, 5) + op(TAKE, 63),
    "bad_lengths": bytes([3]) + op(RX, 9) * 4 + op(PUB) + entry(0xfffff, 1 | 2 | 4) +
    entry(1, 1 | 2 | 4) + op(TAKE, 63),
    "idx_ahead": bytes([2]) + op(RX, 9) * 4 + op(PUB) + op(IDX, 1, 0xe8, 0x03) + op(TAKE, 5) +
    op(IDX, 0) + entry(0, 5) + op(TAKE, 5),
    "flags_full_ring": bytes([0x80 | 1]) + op(FLAGS, 0, 0xff, 0xff, 0x34, 0x12) +
    op(TX, 5) * 3 + op(PUB) * 2 + entry(0, 5) + op(TAKE, 1) + op(TX, 5) + op(PUB),
}
os.makedirs(D, exist_ok=True)
for name, body in SEEDS.items():
    with open(os.path.join(D, name), "wb") as f:
        f.write(body)
