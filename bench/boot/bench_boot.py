"""bench/boot: how small and how fast an nfos image boots.

    ./nfos bench boot [--runs N] [--no-kvm-ok]

Reports, for the helloworld image on microvm:
  - image size (bytes of the stripped ELF the VMM loads)
  - guest-side boot time from the boot-trace stamps (PVH entry -> main),
    at 8 MiB and at 4 GiB of guest RAM (must stay flat)
  - end-to-end wall time from QEMU's start to the app's first line and to
    QEMU's exit
  - the smallest guest RAM at which helloworld still boots
Medians (with min and max) of --runs runs (default 20). Times are reported
only under KVM: TCG times say nothing about nfos, so they are refused.
A table goes to stdout and JSON to bench/results/boot-<date>.json.
"""

import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import nfos_cli  # noqa: E402

APP = "helloworld"
GREETING = "Hello from nfos!"
TIMEOUT = 60


def qemu(image, mem, accel, params=()):
    return nfos_cli.qemu_command(image, mem, "microvm", accel,
                                 nfos_cli.guest_cmdline(list(params), []))


def boots(image, mem, accel):
    """True when helloworld reaches main and exits 0 with mem bytes of RAM."""
    try:
        r = subprocess.run(qemu(image, mem, accel), capture_output=True, text=True,
                           timeout=10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 1 and GREETING in r.stdout


def smallest_ram(image, accel):
    """Binary search over 64 KiB steps, from the image's own end (below which
    QEMU cannot load it) to 8 MiB."""
    step = 64 << 10
    lo = nfos_cli.image_ram_need(image) // step - 1  # cannot boot: image cut
    hi = (8 << 20) // step
    if not boots(image, hi * step, accel):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if boots(image, mid * step, accel):
            hi = mid
        else:
            lo = mid
    return hi * step


def trace_ns(image, mem, accel):
    """Guest-side PVH entry -> main, in ns, from nfos.boottrace=1."""
    r = subprocess.run(qemu(image, mem, accel, ["nfos.boottrace=1"]), capture_output=True,
                       text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    stages = dict(re.findall(r"^boottrace: (\w+) +(\d+) ns", r.stdout, re.M))
    if "main" not in stages:
        raise RuntimeError(f"no boot trace in: {r.stdout!r} {r.stderr!r}")
    return {k: int(v) for k, v in stages.items()}


def wall_times(image, mem, accel):
    """Seconds from QEMU's start to the app's first line, and to QEMU's exit."""
    t0 = time.perf_counter()
    p = subprocess.Popen(qemu(image, mem, accel), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    t_main = None
    for line in p.stdout:
        if t_main is None and GREETING in line:
            t_main = time.perf_counter() - t0
    p.wait(timeout=TIMEOUT)
    return t_main, time.perf_counter() - t0


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def fmt_ns(s):
    return f"{s['median'] / 1000:.1f} us (min {s['min'] / 1000:.1f}, max {s['max'] / 1000:.1f})"


def fmt_s(s):
    return (f"{s['median'] * 1000:.1f} ms (min {s['min'] * 1000:.1f}, "
            f"max {s['max'] * 1000:.1f})")


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench boot", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--smoke", action="store_true",
                    help="2 runs, nothing written to bench/results (for tests)")
    args = ap.parse_args(argv)
    runs = 2 if args.smoke else args.runs

    image = nfos_cli.build(APP, "kvm", quiet=True)
    accel = "kvm" if nfos_cli.kvm_usable() else "tcg"
    res = {
        "benchmark": "boot",
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "host": {"cpu": _cpu_model(), "kernel": platform.release(),
                 "qemu": _qemu_version()},
        "accel": accel,
        "app": APP,
        "image": os.path.relpath(image, ROOT),
        "image_bytes": os.path.getsize(image),
    }
    res["min_ram_bytes"] = smallest_ram(image, accel)

    rows = [("image size (stripped ELF)", f"{res['image_bytes']} bytes"),
            ("smallest guest RAM that boots", f"{(res['min_ram_bytes'] or 0) >> 10} KiB")]
    if accel != "kvm":
        res["times"] = None
        res["refused"] = "no usable /dev/kvm: times under TCG are not reported"
        rows.append(("boot times", "refused: no usable /dev/kvm (TCG times say "
                     "nothing about nfos)"))
    else:
        small = [trace_ns(image, 8 << 20, accel)["main"] for _ in range(runs)]
        big = [trace_ns(image, 4 << 30, accel)["main"] for _ in range(runs)]
        walls = [wall_times(image, 64 << 20, accel) for _ in range(runs)]
        res["times"] = {
            "guest_entry_to_main_ns_8M": summary(small),
            "guest_entry_to_main_ns_4G": summary(big),
            "wall_qemu_start_to_main_s": summary([w[0] for w in walls]),
            "wall_qemu_start_to_exit_s": summary([w[1] for w in walls]),
        }
        t = res["times"]
        rows += [
            ("guest PVH entry -> main, 8 MiB", fmt_ns(t["guest_entry_to_main_ns_8M"])),
            ("guest PVH entry -> main, 4 GiB", fmt_ns(t["guest_entry_to_main_ns_4G"])),
            ("4 GiB / 8 MiB", f"{t['guest_entry_to_main_ns_4G']['median'] / t['guest_entry_to_main_ns_8M']['median']:.2f}x"),
            ("wall: QEMU start -> main", fmt_s(t["wall_qemu_start_to_main_s"])),
            ("wall: QEMU start -> exit", fmt_s(t["wall_qemu_start_to_exit_s"])),
        ]

    print(f"nfos bench boot: {APP} on microvm, accel {accel}, {runs} runs, medians")
    w = max(len(r[0]) for r in rows)
    for k, v in rows:
        print(f"  {k:<{w}}  {v}")
    if not args.smoke:
        out = os.path.join(ROOT, "bench", "results",
                           f"boot-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(res, f, indent=2)
        print(f"results: {os.path.relpath(out, ROOT)}")
    return 0


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _qemu_version():
    r = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True)
    return r.stdout.splitlines()[0] if r.stdout else "unknown"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
