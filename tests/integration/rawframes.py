"""Hand-made frames for the tests that forge sources (test_kvstore_guard.py):
Ethernet/IPv4/UDP and ICMP echo frames with any source MAC, address, port
and IPv4 options, built here with the standard library; and, run as a
script inside a test's network namespace, a raw AF_PACKET exchange:

  rawframes.py exchange IFACE FILE WAIT
      FILE: JSON list of frames as hex. Sends them on IFACE one by one,
      then collects the IPv4 frames that come in on IFACE for WAIT seconds
      after the last; prints them as a JSON list of hex strings.
"""

import json
import select
import socket
import struct
import sys
import time

from pktio import csum  # the internet checksum (RFC 1071)

ETH_P_ALL = 3


def mac(text):
    return bytes.fromhex(text.replace(":", ""))


def ip4(text):
    return socket.inet_aton(text)


def ipv4(src, dst, proto, l4, options=b"", ident=1):
    """An IPv4 header (with options, a multiple of 4 bytes) and l4."""
    ihl = 5 + len(options) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(l4), ident, 0x4000, 64, proto,
                    0, ip4(src), ip4(dst)) + options
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + l4


def udp_frame(dst_mac, src_mac, src, dst, sport, dport, payload, options=b""):
    """An Ethernet/IPv4/UDP frame, UDP checksum included."""
    n = 8 + len(payload)
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, n)
    u = struct.pack("!HHHH", sport, dport, n, 0) + payload
    c = csum(pseudo + u) or 0xffff
    u = u[:6] + struct.pack("!H", c) + u[8:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ipv4(src, dst, 17, u, options)


def echo_frame(dst_mac, src_mac, src, dst, ident, seq, payload=b"nfos", options=b""):
    """An Ethernet/IPv4/ICMP echo request."""
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return mac(dst_mac) + mac(src_mac) + b"\x08\x00" + ipv4(src, dst, 1, m, options)


def mc(req_id, text):
    """A memcached UDP request: the frame header (id, seq 0, 1 datagram)."""
    return struct.pack(">HHHH", req_id, 0, 1, 0) + text


def parse(frame):
    """(ihl, src, dst, proto, sport, dport, payload) of an untagged IPv4
    frame; ports 0 for ICMP, whose payload is the whole message."""
    ip = frame[14:]
    ihl = ip[0] & 0xf
    total = struct.unpack("!H", ip[2:4])[0]
    l4 = ip[ihl * 4:total]
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    if ip[9] == 17:
        sport, dport = struct.unpack("!HH", l4[:4])
        return ihl, src, dst, 17, sport, dport, l4[8:]
    return ihl, src, dst, ip[9], 0, 0, l4


def exchange(iface, frames, wait):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    got = []

    def drain(timeout):
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0 or not select.select([s], [], [], left)[0]:
                return
            data, addr = s.recvfrom(65535)
            if addr[2] != socket.PACKET_OUTGOING and data[12:14] == b"\x08\x00":
                got.append(data.hex())

    for f in frames:
        s.send(bytes.fromhex(f))
        drain(0.002)
    drain(wait)
    return got


if __name__ == "__main__":
    if sys.argv[1] != "exchange":
        sys.exit(f"unknown command {sys.argv[1]}")
    with open(sys.argv[3]) as f:
        frames = json.load(f)
    print(json.dumps(exchange(sys.argv[2], frames, float(sys.argv[4]))))
