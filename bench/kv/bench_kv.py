"""bench/kv: key-value requests per second, kvstore against memcached.

    ./nfos bench kv [--smoke] [--runs N] [--seconds S] [--warmup S] [--keys N]
                    [--workloads get100-uniform,get90-zipf,...] [--window N]
                    [--subjects kvstore-linuxu,kvstore-kvm,memcached,kvstore-tcg,linux-vm]
                    [--vm-keys N] [--no-huge] [--logs DIR]

The load generator is kvgen (bench/kv/kvgen.c, built here against Debian's
DPDK into build/bench/kvgen) on core 0, owning one DPDK port; the server
runs on core 1:
  kvstore-linuxu  apps/kvstore as a Linux process over the vhost-user
                  transport (netdev.dev=vhost-user:SOCK); kvgen's port is a
                  net_vhost server socket
  kvstore-kvm     kvstore's kvm image under QEMU with -netdev vhost-user on
                  the same kind of socket; under TCG (no usable /dev/kvm) it
                  is skipped unless --subjects names it; rows say the accelerator
  memcached       Debian's memcached, one worker thread (-t 1), UDP only, on
                  the kernel's UDP stack in a network namespace of its own;
                  kvgen reaches it from a second namespace over a veth pair
                  with DPDK's net_af_packet (all traffic stays in the two)
  kvstore-tcg     the kvm image under TCG (only when --subjects names it): the
                  figure to compare with the Linux VM where it runs under TCG
  linux-vm        memcached (-t 1, -m 64) on the kernel's virtio_net inside the
                  Linux VM peer (bench/linuxvm: Debian's kernel + initramfs),
                  under QEMU with -netdev vhost-user on the same kind of
                  socket as kvstore; KVM where a Linux guest boots on it, else
                  TCG (linuxvm.accel()); only when --subjects names it
The two on-request subjects preload --vm-keys keys (default 20K, smoke 2K,
at most --keys), not --keys: memcached in the VM has 64 MB and under TCG
stores a few thousand keys per second (1M would take minutes and evict);
their rows and JSON say how many. kvstore-tcg/linux-vm is the same-
accelerator ratio; kvstore-kvm/linux-vm is labelled "best available here"
when the accelerators differ (and its key counts differ too).
Each run starts kvgen and the server afresh; kvgen resolves the server by
ARP, preloads --keys keys (16-byte keys, 32-byte values, each set resent
until stored), then runs every workload (get<P>-<uniform|zipf>: P percent
gets, the rest sets): --warmup s, then --seconds s measured, with at most
--window requests outstanding, replies matched by request id. kvgen prints
requests/s, hit ratio and p50/p99 latency (TSC) per workload; kvstore's
busy cycles per request come from its nfos.stats=1 interval lines that fall
in the workload's measured window (weighted by the requests in each).

A workload's result is clean when, during its measured window, other
processes took at most 10% of either core (per-core /proc/stat time outside
softirq, minus what kvgen and the server used), and when bench pps's
cross-core probe (build/bench/c2c) found the two vCPUs near each other both
right before the workload's warm-up and right after its measured window
(see ./nfos bench pps --help: a host that places them apart makes every
cross-core transfer several times dearer, and it may move them within a
run). For those probes kvgen runs with --hold: between workloads it drains
what is outstanding and waits in read() for a line on its stdin while the
server is stopped (SIGSTOP to its process group) and the probe has both
cores to itself; the stop falls in no measured window. A hold whose probe
finds the cores apart leaves them idle and probes again every 0.25 s, up to
3 s, until they are near (the host mostly brings idle vCPUs back together
within a second or two): its first probe closes the window before, its last
opens the next, which still counts only if the probe after it is near (the
host tends to move busy vCPUs apart within seconds). A subject is run
again, up to 2x --runs runs in all, until every workload has --runs clean
results; medians (min, max) are over a workload's clean results when there
are any. The probes before and after each whole run are kept in the JSON,
outside the rule. Subjects alternate within one invocation (A B C, C B A, ...).
A table goes to stdout and JSON to bench/results/kv-<date>.json, or to
--json FILE (not with --smoke unless --json: 1 run, 10K keys, two short
workloads, figures marked smoke).

Notes: memcached's receive path (veth, IP, UDP) runs in softirq on the
sending core, which is kvgen's core 0, not memcached's core 1; memcached's
own share covers recvmsg, its work and sendmsg. memcached's socket buffer
holds about 200 UDP requests: a window larger than that loses requests to
it (counted lost by kvgen, UdpRcvbufErrors in the namespace), so its
window is --mc-window (default 64). "kvgen idle" is the share of kvgen's
time spent in loop iterations that neither sent nor received: near 0,
kvgen itself is the bottleneck and the server's req/s is a lower bound;
gen_cycles_per_req in the JSON is kvgen's own TSC cycles outside those
iterations per request (time it was preempted included)."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "pps"))
import bench_pps  # noqa: E402  (processes, DPDK memory, image builds, tables)
import linuxvm  # noqa: E402  (bench_pps put bench/linuxvm on the path)
from bench_pps import (BenchError, Proc, RunFailed, Unavailable, check_alive,  # noqa: E402
                       fmt, summary, table, wait_socket)

nfos_cli = bench_pps.nfos_cli
GEN_CORE, SERVER_CORE = 0, 1
GEN_PREFIX = "nfos-kv-gen"      # kvgen's --file-prefix
KVGEN = os.path.join(ROOT, "build", "bench", "kvgen")
LOCK = os.path.join(tempfile.gettempdir(), "nfos-bench-kv.lock")
SUBJECTS = ("kvstore-linuxu", "kvstore-kvm", "memcached", "kvstore-tcg", "linux-vm")
ON_REQUEST = ("kvstore-tcg", "linux-vm")  # TCG boots and slow servers: only when named
QEMU_SUBJECTS = ("kvstore-kvm", "kvstore-tcg", "linux-vm")  # stopped with SIGTERM to QEMU
MEMCACHED_SUBJECTS = ("memcached", "linux-vm")  # UDP socket buffers: --mc-window
VM_KEYS, SMOKE_VM_KEYS = 20000, 2000
LINUX_VM_MEM = 512 << 20        # the linux-vm subject's guest RAM
WORKLOADS = ("get100-uniform", "get90-uniform", "get90-zipf", "get50-uniform", "get50-zipf")
SMOKE_WORKLOADS = ("get100-uniform", "get50-zipf")
GEN_IP, SERVER_IP, PREFIXLEN, PORT = "10.99.0.1", "10.99.0.2", 24, 11211
KV_MEM = 1 << 30                # kvstore's memory: linuxu nfos.mem=, kvm guest RAM
KV_ARGS = ["--mem-limit", "256M"]  # kvstore's own options after --: 1M items fit
CLEAN_OTHER = 0.1               # share of a core others may take in a clean window
SETTLE_S, SETTLE_STEP = 3.0, 0.25  # at a hold that finds the cores apart: wait, idle, re-probe
KVSTORE_LINE = bench_pps.NFOS_LINE
KVGEN_JSON = re.compile(r"^KVGEN (\{.*\})$")
KVGEN_HOLD = re.compile(r"^kvgen: hold (?:before ([\w-]+)|at end)$")


class KvMemory(bench_pps.Memory):
    """bench_pps's DPDK memory (hugepages, else --no-huge); one DPDK process
    here, with its own file prefix."""

    def scrub(self):
        if self.dir and os.path.isdir(self.dir):
            for f in os.listdir(self.dir):
                if f.startswith(GEN_PREFIX + "map_"):
                    try:
                        os.unlink(os.path.join(self.dir, f))
                    except OSError:
                        pass
        shutil.rmtree(os.path.join("/var/run/dpdk", GEN_PREFIX), ignore_errors=True)


# --- network namespaces for memcached -------------------------------------------

def sh(*argv, timeout=20):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RunFailed(f"`{' '.join(argv)}` failed: {(r.stderr or r.stdout).strip()}")
    return r.stdout


class Namespaces:
    """Two network namespaces joined by a veth pair: the server's side has
    SERVER_IP, kvgen's side no address (kvgen is the host there). Removed
    by close(), which deleting the namespaces does for the veth too."""

    def __init__(self):
        tag = os.getpid() % 10000000
        self.server, self.client = f"nfos-kv-s{tag}", f"nfos-kv-c{tag}"
        self.server_if, self.client_if = f"kvs{tag}", f"kvc{tag}"
        self.made = []
        try:
            for ns in (self.server, self.client):
                sh("ip", "netns", "add", ns)
                self.made.append(ns)
                for key in ("all", "default"):  # no IPv6 chatter on the pair
                    sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                       f"net.ipv6.conf.{key}.disable_ipv6=1")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "link", "add", self.client_if, "netns", self.client, "type", "veth",
               "peer", "name", self.server_if, "netns", self.server)
            sh("ip", "-n", self.server, "addr", "add", f"{SERVER_IP}/{PREFIXLEN}",
               "dev", self.server_if)
            for ns, dev in ((self.server, self.server_if), (self.client, self.client_if)):
                sh("ip", "-n", ns, "link", "set", dev, "up")
        except BaseException:
            self.close()
            raise

    def exec(self, ns):
        return ["ip", "netns", "exec", ns]

    def udp_stats(self):
        try:
            out = sh(*self.exec(self.server), "nstat", "-az", "UdpRcvbufErrors", "UdpInDatagrams")
        except (RunFailed, OSError, subprocess.TimeoutExpired):
            return {}
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}

    def close(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.made = []


def wait_udp_listen(ns, proc, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        check_alive([proc])
        out = subprocess.run(ns.exec(ns.server) + ["ss", "-Hnuln", f"sport = :{PORT}"],
                             capture_output=True, text=True, timeout=10).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise RunFailed(f"memcached is not listening on UDP {PORT} after {timeout} s", proc.tail())


# --- CPU accounting -------------------------------------------------------------

def core_busy():
    """{core: seconds busy outside softirq and idle} from /proc/stat."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m.group(2).split()]
                # user nice system idle iowait irq softirq steal
                out[int(m.group(1))] = (v[0] + v[1] + v[2] + v[5] + v[7]) / tick
    return out


def cpu_sample(procs):
    return time.monotonic(), [p.cpu_seconds() for p in procs], core_busy()


def shares(a, b):
    """Each process's share of its core and what others took of the cores."""
    span = b[0] - a[0]
    own = [None if x is None or y is None else round((y - x) / span, 3)
           for x, y in zip(a[1], b[1])]
    cores = {c: (b[2][c] - a[2][c]) / span for c in (GEN_CORE, SERVER_CORE)}
    others = {c: None if own[i] is None else round(max(0.0, cores[c] - own[i]), 3)
              for i, c in enumerate((GEN_CORE, SERVER_CORE))}
    return own, others


# --- one run --------------------------------------------------------------------

def ready_timeout(ctx, subject):
    """Seconds for the server to come up and answer ARP."""
    if subject == "linux-vm":
        return linuxvm.BOOT_TIMEOUT
    return 180 if ctx.accel_of[subject] == "tcg" and subject in QEMU_SUBJECTS else 60


def link_timeout(ctx, subject):
    """Seconds kvgen waits for its port's link and the server's ARP reply."""
    if subject == "linux-vm":
        return linuxvm.BOOT_TIMEOUT  # a Linux boot (under TCG here) comes first
    return 60 if "tcg" in (ctx.accel, ctx.accel_of[subject]) else 30


def kvgen_argv(ctx, subject, vdev):
    window = ctx.mc_window if subject in MEMCACHED_SUBJECTS else ctx.window
    return ([KVGEN, "-l", "0", f"--file-prefix={GEN_PREFIX}", "--no-pci", "--vdev", vdev] +
            ctx.mem.eal() +
            ["--", "--server", SERVER_IP, "--ip", GEN_IP, "--port", str(PORT),
             "--keys", str(ctx.keys_of[subject]), "--workloads", ",".join(ctx.workloads),
             "--seconds", f"{ctx.seconds:g}", "--warmup", f"{ctx.warmup:g}",
             "--window", str(window), "--link-timeout", str(link_timeout(ctx, subject)),
             "--hold"])


def server_argv(ctx, subject, sock, ns):
    if subject == "kvstore-linuxu":
        return ([ctx.images[("kvstore", "linuxu")], f"nfos.mem={KV_MEM}",
                 f"netdev.dev=vhost-user:{sock}", f"netdev.ip={SERVER_IP}/{PREFIXLEN}",
                 "nfos.stats=1", "--"] + KV_ARGS)
    if subject in ("kvstore-kvm", "kvstore-tcg"):
        cmdline = nfos_cli.guest_cmdline([f"netdev.ip={SERVER_IP}/{PREFIXLEN}", "nfos.stats=1"],
                                         KV_ARGS)
        return nfos_cli.qemu_command(ctx.images[("kvstore", "kvm")], KV_MEM, "microvm,pcie=on",
                                     ctx.accel_of[subject], cmdline,
                                     [{"kind": "vhost-user", "arg": sock}])
    if subject == "linux-vm":
        # seconds=0: memcached runs until QEMU is stopped.
        return linuxvm.qemu_command("memcached", sock=sock, mem=LINUX_VM_MEM,
                                    accel=ctx.accel_of[subject], image=ctx.lvm, seconds=0,
                                    ip=f"{SERVER_IP}/{PREFIXLEN}")
    user = ["-u", "root"] if os.geteuid() == 0 else []
    return ns.exec(ns.server) + ["memcached", "-U", str(PORT), "-p", "0", "-t", "1",
                                 "-l", SERVER_IP, "-m", "2048"] + user


def group_signal(proc, sig):
    """sig to proc's whole process group (its session: QEMU's threads, the
    wrappers, memcached behind `ip netns exec`); False when it is gone."""
    try:
        os.killpg(proc.p.pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def wait_stopped(proc, timeout=0.5):
    """Waits until every thread of proc is stopped (a signal takes effect
    when its target next runs), at most timeout s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            tasks = os.listdir(f"/proc/{proc.p.pid}/task")
            states = []
            for t in tasks:
                with open(f"/proc/{proc.p.pid}/task/{t}/stat") as f:
                    states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            return  # gone, or a thread ended while we looked: the next check sees
        if all(st in "TtZX" for st in states):
            return
        time.sleep(0.001)


def hold_probe(ctx, server):
    """The cross-core probe while kvgen holds (drained, asleep in read()):
    the server is stopped for it, so that both cores are idle, and always
    let go again. Returns (first, last) probe cycles (None: failed). The
    first closes the window before; when it finds the cores apart, they
    are left idle and probed every SETTLE_STEP s, up to SETTLE_S, until
    the host has them near again (idle vCPUs mostly come back within a
    second or two), and the last opens the next window."""
    stopped = server is not None and group_signal(server, signal.SIGSTOP)
    try:
        if stopped:
            wait_stopped(server)
        first = last = bench_pps.probe_c2c(ctx)
        end = time.monotonic() + SETTLE_S
        while bench_pps.placed_apart(ctx, [last]) and time.monotonic() < end:
            time.sleep(SETTLE_STEP)
            last = bench_pps.probe_c2c(ctx)
        return first, last
    finally:
        if stopped:
            group_signal(server, signal.SIGCONT)


def follow(ctx, gen, procs, deadline):
    """Waits for kvgen to end, sampling CPU time when each workload's
    measured window opens and closes, and probing the cores' placement at
    each of kvgen's holds (between windows, so the server's stop falls in
    none). Returns {workload: (sample at open, at close)} and the holds in
    order, [(workload it comes before, or None at the end; c2c cycles of
    its first probe, of its last)]."""
    marks, seen, holds = {}, 0, []
    server = procs[1] if len(procs) > 1 else None
    start_re = re.compile(r"^kvgen: ([\w-]+): measuring")
    end_re = re.compile(r"^kvgen: ([\w-]+): [\d.]+ req/s")
    last = None  # the latest sample taken while every process was there
    while True:
        alive = gen.alive()
        now = cpu_sample(procs)
        lines = gen.lines
        for _, text in lines[seen:]:
            h = KVGEN_HOLD.match(text)
            if h:
                holds.append((h.group(1),) + hold_probe(ctx, server))
                gen.say("\n")  # kvgen gone: check_alive or its status says so
                continue
            m = start_re.match(text) or end_re.match(text)
            if m:
                # kvgen may end within milliseconds of its last line: then
                # the sample taken just before stands for the window's end.
                gone = any(x is None for x in now[1])
                marks.setdefault(m.group(1), []).append(last if gone and last else now)
        seen = len(lines)
        if all(x is not None for x in now[1]):
            last = now
        if not alive:
            break
        check_alive(procs[1:])
        if time.monotonic() > deadline:
            raise RunFailed("kvgen still running at its deadline", gen.tail())
        time.sleep(0.01)
    gen.wait(10)  # its output read to the end
    for _, text in gen.lines[seen:]:
        m = end_re.match(text)
        if m and last:
            marks.setdefault(m.group(1), []).append(last)
    return marks, holds


def around(holds, workload):
    """A workload's probes: the last at the hold before its warm-up and the
    first at the next one (before the next workload's, or at the end);
    None where missing."""
    names = [h[0] for h in holds]
    if workload not in names:
        return [None, None]
    i = names.index(workload)
    return [holds[i][2], holds[i + 1][1] if i + 1 < len(holds) else None]


def busy_in(server, w0, w1):
    """kvstore's busy cycles per packet over its interval lines that overlap
    [w0, w1] (each covers the seconds it states, up to when it came),
    weighted by its packets times the part of it inside the window."""
    num = den = 0.0
    for t, s in server.lines:
        m = KVSTORE_LINE.search(s)
        if not m or m.group(2) != "interval":
            continue
        start = t - float(m.group(9))
        inside = max(0.0, min(t, w1) - max(start, w0)) / max(float(m.group(9)), 1e-3)
        num += int(m.group(3)) * inside * float(m.group(8))
        den += int(m.group(3)) * inside
    return round(num / den, 1) if den else None


def last_line_after(server, t0, timeout):
    """Waits (at most timeout s) for an interval line of kvstore's that
    came after t0, so that the last window has its busy cycles."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and server.alive():
        if any(t > t0 and KVSTORE_LINE.search(s) for t, s in server.lines[-4:]):
            return
        time.sleep(0.05)


def run_once(ctx, subject, run):
    sock = os.path.join(ctx.tmp, "kv.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.mem.scrub()
    procs, ns = [], None
    c2c = [bench_pps.probe_c2c(ctx)]
    try:
        if subject == "memcached":
            ns = Namespaces()
            server = Proc(subject, server_argv(ctx, subject, sock, ns), SERVER_CORE, ctx.tmp)
            wait_udp_listen(ns, server)
            vdev = (f"net_af_packet0,iface={ns.client_if},qpairs=1,blocksz=4096,framesz=2048,"
                    "framecnt=2048,qdisc_bypass=1")
            gen = Proc("kvgen", ns.exec(ns.client) + kvgen_argv(ctx, subject, vdev),
                       GEN_CORE, ctx.tmp, stdin_pipe=True)
            procs = [gen, server]
            udp0 = ns.udp_stats()
        else:
            gen = Proc("kvgen", kvgen_argv(ctx, subject, f"net_vhost0,iface={sock},queues=1"),
                       GEN_CORE, ctx.tmp, stdin_pipe=True)
            procs = [gen]
            wait_socket(sock, gen)
            server = Proc(subject, server_argv(ctx, subject, sock, ns), SERVER_CORE, ctx.tmp)
            procs.append(server)
        gen.wait_for(re.compile(r"^kvgen: server .* is at"), ready_timeout(ctx, subject),
                     [server])
        per = ctx.warmup + ctx.seconds + 3  # + the drain and the probe at its hold
        end = time.monotonic() + ctx.preload_timeout + len(ctx.workloads) * per + 60
        marks, holds = follow(ctx, gen, procs, end)
        if gen.p.returncode != 0:
            raise RunFailed(f"kvgen ended with status {gen.p.returncode}", gen.tail())
        if subject.startswith("kvstore"):
            last_line_after(server, time.monotonic(), 3.0)  # covers the last window
        udp1 = ns.udp_stats() if ns else {}
        if subject in QEMU_SUBJECTS:
            server.signal(signal.SIGTERM)  # QEMU; the guest has no stop of its own here
            server.wait(15)
        elif server.stop(15) != 0 and subject == "kvstore-linuxu":
            raise RunFailed(f"kvstore ended with status {server.p.returncode} on SIGINT",
                            server.tail())
        c2c.append(bench_pps.probe_c2c(ctx))
    finally:
        for p in reversed(procs):
            if p.alive():
                p.signal(signal.SIGTERM if p.name in QEMU_SUBJECTS else signal.SIGINT)
                p.wait(10)
        if ns:
            ns.close()
        if os.path.exists(sock):
            os.unlink(sock)
        if ctx.logs:
            for p in procs:
                shutil.copy(p.log.name, os.path.join(ctx.logs, f"{subject}-{run}-{p.name}.log"))
    r = parse_run(ctx, subject, gen, server, marks, holds,
                  {k: udp1.get(k, 0) - udp0.get(k, 0) for k in udp1} if ns else None)
    r["c2c_cycles"] = c2c  # around the whole run: said, not part of the clean rule
    r["placed_apart"] = bench_pps.placed_apart(ctx, c2c)
    return r


def placement(ctx, probes):
    """A window's placement from its two probes: "apart", "near", or
    "unknown" (a probe failed while the probe works); "near" without a
    probe at all (build/bench/c2c not built: said at the start)."""
    if bench_pps.placed_apart(ctx, probes):
        return "apart"
    if ctx.c2c and ctx.c2c_near and None in probes:
        return "unknown"
    return "near"


def judge(ctx, r):
    """A workload's result is clean when others left the cores alone and
    the host had them near at both its probes. Judged again whenever the
    near round trip is revised down (a calibration that ran while the
    host had the cores apart would call apart near)."""
    where = placement(ctx, r["c2c_cycles"])
    r["placed_apart"] = where == "apart"
    r["clean"] = where == "near" and r["quiet"]


def rejudge(ctx, pending):
    for rs in pending.values():
        for r in rs:
            for x in r["workloads"].values():
                judge(ctx, x)


def parse_run(ctx, subject, gen, server, marks, holds, udp):
    out = {}
    for t, text in gen.lines:
        m = KVGEN_JSON.match(text)
        if not m:
            continue
        r = json.loads(m.group(1))
        w = r["workload"]
        pair = marks.get(w, [])
        if len(pair) != 2:
            raise RunFailed(f"kvgen's window of {w} was not seen opening and closing", gen.tail())
        own, others = shares(pair[0], pair[1])
        r["cpu_share"] = {"kvgen": own[0], "server": own[1]}
        r["others_share"] = {f"core{GEN_CORE}": others[GEN_CORE],
                             f"core{SERVER_CORE}": others[SERVER_CORE]}
        r["c2c_cycles"] = around(holds, w)
        r["quiet"] = all(v is not None and v <= CLEAN_OTHER for v in others.values())
        judge(ctx, r)
        if subject.startswith("kvstore"):
            r["busy_cycles_per_req"] = busy_in(server, pair[0][0], pair[1][0])
        out[w] = r
    missing = [w for w in ctx.workloads if w not in out]
    if missing:
        raise RunFailed(f"kvgen printed no result for {', '.join(missing)}", gen.tail())
    pre = [t for _, t in gen.lines if t.startswith("kvgen: preload:")]
    return {"workloads": out, "preload": pre[-1][len("kvgen: preload: "):] if pre else None,
            "udp": udp}


# --- reporting ------------------------------------------------------------------

def c2c_note(results):
    """One line on the placements the measured windows began and ended in,
    and the runs, or None."""
    runs = [r for res in results.values() for r in res.get("runs", [])]
    ws = [w for r in runs for w in r["workloads"].values()]
    probes = [c for w in ws for c in w.get("c2c_cycles") or [] if c]
    if not probes:
        return None
    apart = sum(1 for w in ws if w.get("placed_apart"))
    runs_apart = sum(1 for r in runs if r.get("placed_apart"))
    med = statistics.median(probes)
    return (f"  cross-core round trip before each workload's warm-up and after its window "
            f"(build/bench/c2c, kvgen idle, the server stopped): median {med:.0f} cycles "
            f"({min(probes):.0f}-{max(probes):.0f}); {apart} of {len(ws)} windows began or "
            f"ended with the two vCPUs placed apart by the host (over {bench_pps.C2C_FAR:g}x "
            f"the near round trip): not clean (tried again but in --smoke); around whole "
            f"runs {runs_apart} of {len(runs)} (not part of the rule)")


def summarize(runs, workload):
    rs = [r["workloads"][workload] for r in runs]
    clean = [r for r in rs if r["clean"]]
    use = clean or rs
    pick = lambda k: summary([r[k] for r in use if r.get(k) is not None])  # noqa: E731
    return {"rps": pick("rps"), "hit_ratio": pick("hit_ratio"), "p50_us": pick("p50_us"),
            "p99_us": pick("p99_us"), "busy_cycles_per_req": pick("busy_cycles_per_req"),
            "gen_idle_share": pick("gen_idle_share"),
            "gen_cycles_per_req": pick("gen_cycles_per_req"),
            "lost": sum(r["lost"] for r in use), "malformed": sum(r["malformed"] for r in use),
            "unmatched": sum(r["unmatched"] for r in use), "errors": sum(r["errors"] for r in use),
            "bad_value": sum(r["bad_value"] for r in use),
            "clean_runs": len(clean), "runs": len(rs),
            "over": "clean runs" if clean else "all runs (none clean)"}


def ratios(results, workloads):
    """Per workload: kvstore's req/s over memcached's on the host kernel
    (plain numbers), and over memcached's in the Linux VM (with the
    accelerators and key counts of both sides, labelled "same accelerator"
    or "best available here")."""
    out = []
    mc = results.get("memcached", {}).get("summary", {})
    lv = results.get("linux-vm", {})
    for w in workloads:
        r = {"workload": w}
        for s in ("kvstore-linuxu", "kvstore-kvm"):
            kv = results.get(s, {}).get("summary", {})
            if kv.get(w) and mc.get(w) and kv[w]["rps"] and mc[w]["rps"]:
                r[f"{s}_over_memcached_rps"] = kv[w]["rps"]["median"] / mc[w]["rps"]["median"]
        for s in ("kvstore-tcg", "kvstore-kvm"):  # same accelerator first, then the best here
            kv = results.get(s, {})
            a, b = kv.get("summary", {}).get(w), lv.get("summary", {}).get(w)
            if a and b and a["rps"] and b["rps"]:
                same = kv["accel"] == lv["accel"]
                r[f"{s}_over_linux-vm_rps"] = {
                    "ratio": a["rps"]["median"] / b["rps"]["median"],
                    "accels": f"{kv['accel']} vs {lv['accel']}",
                    "label": "same accelerator" if same else "best available here",
                    "keys": f"{kv['keys']} vs {lv['keys']}"}
        out.append(r)
    return out


def acceptance(results, rat, workloads):
    """The issue's two targets, from this run's figures, or why not judged."""
    kv = results.get("kvstore-linuxu", {}).get("summary", {})
    gets = [w for w in workloads if w.startswith("get100-")]
    busy = [kv[w]["busy_cycles_per_req"]["median"] for w in gets
            if kv.get(w) and kv[w]["busy_cycles_per_req"]]
    out = {}
    mc = results.get("memcached", {}).get("summary", {})
    clean = lambda sm, ws: all(sm.get(w, {}).get("clean_runs") for w in ws)  # noqa: E731
    if busy:
        out["busy_per_get"] = {"value": max(busy), "target": 500,
                               "met": max(busy) <= 500, "from": ",".join(gets),
                               "clean": clean(kv, gets)}
    else:
        out["busy_per_get"] = {"met": None, "why": "no kvstore-linuxu figure for a get100 "
                               "workload"}
    x = [r["kvstore-linuxu_over_memcached_rps"] for r in rat
         if "kvstore-linuxu_over_memcached_rps" in r]
    if x:
        out["rps_10x_memcached"] = {"value": min(x), "target": 10, "met": min(x) >= 10,
                                    "from": "lowest kvstore-linuxu/memcached ratio over "
                                            "the workloads",
                                    "clean": clean(kv, workloads) and clean(mc, workloads)}
    else:
        out["rps_10x_memcached"] = {"met": None, "why": "no kvstore-linuxu and memcached "
                                    "figures of the same workload"}
    return out


def print_tables(ctx, subjects, status, results, rat, acc):
    """Prints the tables and the targets; returns the lines printed."""
    out = []
    rows = [("subject", "accel", "workload", "req/s median (min-max)", "hit ratio",
             "p50 us", "p99 us", "busy cycles/req", "kvgen idle", "lost", "clean")]
    for s in subjects:
        res = results.get(s)
        for w in ctx.workloads:
            if res and "summary" in res:
                sm = res["summary"][w]
                rows.append((s, ctx.accel_of[s], w, fmt(sm["rps"], 0), fmt(sm["hit_ratio"], 4),
                             fmt(sm["p50_us"], 1), fmt(sm["p99_us"], 1),
                             fmt(sm["busy_cycles_per_req"], 1) if s.startswith("kvstore")
                             else "n/a",
                             fmt(sm["gen_idle_share"], 2), sm["lost"],
                             f"{sm['clean_runs']}/{sm['runs']}"))
            elif res:
                rows.append((s, ctx.accel_of[s], w, "failed: " + res["error"]))
            else:
                rows.append((s, ctx.accel_of[s], w, status[s]))
    out += [""] + table(rows)
    scaled = [s for s in subjects if s in results and "summary" in results[s]
              and ctx.keys_of[s] != ctx.keys]
    if scaled:
        out.append(f"  keys: {', '.join(scaled)} preloaded {ctx.vm_keys} keys (--vm-keys), the "
                   f"others {ctx.keys}")
    rrows = [("workload", "kvstore-linuxu/memcached req/s",
              f"kvstore-kvm ({ctx.accel})/memcached req/s")]
    for r in rat:
        x = lambda k: f"{r[k]:.2f}x" if k in r else "-"  # noqa: E731
        rrows.append((r["workload"], x("kvstore-linuxu_over_memcached_rps"),
                      x("kvstore-kvm_over_memcached_rps")))
    out += [""] + table(rrows)
    lvm = [r for r in rat if any(k.endswith("_over_linux-vm_rps") for k in r)]
    if lvm:
        heads = {}
        for r in lvm:
            for s in ("kvstore-tcg", "kvstore-kvm"):
                x = r.get(f"{s}_over_linux-vm_rps")
                if x:
                    heads[s] = (f"{s}/linux-vm req/s ({x['accels']}, {x['label']}; "
                                f"keys {x['keys']})")
        vrows = [("workload",) + tuple(heads.values())]
        for r in lvm:
            vrows.append((r["workload"],) + tuple(
                f"{r[f'{s}_over_linux-vm_rps']['ratio']:.2f}x"
                if f"{s}_over_linux-vm_rps" in r else "-" for s in heads))
        out += [""] + table(vrows)
    out.append("")
    def judged(a, text):
        if a["met"] is None:
            return f"not judged ({a['why']})"
        return (f"{text} ({'met' if a['met'] else 'not met'}"
                f"{'' if a['clean'] else '; from disturbed runs'})")
    b, t = acc["busy_per_get"], acc["rps_10x_memcached"]
    out.append("  target: kvstore-linuxu busy cycles per GET <= 500: " +
               judged(b, f"{b.get('value', 0):.1f}"))
    out.append("  target: kvstore-linuxu req/s >= 10x memcached's: " +
               judged(t, f"{t.get('value', 0):.2f}x"))
    if any(not v.get("summary", {}).get(w, {"clean_runs": 1})["clean_runs"]
           for v in results.values() for w in ctx.workloads):
        out.append("  note: some figures come from disturbed runs (other processes took more "
                   f"than {CLEAN_OTHER:.0%} of core {GEN_CORE} or {SERVER_CORE}, or the host "
                   "placed the cores apart); see others_share and c2c_cycles in the JSON")
    print("\n".join(out))
    return out


# --- main -----------------------------------------------------------------------

def build_kvgen():
    r = subprocess.run(["make", "-C", HERE, "--no-print-directory"], capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        last = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()][-1:] or ["?"]
        raise BenchError(f"building kvgen failed: {last[0]}")


def workload_list(text):
    items = [x for x in text.split(",") if x]
    bad = [x for x in items if not re.fullmatch(r"get(\d|[1-9]\d|100)-(uniform|zipf)", x)]
    if not items or bad:
        raise argparse.ArgumentTypeError(
            f"workloads: {','.join(bad) or 'none given'} (get<0..100>-<uniform|zipf>, "
            f"e.g. get90-zipf)")
    return list(dict.fromkeys(items))


def count(text):
    m = re.fullmatch(r"(\d+)([KkMm]?)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"bad count '{text}' (e.g. 100K, 1M)")
    return int(m.group(1)) * {"": 1, "k": 1000, "m": 1000000}[m.group(2).lower()]


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench kv", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int,
                    help="clean results wanted per workload of each subject (default 3; "
                         "at most 2x that many runs, 1 run with --smoke)")
    ap.add_argument("--seconds", type=float, help="measured seconds per workload (default 3)")
    ap.add_argument("--warmup", type=float, help="seconds before each measurement (default 1)")
    ap.add_argument("--keys", type=count, help="keys preloaded (default 1M)")
    ap.add_argument("--workloads", type=workload_list,
                    help=f"default {','.join(WORKLOADS)}")
    ap.add_argument("--subjects", type=bench_pps.csv("subjects", SUBJECTS),
                    help="default: all but kvstore-tcg and linux-vm (run only when named); "
                         "kvstore-kvm is skipped under TCG unless named here")
    ap.add_argument("--vm-keys", type=count,
                    help=f"keys preloaded for kvstore-tcg and linux-vm (default "
                         f"{VM_KEYS // 1000}K, smoke {SMOKE_VM_KEYS // 1000}K; at most --keys)")
    ap.add_argument("--window", type=int, default=256,
                    help="kvgen's outstanding requests for kvstore (default 256)")
    ap.add_argument("--mc-window", type=int, default=64,
                    help="kvgen's outstanding requests for memcached (default 64)")
    ap.add_argument("--no-huge", action="store_true", help="DPDK without hugepages (memfd)")
    ap.add_argument("--logs", metavar="DIR", help="keep every process's output in DIR")
    ap.add_argument("--smoke", action="store_true",
                    help="1 run, 10K keys, two short workloads; nothing written (for tests)")
    ap.add_argument("--json", metavar="FILE",
                    help="write the results to FILE instead (also with --smoke)")
    args = ap.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    for name in ("seconds", "warmup"):
        v = getattr(args, name)
        if v is not None and not 0 <= v <= 600 or (name == "seconds" and v == 0):
            ap.error(f"--{name} must be in (0, 600]")
    if args.keys is not None and not 2 <= args.keys <= 100_000_000:
        ap.error("--keys must be in 2..100M")
    if args.vm_keys is not None and not 2 <= args.vm_keys <= 100_000_000:
        ap.error("--vm-keys must be in 2..100M")
    for name in ("window", "mc_window"):
        if not 1 <= getattr(args, name) <= 16384:
            ap.error(f"--{name.replace('_', '-')} must be in 1..16384")

    ctx = types.SimpleNamespace()
    ctx.runs = args.runs or (1 if args.smoke else 3)
    ctx.seconds = args.seconds or (0.5 if args.smoke else 3.0)
    ctx.warmup = args.warmup if args.warmup is not None else (0.2 if args.smoke else 1.0)
    ctx.keys = args.keys or (10000 if args.smoke else 1000000)
    ctx.vm_keys = min(ctx.keys, args.vm_keys or (SMOKE_VM_KEYS if args.smoke else VM_KEYS))
    ctx.keys_of = {s: ctx.vm_keys if s in ON_REQUEST else ctx.keys for s in SUBJECTS}
    ctx.workloads = args.workloads or list(SMOKE_WORKLOADS if args.smoke else WORKLOADS)
    ctx.window, ctx.mc_window = args.window, args.mc_window
    ctx.preload_timeout = 300

    if not shutil.which(bench_pps.TESTPMD) or subprocess.run(
            ["pkg-config", "--exists", "libdpdk"], capture_output=True).returncode != 0:
        print("nfos bench kv: DPDK's development files are missing: install them with "
              "./nfos deps (or apt-get install dpdk-dev pkg-config)", file=sys.stderr)
        return 1
    if (os.cpu_count() or 1) < 2:
        print("nfos bench kv: needs two cores (kvgen on 0, the server on 1)", file=sys.stderr)
        return 1
    def start():
        build_kvgen()
        ctx.mem = KvMemory(args.no_huge)
        return bench(ctx, args)
    return bench_pps.guarded("kv", LOCK, ctx, args.logs, start)


def subject_status(ctx, args, subjects):
    status = {s: "available" for s in subjects}
    if not args.subjects:
        for s in ON_REQUEST:
            status[s] = "not run: name it in --subjects (./nfos bench all does)"
    if "kvstore-kvm" in subjects and ctx.accel == "tcg" and not args.subjects:
        status["kvstore-kvm"] = ("skipped: no usable /dev/kvm, and under TCG its figures say "
                                 "nothing about kvstore (name it in --subjects to run it anyway)")
    if "memcached" in subjects and not shutil.which("memcached"):
        status["memcached"] = "unavailable: memcached is missing (./nfos deps)"
    if "memcached" in subjects and os.geteuid() != 0:
        status["memcached"] = "unavailable: network namespaces need root"
    ctx.lvm = None
    if status.get("linux-vm") == "available":
        try:
            ctx.lvm = linuxvm.build(log=lambda line: print(line, flush=True))
        except linuxvm.Error as e:
            status["linux-vm"] = f"unavailable: {e}"
    plats = {s: p for s, p in (("kvstore-linuxu", "linuxu"), ("kvstore-kvm", "kvm"),
                               ("kvstore-tcg", "kvm"))
             if status.get(s) == "available"}
    ctx.images = {}
    if plats:
        if not os.path.isdir(os.path.join(ROOT, "apps", "kvstore")):
            for s in plats:
                status[s] = "unavailable: apps/kvstore is not in this tree yet"
            return status
        ctx.images = bench_pps.build_images(list(dict.fromkeys(("kvstore", p)
                                                               for p in plats.values())))
    for s, plat in plats.items():
        image = ctx.images[("kvstore", plat)]
        try:
            if isinstance(image, Unavailable):
                raise image
            if plat == "linuxu":
                bench_pps.probe_linuxu(image, ctx.tmp)
        except Unavailable as e:
            status[s] = f"unavailable: {e}"
    return status


def enough_clean(runs, workloads, want):
    """Has every workload at least want clean results over these runs? A
    run's workloads are judged one by one: a window the host disturbed
    costs that workload a result, not the run's others."""
    return all(sum(r["workloads"][w]["clean"] for r in runs) >= want for w in workloads)


def bench(ctx, args):
    subjects = args.subjects or list(SUBJECTS)
    ctx.accel = "kvm" if nfos_cli.kvm_usable() else "tcg"
    ctx.lvm_accel, ctx.lvm_why = linuxvm.accel()
    ctx.accel_of = {"kvstore-linuxu": "native", "kvstore-kvm": ctx.accel, "memcached": "native",
                    "kvstore-tcg": "tcg", "linux-vm": ctx.lvm_accel}
    status = subject_status(ctx, args, subjects)
    active = [s for s in subjects if status[s] == "available"]
    ctx.c2c = bench_pps.build_c2c()
    bench_pps.calibrate_c2c(ctx)

    tag = " [SMOKE: not a measurement]" if args.smoke else ""
    print(f"nfos bench kv{tag}: {ctx.runs} run(s), {ctx.keys} keys, workloads "
          f"{','.join(ctx.workloads)} ({ctx.warmup:g} s warm-up + {ctx.seconds:g} s each); "
          f"kvgen on core {GEN_CORE}, servers on core {SERVER_CORE}; DPDK memory: "
          f"{ctx.mem.mode} ({ctx.mem.reason})")
    for s in subjects:
        if status[s] != "available":
            print(f"  {s}: {status[s]}")
    if "linux-vm" in active:
        print(f"  linux-vm: {ctx.lvm_accel} ({ctx.lvm_why}), {LINUX_VM_MEM >> 20} MiB, image "
              f"{ctx.lvm['roles']['memcached']['image_bytes']} bytes (kernel + memcached "
              f"initramfs), memcached -t 1 -m 64 on virtio_net over vhost-user")
    scaled = [s for s in active if ctx.keys_of[s] != ctx.keys]
    if scaled:
        print(f"  {', '.join(scaled)}: {ctx.vm_keys} keys preloaded (--vm-keys), not "
              f"{ctx.keys}: a slow server's preload must finish")
    sys.stdout.flush()

    results, failed = {}, False
    pending = {s: [] for s in active}
    max_attempts = ctx.runs if args.smoke else 2 * ctx.runs
    for i in range(max_attempts):
        rejudge(ctx, pending)
        want = [s for s in active if s in pending and status[s] == "available" and
                not enough_clean(pending[s], ctx.workloads, ctx.runs)]
        if not want:
            break
        for subject in want if i % 2 == 0 else want[::-1]:
            try:
                r = run_once(ctx, subject, i + 1)
            except Unavailable as e:
                status[subject] = f"unavailable: {e}"
                print(f"  {subject}: {status[subject]}")
                continue
            except RunFailed as e:
                failed = True
                print(f"nfos bench kv: {subject} run {i + 1}: {e}"
                      + "".join(f"\n    | {l}" for l in e.tail), file=sys.stderr)
                results[subject] = {"error": str(e), "tail": e.tail}
                del pending[subject]
                continue
            r["round"] = i + 1
            pending[subject].append(r)
            for w, x in r["workloads"].items():
                busy = x.get("busy_cycles_per_req")
                print(f"  {subject:<14} run {i + 1} {w:<14} {x['rps']:>10.0f} req/s, hit "
                      f"{x['hit_ratio']:.4f}, p50 {x['p50_us']:.1f} us, p99 {x['p99_us']:.1f} us"
                      + (f", busy {busy:.1f} cycles/req" if busy is not None else "")
                      + f", lost {x['lost']}, kvgen idle {x['gen_idle_share']:.2f}"
                      + f", c2c {'/'.join(f'{c:.0f}' if c else '?' for c in x['c2c_cycles'])}"
                      + ("" if x["clean"] else " (placed apart)" if x["placed_apart"] else
                         " (placement unknown: a probe failed)"
                         if placement(ctx, x["c2c_cycles"]) == "unknown" else
                         f" (disturbed: others took {x['others_share']})"))
            sys.stdout.flush()
    rejudge(ctx, pending)
    for subject, rs in pending.items():
        if rs:
            results[subject] = {"accel": ctx.accel_of[subject], "keys": ctx.keys_of[subject],
                                "window": ctx.mc_window if subject in MEMCACHED_SUBJECTS
                                else ctx.window, "runs": rs,
                                "summary": {w: summarize(rs, w) for w in ctx.workloads}}

    rat = ratios(results, ctx.workloads)
    acc = acceptance(results, rat, ctx.workloads)
    lines = print_tables(ctx, subjects, status, results, rat, acc)
    note = c2c_note(results)
    if note:
        print(note)
        lines.append(note)
    res = {
        "benchmark": "kv",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": {"cpu": bench_pps.bench_boot._cpu_model(), "cores": os.cpu_count(),
                 "kernel": platform.release(), "dpdk": bench_pps._pkg_version("dpdk-dev"),
                 "qemu": bench_pps._pkg_version("qemu-system-x86"),
                 "memcached": bench_pps._pkg_version("memcached")},
        "setup": {"generator": f"build/bench/kvgen on core {GEN_CORE}, one DPDK port",
                  "server_core": SERVER_CORE, "keys": ctx.keys, "key_bytes": 16,
                  "value_bytes": 32, "workloads": ctx.workloads, "runs": ctx.runs,
                  "seconds": ctx.seconds, "warmup_s": ctx.warmup, "window": ctx.window,
                  "memcached_window": ctx.mc_window, "dpdk_memory": ctx.mem.mode,
                  "dpdk_memory_note": ctx.mem.reason, "kvm_accel": ctx.accel,
                  "kvstore_mem": KV_MEM, "kvstore_args": KV_ARGS,
                  "vm_keys": ctx.vm_keys, "vm_keys_for": list(ON_REQUEST),
                  "linux_vm": {"accel": ctx.lvm_accel, "why": ctx.lvm_why,
                               "mem": LINUX_VM_MEM, "memcached": "-t 1 -m 64 -U 11211",
                               "image_bytes": ctx.lvm["roles"]["memcached"]["image_bytes"]
                               if ctx.lvm else None,
                               "transport": "virtio-net-pci over -netdev vhost-user"},
                  "clean_others_share": CLEAN_OTHER, "c2c_near_cycles": ctx.c2c_near,
                  "c2c_far_factor": bench_pps.C2C_FAR},
        "subjects": status,
        "results": results,
        "ratios": rat,
        "acceptance": acc,
        "notes": __doc__.split("\n\n")[-1].strip(),
        "summary_lines": lines,
    }
    if args.smoke:
        res["smoke"] = True
        print("smoke run: figures are not measurements"
              + ("" if args.json else " and are not written"))
    if args.json or not args.smoke:
        out = os.path.abspath(args.json) if args.json else os.path.join(
            ROOT, "bench", "results", f"kv-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
        print(f"results: {os.path.relpath(out, ROOT) if not args.json else out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
