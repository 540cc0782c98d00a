"""bench kv's measured windows: the CPU time each process and the others
took of the two cores, the cross-core probe at each of kvgen's holds (the
server stopped, both cores idle), kvstore's busy cycles inside a window,
and each workload's result judged clean or not. The why is in bench_kv.py's
docstring (./nfos bench kv --help)."""

import json
import os
import re
import signal
import time

from bench.common import placement
from bench.common.proc import RunFailed, check_alive

GEN_CORE, SERVER_CORE = placement.CORES
CLEAN_OTHER = 0.1               # share of a core others may take in a clean window
SETTLE_S, SETTLE_STEP = 3.0, 0.25  # at a hold that finds the cores apart: wait, idle, re-probe
# NFOS_LINE (bench/common/images.py), its groups the same, from kvstore or
# kvstore-dpdk: "APP: interval|total rx N pkts R Mpp/s | tx N pkts R Mpp/s |
# drops N | busy C cycles/pkt | S s".
KVSTORE_LINE = re.compile(r"^([\w-]+): (interval|total) rx (\d+) pkts ([\d.]+) Mpp/s \| tx (\d+) "
                          r"pkts ([\d.]+) Mpp/s \| drops (\d+) \| busy ([\d.]+) cycles/pkt \| "
                          r"([\d.]+) s")
KVGEN_JSON = re.compile(r"^KVGEN (\{.*\})$")
KVGEN_HOLD = re.compile(r"^kvgen: hold (?:before ([\w-]+)|at end)$")


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


# --- holds and windows ----------------------------------------------------------

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
        first = last = placement.probe_c2c(ctx)
        end = time.monotonic() + SETTLE_S
        while placement.placed_apart(ctx, [last]) and time.monotonic() < end:
            time.sleep(SETTLE_STEP)
            last = placement.probe_c2c(ctx)
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
        # The reader thread appends while this loop runs (a hold's probe
        # takes a while, kvgen goes on at once): only what was taken counts.
        new = gen.lines[seen:]
        seen += len(new)
        for _, text in new:
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


# --- a run's results -------------------------------------------------------------

def judge(ctx, r):
    """A workload's result is clean when others left the cores alone and
    the host had them near at both its probes. Judged again whenever the
    near round trip is revised down (a calibration that ran while the
    host had the cores apart would call apart near)."""
    where = placement.placement(ctx, r["c2c_cycles"])
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
