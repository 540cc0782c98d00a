"""bench/all: the talk's comparison in one command -- nfos against a Linux VM
running DPDK, and against DPDK itself, side by side.

    ./nfos bench all [--runs N] [--seconds S] [--smoke] [--skip boot,linuxvm,pps,kv,instr]
    ./nfos bench all --report FILE [--instr FILE2]
                   (tables, plots and docs again from a run's JSON; --instr: the
                   instructions-per-packet table from a bench.pps.callgrind
                   --json run of its own, which the section names as such)

In one invocation it runs, each benchmark alternating its subjects run by run:
  boot     ./nfos bench boot: nfos image sizes, exec -> ready and smallest
           guest RAM under every usable accelerator (KVM, TCG)
  linuxvm  the Linux VM peer (bench/linuxvm): kernel + initramfs size,
           exec -> testpmd ready, smallest guest RAM that runs testpmd
  pps      ./nfos bench pps with every subject: nfos under KVM and under TCG,
           the Linux VM (DPDK testpmd inside) under TCG, and the native pair
           (nfos linuxu over vhost-user, DPDK testpmd with net_virtio_user),
           and DPDK's testpmd inside nfos (linuxu; kvm where /dev/kvm is usable)
  kv       ./nfos bench kv (kvstore against memcached, and kvstore-dpdk: linuxu;
           kvm where /dev/kvm is usable)
  instr    bench.pps.callgrind: instructions per packet of the linuxu
           subjects (nfos's apps, testpmd inside nfos), load-proof
then writes bench/results/all-<date>.json, PNG plots under docs/perf/ and
docs/PERFORMANCE.md (the machine, versions, exact commands, tables, ratios
and the issue's targets). Ratios are given for the same accelerator first
(TCG vs TCG) and then for the best each side has here (nfos under KVM vs
the Linux VM under TCG), labelled as such. --smoke runs every piece in its
smoke mode and renders into a temporary directory: nothing is kept.
PERFORMANCE.md also shows nfvm's exec -> main split and the density curve
(issue 15) from the newest bench boot JSON with an nfvm part and the newest
bench density JSON in bench/results when it is rendered (--report
included), each section naming that run (date, command); bench all does
not run bench density (bench/all/issue15.py).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from bench.boot.bench_boot import summary
from bench.common import cli, host
from bench.common.proc import BenchError
from bench.kv import bench_kv
from bench.linuxvm import linuxvm
from bench.pps import bench_pps
from bench.all import dpdk
from bench.all.report import PPS_SUBJECTS, render
from tools import nfos_cli
from tools.nfos_cli import ROOT

PIECES = ("boot", "linuxvm", "pps", "kv", "instr")


def log(msg):
    print(f"nfos bench all: {msg}", flush=True)


def sub_bench(what, args):
    """Runs ./nfos bench WHAT -- ARGS with its output passed through; returns
    (status, path of the JSON it wrote or None)."""
    return passed_through([os.path.join(ROOT, "nfos"), "bench", what, "--"] + args,
                          ["./nfos", "bench", what, "--"] + args)


def passed_through(cmd, shown):
    """Runs cmd (logged as shown) with its output passed through; returns
    (status, path of the JSON it wrote or None)."""
    log("$ " + " ".join(shown))
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         cwd=ROOT)
    path = None
    for line in p.stdout:
        sys.stdout.write("  | " + line)
        sys.stdout.flush()
        m = re.match(r"^results: (\S+)", line)
        if m:
            path = os.path.join(ROOT, m[1])  # relative to the repo, or absolute
    return p.wait(), path


def load(path):
    with open(path) as f:
        return json.load(f)


def linuxvm_piece(runs, smoke):
    """Image size, boot time and smallest RAM of the Linux VM peer."""
    acc, why = linuxvm.accel()
    log(f"linuxvm: building kernel + initramfs (accelerator {acc}: {why})")
    img = linuxvm.build(log=lambda m: print("  | " + m, flush=True))
    res = {"accel": acc, "accel_reason": why,
           "image": {"kernel": os.path.basename(img["kernel"]),
                     "kernel_bytes": img["kernel_bytes"],
                     "initrd_bytes": img["initramfs_bytes"], "bytes": img["image_bytes"]}}
    log(f"linuxvm: exec -> testpmd ready, {runs} runs")
    res["boot"] = {"exec_to_ready_s": summary(linuxvm.boot_time(runs=runs, acc=acc))}
    if not smoke:
        log("linuxvm: smallest guest RAM that runs testpmd")
        res["min_ram_bytes"] = linuxvm.smallest_ram(
            acc=acc, log=lambda m: print("  | " + m, flush=True))
    return res


def kvm_usable(all_):
    """Whether the run had a usable /dev/kvm (probed once, by host_info)."""
    return all_["host"]["kvm"] == "usable"


def host_info():
    return host.describe(kvm="usable" if nfos_cli.kvm_usable() else "not usable",
                         qemu=host.pkg_version("qemu-system-x86"),
                         dpdk=host.pkg_version("dpdk-dev"))


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench all", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="runs per figure (default 5)")
    ap.add_argument("--seconds", type=float, default=5.0,
                    help="measured seconds per packet run (default 5)")
    ap.add_argument("--skip", default="", help="comma-separated pieces to leave out: "
                    + ", ".join(PIECES))
    ap.add_argument("--smoke", action="store_true",
                    help="every piece in smoke mode, rendered to a temporary directory, "
                    "nothing kept (for tests)")
    ap.add_argument("--report", metavar="FILE",
                    help="no measurement: tables, plots and docs from an all-*.json")
    ap.add_argument("--instr", metavar="FILE",
                    help="with --report: the instr piece from this bench.pps.callgrind JSON "
                    "(a run of its own, said so in the document)")
    ap.add_argument("--docs", metavar="DIR", default=os.path.join(ROOT, "docs"),
                    help="where PERFORMANCE.md and perf/*.png go (default: docs/)")
    args = ap.parse_args(argv)
    skip = [s for s in args.skip.split(",") if s]
    bad = [s for s in skip if s not in PIECES]
    if bad:
        ap.error(f"--skip: unknown piece {bad[0]!r} ({', '.join(PIECES)})")
    cli.check_runs(ap, args.runs)
    try:
        if args.instr and not args.report:
            ap.error("--instr goes with --report")
        if args.report:
            all_ = load(args.report)
            if args.instr:
                all_["instr"] = dict(load(args.instr), separate=os.path.relpath(
                    os.path.abspath(args.instr), ROOT))
            md = render(all_, args.docs, os.path.relpath(os.path.abspath(args.report), ROOT))
            print(md)
            return 0
        return measure(args, skip)
    except BenchError as e:
        print(f"nfos bench all: {e}", file=sys.stderr)
        return 1


def measure(args, skip):
    nfos_cli.ensure_deps()  # gnuplot, DPDK, QEMU...: no manual step
    all_ = {"benchmark": "all", "date": cli.now(),
            "host": host_info()}
    all_["command"] = " ".join(
        ["./nfos bench all --", f"--runs {args.runs}", f"--seconds {args.seconds:g}"] +
        ([f"--skip {args.skip}"] if args.skip else []) + (["--smoke"] if args.smoke else []))
    tmp = tempfile.mkdtemp(prefix="nfos-all-")
    try:
        return measure_into(args, skip, all_, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure_into(args, skip, all_, tmp):
    """Runs every piece not skipped into all_, then renders the report
    (--smoke: into tmp, nothing kept)."""
    # Smoke runs keep nothing: their JSON goes to tmp.
    json_to = (lambda what: ["--json", os.path.join(tmp, what + ".json")]) if args.smoke \
        else (lambda what: [])
    common = (["--smoke"] if args.smoke else []) + (
        ["--runs", str(args.runs)] if not args.smoke else [])
    stamp = cli.default_results("all")
    failed = []
    for piece in PIECES:
        if piece not in skip and not PIECE[piece](args, all_, common, json_to):
            failed.append(piece)
    all_["failed"] = failed
    all_["dpdk_left_out"] = dpdk.left_out(kvm_usable(all_))
    report(args, all_, tmp, stamp)
    if failed:
        log(f"failed pieces: {', '.join(failed)}")
        return 1
    return 0


def boot_piece(args, all_, common, json_to):
    st, path = sub_bench("boot", common + json_to("boot"))
    if st == 0 and path:
        all_["boot"] = load(path)
        return True
    return False


def linuxvm_piece_into(args, all_, common, json_to):
    try:
        all_["linuxvm"] = linuxvm_piece(1 if args.smoke else args.runs, args.smoke)
        return True
    except Exception as e:  # the peer's own errors are one line each
        log(f"linuxvm: failed: {e}")
        return False


def pps_piece(args, all_, common, json_to):
    names = [s for s in PPS_SUBJECTS if s in bench_pps.SUBJECTS]
    subjects = ",".join(names + dpdk.pps_subjects(kvm_usable(all_)))
    st, path = sub_bench("pps", common + json_to("pps") + ["--subjects", subjects] + (
        [] if args.smoke else ["--seconds", f"{args.seconds:g}"]))
    if path:
        all_["pps"] = load(path)
    return st == 0


def kv_piece(args, all_, common, json_to):
    # Every subject it has, those it runs only on request included; the
    # kvstore-dpdk ones where their figures mean something (bench/all/dpdk.py).
    names = list(bench_kv.SUBJECTS) + dpdk.kv_subjects(kvm_usable(all_))
    kv_subjects = ["--subjects", ",".join(names)]
    st, path = sub_bench("kv", common + json_to("kv") + kv_subjects)
    if path:
        all_["kv"] = load(path)
    return st == 0


def instr_piece(args, all_, common, json_to):
    # Its own JSON: in bench all's temporary folder under --smoke, else
    # beside the others in bench/results.
    out = json_to("instr")[1:] or [cli.default_results("callgrind")]
    argv = ["-m", "bench.pps.callgrind", "--json", out[0]] + (["--smoke"] if args.smoke else [])
    st, path = passed_through([sys.executable] + argv, ["/usr/bin/python3"] + argv)
    if st == 0 and path:
        all_["instr"] = load(path)
        return True
    return False


PIECE = {"boot": boot_piece, "linuxvm": linuxvm_piece_into, "pps": pps_piece, "kv": kv_piece,
         "instr": instr_piece}


def report(args, all_, tmp, out):
    """The JSON (out) and docs/PERFORMANCE.md; --smoke: rendered into tmp."""
    if args.smoke:
        render(all_, tmp, "(smoke)")
        log(f"smoke: rendered {sorted(os.listdir(os.path.join(tmp, 'perf')))} and "
            "PERFORMANCE.md; nothing kept")
        return
    cli.write_json(all_, out)
    md = render(all_, args.docs, os.path.relpath(out, ROOT))
    print(md)
    print(f"results: {os.path.relpath(out, ROOT)}")
    print(f"report: {os.path.relpath(os.path.join(args.docs, 'PERFORMANCE.md'), ROOT)}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
