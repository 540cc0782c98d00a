"""Frames for the storm tests (tests/integration/test_storm.py), and a model
of what nfos does with each: a Python mirror of lib/net's net_frame_parse
(which check refuses a frame, or what kind it is) and of what pong and
kvstore then do (answer it, or count it as not answered and why). The
storm sender (stormsend.py) adds each frame's outcome to an exact tally
that the test compares with the app's exit report. Standard library only.

An outcome is a list of keys: "kind:<k>" or "err:<e>" (the parse counters),
"reply:arp", "reply:echo", "na:<reason>" (not answered, by reason) and, for
kvstore, "kv:<counter>" and "dgrams" (reply datagrams)."""

import struct

from pktio import csum  # the internet checksum (RFC 1071)

ETH_IP, ETH_ARP, ETH_VLAN = 0x0800, 0x0806, 0x8100
MC_PORT = 11211
KV_HIT_KEYS = [b"stormkey%d" % i for i in range(16)]
KV_HIT_VALUE = b"stormvalue"


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def be16(b, o):
    return b[o] << 8 | b[o + 1]


# --- Builders ---------------------------------------------------------------

def eth(dst, src, etype, body):
    return dst + src + struct.pack("!H", etype) + body


def vlan(tci, etype, body):
    return struct.pack("!HH", tci, etype) + body


def arp(op, sha, spa, tha, tpa, htype=1, ptype=ETH_IP, hlen=6, plen=4):
    return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + sha + spa + tha + tpa


def ipv4(src, dst, proto, payload, ttl=64, ident=1, frag=0x4000, ver=4, ihl=5, total=None,
         opts=b"", bad_csum=False, tos=0):
    opts = opts + b"\0" * ((-len(opts)) % 4)
    if total is None:
        total = 20 + len(opts) + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", ver << 4 | (ihl & 0xf), tos, total & 0xffff, ident, frag,
                    ttl, proto, 0, src, dst) + opts
    c = csum(h[:max(20, min(len(h), (ihl & 0xf) * 4))])
    if bad_csum:
        c ^= 0x0101
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def icmp(typ, code, rest=b"\0\x01\0\x01", payload=b"", bad_csum=False):
    m = struct.pack("!BBH", typ, code, 0) + rest + payload
    c = csum(m) ^ (0x0101 if bad_csum else 0)
    return m[:2] + struct.pack("!H", c) + m[4:]


def udp(src, dst, sport, dport, payload, ulen=None, csum_mode="full"):
    """csum_mode: "full" (right), "zero" (none), "bad" (wrong)."""
    ln = 8 + len(payload) if ulen is None else ulen
    seg = struct.pack("!HHHH", sport, dport, ln & 0xffff, 0) + payload
    if csum_mode == "zero":
        return seg
    pseudo = src + dst + struct.pack("!BBH", 0, 17, len(seg))
    c = csum(pseudo + seg) or 0xffff
    if csum_mode == "bad":
        c = (c ^ 0x5a5a) or 1
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def mc_hdr(rid=1, seq=0, total=1, res=0):
    return struct.pack("!HHHH", rid, seq, total, res)


# --- The parse model (lib/net/net.c, net_frame_parse) -----------------------

def parse(f):
    """(result, h): result "kind:<k>" or "err:<e>"; h the offsets."""
    n = len(f)
    if n < 14:
        return "err:eth_trunc", None
    t, off = be16(f, 12), 14
    if t == ETH_VLAN:
        if n < 18:
            return "err:vlan_trunc", None
        t, off = be16(f, 16), 18
    h = {"l3": off}
    if t == ETH_IP:
        return parse_ipv4(f, off, h)
    if t == ETH_ARP:
        return parse_arp(f, off, h)
    return "kind:other", h


def parse_arp(f, off, h):
    a = f[off:]
    if len(a) < 28:
        return "err:arp_trunc", None
    checks = [(be16(a, 0) != 1, "arp_htype"), (be16(a, 2) != ETH_IP, "arp_ptype"),
              (a[4] != 6, "arp_hlen"), (a[5] != 4, "arp_plen"),
              (be16(a, 6) not in (1, 2), "arp_op")]
    for bad, name in checks:
        if bad:
            return "err:" + name, None
    return "kind:arp", h


def parse_ipv4(f, off, h):
    ip = f[off:]
    if len(ip) < 20:
        return "err:ipv4_trunc", None
    if ip[0] >> 4 != 4:
        return "err:ipv4_version", None
    hlen = (ip[0] & 0xf) * 4
    if hlen < 20:
        return "err:ipv4_ihl", None
    total = be16(ip, 2)
    if total < hlen:
        return "err:ipv4_len_short", None
    if total > len(ip):
        return "err:ipv4_len_long", None
    if csum(bytes(ip[:hlen])) != 0:
        return "err:ipv4_csum", None
    h.update(l4=off + hlen, proto=ip[9], total=total, hlen=hlen)
    if be16(ip, 6) & 0x3fff:
        return "kind:ipv4_frag", h
    l4 = bytes(ip[hlen:total])
    if ip[9] == 17:
        return parse_udp(ip, l4, h)
    if ip[9] == 1:
        if len(l4) < 8:
            return "err:icmp_trunc", None
        if csum(l4) != 0:
            return "err:icmp_csum", None
        return "kind:icmp", h
    return "kind:ipv4_other", h


def parse_udp(ip, l4, h):
    if len(l4) < 8:
        return "err:udp_trunc", None
    ulen = be16(l4, 4)
    if ulen < 8:
        return "err:udp_len_short", None
    if ulen > len(l4):
        return "err:udp_len_long", None
    if be16(l4, 6) and csum(bytes(ip[12:20]) + struct.pack("!BBH", 0, 17, ulen) + l4[:ulen]):
        return "err:udp_csum", None
    h["payload"] = l4[8:ulen]
    return "kind:udp", h


# --- What the apps do -------------------------------------------------------

def answer_arp(f, h, app):
    """pong's and kvstore's net_arp_reply: the key it counts."""
    a = f[h["l3"]:]
    if be16(a, 6) != 1:
        return "na:arp_op"
    if a[24:28] != app["ip"]:
        return "na:arp_not_ours"
    if a[8] & 1:
        return "na:arp_source"
    return "reply:arp"


def answer_icmp(f, h, app):
    """net_icmp_echo_reply."""
    ip, m = f[h["l3"]:], f[h["l4"]:]
    if m[0] != 8 or m[1] != 0:
        return "na:icmp_type"
    if ip[16:20] != app["ip"] or f[0] & 1:
        return "na:icmp_not_ours"
    src = struct.unpack("!I", ip[12:16])[0]
    if src == 0 or src >= 0xe0000000 or f[6] & 1:
        return "na:icmp_source"
    return "reply:echo"


SERVICE_PORTS = {7, 9, 11, 13, 17, 19, 37, 53, 69, 111, 123, 137, 161, 389, 427, 520, 623, 1434,
                 1900, 3283, 3702, 5353, 5683, 10074, 11211, 27015, 27960}


def src_refused(f, h, app, udp_port=None):
    """lib/net's net_src_check (the sources never answered): "src:<why>"
    or None. udp_port: the app's service port, for a UDP request."""
    src, o = f[h["l3"] + 12:h["l3"] + 16], f[h["l3"] + 12]
    why = ("mac_group" if f[6] & 1 else "ip_zero" if o == 0 else "ip_loopback" if o == 127
           else "ip_multicast" if 224 <= o < 240 else "ip_broadcast"
           if src in (b"\xff" * 4, app["ip"][:3] + b"\xff") else "ip_reserved" if o >= 240
           else "ip_ours" if src == app["ip"] else None)
    if why or udp_port is None:
        return why and "src:" + why
    sport = be16(f, h["l4"])
    why = ("port_zero" if sport == 0 else "port_ours" if sport == udp_port
           else "port_service" if sport in SERVICE_PORTS else None)
    return why and "src:" + why


def answer_echo(f, h, app):
    """An ICMP frame: the guard first for an echo request to us."""
    m = f[h["l4"]:]
    if m[0] == 8 and m[1] == 0 and f[h["l3"] + 16:h["l3"] + 20] == app["ip"]:
        why = src_refused(f, h, app)
        if why:
            return why
    return answer_icmp(f, h, app)


def pong_outcome(f, app):
    f = pad(f, app)
    res, h = parse(f)
    if res == "kind:arp":
        return [res, answer_arp(f, h, app)]
    if res == "kind:icmp":
        return [res, answer_echo(f, h, app)]
    return [res] if res.startswith("err:") else [res, "na:" + res[5:]]


def pad(f, app):
    n = app.get("pad", 0)
    return f + b"\0" * (n - len(f)) if len(f) < n else f


def is_request(f, h, app):
    return f[h["l3"] + 16:h["l3"] + 20] == app["ip"] and be16(f, h["l4"] + 2) == MC_PORT


def kv_request(p):
    """kv_serve (and its fast paths) on one memcached datagram p: the keys
    counted. Only the request shapes the storm sends are modelled."""
    if len(p) <= 8:
        return ["kv:bad_header"]
    if be16(p, 4) != 1:
        return ["kv:multi_datagram"]
    body, out = p[8:], ["kv:requests"]
    if b"\r\n" not in body:
        return out + ["kv:truncated"]
    line = body[:body.index(b"\r\n")]
    words = line.split(b" ")
    if words[0] == b"get" and len(words) == 2 and 0 < len(words[1]) <= 250:
        hit = words[1] in KV_HIT_KEYS
        return out + ["kv:get", "dgrams"] + (["kv:hits"] if hit else [])
    if words[0] == b"set" and len(words) == 5:
        return out + ["kv:set", "dgrams"]
    return out + ["dgrams"]  # ERROR or CLIENT_ERROR, one datagram


def kv_outcome(f, app):
    """kvstore on one frame that is not an IPv4 fragment (those come in
    groups: kv_group_outcome): memcached over UDP, and what pong does
    (pong_outcome) with every other kind."""
    f = pad(f, app)
    res, h = parse(f)
    if res == "kind:udp":
        why = is_request(f, h, app) and src_refused(f, h, app, MC_PORT)
        return [res] + ([why] if why else kv_request(h["payload"]) if is_request(f, h, app)
                        else ["na:udp_not_ours"])
    if res == "kind:ipv4_frag":
        raise ValueError("fragments go through kv_group_outcome")
    return pong_outcome(f, app)


class Reasm:
    """net_reasm_add (lib/net/net_reasm.c) for one group of fragments sent
    back to back: what it counts, and the datagrams it makes whole."""

    def __init__(self):
        self.slots = {}

    def add(self, f, h, keys):
        ip = f[h["l3"]:]
        keys.append("kv:frag_fragments")
        fo = be16(ip, 6)
        off, plen, last = (fo & 0x1fff) * 8, h["total"] - h["hlen"], not fo & 0x2000
        if not last and (plen == 0 or plen % 8):
            keys.append("kv:frag_bad")
            return None
        key = (ip[12:20], ip[4:6], ip[9])
        s = self.slots.setdefault(key, {"frags": [], "end": 0, "hdr": None, "data": {}})
        end = off + plen
        if end > 65515 or len(s["frags"]) == 64 or \
                (s["end"] and (end != s["end"] if last else end > s["end"])):
            return self.drop(key, keys)
        for o, e in s["frags"]:
            if (o, e) == (off, end):
                keys.append("kv:frag_duplicates")
                return None
            if off < e and o < end or last and e > end:
                return self.drop(key, keys)
        if last:
            s["end"] = end
        s["data"][off] = bytes(ip[h["hlen"]:h["total"]])
        if off == 0:
            s["hdr"] = bytes(f[:h["l4"]])
        s["frags"].append((off, end))
        if not s["end"] or s["hdr"] is None or sum(e - o for o, e in s["frags"]) != s["end"]:
            return None
        if len(s["hdr"]) - h["l3"] + s["end"] > 65535:
            return self.drop(key, keys)
        del self.slots[key]
        keys.append("kv:frag_reassembled")
        return self.whole(s, h["l3"])

    def drop(self, key, keys):
        del self.slots[key]
        keys.append("kv:frag_dropped")
        return None

    @staticmethod
    def whole(s, l3):
        hdr = bytearray(s["hdr"])
        payload = b"".join(s["data"][o] for o, _ in sorted(s["frags"]))
        hlen = len(hdr) - l3
        hdr[l3 + 2:l3 + 4] = struct.pack("!H", hlen + s["end"])
        hdr[l3 + 6:l3 + 8] = struct.pack("!H", be16(hdr, l3 + 6) & 0x4000)
        hdr[l3 + 10:l3 + 12] = b"\0\0"
        hdr[l3 + 10:l3 + 12] = struct.pack("!H", csum(bytes(hdr[l3:])))
        return bytes(hdr) + payload


def kv_group_outcome(frames, app):
    """kvstore on a group of frames sent back to back (fragments of one
    datagram, with other frames between them or not); datagrams left
    incomplete are "kv:frag_lost": each times out or is evicted later."""
    keys, r = [], Reasm()
    for f in frames:
        f = pad(f, app)
        res, h = parse(f)
        if res != "kind:ipv4_frag":
            keys += kv_outcome(f, app)
            continue
        keys.append(res)
        if h["proto"] != 17 or f[h["l3"] + 16:h["l3"] + 20] != app["ip"]:
            keys.append("na:frag_not_ours")
            continue
        whole = r.add(f, h, keys)
        if whole is None:
            continue
        wres, wh = parse(whole)
        if wres != "kind:udp" or not is_request(whole, wh, app):
            keys.append("na:reasm_not_request")
        elif src_refused(whole, wh, app, MC_PORT):
            keys.append(src_refused(whole, wh, app, MC_PORT))
        else:
            keys += ["kv:frag_replies"] + kv_request(wh["payload"])
    return keys + ["kv:frag_lost"] * len(r.slots)


# --- The catalogue: every kind of frame the storm sends ----------------------

class Cat:
    """Builds the templates: (kind, [frames]); a group of more than one
    frame is sent back to back, its IPv4 ids made fresh each time."""

    def __init__(self, rng, our_mac, our_ip, app_mac, app_ip):
        self.rng, self.s, self.sip, self.d, self.dip = rng, our_mac, our_ip, app_mac, app_ip
        self.out = []

    def add(self, kind, *frames):
        self.out.append((kind, list(frames)))

    def junk(self, n):
        return bytes(self.rng.getrandbits(8) for _ in range(n))

    def ip_frame(self, proto, payload, dst_mac=None, src_mac=None, **kw):
        kw.setdefault("ident", self.rng.getrandbits(16))
        return eth(dst_mac or self.d, src_mac or self.s, ETH_IP,
                   ipv4(kw.pop("src", self.sip), kw.pop("dst", self.dip), proto, payload, **kw))

    def echo(self, n=16, **kw):
        return self.ip_frame(1, icmp(8, 0, payload=self.junk(n)), **kw)

    def udp_frame(self, dport, payload, sport=40000, src=None, dst=None, **kw):
        src, dst = src or self.sip, dst or self.dip
        return self.ip_frame(17, udp(src, dst, sport, dport, payload, **kw), src=src, dst=dst)

    def arp_req(self, tpa=None, op=1, sha=None, **kw):
        return eth(b"\xff" * 6, self.s, ETH_ARP,
                   arp(op, sha or self.s, self.sip, b"\0" * 6, tpa or self.dip, **kw))

    def mc(self, body, hdr=None):
        return self.udp_frame(MC_PORT, (hdr if hdr is not None else mc_hdr()) + body)


def cat_ethernet(c):
    valid = [c.arp_req(), c.echo(40), c.udp_frame(9, c.junk(30)), c.mc(b"get a\r\n")]
    for n in range(14, 60):  # runts (an AF_PACKET socket cannot send < 14 bytes)
        c.add("eth_runt", c.rng.choice(valid)[:n])
    for t in (0x86dd, 0x88cc, 0x88a8, 0x8847, 0x0000, 0x05dc, 0x0600, 0xffff, 0x9000, 0x0801):
        c.add("eth_type", eth(c.d, c.s, t, c.junk(c.rng.randrange(46, 1500))))
    for _ in range(20):
        c.add("eth_type", eth(c.d, c.s, c.rng.getrandbits(16), c.junk(c.rng.randrange(0, 200))))
    for n in range(14, 18):
        c.add("vlan_trunc", eth(c.d, c.s, ETH_VLAN, b"\x00\x05\x08\x00")[:n])
    for inner in (c.arp_req(), c.echo(), c.udp_frame(7, b"x" * 20), c.mc(b"get b\r\n")):
        tci = c.rng.getrandbits(16)
        c.add("vlan_single", inner[:12] + vlan(tci, be16(inner, 12), inner[14:]))
        c.add("vlan_double", inner[:12] + vlan(tci, ETH_VLAN, vlan(5, be16(inner, 12),
                                                                   inner[14:])))
        c.add("vlan_qinq", inner[:12] + struct.pack("!H", 0x88a8) +
              vlan(tci, ETH_VLAN, vlan(5, be16(inner, 12), inner[14:]))[2:])


def cat_arp(c):
    other = ip4("10.11.0.77")
    for op in list(range(0, 12)) + [0xff, 0x100, 0x7fff, 0xffff]:
        c.add("arp_op", c.arp_req(op=op))
        c.add("arp_op", c.arp_req(op=op, tpa=other))
    for n in range(0, 28):
        c.add("arp_size", c.arp_req()[:14 + n])
    for n in (1, 2, 18, 100, 1000, 1472):
        c.add("arp_size", c.arp_req() + c.junk(n))
    for kw in ({"htype": 6}, {"htype": 0}, {"ptype": 0x86dd}, {"ptype": 0}, {"hlen": 0},
               {"hlen": 8}, {"hlen": 255}, {"plen": 16}, {"plen": 0}):
        c.add("arp_field", c.arp_req(**kw))
    c.add("arp_target", c.arp_req(tpa=other))
    c.add("arp_target", c.arp_req(tpa=c.sip))
    c.add("arp_target", c.arp_req(sha=b"\x01\x00\x5e\x00\x00\x01"))
    c.add("arp_target", c.arp_req(sha=b"\xff" * 6))
    c.add("arp_target", c.arp_req(op=2))


def cat_ipv4(c):
    body = icmp(8, 0, payload=b"abcdefgh")
    for v in range(16):
        if v != 4:
            c.add("ipv4_version", c.ip_frame(1, body, ver=v))
    for ihl in range(5):
        c.add("ipv4_ihl_small", c.ip_frame(1, body, ihl=ihl))
    for ihl in range(6, 16):
        opts = b"\x01" * (ihl * 4 - 20)  # NOPs: a valid header with options
        c.add("ipv4_options", c.ip_frame(1, body, ihl=ihl, opts=opts))
        c.add("ipv4_options", c.ip_frame(17, udp(c.sip, c.dip, 1, 2, b"o"), ihl=ihl, opts=opts))
        c.add("ipv4_ihl_large", c.ip_frame(1, b"", ihl=ihl, total=20))
        c.add("ipv4_ihl_large", c.ip_frame(1, b"", ihl=ihl, total=ihl * 4))
    for total in (0, 1, 19):
        c.add("ipv4_len_short", c.ip_frame(1, body, total=total))
    for total in (len(body) + 21, 1500, 65535):
        c.add("ipv4_len_long", c.ip_frame(1, body, total=total))
    c.add("ipv4_len_long", c.ip_frame(1, body, total=len(body) + 20 + 100))
    for _ in range(8):
        c.add("ipv4_csum", c.ip_frame(1, body, bad_csum=True))
        c.add("ipv4_csum", c.ip_frame(17, udp(c.sip, c.dip, 5, MC_PORT, mc_hdr() + b"get a\r\n"),
                                      bad_csum=True))
    c.add("ipv4_ttl0", c.ip_frame(1, body, ttl=0))
    c.add("ipv4_ttl0", c.ip_frame(17, udp(c.sip, c.dip, 5, MC_PORT, mc_hdr() + b"get t\r\n"),
                                  ttl=0))
    for proto in range(256):
        if proto not in (1, 17):
            c.add("ipv4_proto", c.ip_frame(proto, c.junk(c.rng.randrange(0, 60))))
    for n in range(0, 20):
        c.add("ipv4_trunc", eth(c.d, c.s, ETH_IP, c.ip_frame(1, body)[14:14 + n]))


def cat_icmp(c):
    for typ in range(256):
        for code in (0, 1, c.rng.randrange(2, 256)):
            c.add("icmp_type", c.ip_frame(1, icmp(typ, code, payload=c.junk(8))))
    for n in range(8):
        c.add("icmp_trunc", c.ip_frame(1, icmp(8, 0)[:n]))
    c.add("icmp_csum", c.ip_frame(1, icmp(8, 0, payload=b"x" * 30, bad_csum=True)))
    for src in ("0.0.0.0", "255.255.255.255", "224.0.0.1", "239.1.2.3", "10.11.0.255"):
        c.add("icmp_source", c.echo(src=ip4(src)))
    c.add("icmp_source", c.echo(src_mac=b"\x01\x00\x5e\x00\x00\x01"))
    c.add("icmp_dest", c.echo(dst=ip4("10.11.0.99")))
    c.add("icmp_dest", c.echo(dst_mac=b"\xff" * 6))
    c.add("icmp_dest", c.echo(dst_mac=b"\x01\x00\x5e\x00\x00\x01"))
    for n in (0, 1, 100, 1000, 1472):
        c.add("icmp_echo", c.echo(n))


def cat_udp(c):
    for ulen in range(8):
        c.add("udp_len_short", c.udp_frame(MC_PORT, mc_hdr() + b"get a\r\n", ulen=ulen))
    for extra in (1, 2, 100, 65000):
        c.add("udp_len_long", c.udp_frame(MC_PORT, mc_hdr() + b"get a\r\n", ulen=15 + 8 + extra))
    for p in (MC_PORT, 9, 53):
        c.add("udp_csum", c.udp_frame(p, mc_hdr() + b"get a\r\n", csum_mode="bad"))
        c.add("udp_csum_none", c.udp_frame(p, mc_hdr() + b"get a\r\n", csum_mode="zero"))
    for n in range(8):
        seg = udp(c.sip, c.dip, 1, MC_PORT, b"")[:n]
        c.add("udp_trunc", c.ip_frame(17, seg))
    c.add("udp_dest", c.udp_frame(MC_PORT, mc_hdr() + b"get a\r\n", dst=ip4("10.11.0.99")))


def cat_udp_ports(c):
    """Last in the catalogue (so that a short storm still has every other
    kind): a datagram to each of the 65536 ports."""
    junk = c.junk(64)
    for p in range(65536):
        body = mc_hdr() + b"get a\r\n" if p == MC_PORT else junk[:p % 61]
        c.add("udp_port", c.udp_frame(p, body, sport=(p * 7919 + 1) & 0xffff))


def cat_memcached(c):
    for n in range(9):
        c.add("mc_short", c.mc((mc_hdr() + b"get a\r\n")[:n], hdr=b""))
    for total in (0, 2, 3, 0xffff):
        c.add("mc_multi", c.mc(b"get a\r\n", hdr=mc_hdr(total=total)))
    c.add("mc_seq", c.mc(b"get a\r\n", hdr=mc_hdr(seq=7, res=9)))
    for k in KV_HIT_KEYS:
        c.add("mc_get_hit", c.mc(b"get " + k + b"\r\n"))
        c.add("mc_set", c.mc(b"set %s 0 0 %d\r\n%s\r\n" % (k, len(KV_HIT_VALUE), KV_HIT_VALUE)))
    for i in range(16):
        c.add("mc_get_miss", c.mc(b"get nokey%d\r\n" % i))
    for body in (b"get a", b"set a 0 0 5\r", b"\r", b"get", b"x" * 1000, b"get " + b"k" * 300):
        c.add("mc_no_line", c.mc(body))
    for body in (b"bogus\r\n", b"\r\n", b"GET a\r\n", b"get " + b"k" * 251 + b"\r\n",
                 b"\x00\xff\r\n"):
        c.add("mc_error", c.mc(body))



def frag_group(c, seg, pieces, proto=17, dst=None):
    """Fragments of the IPv4 payload seg: pieces (offset, end, more)."""
    return [c.ip_frame(proto, seg[o:e], dst=dst or c.dip, frag=(0x2000 if mf else 0) | o // 8,
                       ident=0) for o, e, mf in pieces]


def cat_fragments(c):
    get = udp(c.sip, c.dip, 40001, MC_PORT, mc_hdr() + b"get fragkey\r\n")
    k = KV_HIT_KEYS[0]
    st = udp(c.sip, c.dip, 40002, MC_PORT, mc_hdr() + b"set %s 0 0 %d\r\n%s\r\n" % (
        k, len(KV_HIT_VALUE), KV_HIT_VALUE))
    n = len(get)
    c.add("frag_whole", *frag_group(c, get, [(0, 8, 1), (8, 16, 1), (16, n, 0)]))
    c.add("frag_whole", *frag_group(c, get, [(16, n, 0), (0, 16, 1)]))
    c.add("frag_whole", *frag_group(c, st, [(0, 24, 1), (24, len(st), 0)]))
    c.add("frag_dup", *frag_group(c, get, [(0, 8, 1), (0, 8, 1), (8, n, 0)]))
    c.add("frag_overlap", *frag_group(c, get, [(0, 16, 1), (8, n, 0)]))
    c.add("frag_overlap", *frag_group(c, get, [(8, n, 0), (0, 16, 1)]))
    c.add("frag_end_mismatch", *frag_group(c, get + bytes(8), [(8, n, 0), (8, n + 8, 0)]))
    for more in (0, 0x2000):  # beyond 65535 bytes
        c.add("frag_oversized", c.ip_frame(17, bytes(48), frag=more | 65472 // 8, ident=0))
    c.add("frag_endless", *frag_group(c, get, [(0, 16, 1)]))
    c.add("frag_endless", *frag_group(c, get, [(8, 16, 1)]))
    c.add("frag_bad", *frag_group(c, get[:13], [(8, 13, 1)]))
    many = bytes(8 * 70)
    c.add("frag_too_many", *frag_group(c, many, [(i * 8, i * 8 + 8, 1) for i in range(65)]))
    c.add("frag_not_ours", *frag_group(c, icmp(8, 0, payload=bytes(24)), [(0, 8, 1), (8, 32, 0)],
                                       proto=1))
    c.add("frag_not_ours", *frag_group(c, get, [(0, 8, 1), (8, n, 0)], dst=ip4("10.11.0.99")))
    other = udp(c.sip, c.dip, 40003, 9999, bytes(40))
    c.add("frag_not_request", *frag_group(c, other, [(0, 24, 1), (24, 48, 0)]))
    bad = get[:6] + bytes([get[6] ^ 0x55]) + get[7:]
    c.add("frag_bad_csum", *frag_group(c, bad, [(0, 8, 1), (8, n, 0)]))


CATEGORIES = (cat_ethernet, cat_arp, cat_ipv4, cat_icmp, cat_udp, cat_memcached, cat_fragments,
              cat_udp_ports)


def catalogue(rng, our_mac, our_ip, app_mac, app_ip):
    """Every template the storm draws from: [(kind, [frames])]."""
    c = Cat(rng, our_mac, our_ip, app_mac, app_ip)
    for build in CATEGORIES:
        build(c)
    assert all(len(f) <= 1514 for _, fr in c.out for f in fr)  # the TAP's MTU
    return c.out


def refresh_ids(frames, ident):
    """The frames of a group with IPv4 id ident (checksums fixed), so that
    each time a group is sent it is a datagram of its own."""
    out = []
    for f in frames:
        b = bytearray(f)
        hl = (b[14] & 0xf) * 4
        b[18:20] = struct.pack("!H", ident)
        b[24:26] = b"\0\0"
        b[24:26] = struct.pack("!H", csum(bytes(b[14:14 + hl])))
        out.append(bytes(b))
    return out


def outcome(app, frames):
    """The keys counted for a template's frames, by the app's model."""
    if app["name"] == "pong":
        return [k for f in frames for k in pong_outcome(f, app)]
    return kv_group_outcome(frames, app)
