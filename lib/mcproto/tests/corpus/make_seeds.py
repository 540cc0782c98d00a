"""Writes the seed corpus of lib/mcproto's fuzz harness (seeds/): request
datagrams of every command shape. Run by hand: python3 lib/mcproto/tests/corpus/make_seeds.py"""
import os

D = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
H = b"\0\1\0\0\0\1\0\0"  # request id 1, sequence 0, one datagram
SEEDS = {
    "get": b"get k\r\n", "gets": b"gets key1\r\n", "get_multi": b"get a bb ccc\r\n",
    "set": b"set k 5 0 3\r\nabc\r\n", "set_noreply_get": b"set k 0 60 1 noreply\r\nv\r\nget k\r\n",
    "add_bad_chunk": b"add k 0 0 2\r\nabcd\r\n", "cas": b"cas k 1 -1 2 17\r\nhi\r\n",
    "append": b"append k 0 0 1\r\nx\r\nprepend k 0 0 1\r\ny\r\n",
    "incr": b"incr n 18446744073709551615\r\ndecr n 3\r\n",
    "delete": b"delete k noreply\r\ndelete k 0\r\n",
    "touch_gat": b"touch k 10\r\ngat 100 k j\r\ngats -1 k\r\n",
    "stats": b"stats slabs x\r\nstats\r\nversion\r\nverbosity 1\r\nflush_all 10\r\nquit\r\n",
    "need_data": b"set k 0 0 100\r\nshort", "no_line": b"get k",
    "numbers": b"set k +4294967296 \t12 1\r\nz\r\nincr k -0\r\n",
}
os.makedirs(D, exist_ok=True)
for name, body in SEEDS.items():
    with open(os.path.join(D, name), "wb") as f:
        f.write(H + body)
with open(os.path.join(D, "multi_dgram"), "wb") as f:
    f.write(b"\0\1\0\0\0\2\0\0get k\r\n")
