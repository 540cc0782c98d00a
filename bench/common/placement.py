"""Where the host put our two cores: build/bench/c2c (bench/pps/c2c.c)
times a cache line's round trip between core 0 and core 1 with both idle.
On a virtual machine the host may move the two vCPUs between placements
that share a cache and placements that do not; a probe over C2C_FAR times
the near (fastest known) round trip says "apart", and a run that began or
ended apart is not clean. ./nfos bench pps --help says more."""

import json
import os
import re
import statistics
import subprocess

from tools.nfos_cli import ROOT

CORES = (0, 1)  # the two cores every benchmark uses (backend or generator, subject)
C2C_SRC = os.path.join(ROOT, "bench", "pps", "c2c.c")
C2C = os.path.join(ROOT, "build", "bench", "c2c")
C2C_FAR = 2.5  # a round trip this many times the fastest one: the vCPUs were apart
C2C_NEAR_FILE = os.path.join(ROOT, "build", "bench", "c2c-near.json")  # fastest since boot
C2C_LINE = re.compile(r"^c2c: cores \d+ \d+: ([\d.]+) cycles per round trip")


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
        r = subprocess.run([ctx.c2c, str(CORES[0]), str(CORES[1]), "5000"],
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


def placement(ctx, probes):
    """A window's placement from its two probes: "apart", "near", or
    "unknown" (a probe failed while the probe works); "near" without a
    probe at all (build/bench/c2c not built: said at the start)."""
    if placed_apart(ctx, probes):
        return "apart"
    if ctx.c2c and ctx.c2c_near and None in probes:
        return "unknown"
    return "near"


def spread(probes):
    """"median M cycles (min-max)" of the probes."""
    return (f"median {statistics.median(probes):.0f} cycles ({min(probes):.0f}-"
            f"{max(probes):.0f})")
