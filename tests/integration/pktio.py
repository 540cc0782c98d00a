"""Frame I/O for the packet tests, run inside a test's network namespace
(`ip netns exec NS python3 pktio.py ...`): raw AF_PACKET sockets from the
standard library, results as one JSON line on stdout.

  pktio.py roundtrip IN OUT COUNT SEED   send COUNT distinct frames on IN,
                                         collect those that come out of OUT
                                         (byte for byte), report matches
  pktio.py storm IFACE COUNT SEED        send COUNT frames, valid ones
                                         randomly malformed; report what
                                         was sent by category
"""

import json
import random
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3
MARK = b"nfos-test"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


_FILL = bytes(range(256)) * 6


def udp_frame(i, size, src_mac=b"\x02\x00\x00\x00\x01\x01", dst_mac=b"\x02\x00\x00\x00\x01\x02"):
    payload = MARK + struct.pack("!Q", i)
    pad = max(0, size - 42 - len(payload))
    payload += _FILL[i & 0xff:(i & 0xff) + pad]
    udp = struct.pack("!HHHH", 4000, 4001, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0x4000, 64, 17, 0,
                     bytes([10, 11, 0, 1]), bytes([10, 11, 0, 9]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def open_sock(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    return s


def roundtrip(iface_in, iface_out, count, seed):
    rnd = random.Random(seed)
    sent = {}
    tx, rx = open_sock(iface_in), open_sock(iface_out)
    got, extra = 0, 0
    deadline = None
    i = 0
    while True:
        if i < count:
            f = udp_frame(i, rnd.choice([60, 64, 128, 512, 1000, 1514]))
            sent[f] = i
            tx.send(f)
            i += 1
            if i % 64:
                continue
        r, _, _ = select.select([rx], [], [], 0.01 if i < count else 0.5)
        if rx in r:
            while True:
                try:
                    data, addr = rx.recvfrom(65535, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                if data in sent:
                    got += 1
                    del sent[data]
                elif MARK in data:
                    extra += 1
        if i >= count:
            if deadline is None:
                deadline = time.time() + 5
            if not sent or time.time() > deadline:
                break
    return {"sent": count, "matched": got, "missing": len(sent), "altered_or_dup": extra}


def storm(iface, count, seed):
    """Valid UDP frames, then mutated: truncated, bytes flipped in the
    headers, lengths lied about, random garbage."""
    rnd = random.Random(seed)
    tx = open_sock(iface)
    kinds = {"valid": 0, "truncated": 0, "flipped": 0, "garbage": 0}
    sizes = [60, 100, 600, 1514]
    junk = bytes(rnd.getrandbits(8) for _ in range(4096))
    for i in range(count):
        f = bytearray(udp_frame(i, sizes[i & 3]))
        k = rnd.random()
        if k < 0.25:
            kinds["valid"] += 1
        elif k < 0.5:
            f = f[:rnd.randrange(14, len(f))]
            kinds["truncated"] += 1
        elif k < 0.85:
            for _ in range(rnd.randrange(1, 4)):
                f[rnd.randrange(14, min(len(f), 42))] ^= 1 << rnd.randrange(8)
            kinds["flipped"] += 1
        else:
            o = rnd.randrange(0, 3800)
            f = f[:12] + junk[o:o + rnd.randrange(2, 200)]
            kinds["garbage"] += 1
        while True:
            try:
                tx.send(bytes(f))
                break
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:
                if e.errno != 105:  # ENOBUFS: let the reader catch up
                    raise
                time.sleep(0.001)
    return {"sent": count, **kinds}


def main():
    cmd = sys.argv[1]
    if cmd == "roundtrip":
        out = roundtrip(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "storm":
        out = storm(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(f"unknown command {cmd}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
