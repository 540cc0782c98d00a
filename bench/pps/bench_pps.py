"""bench/pps: packets per second and busy CPU cycles per packet, nfos against DPDK.

    ./nfos bench pps [--smoke] [--runs N] [--seconds S] [--cases rx,tx,fwd]
                     [--sizes 64,1500] [--subjects nfos-linuxu,dpdk,nfos-kvm,nfos-tcg,linux-vm]
                     [--no-huge]
                     [--json FILE]

The host backend is dpdk-testpmd with a net_vhost port (vhost-user server,
--no-pci) pinned to core 0; a subject on core 1 connects to its socket:
  nfos-linuxu  the nfos app as a Linux process, netdev.dev=vhost-user:SOCK
  dpdk         dpdk-testpmd with net_virtio_user (the peer nfos must match)
  nfos-kvm     the nfos app's kvm image under QEMU with -netdev vhost-user;
               under TCG (no usable /dev/kvm) it is skipped unless --subjects
               names it, and every row says its accelerator.
  nfos-tcg     the same image under TCG (only when --subjects names it): the
               figure to compare with a Linux VM that can only run under TCG.
  linux-vm     the Linux VM peer (bench/linuxvm: Debian's kernel, testpmd
               rxonly/txonly/macswap inside on the same virtio-net-pci NIC,
               bound to uio_pci_generic) under QEMU, KVM where a Linux guest
               boots on it, else TCG (only when --subjects names it); busy
               cycles from testpmd's --record-core-cycles inside the guest.
Cases (backend mode -> subject -> backend):
  rx   backend txonly -> subject receives and frees (rxsink / testpmd rxonly)
  tx   subject sends (txgen / testpmd txonly) -> backend rxonly
  fwd  backend flowgen -> subject swaps MACs and sends back (l2fwd --macswap /
       testpmd macswap) -> backend (flowgen also receives and drops)
Sizes are Ethernet frame sizes with the FCS, as in RFC 2544: 64 means 60
bytes of packet data (testpmd txonly --txpkts 60, flowgen --txpkts 64, which
subtracts the FCS itself, txgen --size 60), 1500 means 1496.

Each run starts a fresh backend and subject, waits for the subject to be
ready, lets it run 1 s (--smoke: 0.5 s), measures --seconds S, stops both with SIGINT
(the kvm guest stops itself with --time) and parses what each printed:
Mpp/s from the periodic self-timed rate lines that fall in the window
(testpmd --stats-period 1, nfos.stats=1), busy cycles per packet from the
final report (testpmd --record-core-cycles, the nfos apps' busy figure), and
the packet counts, checked against the backend's. A run is clean when the
subject and the backend each got at least 90% of their core in the window
(other processes on the cores disturb it) and the two cores were near each
other when it began and when it ended (see below); a disturbed run is tried
again, up to --runs more times, and medians (min, max) are over the clean
runs when there are any. Subjects alternate within one invocation (A B, B
A, ...).
A table goes to stdout and JSON to bench/results/pps-<date>.json (not with
--smoke: 1 run, 2 s, 64 B, figures marked smoke).

Before and after each run, with both cores idle, build/bench/c2c (from
bench/pps/c2c.c) times a cache line's round trip between core 0 and core 1
(c2c_cycles in the JSON); the fastest of five probes at the start, and of
all since, is the near placement. On a virtual machine the host may move the
two vCPUs between placements that share a cache and placements that do not,
even within a run; every cross-core transfer, and so every figure here, then
costs several times more (on the machine this was written on: about 145
against 860 cycles per round trip, and fwd 64 B at ~100 against ~260 busy
cycles per packet, for every subject alike). A run that began or ended with
a probe over 2.5x the near one is disturbed like one that lost its core
("placed apart"), and tried again; the line under the tables counts them.
What the probes cannot see is a move and a move back within a run.

Busy cycles: both count TSC cycles of loop iterations that moved packets,
divided by the packets. Differences (DPDK 22.11 app/test-pmd): rxonly and
macswap add an iteration's cycles only when rx_burst returned packets and
divide by packets received, as rxsink and l2fwd do; txonly adds every
iteration that built a burst, also when tx_burst took none of it (ring
full), and divides by packets sent, while txgen leaves iterations that sent
nothing out. When the backend is the bottleneck in tx, DPDK's figure thus
includes wasted bursts that the nfos figure does not.
"""

import argparse
import datetime
import fcntl
import json
import math
import os
import platform
import re
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "bench", "boot"))
sys.path.insert(0, os.path.join(ROOT, "bench", "linuxvm"))
import bench_boot  # noqa: E402  (its host description)
import linuxvm  # noqa: E402
import nfos_cli  # noqa: E402

TESTPMD = "dpdk-testpmd"
BACKEND_CORE, SUBJECT_CORE = 0, 1
PREFIX = {"backend": "nfos-pps-be", "dpdk": "nfos-pps-subj"}  # --file-prefix each
DPDK_MEM_MB = 64        # -m for each testpmd
MBUFS = 8192            # --total-num-mbufs: 8192 x ~2.4 KiB fits in 64 MiB
NFOS_MEM = 64 << 20     # guest RAM of the kvm subject
LINUX_VM_MEM = 512 << 20  # guest RAM of the linux-vm subject
WARMUP = 1.0            # s between the subject's ready line and the window (smoke: half)
GRACE = 0.5             # s after the window, so that its last rate lines print
CLEAN_SHARE = 0.9       # share of a core below which a run counts as disturbed
SLACK = 8192            # packets a ring or two may hold when the ends stop
LOCK = os.path.join(tempfile.gettempdir(), "nfos-bench-pps.lock")
SUBJECTS = ("nfos-linuxu", "dpdk", "nfos-kvm", "nfos-tcg", "linux-vm")
# Subjects that run only when --subjects names them.
ON_REQUEST = ("nfos-tcg", "linux-vm")
TESTPMD_SUBJECTS = ("dpdk", "linux-vm")  # print testpmd's lines
CASES = {
    "rx": {"backend": "txonly", "dpdk": "rxonly", "app": "rxsink", "args": [], "metric": "rx"},
    "tx": {"backend": "rxonly", "dpdk": "txonly", "app": "txgen", "args": [], "metric": "tx"},
    "fwd": {"backend": "flowgen", "dpdk": "macswap", "app": "l2fwd", "args": ["--macswap"],
            "metric": "tx"},
}
# What a subject prints once its port is up and it is moving packets.
READY = {"dpdk": re.compile(r"Rx-pps:"),
         "rxsink": re.compile(r"^rxsink: receiving on port"),
         "txgen": re.compile(r"^txgen: port 0"),
         "l2fwd": re.compile(r"^l2fwd: forwarding")}
# An nfos image that lacks what the subject needs says so in one of these.
ABSENT = re.compile(r"no driver for 'vhost-user'.*|no network port \d.*")
NFOS_LINE = re.compile(r"^(\w+): (interval|total) rx (\d+) pkts ([\d.]+) Mpp/s \| tx (\d+) pkts "
                       r"([\d.]+) Mpp/s \| drops (\d+) \| busy ([\d.]+) cycles/pkt \| ([\d.]+) s")
NFOS_PORT = re.compile(r"^\w+: port \d+ .*: rx (\d+) pkts (\d+) bytes .*"
                       r"\| tx (\d+) pkts (\d+) bytes")
PMD_RATE = {"rx": re.compile(r"Rx-pps:\s+(\d+)"), "tx": re.compile(r"Tx-pps:\s+(\d+)")}
PMD_BYTES = {"rx": re.compile(r"RX-packets:\s+(\d+)\s+RX-missed:\s+\d+\s+RX-bytes:\s+(\d+)"),
             "tx": re.compile(r"TX-packets:\s+(\d+)\s+TX-errors:\s+\d+\s+TX-bytes:\s+(\d+)")}
PMD_CYCLES = linuxvm.PMD_CYCLES  # one pattern for --record-core-cycles
C2C_SRC = os.path.join(ROOT, "bench", "pps", "c2c.c")
C2C = os.path.join(ROOT, "build", "bench", "c2c")
C2C_LINE = re.compile(r"^c2c: cores \d+ \d+: ([\d.]+) cycles per round trip")
C2C_FAR = 2.5  # a round trip this many times the fastest one: the vCPUs were apart
C2C_NEAR_FILE = os.path.join(ROOT, "build", "bench", "c2c-near.json")  # fastest since boot


class BenchError(Exception):
    """Stops the benchmark with one line and status 1."""


class RunFailed(Exception):
    def __init__(self, msg, tail=()):
        super().__init__(msg)
        self.tail = list(tail)


class Unavailable(Exception):
    """The subject cannot run here; said, not assumed: the reason is what it printed."""


class Stop(BaseException):
    """SIGTERM: unwind through every finally like Ctrl-C."""


# --- processes ----------------------------------------------------------------

LIVE = []  # every Proc started, for the last-resort cleanup in main


class Proc:
    """A child in its own session (a terminal's Ctrl-C reaches only us; we
    stop it), killed by the kernel if we die (setpriv --pdeathsig), pinned to
    one core, its output read line by line with the time each line came.
    Its stdin is /dev/null, or with stdin_pipe a pipe for say()."""

    def __init__(self, name, argv, core, logdir, stdin_pipe=False):
        self.name = name
        self.argv = argv
        self.lines = []  # (monotonic time, text)
        wrap = ["setpriv", "--pdeathsig", "KILL", "--", "taskset", "-c", str(core)]
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.p = subprocess.Popen(wrap + argv,
                                  stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, errors="replace",
                                  start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        LIVE.append(self)

    def _read(self):
        for line in self.p.stdout:
            self.lines.append((time.monotonic(), line.rstrip("\r\n")))
            self.log.write(line)
        self.log.flush()

    def alive(self):
        return self.p.poll() is None

    def text(self):
        return [t for _, t in self.lines]

    def tail(self, n=4):
        return [t for t in self.text() if t.strip()][-n:]

    def cpu_seconds(self):
        """User + system time of all its threads so far (None once gone)."""
        try:
            with open(f"/proc/{self.p.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def say(self, text):
        """Writes text to its stdin pipe; False when it is gone (or has no pipe)."""
        try:
            self.p.stdin.write(text)
            self.p.stdin.flush()
            return True
        except (AttributeError, OSError, ValueError):
            return False

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        """Waits for it to end; kills its session after timeout. Its status,
        or None when it had to be killed."""
        killed = False
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            killed = True
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait(timeout=10)
        self.reader.join(5)
        if self.p.stdin and not self.p.stdin.closed:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if not self.log.closed:
            self.log.close()
        return None if killed else self.p.returncode

    def stop(self, timeout=15):
        self.signal(signal.SIGINT)
        return self.wait(timeout)

    def wait_for(self, pattern, timeout, others=()):
        """The time of its first line matching pattern; fails when it or one
        of others ends first, or after timeout."""
        end = time.monotonic() + timeout
        seen = 0
        while True:
            lines = self.lines
            for t, text in lines[seen:]:
                if pattern.search(text):
                    return t
            seen = len(lines)
            check_alive([self] + list(others))
            if time.monotonic() > end:
                raise RunFailed(f"{self.name} not ready after {timeout:.0f} s", self.tail())
            time.sleep(0.02)


def check_alive(procs):
    for p in procs:
        if not p.alive():
            p.wait(5)
            absent = [m.group(0) for m in map(ABSENT.search, p.text()) if m]
            if absent and p.name != "backend":
                raise Unavailable(absent[0])
            raise RunFailed(f"{p.name} ended early with status {p.p.returncode}", p.tail())


def watch(procs, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        check_alive(procs)
        time.sleep(min(0.05, max(0.0, end - time.monotonic())))


# --- host set-up --------------------------------------------------------------

def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])
    return out


def hugetlbfs_mount():
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if fstype == "hugetlbfs" and ("pagesize=" not in opts or "pagesize=2M" in opts):
                return mnt
    return None


class Memory:
    """DPDK's memory: hugepages when there are enough free (as root we make
    them: a hugetlbfs mount and more pages, both undone at exit), else
    --no-huge. Verified with DPDK 22.11 here: --no-huge backs memory with a
    shared memfd ('EAL: Using memfd for anonymous memory'), which net_vhost
    can map, so virtio_user works without hugepages; --in-memory cannot be
    added (--no-huge implies legacy memory, which --in-memory refuses). With
    hugepages the virtio_user side needs --single-file-segments (one fd for
    the whole memory, vhost-user takes at most 8 regions)."""

    def __init__(self, no_huge):
        self.mode, self.reason, self.dir = "no-huge", "--no-huge asked", None
        self.restore_nr = None
        self.mounted = None
        if not no_huge:
            self._huge()

    def _huge(self):
        root = os.geteuid() == 0
        page_kb = meminfo().get("Hugepagesize", 2048)
        need = math.ceil(2 * DPDK_MEM_MB * 1024 / page_kb) + 8  # backend and subject
        self.dir = hugetlbfs_mount()
        if not self.dir and root:
            os.makedirs("/dev/hugepages", exist_ok=True)
            r = subprocess.run(["mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages"],
                               capture_output=True, text=True, timeout=10)
            if r.returncode == 0:
                self.dir = self.mounted = "/dev/hugepages"
        free = meminfo().get("HugePages_Free", 0)
        if self.dir and free < need and root:
            with open("/proc/sys/vm/nr_hugepages") as f:
                nr = int(f.read())
            try:
                with open("/proc/sys/vm/nr_hugepages", "w") as f:
                    f.write(str(nr + need - free))
                self.restore_nr = nr
            except OSError:
                pass
            free = meminfo().get("HugePages_Free", 0)
        if not self.dir:
            self.reason = "no hugetlbfs mount" + ("" if root else " (not root)")
        elif free < need:
            self.reason = f"{free} free hugepages, {need} needed"
        else:
            self.mode, self.reason = "hugepages", f"{free} free {page_kb} KiB pages at {self.dir}"

    def eal(self):
        if self.mode == "hugepages":
            return ["-m", str(DPDK_MEM_MB), "--single-file-segments", f"--huge-dir={self.dir}"]
        return ["--no-huge", "-m", str(DPDK_MEM_MB)]

    def scrub(self):
        """Our prefixes' leftovers after a killed testpmd: hugepage files and
        run-time folders (nobody else uses these prefixes: LOCK)."""
        for prefix in PREFIX.values():
            if self.dir and os.path.isdir(self.dir):
                for f in os.listdir(self.dir):
                    if f.startswith(prefix + "map_"):
                        try:
                            os.unlink(os.path.join(self.dir, f))
                        except OSError:
                            pass
            shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)

    def restore(self):
        if self.restore_nr is not None:
            try:
                with open("/proc/sys/vm/nr_hugepages", "w") as f:
                    f.write(str(self.restore_nr))
            except OSError as e:
                print(f"nfos bench pps: cannot restore nr_hugepages={self.restore_nr}: {e}",
                      file=sys.stderr)
            self.restore_nr = None
        if self.mounted:
            subprocess.run(["umount", self.mounted], capture_output=True, timeout=10)
            self.mounted = None


# --- subjects -----------------------------------------------------------------

def testpmd_argv(role, port_vdev, core, mem, mode, size, cycles):
    txpkts = {"txonly": size - 4, "flowgen": size}.get(mode)  # flowgen subtracts the FCS
    return (["stdbuf", "-oL", TESTPMD, "--lcores", f"0@{core},1@{core}",
             f"--file-prefix={PREFIX[role]}", "--no-pci", "--vdev", port_vdev] + mem.eal() +
            ["--", f"--forward-mode={mode}", "--auto-start", "--stats-period=1", "--nb-cores=1",
             f"--total-num-mbufs={MBUFS}"] +
            (["--record-core-cycles"] if cycles else []) +
            ([f"--txpkts={txpkts}"] if txpkts else []))


def subject_argv(subject, case, size, sock, mem, images, accel, warmup, seconds):
    c = CASES[case]
    if subject == "dpdk":
        return testpmd_argv("dpdk", f"net_virtio_user0,path={sock},queues=1", SUBJECT_CORE, mem,
                            c["dpdk"], size, True)
    if subject == "linux-vm":
        # The guest stops testpmd itself, that long after its ready line
        # (which comes just before its first rate line, our ready line).
        image, acc = images["linux-vm"]
        return linuxvm.qemu_command(c["dpdk"], sock, LINUX_VM_MEM, acc, image,
                                    warmup + seconds + GRACE + 1.5,
                                    size - 4 if case == "tx" else None)
    args = c["args"] + (["--size", str(size - 4)] if case == "tx" else [])
    if subject == "nfos-linuxu":
        # It stops on SIGINT; --time only ends it should we not.
        return ([images[(c["app"], "linuxu")], f"netdev.dev=vhost-user:{sock}", "nfos.stats=1",
                 "--"] + args + ["--time", f"{warmup + seconds + 30:g}"])
    # SIGINT would end QEMU, not the guest: the guest stops itself.
    cmdline = nfos_cli.guest_cmdline(["nfos.stats=1"],
                                      args + ["--time", f"{warmup + seconds + GRACE + 0.5:g}"])
    return nfos_cli.qemu_command(images[(c["app"], "kvm")], NFOS_MEM, "microvm,pcie=on",
                                 "tcg" if subject == "nfos-tcg" else accel, cmdline,
                                 [{"kind": "vhost-user", "arg": sock}])


def build_images(wanted):
    """{(app, plat): image path or Unavailable with the build's last line},
    all built at once (each build has its own folder)."""
    out, makes = {}, {}
    # Each image once: two makes of one folder at a time break each other.
    for app, plat in dict.fromkeys(wanted):
        makes[(app, plat)] = subprocess.Popen(
            ["make", "-C", ROOT, f"-j{os.cpu_count() or 1}", f"APP={app}", f"PLAT={plat}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True)
    end = time.monotonic() + 900
    for (app, plat), p in makes.items():
        try:
            text = p.communicate(timeout=max(1, end - time.monotonic()))[0]
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            out[(app, plat)] = Unavailable(f"build of {app} for {plat} still running after 900 s")
            continue
        last = [l for l in text.splitlines() if l.strip()][-1:] or ["?"]
        out[(app, plat)] = (nfos_cli.image_path(app, plat) if p.returncode == 0 else
                            Unavailable(f"build of {app} for {plat} failed: {last[0]}"))
    return out


def probe_linuxu(image, tmp):
    """Does the image have a vhost-user driver? Asks it: with no backend, an
    image without one says 'no driver for ...' at once."""
    try:
        r = subprocess.run([image, f"netdev.dev=vhost-user:{os.path.join(tmp, 'probe.sock')}",
                            "--", "--time", "0.01"], capture_output=True, text=True, timeout=5,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return  # it waits for a backend: it has a driver
    m = ABSENT.search(r.stdout + r.stderr)
    if m:
        raise Unavailable(f"{os.path.basename(image)}: {m.group(0)}")


# --- where the host put our two cores ------------------------------------------

def build_c2c():
    """build/bench/c2c from bench/pps/c2c.c, or None with the reason printed:
    the probe only explains figures, a benchmark goes on without it."""
    try:
        if os.path.exists(C2C) and os.path.getmtime(C2C) >= os.path.getmtime(C2C_SRC):
            return C2C
        os.makedirs(os.path.dirname(C2C), exist_ok=True)
        r = subprocess.run(["gcc", "-O2", "-Wall", "-pthread", "-o", C2C, C2C_SRC],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"  c2c probe: not built ({e}); runs carry no cross-core figure")
        return None
    if r.returncode != 0:
        last = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()][-1:] or ["?"]
        print(f"  c2c probe: not built ({last[0]}); runs carry no cross-core figure")
        return None
    return C2C


def probe_c2c(ctx):
    """TSC cycles for a cache line to go from core 0 to core 1 and back, with
    both cores otherwise idle (between runs), or None."""
    if not ctx.c2c:
        return None
    try:
        r = subprocess.run([ctx.c2c, str(BACKEND_CORE), str(SUBJECT_CORE), "5000"],
                           capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return None
    m = C2C_LINE.match(r.stdout)
    return float(m.group(1)) if m else None


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return None


def remembered_near():
    """The fastest round trip an earlier benchmark saw since this machine
    booted (C2C_NEAR_FILE), or None."""
    try:
        with open(C2C_NEAR_FILE) as f:
            d = json.load(f)
        return float(d["cycles"]) if d.get("boot_id") == boot_id() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def remember_near(cycles):
    try:
        os.makedirs(os.path.dirname(C2C_NEAR_FILE), exist_ok=True)
        with open(C2C_NEAR_FILE + ".tmp", "w") as f:
            json.dump({"boot_id": boot_id(), "cycles": cycles}, f)
        os.replace(C2C_NEAR_FILE + ".tmp", C2C_NEAR_FILE)
    except OSError:
        pass  # only a hint for the next run


def calibrate_c2c(ctx):
    """The near placement's round trip: the fastest of five probes, or the
    fastest an earlier benchmark saw since boot when that is faster (a
    benchmark that starts while the host has the cores apart would take
    apart for near, and call every run clean)."""
    probes = [c for c in (probe_c2c(ctx) for _ in range(5)) if c]
    known = remembered_near()
    ctx.c2c_near = min(probes + ([known] if known else [])) if probes else None
    if ctx.c2c_near and ctx.c2c_near != known:
        remember_near(ctx.c2c_near)


def placed_apart(ctx, probes):
    """Did a probe around the run find the two cores apart (over C2C_FAR
    times the near round trip)? False without probes."""
    got = [c for c in probes if c]
    if not got or not ctx.c2c_near:
        return False
    if min(got) < ctx.c2c_near:
        ctx.c2c_near = min(got)
        remember_near(ctx.c2c_near)
    return max(got) > C2C_FAR * ctx.c2c_near


def why_disturbed(r):
    return " (placed apart)" if r.get("placed_apart") else " (disturbed)"


def c2c_note(results):
    """One line on the placement the runs started and ended in, or None."""
    runs = [r for res in results.values() for r in res.get("runs", [])]
    probes = [c for r in runs for c in r.get("c2c_cycles") or [] if c]
    if not probes:
        return None
    apart = sum(1 for r in runs if r.get("placed_apart"))
    return (f"  cross-core round trip around the runs (build/bench/c2c, before and after each): "
            f"median {statistics.median(probes):.0f} cycles ({min(probes):.0f}-"
            f"{max(probes):.0f}); {apart} of {len(runs)} runs began or ended with the two vCPUs "
            f"placed apart by the host (over {C2C_FAR:g}x the near round trip): disturbed "
            f"(tried again but in --smoke), for every subject alike")


# --- one run ------------------------------------------------------------------

def wait_socket(path, backend, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        check_alive([backend])
        try:
            if stat.S_ISSOCK(os.stat(path).st_mode):
                time.sleep(0.05)  # bind, then listen
                return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise RunFailed(f"backend made no socket {path} in {timeout} s", backend.tail())


def window_rate(points, w0, w1):
    """Mean rate over the self-timed lines whose interval (from the line
    before to the line) lies in [w0, w1] (each within half a second), weighted
    by the interval; points: (time, rate) from a subject's periodic lines, the
    first of which only marks the start. Falls back to all intervals."""
    spans = [(points[i - 1][0], t, r) for i, (t, r) in enumerate(points) if i]
    inside = [s for s in spans if s[0] >= w0 - 0.5 and s[1] <= w1 + 0.5] or spans
    total = sum(b - a for a, b, _ in inside)
    if not inside or total <= 0:
        return None
    return sum((b - a) * r for a, b, r in inside) / total


def parse_testpmd(proc, metric, w0, w1):
    lines = proc.lines
    text = "\n".join(t for _, t in lines)
    # Totals and busy cycles as the Linux VM's parser reads them; the rates
    # come from the lines inside the window instead.
    out = {k: v for k, v in linuxvm.parse_testpmd([t for _, t in lines]).items()
           if k not in ("rx_pps", "tx_pps")}
    m = PMD_CYCLES.search(text)
    if m:
        out["busy_total_cycles"] = int(m.group(2))
    points = [(t, int(m.group(1)) / 1e6)
              for t, s in lines for m in [PMD_RATE[metric].search(s)] if m]
    out["mpps"] = window_rate(points, w0, w1)
    sizes = PMD_BYTES[metric].findall(text)
    if sizes and int(sizes[-1][0]):
        out["bytes_per_pkt"] = int(sizes[-1][1]) / int(sizes[-1][0])
    return out


def parse_nfos(proc, metric, w0, w1):
    out = {}
    points = []
    for t, s in proc.lines:
        m = NFOS_LINE.search(s)
        if not m:
            continue
        if m.group(2) == "interval":
            points.append((t, float(m.group(4) if metric == "rx" else m.group(6))))
        else:
            out.update(rx=int(m.group(3)), tx=int(m.group(5)), drops=int(m.group(7)),
                       busy=float(m.group(8)))
    out["mpps"] = window_rate(points, w0, w1)
    for _, s in proc.lines:
        m = NFOS_PORT.search(s)
        if m:
            pk, by = (m.group(1), m.group(2)) if metric == "rx" else (m.group(3), m.group(4))
            if int(pk):
                out["bytes_per_pkt"] = int(by) / int(pk)
    return out


def cross_check(case, size, subj, be):
    """The subject's counts against the backend's: what one end sent, the
    other received, but for what the rings held when they stopped."""
    problems = []

    def pair(what, sent, got):
        if sent is None or got is None:
            problems.append(f"no {what} counts")
        elif not 0 <= sent - got <= max(SLACK, sent // 200):
            problems.append(f"{what}: {sent} sent, {got} received")
    if case in ("rx", "fwd"):
        pair("backend->subject", be.get("tx"), subj.get("rx"))
    if case in ("tx", "fwd"):
        pair("subject->backend", subj.get("tx"), be.get("rx"))
    bpp = subj.get("bytes_per_pkt")
    if bpp is not None and abs(bpp - (size - 4)) > 0.01:
        problems.append(f"{bpp:.1f} bytes per packet, expected {size - 4}")
    return "; ".join(problems) or "ok"


def backend_error(mem, be, err):
    """One line on why the backend did not start."""
    info = re.compile(r"EAL: (Detected|Multi-process|Selected IOVA|Physical addresses|Using memfd|"
                      r"No (available|free)|VFIO|Probe|Error - exiting)")
    eal = [t.strip() for t in be.text()
           if t.startswith("EAL:") and not info.match(t) or "Cause:" in t]
    why = (eal or err.tail or [""])[0].strip()
    if eal and mem.mode == "hugepages":
        hint = f"; DPDK memory: hugepages ({mem.reason}): try --no-huge"
    elif eal:
        hint = f"; no usable hugepages ({mem.reason}) and --no-huge fails too"
    else:
        hint = ""
    return f"dpdk-testpmd (the backend) did not start: {err}: {why}{hint}"


def run_once(ctx, case, size, subject, run, seconds):
    c = CASES[case]
    sock = os.path.join(ctx.tmp, "vhost.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.mem.scrub()
    procs = []
    c2c = [probe_c2c(ctx)]
    try:
        be = Proc("backend", testpmd_argv("backend", f"net_vhost0,iface={sock},queues=1",
                                          BACKEND_CORE, ctx.mem, c["backend"], size, True),
                  BACKEND_CORE, ctx.tmp)
        procs.append(be)
        try:
            wait_socket(sock, be)
        except RunFailed as e:
            raise BenchError(backend_error(ctx.mem, be, e))
        su = Proc(subject, subject_argv(subject, case, size, sock, ctx.mem, ctx.images,
                                        ctx.accel, ctx.warmup, seconds), SUBJECT_CORE, ctx.tmp)
        procs.append(su)
        ready = su.wait_for(READY["dpdk" if subject in TESTPMD_SUBJECTS else c["app"]],
                            linuxvm.BOOT_TIMEOUT if subject == "linux-vm" else
                            180 if subject == "nfos-tcg" or (ctx.accel == "tcg" and
                                                             subject == "nfos-kvm") else 30, [be])
        watch(procs, max(0.0, ready + ctx.warmup - time.monotonic()))
        w0, cpu0 = time.monotonic(), [p.cpu_seconds() for p in procs]
        watch(procs, seconds)
        w1, cpu1 = time.monotonic(), [p.cpu_seconds() for p in procs]
        watch(procs, GRACE)
        if subject in ("nfos-kvm", "nfos-tcg", "linux-vm"):
            status = su.wait(60)  # the guest's --time ends it; QEMU says status*2+1
            if status is not None:
                status = nfos_cli.map_qemu_status(status, [])
        else:
            # The subject first: it still talks to the backend's socket as
            # it stops (a testpmd frontend dies of SIGPIPE otherwise).
            status = su.stop(15)
        be_status = be.stop(15)
        c2c.append(probe_c2c(ctx))
        if status != 0:
            raise RunFailed(f"{subject} ended with status {status} after the window", su.tail())
        if be_status != 0:
            raise RunFailed(f"backend ended with status {be_status}", be.tail())
    finally:
        for p in reversed(procs):
            if p.alive():
                p.stop(10)
        if os.path.exists(sock):
            os.unlink(sock)
        if ctx.logs:
            for p in procs:
                role = "backend" if p is procs[0] else "subject"
                shutil.copy(p.log.name,
                            os.path.join(ctx.logs, f"{case}-{size}-{subject}-{run}-{role}.log"))
    res = (parse_testpmd if subject in TESTPMD_SUBJECTS else parse_nfos)(su, c["metric"], w0, w1)
    be_res = parse_testpmd(be, c["metric"], w0, w1)
    shares = [None if a is None or b is None else round((b - a) / (w1 - w0), 3)
              for a, b in zip(cpu0, cpu1)]
    res.update(backend={k: be_res.get(k) for k in ("rx", "tx", "drops", "tsc_mhz")},
               cpu_share={"backend": shares[0], "subject": shares[1]},
               window_s=round(w1 - w0, 3), c2c_cycles=c2c)
    res["clean"] = all(s is not None and s >= CLEAN_SHARE for s in shares)
    res["placed_apart"] = placed_apart(ctx, c2c)
    if res["placed_apart"]:
        res["clean"] = False
    res["check"] = cross_check(case, size, res, be_res)
    if res.get("mpps") and be_res.get("tsc_mhz"):
        res["wall_cycles_per_pkt"] = round(be_res["tsc_mhz"] / res["mpps"], 1)
    missing = [k for k in ("mpps", "busy") if res.get(k) is None]
    if missing:
        raise RunFailed(f"{subject} printed no {' and no '.join(missing)} figure", su.tail())
    return res


# --- reporting ----------------------------------------------------------------

def summary(values):
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values)}


def summarize(runs):
    clean = [r for r in runs if r["clean"]]
    use = clean or runs
    return {"mpps": summary([r["mpps"] for r in use]),
            "busy_cycles_per_pkt": summary([r["busy"] for r in use]),
            "clean_runs": len(clean), "runs": len(runs),
            "over": "clean runs" if clean else "all runs (none clean)",
            "checks": sorted({r["check"] for r in runs})}


def fmt(s, digits):
    if not s:
        return "-"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}-{s['max']:.{digits}f})"


def table(rows):
    """Aligned columns; a shorter row's last cell runs on unaligned."""
    n = len(rows[0])
    w = [max(len(str(r[i])) for r in rows if len(r) == n or i < len(r) - 1) for i in range(n)]
    return ["  " + "  ".join(str(c).ljust(w[i]) if i < len(r) - 1 else str(c)
                             for i, c in enumerate(r)).rstrip() for r in rows]


def paired(a, b):
    """busy(a) / busy(b) of the runs made in the same round, next to each
    other (A B, B A): host drift slower than a round cancels out. Clean
    rounds when there are any."""
    by_round = lambda runs: {r["round"]: r for r in runs}  # noqa: E731
    ra, rb = by_round(a), by_round(b)
    both = [i for i in ra if i in rb]
    clean = [i for i in both if ra[i]["clean"] and rb[i]["clean"]] or both
    return summary([ra[i]["busy"] / rb[i]["busy"] for i in clean])


def ratios(results, cases, sizes, kvm_accel, accel_of):
    out = []
    for case in cases:
        for size in sizes:
            get = lambda s: results.get(f"{case}/{size}/{s}", {})  # noqa: E731
            nf, dp, kv = (get(s).get("summary") for s in ("nfos-linuxu", "dpdk", "nfos-kvm"))
            r = {"case": case, "size": size}
            if nf and dp:
                r["nfos_over_dpdk_busy"] = (nf["busy_cycles_per_pkt"]["median"] /
                                            dp["busy_cycles_per_pkt"]["median"])
                r["nfos_over_dpdk_busy_paired"] = paired(get("nfos-linuxu")["runs"],
                                                         get("dpdk")["runs"])
                if size == 64:
                    r["goal_1_3x"] = "met" if r["nfos_over_dpdk_busy"] <= 1.3 else "not met"
                    if not (nf["clean_runs"] and dp["clean_runs"]):
                        r["goal_1_3x"] += " (disturbed runs)"
            if nf and kv:
                r["kvm_over_linuxu_mpps"] = kv["mpps"]["median"] / nf["mpps"]["median"]
                r["kvm_accel"] = kvm_accel
            lv = get("linux-vm").get("summary")
            for s in ("nfos-tcg", "nfos-kvm"):  # same accelerator first, then the best here
                nv = get(s).get("summary")
                if lv and nv:
                    r[f"{s.replace('-', '_')}_over_linux_vm_busy"] = {
                        "ratio": (nv["busy_cycles_per_pkt"]["median"] /
                                  lv["busy_cycles_per_pkt"]["median"]),
                        "accels": f"{accel_of[s]} vs {accel_of['linux-vm']}"}
            out.append(r)
    return out


# --- main ---------------------------------------------------------------------

def csv(kind, choices=None, conv=str):
    def parse(text):
        try:
            items = [conv(x) for x in text.split(",") if x]
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{kind}: bad value {e}")
        bad = [x for x in items if choices and x not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"{kind}: {','.join(map(str, bad)) or 'none given'}"
                + (f" (choose from {','.join(choices)})" if choices else ""))
        return list(dict.fromkeys(items))
    return parse


def frame_size(text):
    if not text.isdigit() or not 64 <= int(text) <= 1518:
        raise ValueError(f"'{text}' (Ethernet frame sizes 64..1518)")
    return int(text)


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench pps", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, help="runs per subject and case (default 5)")
    ap.add_argument("--seconds", type=float, help="measured seconds per run (default 5)")
    ap.add_argument("--cases", type=csv("cases", tuple(CASES)), default=list(CASES))
    ap.add_argument("--sizes", type=csv("sizes", conv=frame_size),
                    help="Ethernet frame sizes with FCS, 64..1518 (default 64,1500)")
    ap.add_argument("--subjects", type=csv("subjects", SUBJECTS),
                    help="default: all; nfos-kvm is skipped under TCG unless named here")
    ap.add_argument("--no-huge", action="store_true", help="DPDK without hugepages (memfd)")
    ap.add_argument("--logs", metavar="DIR", help="keep every process's output in DIR")
    ap.add_argument("--smoke", action="store_true",
                    help="1 run, 2 s, 64 B; figures marked smoke, nothing written (for tests)")
    ap.add_argument("--json", metavar="FILE",
                    help="write the results to FILE instead (also with --smoke)")
    args = ap.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.seconds is not None and not 0 < args.seconds <= 600:
        ap.error("--seconds must be in (0, 600]")
    runs = args.runs or (1 if args.smoke else 5)
    seconds = args.seconds or (2.0 if args.smoke else 5.0)
    sizes = args.sizes or ([64] if args.smoke else [64, 1500])

    if not shutil.which(TESTPMD):
        print(f"nfos bench pps: {TESTPMD} is missing: install it with ./nfos deps "
              f"(or apt-get install dpdk-dev)", file=sys.stderr)
        return 1
    if (os.cpu_count() or 1) < 2:
        print("nfos bench pps: needs two cores (backend on 0, subject on 1)", file=sys.stderr)
        return 1
    ctx = types.SimpleNamespace()
    ctx.warmup = WARMUP / 2 if args.smoke else WARMUP

    def start():
        ctx.mem = Memory(args.no_huge)
        return bench(ctx, args, runs, seconds, sizes)
    return guarded("pps", LOCK, ctx, args.logs, start)


def guarded(name, lock_path, ctx, logs, start):
    """Runs start() under the benchmark's lock, with ctx.tmp a temporary
    folder, ctx.logs made, SIGTERM turned into Stop, and at the end every
    process it started killed, its DPDK memory (ctx.mem, which start sets)
    scrubbed and restored. Returns start()'s status, 130 when interrupted, 1
    on a BenchError or when another run holds the lock (one line each)."""
    lock = open(lock_path, "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        print(f"nfos bench {name}: another one is running ({lock_path})", file=sys.stderr)
        return 1
    old_term = signal.signal(signal.SIGTERM, _on_term)
    ctx.tmp = tempfile.mkdtemp(prefix=f"nfos-{name}-")
    ctx.mem = None
    ctx.logs = logs and os.path.abspath(logs)
    if ctx.logs:
        os.makedirs(ctx.logs, exist_ok=True)
    try:
        return start()
    except (KeyboardInterrupt, Stop):
        print(f"nfos bench {name}: interrupted; everything it started is stopped",
              file=sys.stderr)
        return 130
    except BenchError as e:
        print(f"nfos bench {name}: {e}", file=sys.stderr)
        return 1
    finally:
        for p in LIVE:
            if p.alive():
                p.signal(signal.SIGKILL)
                p.wait(10)
        if ctx.mem:
            ctx.mem.scrub()
            ctx.mem.restore()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
        signal.signal(signal.SIGTERM, old_term)
        lock.close()


def _on_term(signum, frame):
    raise Stop()


def bench(ctx, args, runs, seconds, sizes):
    cases = args.cases
    subjects = args.subjects or list(SUBJECTS)
    ctx.accel = "kvm" if nfos_cli.kvm_usable() else "tcg"
    status = {s: "available" for s in subjects}
    if not args.subjects:
        for s in ON_REQUEST:
            status[s] = "not run: name it in --subjects (./nfos bench all does)"
    if "nfos-kvm" in subjects and ctx.accel == "tcg" and not args.subjects:
        status["nfos-kvm"] = ("skipped: no usable /dev/kvm, and under TCG its figures say "
                              "nothing about nfos (name it in --subjects to run it anyway)")
    plats = {s: p for s, p in (("nfos-linuxu", "linuxu"), ("nfos-kvm", "kvm"),
                               ("nfos-tcg", "kvm")) if status.get(s) == "available"}
    ctx.images = build_images([(CASES[c]["app"], p) for p in plats.values() for c in cases])
    ctx.c2c = build_c2c()
    calibrate_c2c(ctx)
    for subject, plat in plats.items():
        try:
            for case in cases:
                image = ctx.images[(CASES[case]["app"], plat)]
                if isinstance(image, Unavailable):
                    raise image
                if plat == "linuxu":
                    probe_linuxu(image, ctx.tmp)
        except Unavailable as e:
            status[subject] = f"unavailable: {e}"
    lvm_accel, lvm_why = linuxvm.accel()
    lvm = None
    if status.get("linux-vm") == "available":
        try:
            lvm = linuxvm.build(log=lambda line: print(line, flush=True))
            ctx.images["linux-vm"] = (lvm, lvm_accel)
        except linuxvm.Error as e:
            status["linux-vm"] = f"unavailable: {e}"
    active = [s for s in subjects if status[s] == "available"]
    accel_of = {"nfos-linuxu": "native", "dpdk": "native", "nfos-kvm": ctx.accel,
                "nfos-tcg": "tcg", "linux-vm": lvm_accel}

    tag = " [SMOKE: not a measurement]" if args.smoke else ""
    print(f"nfos bench pps{tag}: {runs} run(s) x {seconds:g} s, backend dpdk-testpmd net_vhost "
          f"on core {BACKEND_CORE}, subjects on core {SUBJECT_CORE}, DPDK memory: "
          f"{ctx.mem.mode} ({ctx.mem.reason})")
    for s in subjects:
        if status[s] != "available":
            print(f"  {s}: {status[s]}")
    if "linux-vm" in active:
        print(f"  linux-vm: {lvm_accel} ({lvm_why}), {LINUX_VM_MEM >> 20} MiB, image "
              f"{lvm['image_bytes']} bytes ({lvm['kernel_package']} + initramfs)")
    sys.stdout.flush()

    results, failed = {}, False
    # A disturbed run is tried again, up to --runs more times (not in smoke).
    max_attempts = runs if args.smoke else 2 * runs
    for case in cases:
        for size in sizes:
            pending = {s: [] for s in active}
            for i in range(max_attempts):
                want = [s for s in active if s in pending and status[s] == "available" and
                        sum(r["clean"] for r in pending[s]) < runs]
                if not want:
                    break
                for subject in want if i % 2 == 0 else want[::-1]:  # A B, B A: drift cancels
                    key = f"{case}/{size}/{subject}"
                    try:
                        r = run_once(ctx, case, size, subject, i + 1, seconds)
                    except Unavailable as e:
                        status[subject] = f"unavailable: {e}"
                        print(f"  {subject}: {status[subject]}")
                        continue
                    except RunFailed as e:
                        failed = True
                        print(f"nfos bench pps: {case} {size} B {subject} run {i + 1}: {e}"
                              + "".join(f"\n    | {l}" for l in e.tail), file=sys.stderr)
                        results[key] = {"error": str(e), "tail": e.tail}
                        del pending[subject]
                        continue
                    r["round"] = i + 1
                    pending[subject].append(r)
                    print(f"  {case:<3} {size:>4} B  {subject:<11} run {i + 1}: "
                          f"{r['mpps']:.3f} Mpp/s, busy {r['busy']:.1f} cycles/pkt, cpu "
                          f"{r['cpu_share']['subject']}/{r['cpu_share']['backend']}"
                          f"{'' if r['clean'] else why_disturbed(r)}"
                          f"{'' if r['check'] == 'ok' else ', check: ' + r['check']}")
                    sys.stdout.flush()
            for subject, rs in pending.items():
                if rs:
                    results[f"{case}/{size}/{subject}"] = {"accel": accel_of[subject],
                                                           "runs": rs, "summary": summarize(rs)}

    rows = [("case", "size", "subject", "accel", "Mpp/s median (min-max)",
             "busy cycles/pkt median (min-max)", "clean", "check")]
    for case in cases:
        for size in sizes:
            for s in subjects:
                res = results.get(f"{case}/{size}/{s}")
                if res and "summary" in res:
                    sm = res["summary"]
                    rows.append((case, size, s, accel_of[s], fmt(sm["mpps"], 3),
                                 fmt(sm["busy_cycles_per_pkt"], 1),
                                 f"{sm['clean_runs']}/{sm['runs']}", "; ".join(sm["checks"])))
                elif res:
                    rows.append((case, size, s, accel_of[s], "failed: " + res["error"]))
                else:
                    rows.append((case, size, s, accel_of[s], status[s]))
    rat = ratios(results, cases, sizes, ctx.accel, accel_of)
    print()
    print("\n".join(table(rows)))
    rrows = [("case", "size", "nfos/dpdk busy cycles", "same-round pairs median (min-max)",
              "goal <= 1.3x at 64 B", f"nfos-kvm ({ctx.accel})/linuxu Mpp/s",
              "nfos/linux-vm busy cycles")]
    for r in rat:
        x = lambda k, f="{:.2f}x": f.format(r[k]) if k in r else "-"  # noqa: E731
        vm = ", ".join(f"{r[k]['ratio']:.2f}x ({r[k]['accels']})" for k in
                       ("nfos_tcg_over_linux_vm_busy", "nfos_kvm_over_linux_vm_busy") if k in r)
        rrows.append((r["case"], r["size"], x("nfos_over_dpdk_busy"),
                      fmt(r.get("nfos_over_dpdk_busy_paired"), 2), r.get("goal_1_3x", "-"),
                      x("kvm_over_linuxu_mpps"), vm or "-"))
    print()
    print("\n".join(table(rrows)))
    note = c2c_note(results)
    if note:
        print(note)
    if any(not res.get("summary", {"clean_runs": 1})["clean_runs"] for res in results.values()):
        print("  note: some figures come from disturbed runs (another process took part of "
              "core 0 or 1, or the host placed them apart); see the cpu shares and c2c_cycles")

    res = {
        "benchmark": "pps",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": {"cpu": bench_boot._cpu_model(), "cores": os.cpu_count(),
                 "kernel": platform.release(),
                 "dpdk": _pkg_version("dpdk-dev"), "qemu": _pkg_version("qemu-system-x86")},
        "setup": {"backend": "dpdk-testpmd net_vhost (vhost-user server), --no-pci, "
                             f"core {BACKEND_CORE}", "subject_core": SUBJECT_CORE,
                  "dpdk_memory": ctx.mem.mode, "dpdk_memory_note": ctx.mem.reason,
                  "dpdk_eal_mem": ctx.mem.eal(), "mbufs": MBUFS, "runs": runs,
                  "seconds": seconds, "warmup_s": ctx.warmup, "clean_cpu_share": CLEAN_SHARE,
                  "c2c_near_cycles": ctx.c2c_near, "c2c_far_factor": C2C_FAR,
                  "sizes_note": "Ethernet frame bytes with FCS; packet data is 4 less",
                  "cases": {k: {"backend": v["backend"], "dpdk": v["dpdk"],
                                "nfos": " ".join([v["app"]] + v["args"]),
                                "mpps_of": v["metric"]} for k, v in CASES.items()
                            if k in cases},
                  "kvm_accel": ctx.accel,
                  "linux_vm": lvm and {
                      "accel": lvm_accel, "accel_why": lvm_why, "mem": LINUX_VM_MEM,
                      "kernel": lvm["kernel_package"], "image_bytes": lvm["image_bytes"],
                      "qemu": "microvm,pcie=on, virtio-net-pci vectors=0, vhost-user, "
                              "memory-backend-memfd share=on"}},
        "subjects": status,
        "results": results,
        "ratios": rat,
        "notes": __doc__.split("\n\n")[-1].strip(),
    }
    if args.smoke and not args.json:
        print("smoke run: figures are not measurements and are not written")
    else:
        res["smoke"] = args.smoke
        out = args.json or os.path.join(ROOT, "bench", "results",
                                        f"pps-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
        print(f"results: {os.path.abspath(out)}")
    return 1 if failed else 0


def _pkg_version(pkg):
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
