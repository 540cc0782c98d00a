"""The storm sender, run inside a test's network namespace:

  stormsend.py IFACE APP APP_IP COUNT SEED PAD [APP_MAC]

sends COUNT frames of every kind (stormframes.catalogue: each template
once, then seeded random draws) to APP (pong or kvstore) at APP_IP behind
the TAP IFACE, and prints one JSON line: what it sent by kind, the exact
tally of what APP must count. With IFACE "-" and APP_MAC it sends
nothing and prints only the tally it would expect ("expect", keys as in stormframes, plus "tx",
the replies APP must send) and the liveness checks after the storm. PAD:
the length short frames reach the app padded to (60 through QEMU's tap,
0 on linuxu), which the model needs.

Nothing is lost on the way: the TAP's tx_packets counts the frames its
reader (the app, or QEMU) took, and the sender keeps fewer than WINDOW
frames in the TAP's queue (smaller than it), so the kernel never drops one;
tx_dropped is reported so the test can prove it."""

import collections
import json
import os
import random
import select
import socket
import sys
import time

import stormframes as sf

ETH_P_ALL = 3
SOL_PACKET, PACKET_IGNORE_OUTGOING = 263, 23
WINDOW = 256  # frames in the TAP's queue at most; it holds txqueuelen
OUR_MAC, OUR_IP = sf.mac("02:00:00:00:01:01"), sf.ip4("10.11.0.1")


class Link:
    def __init__(self, iface):
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        self.tx.bind((iface, 0))
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.rx.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
        self.rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.rx.bind((iface, 0))
        stats = f"/sys/class/net/{iface}/statistics/"
        self.taken_fd = os.open(stats + "tx_packets", os.O_RDONLY)
        self.drop_fd = os.open(stats + "tx_dropped", os.O_RDONLY)
        self.base, self.drop_base, self.sent = self.taken(), self.dropped(), 0

    def taken(self):
        return int(os.pread(self.taken_fd, 32, 0))

    def dropped(self):
        return int(os.pread(self.drop_fd, 32, 0)) - getattr(self, "drop_base", 0)

    def queued(self):
        return self.sent - (self.taken() - self.base) - self.dropped()

    def send(self, f):
        while True:
            try:
                self.tx.send(f)
                break
            except OSError as e:  # ENOBUFS: the qdisc is full, let it drain
                if e.errno not in (105, 11):
                    raise
                time.sleep(0.0005)
        self.sent += 1

    def pace(self):
        while self.queued() > WINDOW:
            time.sleep(0.0002)

    def drain(self, timeout):
        end = time.time() + timeout
        while self.queued() > 0 and time.time() < end:
            time.sleep(0.01)
        return self.queued()

    def flush_rx(self):
        while select.select([self.rx], [], [], 0)[0]:
            self.rx.recv(65536)

    def wait(self, match, timeout):
        end = time.time() + timeout
        while time.time() < end:
            if select.select([self.rx], [], [], max(0, end - time.time()))[0]:
                f = self.rx.recv(65536)
                if match(f):
                    return f
        return None


class DryLink:
    """Sends nothing: for the tally of a run whose replies all come
    (kvm, where the app must be told at start how many to answer)."""

    def __init__(self):
        self.sent = 0

    def send(self, f):
        self.sent += 1

    def wait(self, match, timeout):
        return b"\0" * 64

    def pace(self):
        pass

    drain = flush_rx = dropped = lambda self, *a: 0


class Storm:
    """Sends frames and keeps the tally the app's counters must match."""

    def __init__(self, link, app):
        self.link, self.app = link, app
        self.expect = collections.Counter()
        self.kinds = collections.Counter()

    def send(self, kind, frames, keys=None):
        for f in frames:
            self.link.send(f)
        self.expect.update(keys if keys is not None else sf.outcome(self.app, frames))
        self.kinds[kind] += len(frames)

    def ask(self, kind, frames, match, timeout=10.0, tries=1):
        for _ in range(tries):
            self.send(kind, frames)
            got = self.link.wait(match, timeout)
            if got:
                return got
        return None


def arp_reply_from(ip):
    return lambda f: f[12:14] == b"\x08\x06" and f[20:22] == b"\0\x02" and f[28:32] == ip


def udp_reply(dport, sport=sf.MC_PORT):
    return lambda f: (f[12:14] == b"\x08\x00" and f[23] == 17 and
                      sf.be16(f, 34) == sport and sf.be16(f, 36) == dport)


def probe(st, app_ip):
    """The app's MAC, from its answer to an ARP request."""
    c = sf.Cat(random.Random(0), OUR_MAC, OUR_IP, b"\xff" * 6, app_ip)
    got = st.ask("live_arp", [c.arp_req()], arp_reply_from(app_ip), timeout=2, tries=30)
    if not got:
        raise SystemExit("no ARP reply from the app")
    return got[22:28]


def warm_up(st, c):
    """kvstore: the keys the storm's gets hit, stored first."""
    for i, k in enumerate(sf.KV_HIT_KEYS):
        body = b"set %s 0 0 %d\r\n%s\r\n" % (k, len(sf.KV_HIT_VALUE), sf.KV_HIT_VALUE)
        f = c.udp_frame(sf.MC_PORT, sf.mc_hdr() + body, sport=30000 + i)
        if not st.ask("warm_set", [f], udp_reply(30000 + i)):
            raise SystemExit(f"no reply to set {k}")


def storm(st, pool, count, rng):
    """Every template once, in catalogue order, then random ones (a fifth
    of them UDP to a random port), count frames in all."""
    ident, link, i = 0, st.link, 0
    nports = sum(1 for k, _, _ in pool if k == "udp_port")  # the last ones
    while link.sent < count:
        if i < len(pool):
            t = i
        elif rng.random() < 0.2:
            t = len(pool) - nports + rng.randrange(nports)
        else:
            t = rng.randrange(len(pool) - nports)
        i += 1
        kind, frames, keys = pool[t]
        if len(frames) > count - st.link.sent:
            continue
        if kind.startswith("frag_"):  # a datagram of its own each time
            ident = (ident + 1) & 0xffff
            frames = sf.refresh_ids(frames, ident)
        st.send(kind, frames, keys)
        if link.sent & 31 < len(frames):
            link.pace()


def alive(st, c, app):
    """After the storm: each kind of answer still right."""
    res = {}
    echo = c.echo(64)
    got = st.ask("live_echo", [echo], lambda f: f[12:14] == b"\x08\x00" and f[23] == 1 and
                 f[34] == 0 and f[38:len(echo)] == echo[38:])
    res["echo"] = bool(got) and got[26:30] == app["ip"] and got[30:34] == OUR_IP
    got = st.ask("live_arp", [c.arp_req()], arp_reply_from(app["ip"]))
    res["arp"] = bool(got) and got[22:28] == c.d
    if app["name"] != "kvstore":
        return res
    k = sf.KV_HIT_KEYS[3]
    got = st.ask("live_get", [c.udp_frame(sf.MC_PORT, sf.mc_hdr(77) + b"get " + k + b"\r\n",
                                          sport=31001)], udp_reply(31001))
    want = b"VALUE %s 0 %d\r\n%s\r\nEND\r\n" % (k, len(sf.KV_HIT_VALUE), sf.KV_HIT_VALUE)
    res["get"] = bool(got) and got[42:] == sf.mc_hdr(77) + want
    seg = sf.udp(OUR_IP, app["ip"], 31002, sf.MC_PORT, sf.mc_hdr(78) + b"get " + k + b"\r\n")
    frames = sf.refresh_ids(sf.frag_group(c, seg, [(0, 16, 1), (16, len(seg), 0)]), 0xfff0)
    got = st.ask("live_frag_get", frames, udp_reply(31002))
    res["frag_get"] = bool(got) and got[42:] == sf.mc_hdr(78) + want
    return res


def main():
    iface, name, app_ip, count, seed, pad = sys.argv[1:7]
    app = {"name": name, "ip": sf.ip4(app_ip), "pad": int(pad)}
    link = Link(iface) if iface != "-" else DryLink()
    st = Storm(link, app)
    app_mac = probe(st, app["ip"]) if iface != "-" else sf.mac(sys.argv[7])
    rng = random.Random(int(seed))
    c = sf.Cat(rng, OUR_MAC, OUR_IP, app_mac, app["ip"])
    if name == "kvstore":
        warm_up(st, c)
    pool = [(k, fr, sf.outcome(app, fr)) for k, fr in sf.catalogue(rng, OUR_MAC, OUR_IP,
                                                                   app_mac, app["ip"])]
    t0, before = time.time(), link.sent
    storm(st, pool, before + int(count), rng)
    secs = time.time() - t0
    left = link.drain(600)
    if name == "kvstore":
        # The TAP's queue is empty when the app's device has taken every
        # frame, not when the app has parsed them (a TCG guest under load
        # lags seconds behind): an echo answered says it has, then
        # reassembly's timeout (2 s) gives up what the storm left.
        echo = c.echo(64)
        st.ask("sync_echo", [echo], lambda f: f[12:14] == b"\x08\x00" and f[23] == 1 and
               f[34] == 0 and f[38:len(echo)] == echo[38:], timeout=120)
        time.sleep(2.5)
    link.flush_rx()
    res = alive(st, c, app)
    link.drain(60)
    if iface == "-":
        link.sent += 1  # the probe's ARP request, which a real run sends
        st.expect.update(sf.outcome(app, [c.arp_req()]))
    exp = dict(st.expect)
    exp["tx"] = exp.get("reply:arp", 0) + exp.get("reply:echo", 0) + exp.get("dgrams", 0)
    print(json.dumps({"storm": int(count), "sent": link.sent, "seconds": round(secs, 2),
                      "left_in_queue": left, "tx_dropped": link.dropped(),
                      "kinds": dict(st.kinds), "expect": exp, "alive": res,
                      "app_mac": app_mac.hex(":")}))


if __name__ == "__main__":
    main()
