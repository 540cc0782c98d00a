"""lib/dpdk on linuxu: DPDK's own helloworld, l2fwd and testpmd, unmodified,
as Linux processes (musl, one raw-clone host thread per lcore, each with its
own musl thread; the EAL's memory and so every mbuf inside the memfd that
vhost-user hands its backend), started the way a user starts them:
`./nfos run APP --plat linuxu --cpus N --net KIND:ARG -- EAL-ARGS -- APP-ARGS`.

helloworld says hello from both lcores; testpmd (io) and l2fwd pass frames
tap0 -> tap1 byte for byte in a network namespace made here (l2fwd over
AF_PACKET too); testpmd over vhost-user forwards host dpdk-testpmd's frames
back to it (io unchanged, macswap with the addresses swapped), every count
checked on both sides; they run with -m 64 in --mem 128M. Bad input ends
with one clear line and a non-zero status (an -m that does not fit names
the one that does). The image holds `syscall` instructions only where linuxu means to
ask the host.

Skipped only when Debian's DPDK source cannot be fetched, without root
(namespaces), or without host dpdk-testpmd (vhost-user)."""

import json
import os
import re
import signal
import subprocess
import time
import uuid

import pytest

from conftest import ROOT, dpdk_build, nfos
from test_dpdk import NO_FIT
from test_packets import PKTIO, PY, Netns, wait_line
from test_vhost_user import Backend, Proc, needs_testpmd

NFOS = os.path.join(ROOT, "nfos")
FRAMES = 2000   # native speed: enough frames to cross many bursts
# host testpmd's `start tx_first 4`: 4 x 32 frames, half a ring each way, so
# that neither side drops while the other is not scheduled (2 loaded cores).
BURSTS = 4
TIMEOUT = 120   # any one wait; a loaded 2-core machine is slow
# testpmd's default pool wants hundreds of MiB; this fits the EAL's -m 16.
TESTPMD_POOL = ["--total-num-mbufs", "2048", "--no-mlockall"]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture(scope="module")
def dpdk():
    return {app: dpdk_build(app, "linuxu") for app in ("dpdk-helloworld", "dpdk-l2fwd",
                                                 "dpdk-testpmd")}


def run(app, *args):
    """`./nfos run APP --plat linuxu ARGS`, stdin at end of file."""
    return nfos("run", app, "--plat", "linuxu", *args, timeout=TIMEOUT)


def hellos(out):
    return sorted(int(n) for n in re.findall(r"^hello from core (\d+)$", out, re.M))


def test_hello_from_both_lcores(dpdk):
    r = run("dpdk-helloworld", "--cpus", "2")
    assert r.status == 0, r.text
    assert hellos(r.out) == [0, 1], r.out
    assert "EAL: Detected CPU lcores: 2" in r.err, r.text  # the log: stderr


def host_paths(image):
    """The functions of linuxu's deliberate ways to the host: plat/linuxu
    (lcore threads: clone, futex, GS base) and lib/syscall's pass-through
    (host_linuxu.S), read from the image's own objects."""
    obj = os.path.join(os.path.dirname(image), "obj")
    objs = [os.path.join(obj, "liblinuxuplat.ro"),
            os.path.join(obj, "libsyscall", "lib", "syscall", "arch", "x86_64",
                         "host_linuxu.S.o")]
    out = subprocess.run(["nm", "--defined-only", *objs], capture_output=True, text=True,
                         check=True).stdout
    return {l.split()[2] for l in out.splitlines() if len(l.split()) == 3}


def test_only_the_host_paths_hold_syscalls(dpdk):
    """Every system call of DPDK, musl, the EAL and the drivers goes through
    nfos_syscall6 (which hands the host what is the host's): a `syscall`
    instruction sits only in linuxu's own host paths."""
    for app, image in dpdk.items():
        dis = subprocess.run(["objdump", "-d", "--no-show-raw-insn", image + ".dbg"],
                             capture_output=True, text=True, check=True).stdout
        where, fn = set(), None
        for line in dis.splitlines():
            m = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
            if m:
                fn = m[1]
            elif re.search(r"\t(syscall|sysenter|int +\$0x80)\s*$", line):
                where.add(fn)
        assert "syscall_host" in where and where <= host_paths(image), \
            (app, sorted(where - host_paths(image)))


@pytest.mark.parametrize("app, args, message", [
    # Memory for the EAL but not for testpmd's mbufs.
    ("dpdk-testpmd", ["--net", "null", "--", "-m", "8", "--", *TESTPMD_POOL],
     "Creation of mbuf pool for socket 0 failed"),
    # No port at all.
    ("dpdk-l2fwd", ["--", "--", "-p", "0x3"], "No Ethernet ports - bye"),
    ("dpdk-helloworld", ["--", "--no-such-option"], "Invalid 'command line' arguments"),
])
def test_bad_input(dpdk, app, args, message):
    """A clear message and a non-zero exit, never a hang or a fault."""
    r = run(app, "--cpus", "2", *args)
    assert r.status != 0 and message in r.text, r.text
    assert "fatal signal" not in r.text, r.text


def test_memory_says_what_fits_and_that_fits(dpdk):
    """-m larger than the process's memory (--mem): one line naming the
    largest -m, a non-zero exit; that -m then runs, inside the memfd (the
    EAL checks that). It is most of --mem: a run of 2 MiB pages from the
    heap, not an aligned block of it."""
    r = run("dpdk-helloworld", "--cpus", "2", "--mem", "128M", "--", "-m", "4096")
    m = NO_FIT.search(r.text)
    assert r.status != 0 and m and m[1] == "4096", r.text
    assert hellos(r.out) == [] and "fatal signal" not in r.text, r.text
    fits = int(m[3])
    assert 100 <= fits < 128, r.text
    # Exactly that: linuxu maps its memfd at a 2 MiB boundary, so what fits
    # is the same in every process (it varied by a page with the address).
    r = run("dpdk-helloworld", "--cpus", "2", "--mem", "128M", "--", "-m", str(fits))
    assert r.status == 0 and hellos(r.out) == [0, 1], r.text


def test_missing_vhost_user_socket(dpdk, tmp_path):
    """A socket nobody listens on: one line, status 2 (the image itself; the
    nfos command refuses such a --net before it starts anything)."""
    sock = str(tmp_path / "nobody.sock")
    r = run("dpdk-testpmd", "--net", f"vhost-user:{sock}", "--", "--", *TESTPMD_POOL)
    assert r.status != 0 and f"no socket '{sock}'" in r.err, r.text
    p = subprocess.run([dpdk["dpdk-testpmd"], f"netdev.dev=vhost-user:{sock}", "--", "--",
                        *TESTPMD_POOL], capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 2 and sock in p.stdout + p.stderr, p.stdout + p.stderr
    assert "EAL:" not in p.stdout, p.stdout  # the boot ended before main


def test_testpmd_null_ports_until_sigint(dpdk):
    """Two nfos null ports; SIGINT is testpmd's own stop: it prints its
    totals and says Bye (the signal is the host's; `nfos run` reports the
    stop as 128 + SIGINT)."""
    p = Proc([NFOS, "run", "dpdk-testpmd", "--plat", "linuxu", "--cpus", "2",
              "--net", "null", "--net", "null", "--", "--", "--auto-start",
              "--stats-period", "1", *TESTPMD_POOL])
    try:
        p.wait_for(r"NIC statistics for port 1", timeout=TIMEOUT)
        p.p.send_signal(signal.SIGINT)
        status, out = p.finish(timeout=TIMEOUT)
    finally:
        p.kill()
    assert status == 128 + signal.SIGINT and "Bye..." in out, out
    assert "io packet forwarding - ports=2 - cores=1" in out, out
    acc = out[out.index("Accumulated forward statistics"):]
    rx, tx = (int(re.search(rf"{k}-packets: (\d+)", acc)[1]) for k in ("RX", "TX"))
    assert rx > 0 and rx == tx, acc


@pytest.fixture
def ns():
    n = Netns(f"nfos-dl{os.getpid()}")
    try:
        yield n
    finally:
        n.remove()


def forward(ns, app, nets, eal, app_args, ready, cpus=2, done=None):
    """Starts `./nfos run APP` inside ns; once it prints ready, FRAMES frames
    from the first interface pair must come out of the second unaltered;
    then a line matching done, if given. SIGINT then stops the app, which
    must say Bye (its own clean end; `nfos run` reports a stop signal as
    128 + SIGINT). Returns the app's output."""
    net = [w for n in nets for w in ("--net", n)]
    proc = ns.popen(NFOS, "run", app, "--plat", "linuxu", "--cpus", str(cpus), "--mem",
                    "128M", *net, "--", *eal, "--", *app_args)
    try:
        lines = wait_line(proc, ready, timeout=TIMEOUT)
        r = ns.run(PY, PKTIO, "roundtrip", *ns.sides, str(FRAMES), "11", timeout=TIMEOUT)
        if done:
            lines += wait_line(proc, done, timeout=TIMEOUT)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    text = "".join(lines) + out + err
    res = json.loads(r.stdout)
    assert res == {"sent": FRAMES, "matched": FRAMES, "missing": 0, "altered_or_dup": 0}, \
        (res, text[-3000:])
    assert proc.returncode == 128 + signal.SIGINT and "Bye..." in text, text[-3000:]
    return text


def interfaces(ns, kind):
    """Two ports for the image and the two sides pktio uses: TAPs (the
    image on each TAP, pktio on the same) or veth pairs (image on one end,
    pktio on the other)."""
    if kind == "tap":
        ns.tap("tap0")
        ns.tap("tap1")
        ns.sides = ("tap0", "tap1")
        return ["tap:tap0", "tap:tap1"]
    ns.veth("va0", "vb0")
    ns.veth("va1", "vb1")
    ns.sides = ("va0", "va1")
    return ["packet:vb0", "packet:vb1"]


@needs_root
@pytest.mark.parametrize("kind, cpus", [("tap", 2), ("tap", 1), ("packet", 2)])
def test_l2fwd_forwards_byte_for_byte(dpdk, ns, kind, cpus):
    nets = interfaces(ns, kind)
    # l2fwd's pool is 8192 mbufs (~20 MiB): -m 64 in --mem 128M. Its log is
    # stderr: its statistics (stdout, once a second) say it runs.
    text = forward(ns, "dpdk-l2fwd", nets, ["-m", "64"],
                   ["-p", "0x3", "-q", str(3 - cpus), "--no-mac-updating", "-T", "1"],
                   r"Port statistics", cpus,
                   done=rf"Total packets received:\s+{FRAMES}\b")
    # The statistics block that counted them all (printed once a second).
    stats = text[:text.index("Bye...")]
    stats = stats[stats.rindex("Port statistics"):]
    got = [int(n) for n in re.findall(r"Packets received: +(\d+)", stats)]
    sent = [int(n) for n in re.findall(r"Packets sent: +(\d+)", stats)]
    assert got == [FRAMES, 0] and sent == [0, FRAMES], stats
    assert re.search(r"Total packets dropped:\s+0\b", stats), stats


@needs_root
def test_testpmd_io_forwards_byte_for_byte(dpdk, ns):
    nets = interfaces(ns, "tap")
    text = forward(ns, "dpdk-testpmd", nets, ["-m", "64"],
                   ["--auto-start", "--forward-mode=io", "--stats-period", "1", *TESTPMD_POOL],
                   r"NIC statistics for port 1")
    assert "preferred mempool ops selected: nfos" in text, text
    acc = text[text.rindex("Forward statistics for port 0"):]
    assert re.search(rf"RX-packets: {FRAMES}\s", acc), acc
    acc = text[text.rindex("Forward statistics for port 1"):]
    assert re.search(rf"TX-packets: {FRAMES}\s", acc), acc


@pytest.fixture
def vhost(tmp_path):
    """Host dpdk-testpmd (net_vhost, rxonly, verbose) and nfos's testpmd
    against it; both killed and the backend's files removed whatever
    happens."""
    prefix = f"nfos-dlv-{uuid.uuid4().hex[:8]}"
    sock = str(tmp_path / "vhost.sock")
    procs = []

    def start(mode):
        tp = Backend(sock, prefix, "rxonly")
        procs.append(tp)
        tp.send("set verbose 3")  # dumps what it sends and receives
        img = Proc(["timeout", str(4 * TIMEOUT), "taskset", "-c", "1", NFOS, "run",
                    "dpdk-testpmd", "--plat", "linuxu", "--cpus", "2", "--mem", "128M",
                    "--net", f"vhost-user:{sock}", "--", "-m", "64", "--", "--auto-start",
                    f"--forward-mode={mode}", "--stats-period", "1", *TESTPMD_POOL])
        procs.append(img)
        return tp, img

    yield start
    for p in reversed(procs):
        p.kill()
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)


def dumped(text):
    """{'sent': [(src, dst)], 'received': [...]} from testpmd's verbose dump."""
    kind, got = None, {"sent": [], "received": []}
    for line in text.splitlines():
        # (search: a "testpmd> " prompt may precede it on the line)
        m = re.search(r"port \d+/queue \d+: (sent|received) \d+ packets", line)
        if m:
            kind = m[1]
        elif kind and (m := re.search(r"src=(\S{17}) - dst=(\S{17})", line)):
            got[kind].append((m[1], m[2]))
    return got


@needs_testpmd
@pytest.mark.parametrize("mode", ["io", "macswap"])
def test_testpmd_over_vhost_user(dpdk, vhost, mode):
    """Host testpmd sends 4 bursts of 32 frames; nfos's testpmd (one port,
    paired with itself) sends each back: io as it came, macswap with source
    and destination swapped. Counted on both sides."""
    tp, img = vhost(mode)
    img.wait_for(r"NIC statistics for port 0", timeout=TIMEOUT)
    tp.wait_for(r"Port 0: link state change event")
    mark, n = len(tp.text), BURSTS * 32
    tp.send(f"start tx_first {BURSTS}")
    end = time.monotonic() + TIMEOUT
    while len(dumped(tp.text[mark:])["received"]) < n:
        assert time.monotonic() < end, ({k: len(v) for k, v in dumped(tp.text[mark:]).items()},
                                        img.text[-3000:])
        time.sleep(0.05)
    tp.stop()
    st = tp.port_stats()
    assert st["TX-packets"] == n and st["RX-packets"] == n, st
    # txonly's frames all carry the same addresses: back as they went
    # (io) or swapped (macswap), every one.
    d = dumped(tp.text[mark:])
    sent = set(d["sent"]) if mode == "io" else {(dst, src) for src, dst in d["sent"]}
    assert len(d["received"]) == n and set(d["received"]) == sent, (d["sent"][:2],
                                                                    d["received"][:2])
    img.p.send_signal(signal.SIGINT)
    status, out = img.finish(timeout=TIMEOUT)
    assert status == 128 + signal.SIGINT and "Bye..." in out, out
    acc = out[out.rindex("Accumulated forward statistics"):]
    assert re.search(rf"RX-packets: {n}\s+RX-dropped: 0\s+RX-total: {n}", acc), acc
    assert re.search(rf"TX-packets: {n}\s+TX-dropped: 0\s+TX-total: {n}", acc), acc
