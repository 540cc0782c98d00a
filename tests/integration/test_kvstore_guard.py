"""kvstore and pong against forged sources and oversized replies (issue 11):
every reason a request is refused, counted by reason and never answered;
two kvstore instances on one bridge given requests forged from one to the
other make no reply loop (the request counters stop); a 20-byte get of a
250 KB item brings back at most --max-reply-dgrams datagrams (and all of
them, each header counting them, when the limit allows); --udp-rate per
source address; IPv4 options never echoed; absolute expiry times refused
without a clock, negative ones expired. Forged frames go out through
AF_PACKET (rawframes.py) in network namespaces the tests create and
remove. Needs root."""

import json
import os
import re
import struct
import tempfile
import time

import pytest

import nfvm_switch
from conftest import accel, nfos_cli, vm_command
from test_packets import Netns, stop
from test_kvstore import wait_line, case, stats_of
import kvapps
import rawframes as rf

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
HOST, KV, KV2 = "10.14.0.1", "10.14.0.2", "10.14.0.3"
CLIENT_MAC = "02:00:00:00:0e:01"  # the forged frames' sender when it is not forged
NOW = int(time.time())


@pytest.fixture
def ns():
    n = Netns(f"nfos-kg{os.getpid()}")
    try:
        n.tap("tap0", f"{HOST}/24")
        n.run("ip", "link", "set", "tap0", "mtu", "2000")
        yield n
    finally:
        n.remove()


def start(ns, app, plat, tap, ip, args=()):
    """app (kvstore, kvstore-dpdk, pong) on plat behind tap with address
    ip/24; waits for its ready line."""
    kv = app.startswith("kvstore")
    ready = rf"{app}: ready" if kv else r"pong: port 0 .* answers for"
    options = (["--mem-limit", "32M"] if kv else []) + list(args)
    if plat == "linuxu":
        proc = ns.popen(*kvapps.linuxu(app, [f"netdev.dev=tap:{tap}", f"netdev.ip={ip}/24"],
                                       options))
    else:
        args = kvapps.args(app, options)
        nets = [{"kind": "tap", "arg": tap}]
        params = nfos_cli.net_params(nets, [f"{ip}/24"], [], "kvm")
        # NFOS_VMM=nfvm: nfvm's, on virtio-mmio (nfvm_switch.mmio).
        proc = ns.popen(*vm_command(nfos_cli.qemu_command(
            kvapps.image(app, "kvm"), 128 << 20, nfvm_switch.mmio("microvm,pcie=on"), accel(),
            nfos_cli.guest_cmdline(params, args), nets)))
    wait_line(proc, ready, timeout=240)
    return proc


def finish(proc, plat):
    """The exit report of a linuxu app; a kvm guest is killed (its counters
    are read over UDP before)."""
    if plat == "linuxu":
        out, err = stop(proc)
        assert "fatal" not in err, err
        return out
    proc.kill()
    proc.communicate()
    return ""


def ask(ns, host, cases, port=11211):
    """kvclient's cases against host:port: per case, the reply datagrams."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    try:
        r = ns.run(PY, os.path.join(HERE, "kvclient.py"), "cases", f.name, host, str(port),
                   timeout=300)
    finally:
        os.unlink(f.name)
    return [[bytes.fromhex(d) if d != "TIMEOUT" else d for d in got]
            for got in json.loads(r.stdout)]


def wait_ready(ns, host, port=11211):
    for _ in range(200):
        if ask(ns, host, [case(b"version\r\n")], port) != [["TIMEOUT"]]:
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on {host}:{port}")


def mac_of(ns, ip, dev):
    r = ns.run("ip", "neigh", "show", ip, "dev", dev)
    m = re.search(r"lladdr (\S+)", r.stdout)
    assert m, r.stdout
    return m[1]


def exchange(ns, iface, frames, wait=1.0):
    """Sends frames (bytes) on iface, returns what came back, parsed."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([x.hex() for x in frames], f)
    try:
        r = ns.run(PY, os.path.join(HERE, "rawframes.py"), "exchange", iface, f.name, str(wait),
                   timeout=120)
    finally:
        os.unlink(f.name)
    return [rf.parse(bytes.fromhex(x)) for x in json.loads(r.stdout)]


def refused(out, app="kvstore"):
    return {k: int(v) for k, v in re.findall(rf"{app}: port 0 refused \((\w+)\): (\d+)", out)}


# Forged sources, by the reason they are refused: (MAC, address, port).
FORGED = {
    "mac_group": [("01:00:5e:00:00:01", "10.14.0.50", 40000), ("ff:ff:ff:ff:ff:ff", "10.14.0.50",
                                                                40000)],
    "ip_zero": [(CLIENT_MAC, "0.0.0.0", 40000), (CLIENT_MAC, "0.1.2.3", 40000)],
    "ip_loopback": [(CLIENT_MAC, "127.0.0.1", 40000)],
    "ip_multicast": [(CLIENT_MAC, "224.0.0.1", 40000), (CLIENT_MAC, "239.1.2.3", 40000)],
    "ip_broadcast": [(CLIENT_MAC, "255.255.255.255", 40000), (CLIENT_MAC, "10.14.0.255", 40000)],
    "ip_reserved": [(CLIENT_MAC, "240.0.0.1", 40000)],
    "ip_ours": [(CLIENT_MAC, KV, 40000)],
    "port_zero": [(CLIENT_MAC, "10.14.0.50", 0)],
    "port_ours": [(CLIENT_MAC, "10.14.0.50", 11211)],
    "port_service": [(CLIENT_MAC, "10.14.0.50", p) for p in (7, 9, 13, 19, 53, 123, 1900)],
}
# An IPv4 loose source route through 10.14.0.99, and a NOP to fill the word.
LSRR = bytes([0x83, 7, 4, 10, 14, 0, 99, 1])


def kv_guard_frames(kv_mac):
    """The forged requests (ids 100 up) and the good ones (ids 1..3, the
    third with a source route) with their ICMP echo companions."""
    frames, rid = [], 100
    for reason, sources in FORGED.items():
        for m, ip, port in sources:
            frames.append(rf.udp_frame(kv_mac, m, ip, KV, port, 11211, rf.mc(rid, b"version\r\n")))
            rid += 1
            if not reason.startswith("port"):
                frames.append(rf.echo_frame(kv_mac, m, ip, KV, rid, 1))
    good = [rf.udp_frame(kv_mac, CLIENT_MAC, "10.14.0.50", KV, 40000, 11211,
                         rf.mc(1, b"version\r\n")),
            rf.udp_frame(kv_mac, CLIENT_MAC, "192.0.2.7", KV, 1024, 11211, rf.mc(2, b"get a\r\n")),
            rf.udp_frame(kv_mac, CLIENT_MAC, "10.14.0.50", KV, 40000, 11211,
                         rf.mc(3, b"version\r\n"), options=LSRR),
            rf.echo_frame(kv_mac, CLIENT_MAC, "10.14.0.50", KV, 7, 7, options=LSRR)]
    return frames + good


# Where the kvstore guard tests run: kvstore and kvstore-dpdk (the same
# request path over DPDK) on both platforms.
KV_PLATS = kvapps.GUARD


@pytest.mark.parametrize("app, plat", KV_PLATS)
def test_kvstore_refuses_every_forged_source(ns, app, plat):
    """Each reason once or more, UDP and (for the address reasons) ICMP
    echo: nothing answered, each counted under its reason (the exit report
    on linuxu); the good requests answered, without the IPv4 options."""
    kv = start(ns, app, plat, "tap0", KV)
    try:
        wait_ready(ns, KV)
        got = exchange(ns, "tap0", kv_guard_frames(mac_of(ns, KV, "tap0")))
    finally:
        out = finish(kv, plat)
    udp = [g for g in got if g[3] == 17 and g[1] == KV]
    icmp = [g for g in got if g[3] == 1 and g[1] == KV and g[6][0] == 0]
    ids = sorted(struct.unpack(">H", g[6][:2])[0] for g in udp)
    assert ids == [1, 2, 3], got
    assert sorted(g[2] for g in udp) == ["10.14.0.50", "10.14.0.50", "192.0.2.7"], got
    assert all(g[0] == 5 for g in udp + icmp), "no IPv4 options in any reply"
    assert [struct.unpack("!H", g[6][4:6])[0] for g in icmp] == [7], got
    if plat != "linuxu":
        return
    want = {r: len(s) * (1 if r.startswith("port") else 2) for r, s in FORGED.items()}
    assert refused(out, app) == want, out


@pytest.mark.parametrize("plat", ["linuxu", "kvm"])
def test_pong_refuses_forged_echo_sources(ns, plat):
    pong = start(ns, "pong", plat, "tap0", KV)
    try:
        wait_ready_ping = ns.run("ping", "-c", "1", "-W", "5", KV, check=False, timeout=60)
        assert wait_ready_ping.returncode == 0, wait_ready_ping.stdout
        mac = mac_of(ns, KV, "tap0")
        frames = [rf.echo_frame(mac, m, ip, KV, i, 1)
                  for i, (reason, sources) in enumerate(FORGED.items()) if reason[:4] != "port"
                  for m, ip, _ in sources]
        frames.append(rf.echo_frame(mac, CLIENT_MAC, "10.14.0.50", KV, 99, 1, options=LSRR))
        got = exchange(ns, "tap0", frames)
    finally:
        out = finish(pong, plat)
    replies = [g for g in got if g[3] == 1 and g[1] == KV and g[6][0] == 0]
    assert [(g[0], g[2], struct.unpack("!H", g[6][4:6])[0]) for g in replies] == \
        [(5, "10.14.0.50", 99)], got
    if plat == "linuxu":
        want = {r: len(s) for r, s in FORGED.items() if not r.startswith("port")}
        assert refused(out, "pong") == want, out


def kv_pair(ns, ports, plat_b="linuxu"):
    """A bridge br0 (the host at HOST) with kvstore A (linuxu, KV) on tap0
    and B (plat_b, KV2) on tap1, serving UDP ports ports[0], ports[1]."""
    ns.run("ip", "addr", "del", f"{HOST}/24", "dev", "tap0")
    ns.tap("tap1")
    ns.run("ip", "link", "add", "br0", "type", "bridge")
    for t in ("tap0", "tap1"):
        ns.run("ip", "link", "set", t, "master", "br0")
    ns.run("ip", "link", "set", "br0", "up")
    ns.run("ip", "addr", "add", f"{HOST}/24", "dev", "br0")
    a = start(ns, "kvstore", "linuxu", "tap0", KV, ["--port", str(ports[0])])
    try:
        b = start(ns, "kvstore", plat_b, "tap1", KV2, ["--port", str(ports[1])])
    except BaseException:
        stop(a)
        raise
    return a, b


def counters(ns, host, port):
    st = stats_of([d.hex() for d in ask(ns, host, [case(b"stats\r\n")], port)[0]])
    return {k: st[k] for k in ("cmd_get", "get_misses", "reply_loop_drops")}


def requests(out):
    return int(re.search(r"kvstore: requests (\d+) \|", out)[1])


@pytest.mark.parametrize("plat_b", ["linuxu", "kvm"])
def test_no_reply_loop_between_two_kvstores_on_a_bridge(ns, plat_b):
    """A's address and port forged in requests to B, both on 11211 (sent
    into B's TAP, so that the bridge keeps A's MAC on A's port): B refuses
    them (our own port), nothing reaches A, and the counters stand still
    (a loop would count thousands). B linuxu, and kvm (TCG here)."""
    a, b = kv_pair(ns, (11211, 11211), plat_b)
    try:
        wait_ready(ns, KV)
        wait_ready(ns, KV2)
        mac_a, mac_b = mac_of(ns, KV, "br0"), mac_of(ns, KV2, "br0")
        forged = [rf.udp_frame(mac_b, mac_a, KV, KV2, 11211, 11211, rf.mc(i, req))
                  for i, req in enumerate([b"get k\r\n", b"bogus\r\n", b"version\r\n"] * 10)]
        back = exchange(ns, "tap1", forged, wait=0.5)
        before = counters(ns, KV2, 11211), counters(ns, KV, 11211)
        time.sleep(2)
        after = counters(ns, KV2, 11211), counters(ns, KV, 11211)
    finally:
        out_b, out_a = finish(b, plat_b), finish(a, "linuxu")
    assert not [g for g in back if g[1] == KV2 and g[3] == 17], back  # B sent nothing
    assert before == after, (before, after)
    assert before[0]["cmd_get"] == "0" and before[1]["cmd_get"] == "0", before
    assert requests(out_a) < 20, out_a  # the probes and stats requests only
    if plat_b == "linuxu":
        assert refused(out_b) == {"port_ours": 30}, out_b


def test_no_reply_loop_between_kvstores_on_other_ports(ns):
    """Ports 11300 and 11301: a request forged from A to B is answered (B
    cannot tell), but A takes B's "ERROR" for the reply it is and drops it;
    forged from B's address at memcached's port, A refuses it. Nothing
    goes back and forth."""
    a, b = kv_pair(ns, (11300, 11301))
    try:
        wait_ready(ns, KV, 11300)
        wait_ready(ns, KV2, 11301)
        mac_a, mac_b = mac_of(ns, KV, "br0"), mac_of(ns, KV2, "br0")
        exchange(ns, "tap1", [rf.udp_frame(mac_b, mac_a, KV, KV2, 11300, 11301,
                                           rf.mc(i, b"bogus\r\n")) for i in range(10)], wait=0.2)
        exchange(ns, "tap0", [rf.udp_frame(mac_a, mac_b, KV2, KV, 11211, 11300,
                                           rf.mc(i, b"bogus\r\n")) for i in range(5)], wait=2)
    finally:
        out_b, out_a = finish(b, "linuxu"), finish(a, "linuxu")
    # B answered the 10 (and the readiness probes), A none of it: no loop.
    assert 10 <= requests(out_b) < 20 and requests(out_a) < 10, (out_a, out_b)
    assert "10 replies taken for requests" in out_a, out_a
    assert refused(out_a) == {"port_service": 5}, out_a


def big_value_cases(n):
    """A value of n * 50,000 bytes under "big": a set (in IP fragments)
    and appends, then the get."""
    chunk = b"".join(b"%05d" % i for i in range(10000))
    return [case(b"set big 0 0 50000\r\n" + chunk + b"\r\n")] + \
        [case(b"append big 0 0 50000\r\n" + chunk + b"\r\n")] * (n - 1), chunk * n


def test_a_small_get_of_a_250k_item_brings_at_most_the_limit(ns):
    """Default --max-reply-dgrams (8): a 20-byte get of a 250 KB item is
    answered with one SERVER_ERROR datagram; 20 commands in one datagram
    likewise; both counted in stats."""
    kv = start(ns, "kvstore", "linuxu", "tap0", KV)
    try:
        wait_ready(ns, KV)
        cases, _ = big_value_cases(5)
        stored = ask(ns, KV, cases)
        req = case(b"get big\r\n")
        assert len(bytes.fromhex(req["dgram"])) == 17
        got = ask(ns, KV, [req, case(b"version\r\n" * 20), case(b"get big big\r\n"),
                           case(b"stats\r\n")])
    finally:
        out = finish(kv, "linuxu")
    assert all(s[0][8:] == b"STORED\r\n" for s in stored), stored
    assert [g[8:] for g in got[0]] == [b"SERVER_ERROR out of memory writing get response\r\n"]
    assert got[0][0][2:6] == b"\0\0\0\1", "sequence 0 of 1"
    assert [g[8:] for g in got[1]] == [b"SERVER_ERROR out of memory preparing response\r\n"]
    assert len(got[2]) == 1, "the limit is per request"
    st = stats_of([d.hex() for d in got[3]])
    assert st["reply_dgram_limit"] == "3", st
    assert "3 replies over --max-reply-dgrams" in out, out


@pytest.mark.parametrize("app, plat", KV_PLATS)
def test_a_raised_limit_sends_the_whole_reply_honestly(ns, app, plat):
    """--max-reply-dgrams 200: the same get brings every datagram, each
    header counting all of them, and they make the value (on kvm through
    a virtio ring shorter than the reply)."""
    kv = start(ns, app, plat, "tap0", KV, ["--max-reply-dgrams", "200"])
    try:
        wait_ready(ns, KV)
        cases, value = big_value_cases(5)
        ask(ns, KV, cases)
        got = ask(ns, KV, [case(b"get big\r\n")])[0]
    finally:
        finish(kv, plat)
    want = b"VALUE big 0 250000\r\n" + value + b"\r\nEND\r\n"
    n = -(-len(want) // 1392)
    assert len(got) == n, len(got)
    heads = sorted(struct.unpack(">HHHH", g[:8]) for g in got)
    assert [h[1:3] for h in heads] == [(i, n) for i in range(n)], heads[:3]
    data = b"".join(g[8:] for g in sorted(got, key=lambda g: g[2:4]))
    assert data == want


def test_udp_rate_per_source(ns):
    """--udp-rate 5: a source sending 20 requests at once gets its burst
    of 5; another source its own 3; the rest counted."""
    kv = start(ns, "kvstore", "linuxu", "tap0", KV, ["--udp-rate", "5"])
    try:
        wait_ready(ns, KV)
        # The two sources share a bucket only if the random key puts them in
        # one slot of 4096 (then this fails, once in 4096 runs).
        mac = mac_of(ns, KV, "tap0")
        frames = [rf.udp_frame(mac, CLIENT_MAC, "10.14.0.50", KV, 40000, 11211,
                               rf.mc(i, b"version\r\n")) for i in range(20)]
        frames += [rf.udp_frame(mac, CLIENT_MAC, "10.14.0.51", KV, 40000, 11211,
                                rf.mc(100 + i, b"version\r\n")) for i in range(3)]
        got = exchange(ns, "tap0", frames)
    finally:
        out = finish(kv, "linuxu")
    to = [g[2] for g in got if g[3] == 17 and g[1] == KV]
    assert to.count("10.14.0.51") == 3 and 5 <= to.count("10.14.0.50") <= 6, to
    m = re.search(r"(\d+) requests over --udp-rate", out)
    assert m and int(m[1]) == 20 - to.count("10.14.0.50"), out


def expiry_cases():
    later = NOW + 365 * 86400
    return [case(b"set n 0 -1 1\r\nx\r\n"), case(b"get n\r\n"),
            case(b"set r 0 100 1\r\nx\r\n"), case(b"get r\r\n"),
            case(b"set a 0 %d 1\r\nx\r\n" % later), case(b"get a\r\n"),
            case(b"touch r %d\r\n" % later), case(b"gat %d r\r\n" % later),
            case(b"flush_all %d\r\n" % later), case(b"touch r -1\r\n"), case(b"get r\r\n"),
            case(b"stats\r\n")]


@pytest.mark.parametrize("app, plat", KV_PLATS)
def test_absolute_expiry_without_a_clock_is_refused(ns, app, plat):
    """No --epoch (kvm; linuxu told --epoch 0): negative exptimes expire at
    once, relative ones work, absolute ones get a SERVER_ERROR that says
    why, counted."""
    kv = start(ns, app, plat, "tap0", KV, ["--epoch", "0"] if plat == "linuxu" else [])
    try:
        wait_ready(ns, KV)
        got = [[d[8:] for d in g] for g in ask(ns, KV, expiry_cases())]
    finally:
        finish(kv, plat)
    refusal = [b"SERVER_ERROR absolute expiry time without a clock: start kvstore with --epoch "
               b"UNIXTIME\r\n"]
    assert got[:11] == [[b"STORED\r\n"], [b"END\r\n"], [b"STORED\r\n"],
                        [b"VALUE r 0 1\r\nx\r\nEND\r\n"], refusal, [b"END\r\n"], refusal,
                        refusal, refusal, [b"TOUCHED\r\n"], [b"END\r\n"]], got
    st = dict(re.findall(r"STAT (\S+) (\S+)\r\n", b"".join(got[11]).decode()))
    assert st["exptime_no_clock"] == "4", st
