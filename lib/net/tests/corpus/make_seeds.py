"""Writes the seed corpora of lib/net's fuzz harnesses (parse/, reasm/):
a handful of valid frames and fragment runs, computed here, not by lib/net.
Run by hand from anywhere: python3 lib/net/tests/corpus/make_seeds.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
A, B = bytes.fromhex("020000000001"), bytes.fromhex("525400123456")


def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def eth(t, vid=None):
    return A + B + (struct.pack("!HHH", 0x8100, vid, t) if vid is not None else struct.pack("!H", t))


def ipv4(proto, payload, src=b"\x0a\0\0\x02", dst=b"\x0a\0\0\x01", ident=1, frag=0x4000, opts=b""):
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | (5 + len(opts) // 4), 0, 20 + len(opts) + len(payload),
                    ident, frag, 64, proto, 0, src, dst) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload


def udp(pl, sp=5000, dp=11211):
    u = struct.pack("!HHHH", sp, dp, 8 + len(pl), 0) + pl
    ph = b"\x0a\0\0\x02\x0a\0\0\x01" + struct.pack("!BBH", 0, 17, len(u))
    return u[:6] + struct.pack("!H", csum(ph + u) or 0xffff) + u[8:]


def icmp(t, pl):
    m = struct.pack("!BBHHH", t, 0, 0, 0x1234, 1) + pl
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def write(sub, name, data):
    os.makedirs(os.path.join(HERE, sub), exist_ok=True)
    with open(os.path.join(HERE, sub, name), "wb") as f:
        f.write(data)


arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + B + b"\x0a\0\0\x02" + b"\0" * 6 + b"\x0a\0\0\x01"
frames = {
    "arp_request": eth(0x0806) + arp + b"\0" * 18,
    "arp_vlan": eth(0x0806, vid=7) + arp,
    "icmp_echo": eth(0x0800) + ipv4(1, icmp(8, b"hello")),
    "udp_get": eth(0x0800) + ipv4(17, udp(b"\0\1\0\0\0\1\0\0get k\r\n")),
    "udp_vlan_opts": eth(0x0800, vid=0x2064) + ipv4(17, udp(b"\1\2\3"), opts=b"\x94\4\0\0"),
    "tcp_syn": eth(0x0800) + ipv4(6, struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, 0x50, 2, 65535, 0, 0)),
    "frag_first": eth(0x0800) + ipv4(17, udp(b"x" * 16)[:16], ident=9, frag=0x2000),
    "ipv6": eth(0x86dd) + bytes.fromhex("6000000000083a40") + b"\xfe\x80" + b"\0" * 30,
}
for name, f in frames.items():
    # control byte 0: flags 0, checksums as they are, our address from the frame
    write("parse", name, b"\0" + f)

# reasm: byte 0 picks the slots; made records are ctl, src, id, off_lo,
# off_hi (bit 5: MF), len_lo, len_hi (see fuzz_reasm.c).
def rec(ctl, src, ident, off8, mf, length):
    return bytes([ctl, src, ident, off8 & 0xff, (off8 >> 8) | (0x20 if mf else 0),
                  length & 0xff, length >> 8])


write("reasm", "two_in_order", b"\3" + rec(0x80, 1, 2, 0, 1, 1400) + rec(0x80, 1, 2, 175, 0, 300))
write("reasm", "three_reversed", b"\3" + rec(0x10, 2, 3, 350, 0, 100) + rec(0x10, 2, 3, 175, 1, 1400)
      + rec(0x10, 2, 3, 0, 1, 1400))
write("reasm", "interleaved_timeout", b"\1" + rec(0x80, 1, 1, 0, 1, 800) + rec(0x80, 2, 1, 0, 1, 800)
      + rec(0x87, 1, 1, 100, 0, 8) + rec(0xa0, 2, 1, 100, 0, 16))
write("reasm", "overlap_and_dup", b"\4" + rec(0, 3, 4, 0, 1, 16) + rec(0, 3, 4, 0, 1, 16)
      + rec(0, 3, 4, 1, 1, 16) + rec(0, 3, 4, 2, 0, 5))
raw = eth(0x0800) + ipv4(17, udp(b"y" * 24)[:24], src=b"\xc0\xa8\0\1", ident=5, frag=0x2000)
raw2 = eth(0x0800) + ipv4(17, b"z" * 8, src=b"\xc0\xa8\0\1", ident=5, frag=3)
write("reasm", "raw_pair", b"\2" + bytes([8, len(raw) & 0xff, len(raw) >> 8]) + raw
      + bytes([9, len(raw2) & 0xff, len(raw2) >> 8]) + raw2)
# one source (1) floods 8 datagrams of 8 fragments spread over 64 KB, more
# than its share of slots and chunks, while source 2's datagram completes
flood = b"".join(rec(0, 1, i, k * 1000, 1, 1392) for i in range(8) for k in range(8))
write("reasm", "one_source_floods", b"\7" + rec(0x80, 2, 6, 0, 1, 1400) + flood
      + rec(0x80, 2, 6, 175, 0, 300))
