"""nfvm's vhost-user front-end (vmm/vhost.c) against real backends, with no
/dev/kvm and no guest: vmm/tests/vhost_probe.c plays the guest's virtio-net
driver on nfvm's device registers, so nfvm runs the whole protocol
exchange (features, memory table from its memfd, vring addresses, kick and
call eventfds), sends a frame, and waits through nfvm's idle arm for one to
come back. The backends: tests/integration/vhost_backend.py (ours, which
also checks what nfvm armed) and dpdk-testpmd's net_vhost in io mode.
Multiqueue both ways: vhost-user's MQ protocol feature, and (tap_probe.c,
same idea) nfvm's multi-queue TAP, one fd per pair, fed by the kernel."""

import os
import re
import struct
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, build
from test_mq import rss_queue, udp_flows
from test_vhost_user import (Proc, interval_total, needs_testpmd, port_line,  # noqa: F401
                             vhost)  # vhost: the fixture
from tools import guest, nfos_cli
import vhost_backend as vb

PROBE = os.path.join(ROOT, "build", "nfvm", "vhost_probe")
FRAME = bytes([2, 0, 0, 0, 0x76, 0, 2, 0, 0, 0, 0, 1, 8, 0, 0x45]) + bytes(45)


def probe(sock, timeout=60, pairs=1):
    r = subprocess.run(["make", "-s", "-C", ROOT, "nfvm-vhost-probe"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return subprocess.run([PROBE, sock] + ([str(pairs)] if pairs > 1 else []),
                          capture_output=True, text=True, timeout=timeout)


def need_event(event, new, old):
    """virtio 1.x 2.7.7.2, as a device decides whether to signal."""
    return (new - event - 1) & 0xffff < (new - old) & 0xffff


def echo_one(seen, rx=0):
    """The backend's device side: takes the probe's frame off the tx ring
    (rx + 1), puts it into the rx ring, and signals the rx call eventfd only
    if the ring asks for it (EVENT_IDX's used_event), as DPDK does."""
    def traffic(be):
        until = time.monotonic() + 30
        (head, off, length), = vb.pop_n(be, rx + 1, 1, until)
        seen["tx"] = bytes(be.mem.buf[off + vb.HDR_LEN:off + length])
        be.rings[rx + 1].push([(head, 0)])
        chain, = vb.pop_n(be, rx, 1, until)
        ring = be.rings[rx]
        event = ring.u16(ring.avail + 4 + 2 * ring.num)
        old = ring.used_idx
        ring.push([vb.deliver(be, chain, bytes(vb.HDR_LEN) + seen["tx"])])
        seen["used_event"] = event
        # fds: memory table, then kick and call of ring 0, of ring 1, ...
        if need_event(event, ring.used_idx, old):
            os.write(be.fds[2 + 2 * rx], struct.pack("<Q", 1))
            seen["signalled"] = True
    return traffic


def test_exchange_with_our_backend(tmp_path):
    sock = str(tmp_path / "vhost.sock")
    seen = {}
    be = vb.Backend(sock, traffic=echo_one(seen))
    try:
        r = probe(sock)
    finally:
        be.close()
    assert be.error is None, be.error
    assert r.returncode == 0, r.stdout + r.stderr
    assert be.log[:4] == ["SET_OWNER", "GET_FEATURES", "GET_PROTOCOL_FEATURES",
                          "SET_PROTOCOL_FEATURES"], be.log
    assert be.log[4:6] == ["SET_FEATURES", "SET_MEM_TABLE"], be.log
    for i in range(2):
        ring = be.log[6 + 6 * i:12 + 6 * i]
        assert ring == ["SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR", "SET_VRING_KICK",
                        "SET_VRING_CALL", "SET_VRING_ENABLE"], be.log
    assert seen["tx"] == FRAME, seen
    assert seen["used_event"] == 0, "nfvm's idle arm set used_event to used.idx"
    assert seen.get("signalled"), seen
    assert "probe: rx: woken by the call eventfd; used.idx 1, first frame 72 bytes" in r.stdout


def test_mq_exchange_with_our_backend(tmp_path):
    """Two queue pairs (MQ protocol feature, GET_QUEUE_NUM 2): nfvm hands
    the backend both pairs' rings, pair 1's disabled until the guest's
    VQ_PAIRS_SET 2 on nfvm's control queue enables them; the frame goes
    out on pair 1 and comes back on it, waking the idle arm (used_event
    set on every receive ring)."""
    sock = str(tmp_path / "vhost.sock")
    seen = {}
    be = vb.Backend(sock, traffic=echo_one(seen, rx=2), queues=2)
    try:
        r = probe(sock, pairs=2)
    finally:
        be.close()
    assert be.error is None, be.error
    assert r.returncode == 0, r.stdout + r.stderr
    assert be.log[:5] == ["SET_OWNER", "GET_FEATURES", "GET_PROTOCOL_FEATURES",
                          "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM"], be.log
    assert be.log[5:7] == ["SET_FEATURES", "SET_MEM_TABLE"], be.log
    for i in range(4):
        assert be.log[7 + 6 * i:13 + 6 * i] == [
            "SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR", "SET_VRING_KICK",
            "SET_VRING_CALL", "SET_VRING_ENABLE"], be.log
    assert be.log[31:] == ["SET_VRING_ENABLE", "SET_VRING_ENABLE"], be.log  # VQ_PAIRS_SET 2
    assert be.enabled == {0, 1, 2, 3}, be.enabled
    assert "probe: VQ_PAIRS_SET 2: ack 0" in r.stdout, r.stdout
    assert seen["tx"] == FRAME, seen
    assert "woken by the call eventfd; used.idx 1, first frame 72 bytes (last pair)" in r.stdout


def test_mq_backend_with_fewer_pairs(tmp_path):
    """Two pairs asked of a backend that has one (no MQ protocol feature):
    nfvm says so and the device offers one pair, no MQ."""
    sock = str(tmp_path / "vhost.sock")
    be = vb.Backend(sock, queues=1)
    try:
        r = probe(sock, pairs=2)
    finally:
        be.close()
    assert r.returncode == 1 and "probe: the device has 1 queue pairs, not 2" in r.stdout, r
    assert "the backend serves 1 of the 2 queue pairs asked" in r.stderr, r


def test_backend_not_listening(tmp_path):
    r = probe(str(tmp_path / "nobody"))
    assert r.returncode == 1, r
    assert "nfvm: vhost-user: " in r.stderr and "No such file or directory" in r.stderr, r


def test_backend_refusing_in_the_handshake(tmp_path):
    """A broken reply ends the exchange with one line, within the 5 s
    reply deadline, never a hang."""
    sock = str(tmp_path / "vhost.sock")
    for fault, why in ((("GET_FEATURES", "size"), "wrong request, flags or size"),
                       (("GET_FEATURES", "silent"), "no reply within 5 s"),
                       (("GET_PROTOCOL_FEATURES", "truncated"), "hung up before its whole reply"),
                       (("SET_MEM_TABLE", "close"), "hung up before its whole reply")):
        be = vb.Backend(sock, fault=fault)
        try:
            t0 = time.monotonic()
            r = probe(sock)
        finally:
            be.close()
            os.unlink(sock)
        assert r.returncode == 1 and why in r.stderr, (fault, r)
        assert time.monotonic() - t0 < 30, fault


@needs_testpmd
def test_exchange_with_testpmd(vhost):  # noqa: F811 - the fixture
    """dpdk-testpmd's net_vhost as the backend, forwarding (io) what the
    probe sends back to it: the frame leaves through the tx ring, comes
    back through the rx ring, and testpmd signals the call eventfd because
    nfvm armed used_event; nfvm never touched a packet."""
    tp = vhost.backend("io")
    tp.send("start")
    sock = tp.p.args[tp.p.args.index("--vdev") + 1].split("iface=")[1].split(",")[0]
    r = probe(sock)
    tp.stop()
    st = tp.port_stats()
    assert r.returncode == 0, r.stdout + r.stderr + tp.text[-2000:]
    assert "probe: rx: woken by the call eventfd" in r.stdout, r.stdout
    assert st["RX-packets"] == 1 and st["TX-packets"] == 1, st


@needs_testpmd
def test_mq_exchange_with_testpmd(vhost):  # noqa: F811 - the fixture
    """testpmd's net_vhost with queues=2: nfvm negotiates both pairs, the
    probe's VQ_PAIRS_SET 2 enables pair 1, and testpmd forwards the frame
    from pair 1's tx ring back into pair 1's rx ring (its queue 1)."""
    tp = vhost.backend("io", queues=2)
    tp.send("start")
    sock = tp.p.args[tp.p.args.index("--vdev") + 1].split("iface=")[1].split(",")[0]
    r = probe(sock, pairs=2)
    tp.stop()
    st = tp.port_stats()
    assert r.returncode == 0, r.stdout + r.stderr + tp.text[-2000:]
    assert "probe: VQ_PAIRS_SET 2: ack 0" in r.stdout, r.stdout
    assert "woken by the call eventfd" in r.stdout and "(last pair)" in r.stdout, r.stdout
    assert st["RX-packets"] == 1 and st["TX-packets"] == 1, st


needs_kvm = pytest.mark.skipif(
    not nfos_cli.kvm_usable(), reason="a guest under nfvm needs /dev/kvm (here: in the nested VM, "
    "NFOS_NFVM_NESTED=1 python3 -m pytest tests/integration/test_nfvm_suite.py)")
RING = 256


def nfvm_guest(tp, app, args=()):
    """app's kvm image under nfvm, its one virtio-net on testpmd's net_vhost
    socket (nfvm the vhost-user front-end, the guest's rings served by
    testpmd directly)."""
    sock = tp.p.args[tp.p.args.index("--vdev") + 1].split("iface=")[1].split(",")[0]
    nets = [{"kind": "vhost-user", "arg": sock}]
    cmdline = nfos_cli.guest_cmdline(nfos_cli.net_params(nets, [], [], "kvm") +
                                     ["nfos.stats=1"], list(args))
    cmd = guest.nfvm_command(build(app, "kvm"), 64 << 20, cmdline, nets)
    return Proc(["timeout", "600"] + cmd)


@needs_kvm
@needs_testpmd
def test_rxsink_guest_through_testpmd(vhost):  # noqa: F811 - the fixture
    """rxsink under nfvm against dpdk-testpmd's net_vhost: testpmd sends
    exactly 2 x 256 frames of 64 bytes into the guest's rx ring, rxsink
    counts every one and exits by its --count; testpmd's counters agree."""
    tp = vhost.backend("rxonly")
    app = nfvm_guest(tp, "rxsink", ["--count", str(2 * RING)])
    try:
        app.wait_for(r"rxsink: .*port 0 \(vnet0\)", timeout=300)
        tp.wait_for(r"Port 0: link state change event", timeout=300)
        tp.send("start tx_first 8")  # 8 bursts of 32: one ring's worth
        interval_total(app, "rxsink", "rx", RING, timeout=300)
        tp.stop()
        tp.send("start tx_first 8")  # again, into the refilled ring
        status, out = app.finish(timeout=300)
    finally:
        app.kill()
    assert status == 0, out
    assert re.search(rf"^rxsink: total rx {2 * RING} pkts", out, re.M), out
    c = port_line(out, "rxsink")
    assert c["rx"] == 2 * RING and c["rx_bytes"] == 2 * RING * 64, c
    assert c["rx_errors"] == 0 and c["rx_drops"] == 0, c
    st = tp.port_stats()
    assert st["TX-packets"] == 2 * RING, st


@needs_kvm
@needs_testpmd
def test_l2fwd_guest_sends_back_through_testpmd(vhost):  # noqa: F811 - the fixture
    """l2fwd under nfvm swaps the MACs of testpmd's 256 frames and sends
    each back through its tx ring; testpmd (rxonly) counts them all."""
    tp = vhost.backend("rxonly")
    app = nfvm_guest(tp, "l2fwd", ["--macswap"])
    try:
        app.wait_for(r"l2fwd: .*port 0 \(vnet0\)", timeout=300)
        tp.wait_for(r"Port 0: link state change event", timeout=300)
        tp.send("start tx_first 8")
        end = time.monotonic() + 300
        while tp.port_stats()["RX-packets"] < RING:
            assert time.monotonic() < end, tp.text[-3000:] + app.text[-2000:]
            time.sleep(1)
        tp.stop()
        st = tp.port_stats()
        app.p.send_signal(2)  # nfvm ends the guest: 130
        status, out = app.finish(timeout=120)
    finally:
        app.kill()
    assert st["RX-packets"] == RING and st["TX-packets"] == RING, st
    assert st["RX-bytes"] == RING * 64, st
    assert status == 130, out


TAP_PROBE = os.path.join(ROOT, "build", "nfvm", "tap_probe")
root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


@pytest.fixture
def netns():
    name = f"nfos-nfvmq-{uuid.uuid4().hex[:6]}"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


def tap_probe(ns, ifname, pairs, seconds, rss=False):
    r = subprocess.run(["make", "-s", "-C", ROOT, "nfvm-tap-probe"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    return subprocess.Popen(["ip", "netns", "exec", ns, TAP_PROBE, ifname, str(pairs),
                             str(seconds)] + (["rss"] if rss else []), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def ns_sh(ns, *cmd):
    subprocess.run(["ip", "-n", ns] + list(cmd), check=True, capture_output=True, timeout=30)


def probe_pairs_rx(ns, p, mq, ports=range(64), src=None):
    """Once tap_probe p says its device is up (mq: the rest of its line),
    one UDP datagram from 10.9.0.1 to the device for each of ports (test_mq's
    udp_flows: src None, the kernel picks the source ports): the probe's
    output, each pair's rx count."""
    try:
        assert p.stdout.readline() == f"probe: 2 queue pairs, {mq}\n", p.stderr.read()
        ns_sh(ns, "addr", "add", "10.9.0.1/24", "dev", "mq0")
        ns_sh(ns, "link", "set", "mq0", "up")
        ns_sh(ns, "neigh", "add", "10.9.0.2", "lladdr", "02:6e:66:76:6d:01", "dev", "mq0")
        udp_flows(ns, "10.9.0.2", ports, src)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    rx = [int(n) for n in re.findall(r"^probe: pair \d: rx (\d+)$", out, re.M)]
    assert p.returncode == 0 and len(rx) == 2, out + err
    return out + err, rx


@root
def test_tap_pairs_each_get_their_queue(netns):
    """nfvm makes the TAP multi-queue (one fd per pair), the driver's
    VQ_PAIRS_SET 2 attaches pair 1's queue, and the kernel spreads 64 UDP
    flows over both: each pair's receive queue gets frames."""
    out, rx = probe_pairs_rx(netns, tap_probe(netns, "mq0", 2, 60), "MQ")
    assert all(rx) and sum(rx) >= 64, out  # all on one queue: 1 in 2^63


@root
def test_tap_rss_puts_each_flow_on_its_hash_pair(netns):
    """With RSS (tap_probe's rss: nfvm offers it, the probe programs it as
    nfos's driver does) nfvm picks each frame's pair, not the kernel: 64
    UDP flows from fixed ports land exactly where Toeplitz puts them (the
    hash's low bit over 2 pairs; test_mq's toeplitz, itself checked against
    Microsoft's vectors), nothing dropped. IPv6 is off in the namespace so
    that no unhashed frame (to pair 0) comes in besides."""
    # Through /proc (the namespace's own): procps' sysctl may not be there.
    knob = "/proc/sys/net/ipv6/conf/default/disable_ipv6"
    subprocess.run(["ip", "netns", "exec", netns, "sh", "-c",
                    f"[ ! -e {knob} ] || echo 1 > {knob}"], check=True, timeout=30)
    # Not 64 ports in a row: Toeplitz is linear, so those split 32/32 and a
    # table with its pairs swapped would pass too. These split 38/26.
    ports = [41000 + 3 * i * i for i in range(64)]
    out, rx = probe_pairs_rx(netns, tap_probe(netns, "mq0", 2, 60, rss=True), "MQ, RSS", ports,
                             "10.9.0.1")
    on_1 = sum(rss_queue("10.9.0.1", "10.9.0.2", (port, 9)) for port in ports)
    assert on_1 == 26  # both pairs in play, unevenly
    assert rx == [64 - on_1, on_1], (on_1, out)
    assert "probe: rss drops 0\n" in out, out


@root
def test_tap_not_multi_queue_keeps_one_pair(netns):
    """An existing TAP made without multi_queue: nfvm says so and offers
    one pair, no MQ; the frames all come on it."""
    ns_sh(netns, "tuntap", "add", "dev", "sq0", "mode", "tap")
    p = tap_probe(netns, "sq0", 2, 1)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0 and "probe: 1 queue pairs\n" in out, out + err
    assert "nfvm: --net tap:sq0 is not multi_queue: one queue pair for 2" in err, err
