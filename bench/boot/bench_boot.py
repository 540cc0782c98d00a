"""bench/boot: how small and how fast an nfos image boots.

    ./nfos bench boot [--runs N] [--accels kvm,tcg] [--smoke]
    ./nfos bench boot --sizes [--smp] [--against DIR] [--symbols N]  # sizes only (sizes.py)

Reports, on microvm (and nfvm beside it: bench/boot/nfvm.py):
  - image size: bytes of the stripped ELF the VMM loads, helloworld,
    every network function and Lua (apps/lua: Debian's Lua 5.4 on musl),
    and DPDK's helloworld, l2fwd and testpmd (lib/dpdk; --smoke reports
    only those already built: DPDK's own build takes minutes)
  - guest-side boot time from the boot-trace stamps (PVH entry -> main),
    at 8 MiB and (under KVM) at 4 GiB of guest RAM (must stay flat)
  - end-to-end wall time from exec of QEMU to the app's first line
    (helloworld's greeting; rxsink's "receiving on port 0" with a null
    port: a network function ready for packets; Lua's output of
    `-e 'print(...)'`, beside helloworld's in the same run) and to QEMU's exit
  - DPDK's testpmd: exec -> its prompt "testpmd> " (bench/boot/dpdk.py)
  - the AP start time of a 2-vCPU image (l2fwd --cpus 2): main's INIT/SIPI
    (QEMU, each accelerator) or wake-up (nfvm) -> the AP's first CPL3
    instruction, from the boot trace (bench/boot/smp.py)
  - the smallest guest RAM at which helloworld boots, and at which each
    network function runs (100,000 packets through a null port; pong and
    kvstore run for 0.2 s), found by bisection in 64 KiB steps
Each accelerator in --accels (default: kvm and tcg where /dev/kvm is usable,
else tcg) is measured and labelled; the smallest-RAM search uses the first.
Medians (with min and max) of --runs runs (default 20). A table goes to
stdout and JSON to bench/results/boot-<date>.json (not with --smoke).
"""

import argparse
import os
import platform
import re
import subprocess
import sys

from bench.boot import dpdk, nfvm, sizes, smp
from bench.common import cli, host, stats
from bench.common.images import build_images
from bench.common.proc import Unavailable, timed_output
from tools import nfos_cli
from tools.nfos_cli import ROOT

APP = "helloworld"
GREETING = "Hello from nfos!"
TIMEOUT = 60
# The network functions and how each runs without a host network: a null
# port (infinite rx of a template frame, tx frees) and a bounded run.
FUNCTIONS = {
    "rxsink": (["netdev.dev=null"], ["--count", "100000"]),
    "txgen": (["netdev.dev=null"], ["--count", "100000"]),
    "l2fwd": (["netdev.dev=null"], ["--macswap", "--count", "100000"]),
    "pong": (["netdev.dev=null", "netdev.ip=10.0.0.2/24"], ["--time", "0.2"]),
    "kvstore": (["netdev.dev=null", "netdev.ip=10.0.0.2/24"], ["--time", "0.2"]),
}
READY = "rxsink: receiving on port 0"
# Lua: its first line is a print from the command line, after musl's start,
# the interpreter's state and the chunk's compilation.
LUA = "lua"
LUA_GREETING = "Hello from Lua!"
LUA_ARGS = ["-e", f"print('{LUA_GREETING}')"]
# DPDK's apps, unmodified, as nfos images (lib/dpdk); the talk's testpmd
# image was 1.4 MB.
DPDK_APPS = ("dpdk-helloworld", "dpdk-l2fwd", "dpdk-testpmd")
TALK_TESTPMD_BYTES = 1_400_000


def qemu(image, mem, accel, params=(), args=()):
    return nfos_cli.qemu_command(image, mem, "microvm", accel,
                                 nfos_cli.guest_cmdline(list(params), list(args)))


def boots(image, mem, accel, params=(), args=(), want=GREETING):
    """True when the app runs to a clean exit (status 0) with mem bytes of
    RAM and printed want."""
    try:
        r = subprocess.run(qemu(image, mem, accel, params, args), capture_output=True,
                           text=True, timeout=TIMEOUT if accel == "tcg" else 20,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 1 and want in r.stdout


def smallest_ram(image, accel, params=(), args=(), want=GREETING, top=8 << 20):
    """Binary search over 64 KiB steps, from the image's own end (below which
    QEMU cannot load it) to top."""
    step = 64 << 10
    lo = nfos_cli.image_ram_need(image) // step - 1  # cannot boot: image cut
    hi = top // step
    if not boots(image, hi * step, accel, params, args, want):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if boots(image, mid * step, accel, params, args, want):
            hi = mid
        else:
            lo = mid
    return hi * step


def trace_ns(image, mem, accel, args=()):
    """Guest-side PVH entry -> main, in ns, from nfos.boottrace=1."""
    r = subprocess.run(qemu(image, mem, accel, ["nfos.boottrace=1"], args), capture_output=True,
                       text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    stages = dict(re.findall(r"^boottrace: (\w+) +(\d+) ns", r.stdout, re.M))
    if "main" not in stages:
        raise RuntimeError(f"no boot trace in: {r.stdout!r} {r.stderr!r}")
    return {k: int(v) for k, v in stages.items()}


def wall_times(image, mem, accel, params=(), args=(), want=GREETING):
    """Seconds from exec of QEMU to the line holding want, and to QEMU's exit.
    A run that has not ended after TIMEOUT s is killed and fails."""
    t_main, t_exit, _, _, status, _ = timed_output(qemu(image, mem, accel, params, args), want,
                                                   TIMEOUT)
    if status is None:
        raise RuntimeError(f"{os.path.basename(image)} under {accel}: not ended after "
                           f"{TIMEOUT} s (killed)")
    if t_main is None:
        raise RuntimeError(f"{os.path.basename(image)} under {accel} never printed {want!r}")
    return t_main, t_exit


def summary(values):
    return stats.summary(values, count="runs")


def fmt_ns(s):
    return f"{s['median'] / 1000:.1f} us (min {s['min'] / 1000:.1f}, max {s['max'] / 1000:.1f})"


def fmt_s(s):
    return (f"{s['median'] * 1000:.1f} ms (min {s['min'] * 1000:.1f}, "
            f"max {s['max'] * 1000:.1f})")


def measure_accel(images, accel, runs):
    """Boot times of helloworld and rxsink under one accelerator."""
    hello = images[APP]
    t = {"guest_entry_to_main_ns_8M": summary(
        [trace_ns(hello, 8 << 20, accel)["main"] for _ in range(runs)])}
    if accel == "kvm":
        t["guest_entry_to_main_ns_4G"] = summary(
            [trace_ns(hello, 4 << 30, accel)["main"] for _ in range(runs)])
    lua = images[LUA]
    # helloworld's and Lua's runs alternate, so that each Lua run is judged
    # against the helloworld run beside it: the host's speed drifts over
    # minutes (QEMU's exec -> first line 41 ms in one batch, 58 in the next).
    walls, lua_walls = [], []
    for _ in range(runs):
        walls.append(wall_times(hello, 64 << 20, accel))
        lua_walls.append(wall_times(lua, 64 << 20, accel, (), LUA_ARGS, LUA_GREETING)[0])
    t["wall_exec_to_main_s"] = summary([w[0] for w in walls])
    t["wall_exec_to_exit_s"] = summary([w[1] for w in walls])
    params, args = FUNCTIONS["rxsink"]
    ready = [wall_times(images["rxsink"], 64 << 20, accel, params, args, READY)[0]
             for _ in range(runs)]
    t["wall_exec_to_rxsink_ready_s"] = summary(ready)
    t["lua_guest_entry_to_main_ns_8M"] = summary(
        [trace_ns(lua, 8 << 20, accel, LUA_ARGS)["main"] for _ in range(runs)])
    t["lua_wall_exec_to_first_line_s"] = summary(lua_walls)
    # Lua's first line against helloworld's, run by run (adjacent runs).
    t["lua_minus_hello_first_line_s"] = summary(
        [lw - w[0] for lw, w in zip(lua_walls, walls)])
    return t


def run(runs, accels, log=print, smoke=False):
    """Measures everything; returns the result dict (bench all calls this)."""
    images = {a: nfos_cli.build(a, "kvm", quiet=True) for a in [APP] + list(FUNCTIONS) + [LUA]}
    res = {
        "benchmark": "boot",
        "date": cli.now(),
        "host": {"cpu": host.cpu_model(), "kernel": platform.release(),
                 "qemu": host.qemu_version()},
        "machine": "microvm",
        "runs": runs,
        "app": APP,
        "image": os.path.relpath(images[APP], ROOT),
        "image_bytes": os.path.getsize(images[APP]),
        "images": {a: {"path": os.path.relpath(p, ROOT), "bytes": os.path.getsize(p)}
                   for a, p in images.items()},
        "min_ram_accel": accels[0],
    }
    log(f"nfos bench boot: smallest RAM under {accels[0]} ...")
    res["min_ram_bytes"] = smallest_ram(images[APP], accels[0])
    res["functions_min_ram_bytes"] = {}
    for app, (params, args) in FUNCTIONS.items():
        res["functions_min_ram_bytes"][app] = smallest_ram(
            images[app], accels[0], params, args, f"{app}: total", top=256 << 20)
    res["times"] = {}
    for accel in accels:
        log(f"nfos bench boot: boot times under {accel}, {runs} runs ...")
        res["times"][accel] = measure_accel(images, accel, runs)
    log(f"nfos bench boot: nfvm, {runs} runs ...")
    res["nfvm"] = nfvm.measure(images, runs)
    res["ap_start"] = smp.measure(accels, runs, log)
    res["dpdk_images"] = dpdk_sizes(build=not smoke)
    res["dpdk"] = dpdk.measure(accels, runs, log, build=not smoke)
    return res


def dpdk_sizes(build):
    """{app: {"path", "bytes"} or {"error"}} for DPDK's apps as kvm images:
    built (the DPDK build is cached, but from an empty cache it takes
    minutes), or with build False only those already built."""
    out = {}
    if build:
        built = build_images([(a, "kvm") for a in DPDK_APPS])
    for app in DPDK_APPS:
        path = built[(app, "kvm")] if build else nfos_cli.image_path(app, "kvm")
        if isinstance(path, Unavailable):
            out[app] = {"error": str(path)}
        elif not os.path.exists(path):
            out[app] = {"error": "not built (--smoke builds no DPDK image)"}
        else:
            out[app] = {"path": os.path.relpath(path, ROOT), "bytes": os.path.getsize(path)}
    return out


def dpdk_rows(sizes):
    """The report's rows for dpdk_sizes()."""
    rows = []
    for app, r in sizes.items():
        v = r.get("error") or f"{r['bytes']} bytes"
        if app == "dpdk-testpmd" and "bytes" in r:
            v += f" (the talk's: {TALK_TESTPMD_BYTES} bytes)"
        rows.append((f"{app}: image size (stripped ELF)", v))
    return rows


def kib(b):
    return "failed" if b is None else f"{b >> 10} KiB"


def report(res):
    rows = [("image size (stripped ELF)", f"{res['image_bytes']} bytes"),
            ("smallest guest RAM that boots", kib(res["min_ram_bytes"]))]
    for app, b in res["functions_min_ram_bytes"].items():
        rows.append((f"{app}: image / smallest RAM that runs it",
                     f"{res['images'][app]['bytes']} bytes / {kib(b)}"))
    rows.append(("lua: image size (stripped ELF)", f"{res['images'][LUA]['bytes']} bytes"))
    rows += dpdk_rows(res.get("dpdk_images", {}))
    for accel, t in res["times"].items():
        rows.append((f"[{accel}] guest PVH entry -> main, 8 MiB",
                     fmt_ns(t["guest_entry_to_main_ns_8M"])))
        if "guest_entry_to_main_ns_4G" in t:
            rows.append((f"[{accel}] guest PVH entry -> main, 4 GiB",
                         fmt_ns(t["guest_entry_to_main_ns_4G"])))
            rows.append((f"[{accel}] 4 GiB / 8 MiB",
                         f"{t['guest_entry_to_main_ns_4G']['median'] / t['guest_entry_to_main_ns_8M']['median']:.2f}x"))
        rows += [(f"[{accel}] wall: exec -> helloworld's first line",
                  fmt_s(t["wall_exec_to_main_s"])),
                 (f"[{accel}] wall: exec -> QEMU exit", fmt_s(t["wall_exec_to_exit_s"])),
                 (f"[{accel}] wall: exec -> rxsink ready",
                  fmt_s(t["wall_exec_to_rxsink_ready_s"])),
                 (f"[{accel}] lua: guest PVH entry -> main, 8 MiB",
                  fmt_ns(t["lua_guest_entry_to_main_ns_8M"])),
                 (f"[{accel}] lua: wall: exec -> its first line",
                  fmt_s(t["lua_wall_exec_to_first_line_s"])),
                 (f"[{accel}] lua minus helloworld, first line",
                  fmt_s(t["lua_minus_hello_first_line_s"]))]
    rows += nfvm.rows(res.get("nfvm", {"skipped": "not measured"}), res["times"].get("kvm"))
    rows += smp.rows(res.get("ap_start"))
    rows += dpdk.rows(res.get("dpdk", {"skipped": "not measured"}))
    print(f"nfos bench boot: microvm, accelerators {', '.join(res['times'])}, "
          f"{res['runs']} runs, medians; smallest RAM under {res['min_ram_accel']}")
    w = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"  {k:<{w}}  {v}")


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench boot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--accels", help="comma-separated: kvm, tcg (default: kvm,tcg when "
                    "/dev/kvm is usable, else tcg)")
    cli.tail_options(ap, "2 runs, nothing written to bench/results (for tests)", dpdk=False)
    ap.add_argument("--sizes", action="store_true", help="only build the kvm images and "
                    f"print their sizes ({', '.join(sizes.APPS)}); boots nothing")
    ap.add_argument("--smp", action="store_true", help="--sizes: the SMP variants")
    ap.add_argument("--against", metavar="DIR", help="--sizes: beside the images built in "
                    "the checkout DIR (e.g. a git worktree of an older commit)")
    ap.add_argument("--symbols", type=int, default=0, metavar="N", help="--sizes: each app's "
                    "N largest symbols (with --against: the N largest changes)")
    args = ap.parse_args(argv)
    if args.sizes:
        return sizes.main(args)
    if args.smp or args.against or args.symbols:
        ap.error("--smp, --against and --symbols go with --sizes")
    runs = 2 if args.smoke else args.runs
    cli.check_runs(ap, runs)
    if args.accels:
        accels = args.accels.split(",")
        bad = [a for a in accels if a not in ("kvm", "tcg")]
        if bad:
            ap.error(f"--accels: unknown accelerator {bad[0]!r} (kvm, tcg)")
        if "kvm" in accels and not nfos_cli.kvm_usable():
            ap.error("--accels kvm: /dev/kvm is not usable here")
    else:
        accels = ["kvm", "tcg"] if nfos_cli.kvm_usable() else ["tcg"]
    res = run(runs, accels, smoke=args.smoke)
    res["command"] = cli.command("boot", argv)  # for docs/PERFORMANCE.md's nfvm section
    report(res)
    if args.json or not args.smoke:
        out = cli.write_json(res, args.json or cli.default_results("boot"))
        print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
