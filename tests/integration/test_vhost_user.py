"""drivers/vhost-user and drivers/virtio-net on linuxu against vhost-user backends.

With dpdk-testpmd's net_vhost port as the backend (core 0, interactive, so
that it sends exact bursts with `start tx_first` and reports exact counters
with `show port stats`), an nfos image on core 1 receives (rxsink), sends
back (l2fwd, MAC swap) and sends at full speed (txgen); every count is
checked on both sides. Without testpmd those tests skip.

A small backend written here plays the protocol for what testpmd cannot be
made to do: refuse a feature, offer no VERSION_1; it also checks the
messages and the memory table the image sends. Socket paths nobody listens
on must end the boot with one line and status 2."""

import mmap
import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid

import pytest

from conftest import assert_pools_balanced, build, run_linuxu

TESTPMD = shutil.which("dpdk-testpmd")
BACKEND_CORE, IMAGE_CORE = 0, 1
TIMEOUT = 60  # seconds for any wait; nothing here should take more than a few
RING = 256    # virtio-net's default ring size: a burst of this many always fits

needs_testpmd = pytest.mark.skipif(
    not TESTPMD or (os.cpu_count() or 1) < 2,
    reason="needs dpdk-testpmd (Debian dpdk-dev, ./nfos deps) and two cores")


class Proc:
    """A process whose output is collected by a thread and searched."""

    def __init__(self, argv, stdin=False):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._chunks, self._lock = [], threading.Lock()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        while True:
            b = os.read(self.p.stdout.fileno(), 65536)
            if not b:
                return
            with self._lock:
                self._chunks.append(b.decode(errors="replace"))

    @property
    def text(self):
        with self._lock:
            return "".join(self._chunks)

    def wait_for(self, pattern, since=0, timeout=TIMEOUT):
        """The first match of pattern in the output after offset since."""
        end, rx = time.monotonic() + timeout, re.compile(pattern, re.S)
        while True:
            exited = self.p.poll() is not None
            if exited:
                self._t.join(timeout=5)  # everything it wrote is in
            m = rx.search(self.text, since)
            if m:
                return m
            assert not exited, f"exited ({self.p.returncode}) before {pattern!r}:\n" \
                               f"{self.text[-3000:]}"
            assert time.monotonic() < end, f"no {pattern!r} in:\n{self.text[-3000:]}"
            time.sleep(0.02)

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def finish(self, timeout=TIMEOUT):
        self.p.wait(timeout=timeout)
        self._t.join(timeout=5)
        return self.p.returncode, self.text

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=TIMEOUT)


class Backend(Proc):
    """dpdk-testpmd with one net_vhost port (the vhost-user server), driven
    through its prompt. Memory: --no-huge (a shared memfd, which is all the
    backend side needs; no hugepages or mounts required)."""

    def __init__(self, sock, prefix, mode, queues=1):
        super().__init__(
            ["timeout", str(4 * TIMEOUT), "setpriv", "--pdeathsig", "KILL", "--",
             "taskset", "-c", str(BACKEND_CORE), "stdbuf", "-oL", TESTPMD,
             "--lcores", f"0@{BACKEND_CORE},1@{BACKEND_CORE}", "--no-pci", "--no-huge",
             "-m", "128", f"--file-prefix={prefix}",
             "--vdev", f"net_vhost0,iface={sock},queues={queues}",
             "--", "-i", f"--forward-mode={mode}", "--nb-cores=1", "--total-num-mbufs=8192",
             f"--rxq={queues}", f"--txq={queues}"],
            stdin=True)
        self.wait_for(r"testpmd> ")

    def stop(self):
        """Stops forwarding; returns once testpmd has printed its totals."""
        mark = len(self.text)
        self.send("stop")
        self.wait_for(r"Accumulated forward statistics.*?Done\.", mark)

    def port_stats(self):
        """{'RX-packets': n, 'RX-bytes': n, 'TX-packets': n, 'TX-bytes': n}"""
        mark = len(self.text)
        self.send("show port stats 0")
        m = self.wait_for(r"NIC statistics for port 0 .*?RX-packets:\s+(\d+).*?"
                          r"RX-bytes:\s+(\d+).*?TX-packets:\s+(\d+).*?TX-bytes:\s+(\d+)", mark)
        return dict(zip(("RX-packets", "RX-bytes", "TX-packets", "TX-bytes"),
                        map(int, m.groups())))


@pytest.fixture
def vhost(tmp_path):
    """Starts a testpmd backend and nfos images against it; kills them all
    and removes the socket and DPDK's run-time folder, whatever happens."""
    prefix = f"nfos-vhu-{uuid.uuid4().hex[:8]}"
    sock = str(tmp_path / "vhost.sock")
    procs = []

    class Ctx:
        def backend(self, mode, queues=1):
            tp = Backend(sock, prefix, mode, queues)
            procs.append(tp)
            assert os.path.exists(sock), tp.text
            return tp

        def image(self, app, *args, params=()):
            img = build(app, "linuxu", smp=any(  # nfos.cpus=N, N > 1
                p.startswith("nfos.cpus=") and p != "nfos.cpus=1" for p in params))
            p = Proc(["timeout", str(4 * TIMEOUT), "taskset", "-c", str(IMAGE_CORE), img,
                      f"netdev.dev=vhost-user:{sock}", "nfos.stats=1"] + list(params) +
                     ["--"] + list(args))
            procs.append(p)
            return p

    yield Ctx()
    for p in reversed(procs):
        p.kill()
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if os.path.exists(sock):
        os.unlink(sock)


def started(tp, app, name):
    """Waits until the image runs and testpmd saw the device come up."""
    app.wait_for(rf"{name}: .*port 0 \(vnet0\)")
    tp.wait_for(r"Port 0: link state change event")


def interval_total(app, name, what, want, timeout=TIMEOUT):
    """Waits until the image's periodic lines add up to want frames."""
    end = time.monotonic() + timeout
    while True:
        got = sum(int(n) for n in re.findall(rf"^{name}: interval .*?{what} (\d+) pkts",
                                             app.text, re.M))
        if got >= want:
            return got
        assert time.monotonic() < end, f"{got} of {want} {what} frames:\n{app.text[-2000:]}"
        time.sleep(0.05)


def port_line(text, name):
    m = re.search(rf"^{name}: port 0 vnet0: rx (\d+) pkts (\d+) bytes (\d+) errors (\d+) drops "
                  rf"\d+ empty-polls \| tx (\d+) pkts (\d+) bytes (\d+) errors (\d+) drops", text,
                  re.M)
    assert m, text
    assert_pools_balanced(text)  # every report with port counters: no netbuf lost
    keys = ("rx", "rx_bytes", "rx_errors", "rx_drops", "tx", "tx_bytes", "tx_errors", "tx_drops")
    return dict(zip(keys, map(int, m.groups())))


@needs_testpmd
def test_receive_exact_bursts(vhost):
    """testpmd sends exactly 2 x 256 frames of 64 bytes; rxsink gets all."""
    tp = vhost.backend("rxonly")
    app = vhost.image("rxsink", "--count", str(2 * RING))
    started(tp, app, "rxsink")
    tp.send("start tx_first 8")  # 8 bursts of 32: one ring's worth
    interval_total(app, "rxsink", "rx", RING)
    tp.stop()
    tp.send("start tx_first 8")  # again, into the refilled ring
    status, out = app.finish()
    assert status == 0, out
    assert re.search(rf"^rxsink: total rx {2 * RING} pkts", out, re.M), out
    c = port_line(out, "rxsink")
    assert c["rx"] == 2 * RING and c["rx_bytes"] == 2 * RING * 64, c
    assert c["rx_errors"] == 0 and c["rx_drops"] == 0, c
    st = tp.port_stats()
    assert st["TX-packets"] == 2 * RING and st["TX-bytes"] == 2 * RING * 64, st
    # Idle before each burst, rxsink sleeps in ppoll() on its receive ring's
    # call eventfd (plat/linuxu/idle.c); testpmd's burst wakes it.
    m = re.search(r"^rxsink: idle: \d+ periods, (\d+) sleeps \((\d+) woken by a frame", out, re.M)
    assert m and int(m[1]) >= 1 and int(m[2]) >= 1, out


@needs_testpmd
def test_send_back_exact_bursts(vhost):
    """testpmd sends 2 x 256 frames, l2fwd swaps the MACs and sends each back,
    testpmd (rxonly, verbose) receives every one with the MACs swapped."""
    tp = vhost.backend("rxonly")
    app = vhost.image("l2fwd", "--macswap")
    started(tp, app, "l2fwd")
    tp.send("set verbose 1")
    for rnd in (1, 2):
        tp.send("start tx_first 8")
        interval_total(app, "l2fwd", "tx", rnd * RING)
        end = time.monotonic() + TIMEOUT
        while tp.port_stats()["RX-packets"] < rnd * RING:
            assert time.monotonic() < end, tp.text[-3000:]
            time.sleep(0.1)
        tp.stop()
    st = tp.port_stats()
    assert st == {"RX-packets": 2 * RING, "RX-bytes": 2 * RING * 64,
                  "TX-packets": 2 * RING, "TX-bytes": 2 * RING * 64}, st
    # testpmd's txonly frames go from its port MAC to 02:00:00:00:00:00.
    back = re.findall(r"src=([0-9A-F:]{17}) - dst=([0-9A-F:]{17})", tp.text)
    assert len(back) == 2 * RING, tp.text[-3000:]
    assert set(back) == {("02:00:00:00:00:00", "56:48:4F:53:54:00")}, set(back)
    app.p.send_signal(2)
    status, out = app.finish()
    assert status == 0, out
    c = port_line(out, "l2fwd")
    assert (c["rx"], c["tx"], c["rx_errors"], c["tx_errors"]) == (2 * RING, 2 * RING, 0, 0), c


@needs_testpmd
def test_ping_pong_many_wraps(vhost):
    """256 frames bounce between testpmd (io) and l2fwd for two seconds: the
    16-bit ring indices wrap many times; no frame is lost or invented."""
    tp = vhost.backend("io")
    app = vhost.image("l2fwd", "--macswap")
    started(tp, app, "l2fwd")
    tp.send("start tx_first 8")
    time.sleep(2)
    tp.stop()
    st = tp.port_stats()
    time.sleep(0.5)  # l2fwd forwards what was still in its rx ring
    app.p.send_signal(2)
    status, out = app.finish()
    assert status == 0, out
    c = port_line(out, "l2fwd")
    assert st["TX-packets"] > 3 * 65536, (st, "no wraparound")
    assert c["rx"] == st["TX-packets"], (c, st)
    drops = int(re.search(r"^l2fwd: total .*\| drops (\d+)", out, re.M).group(1))
    assert c["rx"] == c["tx"] + drops, c
    # What l2fwd sent after testpmd stopped polling stays in the tx ring.
    assert st["RX-packets"] <= c["tx"] <= st["RX-packets"] + RING, (c, st)
    assert c["rx_errors"] == c["tx_errors"] == 0, c


@needs_testpmd
def test_transmit_full_speed(vhost):
    """txgen sends 200000 60-byte frames as fast as the ring takes them;
    testpmd receives them all."""
    count = 200000
    tp = vhost.backend("rxonly")
    tp.send("start")
    app = vhost.image("txgen", "--count", str(count))
    status, out = app.finish()
    assert status == 0, out
    c = port_line(out, "txgen")
    assert c["tx"] == count and c["tx_bytes"] == count * 60 and c["tx_errors"] == 0, c
    end = time.monotonic() + TIMEOUT
    while (st := tp.port_stats())["RX-packets"] < count:
        assert time.monotonic() < end, st
        time.sleep(0.1)
    assert st["RX-packets"] == count and st["RX-bytes"] == count * 60, st


# --- Without testpmd: refusals and a backend played here ----------------------

def test_no_listener(hello_vhost_image, tmp_path):
    """A missing socket file and a socket nobody listens on: one line each,
    status 2 (a vdev probe error)."""
    gone = tmp_path / "nobody.sock"
    r = run_linuxu(hello_vhost_image, params=[f"netdev.dev=vhost-user:{gone}"])
    assert r.status == 2, r
    assert r.err.strip().splitlines() == [
        f"vhost-user: cannot connect to {gone}: No such file or directory "
        "(is the backend listening?)"], r
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(gone))  # bound, never listening
    try:
        r = run_linuxu(hello_vhost_image, params=[f"netdev.dev=vhost-user:{gone}"])
    finally:
        s.close()
    assert r.status == 2, r
    assert r.err.strip().splitlines() == [
        f"vhost-user: cannot connect to {gone}: Connection refused (is the backend listening?)"], r


@pytest.mark.parametrize("case", ["no path", "path too long", "bad mac", "multicast mac"])
def test_bad_argument(hello_vhost_image, tmp_path, case):
    """What the user typed is wrong: one line saying what is expected,
    status 2."""
    path = {"no path": "", "path too long": "/" + "x" * 120}.get(case, str(tmp_path / "x.sock"))
    mac = {"bad mac": "02:00:00:00:00", "multicast mac": "03:00:00:00:00:01"}.get(case)
    r = run_linuxu(hello_vhost_image,
                   params=[f"netdev.dev=vhost-user:{path}"] + ([f"netdev.mac={mac}"] if mac else []))
    assert r.status == 2, r
    if mac:
        want = f"vhost-user: netdev.mac={mac}: expected a unicast aa:bb:cc:dd:ee:ff"
    else:
        want = f"vhost-user: '{path}': expected vhost-user:PATH, a socket path of 1 to 107 characters"
    assert r.err.strip().splitlines() == [want], r


VIRTIO_F_VERSION_1, VIRTIO_F_EVENT_IDX, F_PROTOCOL = 1 << 32, 1 << 29, 1 << 30
REPLY_ACK = 1 << 3
NAMES = {1: "GET_FEATURES", 2: "SET_FEATURES", 3: "SET_OWNER", 5: "SET_MEM_TABLE",
         8: "SET_VRING_NUM", 9: "SET_VRING_ADDR", 10: "SET_VRING_BASE", 11: "GET_VRING_BASE",
         12: "SET_VRING_KICK", 13: "SET_VRING_CALL", 15: "GET_PROTOCOL_FEATURES",
         16: "SET_PROTOCOL_FEATURES", 17: "GET_QUEUE_NUM", 18: "SET_VRING_ENABLE"}
PROTOCOL_MQ = 1 << 0


class FakeBackend(threading.Thread):
    """A vhost-user backend that answers the handshake, acks or refuses
    (REPLY_ACK) and records every message with the fds it came with."""

    def __init__(self, path, features, protocol=0, refuse=()):
        super().__init__(daemon=True)
        self.features, self.protocol, self.refuse = features, protocol, set(refuse)
        self.msgs = []  # (name, flags, payload bytes, [fds])
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(1)
        self.srv.settimeout(TIMEOUT)
        self.start()

    def _recv(self, c, n):
        data, fds = b"", []
        while len(data) < n:
            chunk, anc, _, _ = c.recvmsg(n - len(data), socket.CMSG_SPACE(8 * 4))
            if not chunk:
                return None, fds
            for level, kind, raw in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds += list(struct.unpack(f"{len(raw) // 4}i", raw))
            data += chunk
        return data, fds

    def run(self):
        c, _ = self.srv.accept()
        with c:
            while True:
                hdr, fds = self._recv(c, 12)
                if not hdr:
                    return
                req, flags, size = struct.unpack("<III", hdr)
                payload, more = self._recv(c, size) if size else (b"", [])
                self.msgs.append((NAMES.get(req, str(req)), flags, payload, fds + more))
                reply = None
                if req == 1:
                    reply = self.features
                elif req == 15:
                    reply = self.protocol
                elif req == 17:
                    reply = 1  # queue pairs
                elif flags & 0x8:
                    reply = 1 if NAMES.get(req) in self.refuse else 0
                if reply is not None:
                    c.sendall(struct.pack("<IIIQ", req, 0x5, 8, reply))

    def close(self):
        self.srv.close()
        for _, _, _, fds in self.msgs:
            for fd in fds:
                os.close(fd)


@pytest.fixture(scope="module")
def hello_vhost_image():
    """Any app with the network drivers linked will do: rxsink."""
    return build("rxsink", "linuxu")


def test_protocol_and_memory_table(hello_vhost_image, tmp_path):
    """The messages a DRIVER_OK sends, in order, and what they carry: the
    memory table maps the whole linuxu memory through its memfd, the rings
    lie inside it, and the rx ring is full and published before start."""
    path = str(tmp_path / "fake.sock")
    be = FakeBackend(path, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | F_PROTOCOL | (1 << 15),
                     protocol=REPLY_ACK | PROTOCOL_MQ | (1 << 1))
    try:
        r = run_linuxu(hello_vhost_image,
                       params=[f"netdev.dev=vhost-user:{path}", "netdev.mac=02:aa:bb:cc:dd:ee",
                               "nfos.verbose=1", "nfos.mem=32M"], args=["--time", "0.2"])
        assert r.status == 0, r
        assert "netdev: port 0: vnet0, mac 02:aa:bb:cc:dd:ee" in r.out, r
        accepted = re.search(r"features accepted:((?:.|\n  )*)", r.out).group(1).split()
        assert accepted == ["MAC", "STATUS", "RING_EVENT_IDX", "VERSION_1"], r.out
        names = [m[0] for m in be.msgs]
        ring = ["SET_VRING_CALL", "SET_VRING_NUM", "SET_VRING_BASE", "SET_VRING_ADDR",
                "SET_VRING_KICK"]
        assert names == (["SET_OWNER", "GET_FEATURES", "GET_PROTOCOL_FEATURES",
                          "SET_PROTOCOL_FEATURES", "GET_QUEUE_NUM", "SET_FEATURES",
                          "SET_MEM_TABLE"] + ring +
                         ring + ["SET_VRING_ENABLE", "SET_VRING_ENABLE"]), names
        msg = dict((m[0], m) for m in be.msgs)
        assert struct.unpack("<Q", msg["SET_PROTOCOL_FEATURES"][2]) == (REPLY_ACK | PROTOCOL_MQ,)
        # Only what was offered and wanted, and the protocol bit.
        assert struct.unpack("<Q", msg["SET_FEATURES"][2]) == (
            VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | F_PROTOCOL,)
        # Version 1; NEED_REPLY on every SET_ once REPLY_ACK is agreed.
        for i, (name, flags, _, _) in enumerate(be.msgs):
            acked = i > names.index("SET_PROTOCOL_FEATURES") and name.startswith("SET_")
            assert flags == (0x9 if acked else 0x1), (name, flags)
        _, _, mem, fds = msg["SET_MEM_TABLE"]
        nregions, _ = struct.unpack_from("<II", mem)
        gpa, size, uva, off = struct.unpack_from("<QQQQ", mem, 8)
        assert (nregions, len(fds), size, off, gpa) == (1, 1, 32 << 20, 0, uva), mem
        st = os.fstat(fds[0])
        assert st.st_size == size, st
        shm = memoryview(mmap.mmap(fds[0], size))
        states = [struct.unpack("<II", m[2]) for m in be.msgs if m[0] == "SET_VRING_NUM"]
        bases = [struct.unpack("<II", m[2]) for m in be.msgs if m[0] == "SET_VRING_BASE"]
        assert states == [(0, RING), (1, RING)] and bases == [(0, 0), (1, 0)], (states, bases)
        addrs = [struct.unpack("<IIQQQQ", m[2]) for m in be.msgs if m[0] == "SET_VRING_ADDR"]
        for q, (index, flags, desc, used, avail, log) in enumerate(addrs):
            assert index == q and flags == 0, addrs
            for a in (desc, used, avail):
                assert uva <= a < uva + size, (hex(a), hex(uva))
            aflags, aidx = struct.unpack_from("<HH", shm, avail - uva)
            assert aflags == 1, "VRING_AVAIL_F_NO_INTERRUPT"
            assert aidx == (RING if q == 0 else 0), (q, aidx)
        kicks = [m for m in be.msgs if m[0] in ("SET_VRING_KICK", "SET_VRING_CALL")]
        assert all(len(m[3]) == 1 and struct.unpack("<Q", m[2])[0] in (0, 1) for m in kicks)
        enables = [struct.unpack("<II", m[2]) for m in be.msgs if m[0] == "SET_VRING_ENABLE"]
        assert enables == [(0, 1), (1, 1)], enables
        shm.release()
    finally:
        be.close()


def device_name(path):
    """How drivers/vhost-user names the device in messages (48 bytes at most)."""
    return "vhost-user " + (path if len(path) <= 36 else "..." + path[-33:])


@pytest.mark.parametrize("case", ["no VERSION_1", "SET_FEATURES refused"])
def test_backend_refusal(hello_vhost_image, tmp_path, case):
    """A backend that cannot drive a modern device, and one that says no to
    the features: one line saying why, status 2."""
    path = str(tmp_path / "be.sock")
    if case == "no VERSION_1":
        be = FakeBackend(path, VIRTIO_F_EVENT_IDX)
        why = f"virtio: {device_name(path)}: legacy-only device (no VERSION_1), not supported"
    else:
        be = FakeBackend(path, VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | F_PROTOCOL,
                         protocol=REPLY_ACK, refuse={"SET_FEATURES"})
        why = f"vhost-user: {path}: SET_FEATURES: refused by the backend"
    try:
        r = run_linuxu(hello_vhost_image, params=[f"netdev.dev=vhost-user:{path}"])
    finally:
        be.close()
    assert r.status == 2, r
    assert r.err.strip().splitlines() == [why], r
