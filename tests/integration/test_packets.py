"""Packets through real host interfaces, each test in network namespaces it
creates and always removes: pong answers the kernel's ping (linuxu over a
veth with AF_PACKET and over a TAP; kvm through a TAP on microvm,pcie=on,
microvm (mmio) and q35), l2fwd passes frames byte for byte between two TAPs,
txgen -> rxsink counts match exactly, and a storm of malformed frames
leaves pong alive with exact counters. Needs root (skipped otherwise)."""

import json
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT, assert_pools_balanced, build, nfos_cli, accel, vm_command

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

PKTIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pktio.py")
PY = "/usr/bin/python3"


def sh(*cmd, check=True, timeout=30):
    return subprocess.run(list(cmd), check=check, capture_output=True, text=True,
                          timeout=timeout)


class Netns:
    """One namespace with TAPs and veths in it; IPv6 off so the kernel sends
    nothing of its own on them."""

    def __init__(self, name):
        self.name = name
        sh("ip", "netns", "add", name)
        self.run("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        self.run("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        self.run("ip", "link", "set", "lo", "up")

    def run(self, *cmd, check=True, timeout=60):
        return sh("ip", "netns", "exec", self.name, *cmd, check=check, timeout=timeout)

    def popen(self, *cmd):
        return subprocess.Popen(["ip", "netns", "exec", self.name, *cmd], text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL)

    def tap(self, name, addr=None):
        self.run("ip", "tuntap", "add", "dev", name, "mode", "tap")
        self.run("ip", "link", "set", name, "up")
        if addr:
            self.run("ip", "addr", "add", addr, "dev", name)

    def veth(self, a, b, addr=None):
        self.run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
        self.run("ip", "link", "set", a, "up")
        self.run("ip", "link", "set", b, "up")
        if addr:
            self.run("ip", "addr", "add", addr, "dev", a)

    def stat(self, iface, what):
        return int(self.run("cat", f"/sys/class/net/{iface}/statistics/{what}").stdout)

    def remove(self):
        sh("ip", "netns", "del", self.name, check=False)


@pytest.fixture
def ns():
    n = Netns(f"nfos-t{os.getpid()}")
    try:
        yield n
    finally:
        n.remove()


def stop(proc, timeout=60):
    """SIGINT (linuxu apps report and exit), SIGKILL if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return out, err


def wait_line(proc, pattern, timeout=90):
    """Reads proc's stdout until a line matches; returns the lines read.
    Never blocks past timeout: one byte per poll of the pipe (readline
    would wait for a line's end that a stalled guest never writes), so
    nothing after the matching line is taken from the later readers."""
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    fd, lines, part = proc.stdout.fileno(), [], b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not sel.select(timeout=1):
            if proc.poll() is not None:
                break
            continue
        c = os.read(fd, 1)
        if not c:
            break
        part += c
        if c == b"\n":
            lines.append(part.decode(errors="replace"))
            part = b""
            if re.search(pattern, lines[-1]):
                return lines
    sel.close()
    err = proc.stderr.read() if proc.poll() is not None else "(still running)"
    raise AssertionError(f"no line matching {pattern!r} in {timeout} s: "
                         f"{''.join(lines)}{part.decode(errors='replace')} {err}")


def reap(proc, timeout=60):
    """SIGKILL, then its output; a process (QEMU, nfvm) that outlives its
    SIGKILL by timeout seconds fails the test instead of hanging it."""
    proc.kill()
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{proc.args[:6]} still there {timeout} s after SIGKILL (stuck in "
                             f"the kernel?)") from None


def linuxu(ns, app, params, args=()):
    image = build(app, "linuxu")
    return ns.popen(image, *params, "--", *args)


def kvm(ns, app, machine, nets, ips, args=()):
    image = build(app, "kvm")
    parsed = [{"kind": "tap", "arg": t} for t in nets]
    params = nfos_cli.net_params(parsed, ips, [], "kvm")
    cmd = nfos_cli.qemu_command(image, 64 << 20, machine, accel(), nfos_cli.guest_cmdline(
        params, list(args)), parsed)
    return ns.popen(*vm_command(cmd))  # NFOS_VMM=nfvm: nfvm's


def ping(ns, addr, count=3):
    return ns.run("ping", "-c", str(count), "-i", "0.2", "-W", "5", addr, check=False,
                  timeout=60)


def check_pong_answers(ns, proc):
    wait_line(proc, r"pong: port 0 .* answers for 10\.11\.0\.2")
    r = ping(ns, "10.11.0.2")
    out, err = stop(proc)
    assert r.returncode == 0, (r.stdout, r.stderr, out, err)
    assert " 0% packet loss" in r.stdout
    m = re.search(r"pong: port 0: (\d+) ARP replies, (\d+) echo replies", out)
    assert m and int(m[1]) >= 1 and int(m[2]) == 3, out + err
    assert_pools_balanced(out)


def test_pong_linuxu_veth_af_packet(ns):
    ns.veth("veth0", "veth1", "10.11.0.1/24")
    proc = linuxu(ns, "pong", ["netdev.dev=packet:veth1", "netdev.ip=10.11.0.2/24"])
    check_pong_answers(ns, proc)


def test_pong_linuxu_tap(ns):
    ns.tap("tap0", "10.11.0.1/24")
    proc = linuxu(ns, "pong", ["netdev.dev=tap:tap0", "netdev.ip=10.11.0.2/24"])
    check_pong_answers(ns, proc)


@pytest.mark.parametrize("machine", ["microvm,pcie=on", "microvm", "q35"])
def test_pong_kvm_tap(ns, machine):
    ns.tap("tap0", "10.11.0.1/24")
    proc = kvm(ns, "pong", machine, ["tap0"], ["10.11.0.2/24"])
    try:
        wait_line(proc, r"pong: port 0 .* answers for 10\.11\.0\.2", timeout=120)
        r = ping(ns, "10.11.0.2")
    finally:
        out, err = reap(proc)
    assert r.returncode == 0, (r.stdout, r.stderr, out, err)


def test_l2fwd_two_taps_byte_for_byte_linuxu(ns):
    ns.tap("tap0")
    ns.tap("tap1")
    proc = linuxu(ns, "l2fwd", ["netdev.dev=tap:tap0", "netdev1.dev=tap:tap1"])
    wait_line(proc, r"l2fwd: forwarding port 0 \(.*\) <-> port 1")
    r = ns.run(PY, PKTIO, "roundtrip", "tap0", "tap1", "2000", "7", timeout=120)
    out, err = stop(proc)
    res = json.loads(r.stdout)
    assert res == {"sent": 2000, "matched": 2000, "missing": 0, "altered_or_dup": 0}, (res, out)
    assert_pools_balanced(out)


def test_txgen_to_rxsink_counts_match_linuxu(ns):
    ns.veth("veth0", "veth1")
    sink = linuxu(ns, "rxsink", ["netdev.dev=packet:veth1"])
    wait_line(sink, r"rxsink: receiving on port 0")
    gen = linuxu(ns, "txgen", ["netdev.dev=packet:veth0"], ["--count", "20000", "--rate", "20K"])
    out_g, err_g = gen.communicate(timeout=120)
    assert gen.returncode == 0, out_g + err_g
    time.sleep(0.5)
    out_s, err_s = stop(sink)
    tx = int(re.search(r"txgen: total rx \d+ pkts \S+ Mpp/s \| tx (\d+) pkts", out_g)[1])
    rx = int(re.search(r"rxsink: total rx (\d+) pkts", out_s)[1])
    assert tx == 20000 and rx == 20000, out_g + out_s + err_s
    assert_pools_balanced(out_g + out_s, apps=2)


def test_malformed_storm_leaves_pong_alive_with_exact_counters_linuxu(ns):
    ns.tap("tap0", "10.11.0.1/24")
    proc = linuxu(ns, "pong", ["netdev.dev=tap:tap0", "netdev.ip=10.11.0.2/24"])
    wait_line(proc, r"pong: port 0 .* answers for")
    dropped_before = ns.stat("tap0", "tx_dropped")
    r = ns.run(PY, PKTIO, "storm", "tap0", "1000000", "11", timeout=600)
    sent = json.loads(r.stdout)
    time.sleep(1)
    alive = ping(ns, "10.11.0.2", count=2)
    out, err = stop(proc)
    assert alive.returncode == 0, (alive.stdout, out, err)
    dropped = ns.stat("tap0", "tx_dropped") - dropped_before
    rx = int(re.search(r"pong: total rx (\d+) pkts", out)[1])
    # Everything the kernel handed over was received: the storm, plus the
    # ping's ARP and echo frames.
    parsed = sum(int(n) for n in re.findall(r" (\d+)", re.search(r"parsed:(.*)", out)[1]))
    malformed = sum(int(n) for n in re.findall(r"dropped malformed \(\w+\): (\d+)", out))
    assert parsed + malformed == rx, out
    assert sent["sent"] - dropped <= rx <= sent["sent"] - dropped + 10, (sent, dropped, out)
    assert malformed > 0 and "fatal signal" not in err
    assert_pools_balanced(out)
