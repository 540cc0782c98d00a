"""The linuxu network backends against real interfaces: drivers/tap on a TAP and
drivers/afpacket on a veth pair. Each test makes its own network namespace with
the interfaces inside (removed by the fixture, whatever happens), runs the
image in it, sends frames from the namespace side with raw AF_PACKET
sockets and checks the exact bytes and counts that come back. Needs root."""

import contextlib
import ctypes
import os
import re
import select
import socket
import struct
import subprocess
import time
import uuid

import pytest

from conftest import assert_pools_balanced, image_fixture

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

ETH_TEST = 0x88B5  # IEEE local experimental ethertype: nothing else sends it
CMD_TIMEOUT = 30   # seconds for any ip/sysctl command
APP_TIMEOUT = 60   # seconds for an image to start, run and exit
RECV_TIMEOUT = 10  # seconds to wait for the frames we expect back
ETH_P_ALL = 3
PACKET_OUTGOING = 4
PACKET_AUXDATA = 8
SO_RCVBUFFORCE = 33
SOL_PACKET = 263
CLONE_NEWNET = 0x40000000
IFF_PROMISC = 0x100
SRC = bytes.fromhex("020000000001")
DST = bytes.fromhex("020000000002")

_libc = ctypes.CDLL(None, use_errno=True)


def sh(*argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=CMD_TIMEOUT)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stderr}"
    return r.stdout


class App:
    """An image running in a namespace; its stdout read as it comes."""

    def __init__(self, ns, image, params, args):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns.name, image] + list(params) + ["--"] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""

    def wait_for(self, pattern, timeout=APP_TIMEOUT):
        """Reads stdout until a line matches pattern; returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern.encode(), self.out)
            if m:
                return m
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} in {self.out!r}"
            if select.select([self.proc.stdout], [], [], left)[0]:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                assert chunk, f"exited before {pattern!r}: {self.finish()}"
                self.out += chunk

    def finish(self, timeout=APP_TIMEOUT):
        """Waits for the exit: (status, stdout, stderr) as text."""
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, (self.out + out).decode(), err.decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate(timeout=CMD_TIMEOUT)


class Netns:
    def __init__(self):
        self.name = f"nfos-net-{uuid.uuid4().hex[:8]}"
        self.apps = []

    def ip(self, *args):
        return sh("ip", "-n", self.name, *args)

    def read(self, path):
        return sh("ip", "netns", "exec", self.name, "cat", path).strip()

    def run(self, image, params, args=()):
        app = App(self, image, params, args)
        self.apps.append(app)
        return app

    @contextlib.contextmanager
    def entered(self):
        """This thread inside the namespace: sockets made here live there."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns")
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), "setns back")
            os.close(own)
            os.close(target)

    def socket(self, ifname):
        """A raw socket on ifname for every frame, with VLAN auxdata (a socket
        for one protocol would get tagged frames with the tag dropped)."""
        with self.entered():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        # Room for every echo of a test: we read them only after sending all.
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
        s.bind((ifname, ETH_P_ALL))
        return s


@pytest.fixture
def ns():
    n = Netns()
    sh("ip", "netns", "add", n.name)
    try:
        # No IPv6: no router solicitations or MLD reports among our frames.
        sh("ip", "netns", "exec", n.name, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
           "net.ipv6.conf.default.disable_ipv6=1")
        yield n
    finally:
        for app in n.apps:
            app.kill()
        subprocess.run(["ip", "netns", "del", n.name], capture_output=True, timeout=CMD_TIMEOUT)


@pytest.fixture
def tap(ns):
    """A TAP, up: the image attaches to nt0, the test talks through nt0."""
    ns.ip("tuntap", "add", "dev", "nt0", "mode", "tap")
    ns.ip("link", "set", "nt0", "up")
    return ns


@pytest.fixture
def veth(ns):
    """A veth pair, up: the image on nv0, the test on nv1."""
    ns.ip("link", "add", "nv0", "type", "veth", "peer", "name", "nv1")
    for i in ("nv0", "nv1"):
        ns.ip("link", "set", i, "up")
    return ns


l2fwd = image_fixture("l2fwd", "linuxu", "module")
nettest = image_fixture("nettest", "linuxu", "module")


def frame(i, size, dst=DST, src=SRC, tag=None):
    """A test frame of size bytes numbered i; tag: (tpid, tci) of a VLAN tag."""
    head = dst + src + (struct.pack("!HH", *tag) if tag else b"")
    body = struct.pack("!HI", ETH_TEST, i)
    pad = bytes((i * 7 + k) & 0xFF for k in range(size - len(head) - len(body)))
    return head + body + pad


def swapped(f):
    return f[6:12] + f[0:6] + f[12:]


def receive(sock, count, timeout=RECV_TIMEOUT):
    """count ETH_TEST frames that arrived on sock (not our own sends), VLAN
    tags the kernel moved into auxdata put back; then checks nothing more
    came."""
    got, deadline = [], time.monotonic() + timeout
    while len(got) < count + 1:
        left = deadline - time.monotonic() if len(got) < count else 0.3
        if left <= 0 or not select.select([sock], [], [], left)[0]:
            break
        data, anc, _, addr = sock.recvmsg(65536, socket.CMSG_SPACE(20))
        if addr[2] == PACKET_OUTGOING:
            continue
        for level, kind, aux in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", aux[:20])
                if status & (1 << 4):  # TP_STATUS_VLAN_VALID
                    tpid = tpid if status & (1 << 6) else 0x8100
                    data = data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
        if ETH_TEST in (int.from_bytes(data[12:14], "big"), int.from_bytes(data[16:18], "big")):
            got.append(data)
    return got


def port_counters(out, app, ifname):
    m = re.search(rf"{app}: port 0 {ifname}: rx (\d+) pkts (\d+) bytes (\d+) errors (\d+) drops "
                  rf"\d+ empty-polls \| tx (\d+) pkts (\d+) bytes (\d+) errors (\d+) drops", out)
    assert m, out
    assert_pools_balanced(out)  # every report with port counters: no netbuf lost
    keys = ("rx", "rx_bytes", "rx_errors", "rx_drops", "tx", "tx_bytes", "tx_errors", "tx_drops")
    return dict(zip(keys, map(int, m.groups())))


def echo_test(ns, image, dev, app_if, peer_if, frames, extra_errors=()):
    """l2fwd on app_if echoes frames sent on peer_if (and extra_errors,
    which it must count as rx errors); checks bytes, order and counters."""
    app = ns.run(image, [f"netdev.dev={dev}"], ["--count", str(len(frames)), "--time", "30"])
    app.wait_for(r"l2fwd: forwarding port 0")
    sock = ns.socket(peer_if)
    for f in extra_errors:
        sock.send(f)
    for f in frames:
        sock.send(f)
    got = receive(sock, len(frames))
    status, out, err = app.finish()
    assert status == 0, (out, err)
    assert len(got) == len(frames), (len(got), out)
    for i, (f, g) in enumerate(zip(frames, got)):
        assert g == swapped(f), f"frame {i}: sent {f.hex()}, back {g.hex()}"
    c = port_counters(out, "l2fwd", app_if)
    size = sum(map(len, frames))
    assert c == dict(rx=len(frames), rx_bytes=size, rx_errors=len(extra_errors), rx_drops=0,
                     tx=len(frames), tx_bytes=size, tx_errors=0, tx_drops=0), out
    return out


SIZES = [60, 61, 64, 100, 128, 255, 256, 512, 1000, 1024, 1500, 1514]


def test_tap_echo_exact_bytes_and_counts(tap, l2fwd):
    frames = [frame(i, SIZES[i % len(SIZES)]) for i in range(60)]
    echo_test(tap, l2fwd, "tap:nt0", "nt0", "nt0", frames)


def test_tap_frame_larger_than_netbuf_is_an_error(tap, l2fwd):
    """9000 bytes into a 2048-byte netbuf: counted, not cut, and the app
    goes on echoing what follows."""
    tap.ip("link", "set", "nt0", "mtu", "9000")
    frames = [frame(i, 1514) for i in range(3)] + [frame(9, 2000 + 48)]
    echo_test(tap, l2fwd, "tap:nt0", "nt0", "nt0", frames, extra_errors=[frame(99, 9000)])


def test_packet_echo_exact_bytes_and_counts(veth, l2fwd):
    """Exact counts also prove our own sent frames are not received back:
    l2fwd would echo them again."""
    frames = [frame(i, SIZES[i % len(SIZES)]) for i in range(60)]
    echo_test(veth, l2fwd, "packet:nv0", "nv0", "nv1", frames)


def test_packet_frame_larger_than_netbuf_is_an_error(veth, l2fwd):
    for i in ("nv0", "nv1"):
        veth.ip("link", "set", i, "mtu", "9000")
    frames = [frame(i, 1514) for i in range(3)] + [frame(9, 2048)]
    echo_test(veth, l2fwd, "packet:nv0", "nv0", "nv1", frames, extra_errors=[frame(99, 9000)])


def test_packet_vlan_tag_survives(veth, l2fwd):
    """The kernel moves a received VLAN tag out of the frame; the driver puts
    it back, so the echo carries it."""
    frames = [frame(i, 64 + i, tag=(0x8100, 0x2005 + i)) for i in range(4)]
    echo_test(veth, l2fwd, "packet:nv0", "nv0", "nv1", frames)


def test_packet_burst_of_many_frames(veth, l2fwd):
    """More frames than one rx block holds and than a burst takes, sent back
    to back: all come back, in order."""
    frames = [frame(i, 1514 if i % 3 else 60) for i in range(600)]
    echo_test(veth, l2fwd, "packet:nv0", "nv0", "nv1", frames)


@pytest.mark.parametrize("kind", ["tap", "packet"])
def test_idle_sleeps_until_a_frame(request, l2fwd, kind):
    """Idle, l2fwd sleeps in ppoll() on its port's fd (plat/linuxu/idle.c)
    instead of polling: three frames, each after a pause, come back, and
    its report counts sleeps that frames ended. Then SIGTERM ends the sleep
    that has no timer to end it (no --time): a clean exit."""
    ns = request.getfixturevalue("tap" if kind == "tap" else "veth")
    dev, app_if, peer_if = ("tap:nt0", "nt0", "nt0") if kind == "tap" else ("packet:nv0", "nv0",
                                                                            "nv1")
    app = ns.run(l2fwd, [f"netdev.dev={dev}"])
    app.wait_for(r"l2fwd: forwarding port 0")
    sock = ns.socket(peer_if)
    for i in range(3):
        time.sleep(0.3)
        f = frame(i, 100)
        sock.send(f)
        assert receive(sock, 1) == [swapped(f)], app.out
    time.sleep(0.3)
    app.proc.terminate()
    status, out, err = app.finish()
    assert status == 0, (out, err)
    m = re.search(r"^l2fwd: idle: \d+ periods, (\d+) sleeps \((\d+) woken by a frame", out, re.M)
    assert m and int(m[1]) >= 3 and int(m[2]) >= 3, out
    c = port_counters(out, "l2fwd", app_if)
    assert (c["rx"], c["tx"]) == (3, 3), out


def info_line(app):
    m = app.wait_for(r"nettest: started port 0 (\S+) driver (\S+) mac (\S+) mtu (\d+) "
                     r"link (\S+) speed (\d+) promisc (\S+)\n")
    return dict(zip(("name", "driver", "mac", "mtu", "link", "speed", "promisc"),
                    (g.decode() for g in m.groups())))


def run_info(ns, image, params, args=()):
    app = ns.run(image, params, ["--time", "0.3"] + list(args))
    info = info_line(app)
    status, out, err = app.finish()
    assert status == 0, (out, err)
    return info


def test_tap_mac_from_param_else_from_name(tap, nettest):
    tap.ip("tuntap", "add", "dev", "nt1", "mode", "tap")
    info = run_info(tap, nettest, ["netdev.dev=tap:nt0", "netdev.mac=02:11:22:33:44:55"])
    assert info["mac"] == "02:11:22:33:44:55" and info["driver"] == "tap", info
    derived = run_info(tap, nettest, ["netdev.dev=tap:nt0"])["mac"]
    first = int(derived[:2], 16)
    assert first & 2 and not first & 1, f"{derived}: locally administered unicast"
    assert derived != tap.read("/sys/class/net/nt0/address"), "ours, not the kernel's end"
    assert run_info(tap, nettest, ["netdev.dev=tap:nt0"])["mac"] == derived, "stable"
    assert run_info(tap, nettest, ["netdev.dev=tap:nt1"])["mac"] != derived


def test_tap_bad_mac_param_stops_the_boot(tap, nettest):
    app = tap.run(nettest, ["netdev.dev=tap:nt0", "netdev.mac=01:00:5e:00:00:01"], ["--time", "1"])
    status, out, err = app.finish()
    assert status == 2, (out, err)
    assert "tap: nt0: mac '01:00:5e:00:00:01': expected a unicast" in err, err


def test_packet_refuses_a_mac_param(veth, nettest):
    app = veth.run(nettest, ["netdev.dev=packet:nv0", "netdev.mac=02:11:22:33:44:55"],
                   ["--time", "1"])
    status, out, err = app.finish()
    assert status == 2, (out, err)
    assert "packet: nv0: the port's MAC is the interface's" in err, err


def test_tap_link_follows_the_interface(ns, nettest):
    ns.ip("tuntap", "add", "dev", "nt0", "mode", "tap")
    assert run_info(ns, nettest, ["netdev.dev=tap:nt0"])["link"] == "down"
    ns.ip("link", "set", "nt0", "up")
    assert run_info(ns, nettest, ["netdev.dev=tap:nt0"])["link"] == "up"


def test_packet_mac_link_and_promisc(veth, nettest):
    info = run_info(veth, nettest, ["netdev.dev=packet:nv0"])
    assert info["driver"] == "packet" and info["promisc"] == "off", info
    assert info["mac"] == veth.read("/sys/class/net/nv0/address")
    assert info["mtu"] == "1500" and info["link"] == "up" and info["speed"] == "10000", info

    app = veth.run(nettest, ["netdev.dev=packet:nv0"], ["--promisc", "--time", "1"])
    assert info_line(app)["promisc"] == "on"
    assert int(veth.read("/sys/class/net/nv0/flags"), 16) & IFF_PROMISC
    status, out, err = app.finish()
    assert status == 0, (out, err)
    # A socket membership, not the flag: it ends with the process.
    assert not int(veth.read("/sys/class/net/nv0/flags"), 16) & IFF_PROMISC

    veth.ip("link", "set", "nv1", "down")
    assert run_info(veth, nettest, ["netdev.dev=packet:nv0"])["link"] == "down"


@pytest.mark.parametrize("kind,ifname,line", [
    ("tap", "nosuch", "tap: nosuch: no such interface (No such device); "
                      "make it with: ip tuntap add dev nosuch mode tap"),
    ("tap", "lo", "tap: lo: cannot attach (TUNSETIFF): Invalid argument "
                  "(not a TAP)"),
    ("packet", "nosuch", "packet: nosuch: no such interface (No such device)"),
    ("packet", "lo", "packet: lo: not an Ethernet interface"),
])
def test_bad_interface_stops_the_boot(ns, l2fwd, kind, ifname, line):
    app = ns.run(l2fwd, [f"netdev.dev={kind}:{ifname}"], ["--time", "5"])
    status, out, err = app.finish()
    assert status == 2, (out, err)
    ours = [l for l in err.splitlines() if l.startswith(f"{kind}: ")]
    assert ours == [line], err
    assert "forwarding" not in out


def run_unprivileged(ns, image, dev):
    cmd = ["ip", "netns", "exec", ns.name, "setpriv", "--reuid=65534", "--regid=65534",
           "--clear-groups", "--inh-caps=-all", image, f"netdev.dev={dev}", "--", "--time", "5"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=APP_TIMEOUT,
                          stdin=subprocess.DEVNULL)


def test_packet_without_privilege_says_so(veth, l2fwd):
    r = run_unprivileged(veth, l2fwd, "packet:nv0")
    assert r.returncode == 2, r
    assert ("packet: nv0: cannot open an AF_PACKET socket: Operation not permitted "
            "(needs CAP_NET_RAW)") in r.stderr, r


def test_tap_of_another_user_says_so(ns, l2fwd):
    """A TAP without an owner is anyone's to attach to; one owned by root
    is not nobody's."""
    ns.ip("tuntap", "add", "dev", "nt0", "mode", "tap", "user", "0")
    r = run_unprivileged(ns, l2fwd, "tap:nt0")
    assert r.returncode == 2, r
    assert ("tap: nt0: cannot attach (TUNSETIFF): Operation not permitted (it belongs to "
            "another user or group: needs CAP_NET_ADMIN)") in r.stderr, r


@pytest.mark.parametrize("kind", ["tap", "packet"])
def test_kernel_drops_count_in_rx_drops(ns, nettest, kind):
    """The app does not poll for a while; the kernel's queue (TAP, 500
    frames) or the rx ring (AF_PACKET, 4 blocks of 64 KiB: about 170
    full-size frames) overflows, and every frame sent is either received or
    counted in rx drops."""
    if kind == "tap":
        ns.ip("tuntap", "add", "dev", "nt0", "mode", "tap")
        ns.ip("link", "set", "nt0", "up")
        app_if, peer_if, sent = "nt0", "nt0", 1500
    else:
        ns.ip("link", "add", "nv0", "type", "veth", "peer", "name", "nv1")
        for i in ("nv0", "nv1"):
            ns.ip("link", "set", i, "up")
        app_if, peer_if, sent = "nv0", "nv1", 1000
    app = ns.run(nettest, [f"netdev.dev={kind}:{app_if}"],
                 ["--ring", "64", "--pause", "3", "--time", "5"])
    info_line(app)
    sock = ns.socket(peer_if)
    t0 = time.monotonic()
    for i in range(sent):
        sock.send(frame(i, 1514))
    assert time.monotonic() - t0 < 2.5, "sent while the app was not polling"
    status, out, err = app.finish()
    assert status == 0, (out, err)
    c = port_counters(out, "nettest", app_if)
    assert c["rx_drops"] > 0, out
    assert c["rx"] + c["rx_drops"] == sent, out
    assert c["rx_errors"] == 0, out
