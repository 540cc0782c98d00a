"""Writes the seed corpus of lib/kvtable's fuzz harness (seeds/): byte 0
sizes the table, then 5-byte operations (see fuzz_kvtable.c). Run by hand:
python3 lib/kvtable/tests/corpus/make_seeds.py"""
import os

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
SET, ADD, REPLACE, APPEND, PREPEND, CAS, GET, TOUCH, DELETE, INCR, DECR, CLOCK, FLUSH = range(13)


def op(kind, key, a=0, b=0, c=0, num=False, flags=False, exp=0):
    return bytes([kind | (0x10 if num else 0) | (0x20 if flags else 0) | exp << 6, key, a, b, c])


SEEDS = {
    "set_get_delete": b"\1" + op(SET, 1, 5, 0, 7) + op(GET, 1) + op(DELETE, 1) + op(GET, 1),
    "add_replace_cas": b"\5" + op(ADD, 2, 3, 0, 1) + op(ADD, 2, 3, 0, 2) + op(REPLACE, 2, 9, 0, 3)
    + op(CAS, 2, 4, 1, 4) + op(CAS, 2, 4, 0, 5) + op(GET, 2),
    "append_prepend": b"\0" + op(SET, 3, 200, 3, 9, flags=True) + op(APPEND, 3, 100, 0, 1)
    + op(PREPEND, 3, 50, 0, 2) + op(GET, 3),
    "incr_decr": b"\2" + op(SET, 4, 0, 0, 99, num=True) + op(INCR, 4, 7) + op(DECR, 4, 200)
    + op(INCR, 4, 255, 3, 1) + op(GET, 4),
    "expiry_clock_flush": b"\3" + op(SET, 5, 10, 0, 1, exp=1) + op(SET, 6, 10, 0, 2, exp=2)
    + op(SET, 7, 10, 0, 3, exp=3) + op(CLOCK, 0, 5) + op(GET, 5) + op(TOUCH, 7, 0, 0, 3)
    + op(FLUSH, 0) + op(GET, 7),
    # one page, items to 8 KiB: the small class takes the page, the large
    # one must take it over (evictions), then its CLOCK hand evicts
    "pressure": b"\x0c" + op(SET, 1, 10, 0, 1) + op(SET, 2, 10, 0, 2)
    + b"".join(op(SET, 3 + i % 20, 0, 0x1e, i) for i in range(150)) + op(GET, 1) + op(GET, 3),
    # the index cut to 2 buckets (16 ways) for 24 keys: items relocate
    # between the buckets, then stores are refused (a full index), never
    # an item evicted for it
    "tiny_index": b"\x20" + b"".join(op(SET, k, 4, 0, k) for k in range(24))
    + b"".join(op(GET, k) for k in range(24)) + op(DELETE, 3) + op(SET, 23, 4, 0, 1),
}
os.makedirs(D, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)
