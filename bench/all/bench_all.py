"""bench/all: the talk's comparison in one command -- nfos against a Linux VM
running DPDK, and against DPDK itself, side by side.

    ./nfos bench all [--runs N] [--seconds S] [--smoke] [--skip boot,linuxvm,pps,kv]
    ./nfos bench all --report FILE    (tables, plots and docs again from a run's JSON)

In one invocation it runs, each benchmark alternating its subjects run by run:
  boot     ./nfos bench boot: nfos image sizes, exec -> ready and smallest
           guest RAM under every usable accelerator (KVM, TCG)
  linuxvm  the Linux VM peer (bench/linuxvm): kernel + initramfs size,
           exec -> testpmd ready, smallest guest RAM that runs testpmd
  pps      ./nfos bench pps with every subject: nfos under KVM and under TCG,
           the Linux VM (DPDK testpmd inside) under TCG, and the native pair
           (nfos linuxu over vhost-user, DPDK testpmd with net_virtio_user)
  kv       ./nfos bench kv (kvstore against memcached)
then writes bench/results/all-<date>.json, PNG plots under docs/perf/ and
docs/PERFORMANCE.md (the machine, versions, exact commands, tables, ratios
and the issue's targets). Ratios are given for the same accelerator first
(TCG vs TCG) and then for the best each side has here (nfos under KVM vs
the Linux VM under TCG), labelled as such. --smoke runs every piece in its
smoke mode and renders into a temporary directory: nothing is kept.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "bench", "linuxvm"))
sys.path.insert(0, os.path.join(ROOT, "bench", "boot"))
sys.path.insert(0, os.path.join(ROOT, "bench", "pps"))
import nfos_cli  # noqa: E402
from bench_pps import fmt as fmt_range  # noqa: E402  (median (min-max))

PIECES = ("boot", "linuxvm", "pps", "kv")
PPS_SUBJECTS = ("nfos-kvm", "nfos-tcg", "linux-vm", "nfos-linuxu", "dpdk")
# The talk's own figures ("Extremely Fast and Efficient NFV with Unikraft"),
# shown beside ours for reference only: other machine, other software.
TALK = [("boot time", "87 ms", "12 s"), ("image size", "1.4 MB", "2.5 GB"),
        ("memory", "1 GB", "6 GB"), ("key-value store, one core", "6.1 Mpp/s", "on par")]
# Issue 4's targets, same accelerator (TCG): nfos / Linux VM.
TARGETS = {"boot": 20.0, "image": 50.0, "ram": 10.0}


class BenchError(Exception):
    pass


def log(msg):
    print(f"nfos bench all: {msg}", flush=True)


def sub_bench(what, args):
    """Runs ./nfos bench WHAT -- ARGS with its output passed through; returns
    (status, path of the JSON it wrote or None)."""
    cmd = [os.path.join(ROOT, "nfos"), "bench", what, "--"] + args
    log("$ " + " ".join(["./nfos", "bench", what, "--"] + args))
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
    import linuxvm
    from bench_boot import summary
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


def median(s):
    return s["median"] if isinstance(s, dict) else s


# --- report ----------------------------------------------------------------------

def pps_cell(pps, case, size, subject):
    r = pps.get("results", {}).get(f"{case}/{size}/{subject}")
    if not r or "summary" not in r:
        return None
    return r


def accel_of(pps, subject):
    for k, r in pps.get("results", {}).items():
        if k.endswith("/" + subject) and "accel" in r:
            return r["accel"]
    return "?"


def ratio(a, b):
    return a / b if a is not None and b else None


def fx(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}x"


def compare(all_):
    """The comparison rows: (what, nfos figure, peer figure, ratio, how, target
    met or None)."""
    rows = []
    boot, lvm, pps = all_.get("boot"), all_.get("linuxvm"), all_.get("pps")
    if boot and lvm:
        lb = median(lvm["boot"]["exec_to_ready_s"]) if lvm.get("boot") else None
        for accel in ("tcg", "kvm"):
            t = boot["times"].get(accel)
            if not t or lb is None:
                continue
            nb = t["wall_exec_to_rxsink_ready_s"]["median"]
            r = ratio(lb, nb)
            same = accel == lvm["accel"]
            rows.append((f"boot, exec -> ready: nfos rxsink ({accel}) vs Linux VM testpmd "
                         f"({lvm['accel']})", f"{nb * 1000:.1f} ms", f"{lb * 1000:.0f} ms",
                         r, ("same accelerator" if same else "best available here") +
                         "; peer/nfos, higher is better",
                         (r >= TARGETS["boot"]) if same else None))
        ni = max(v["bytes"] for k, v in boot["images"].items() if k != "helloworld")
        li = lvm["image"]["bytes"]
        r = ratio(li, ni)
        rows.append(("image size: largest nfos network function vs kernel + initramfs",
                     f"{ni:,} B", f"{li:,} B", r, "bytes the VMM loads; peer/nfos",
                     r >= TARGETS["image"]))
        nr = boot.get("functions_min_ram_bytes", {}).get("rxsink")
        lr = lvm.get("min_ram_bytes")
        if nr and lr:
            r = ratio(lr, nr)
            rows.append((f"smallest guest RAM: nfos rxsink ({boot['min_ram_accel']}) vs Linux VM "
                         f"testpmd rxonly ({lvm['accel']})", f"{nr >> 10:,} KiB",
                         f"{lr >> 10:,} KiB", r,
                         "RAM does not depend on the accelerator; peer/nfos",
                         r >= TARGETS["ram"]))
    kv = all_.get("kv")
    if kv:
        res = kv.get("results", {})
        for r in kv.get("ratios", []):
            w = r.get("workload")
            for subj, key in (("kvstore-tcg", "kvstore-tcg_over_linux-vm_rps"),
                              ("kvstore-kvm", "kvstore-kvm_over_linux-vm_rps")):
                x = r.get(key)
                if not x or w not in res.get(subj, {}).get("summary", {}):
                    continue
                a = res[subj]["summary"][w]["rps"]["median"]
                b = res["linux-vm"]["summary"][w]["rps"]["median"]
                rows.append((f"key-value {w}, requests/s: {subj} ({x['accels'].split(' vs ')[0]}) "
                             f"vs memcached in the Linux VM ({x['accels'].split(' vs ')[1]}); "
                             f"keys {x['keys']}", f"{a:,.0f}", f"{b:,.0f}", x["ratio"],
                             x["label"] + "; nfos/peer, higher is better", None))
    if pps:
        for case in ("rx", "tx", "fwd"):
            for size in (64, 1500):
                lv = pps_cell(pps, case, size, "linux-vm")
                if not lv:
                    continue
                lc = lv["summary"]["busy_cycles_per_pkt"]["median"]
                for subj, how in (("nfos-tcg", "same accelerator"),
                                  ("nfos-kvm", "best available here")):
                    nv = pps_cell(pps, case, size, subj)
                    if not nv:
                        continue
                    nc = nv["summary"]["busy_cycles_per_pkt"]["median"]
                    same = nv["accel"] == lv["accel"]
                    rows.append((f"{case} {size} B busy cycles/pkt: {subj} ({nv['accel']}) vs "
                                 f"Linux VM testpmd ({lv['accel']})", f"{nc:.1f}", f"{lc:.1f}",
                                 ratio(nc, lc), ("same accelerator" if same else how) +
                                 "; nfos/peer, lower is better", (nc <= lc) if same else None))
    return rows


def plots(all_, outdir):
    """PNG plots with gnuplot; returns [(title, file name)]."""
    if not shutil.which("gnuplot"):
        raise BenchError("gnuplot is missing: install it with ./nfos deps")
    made = []
    pps = all_.get("pps")
    tmp = tempfile.mkdtemp(prefix="nfos-plot-")
    try:
        if pps:
            subjects = [s for s in PPS_SUBJECTS
                        if any(pps_cell(pps, c, z, s) for c in ("rx", "tx", "fwd")
                               for z in (64, 1500))]
            for metric, key, title in (("mpps", "mpps", "Mpp/s (median; higher is better)"),
                                       ("cycles", "busy_cycles_per_pkt",
                                        "busy cycles per packet (median; lower is better)")):
                data = os.path.join(tmp, f"{metric}.dat")
                with open(data, "w") as f:
                    f.write("case " + " ".join(subjects) + "\n")
                    for case in ("rx", "tx", "fwd"):
                        for size in (64, 1500):
                            vals = []
                            for s in subjects:
                                c = pps_cell(pps, case, size, s)
                                vals.append(f"{c['summary'][key]['median']:.3f}" if c else "NaN")
                            f.write(f"{case}-{size}B " + " ".join(vals) + "\n")
                labels = [f"{s} ({accel_of(pps, s)})" for s in subjects]
                png = f"pps-{metric}.png"
                script = "\n".join([
                    "set terminal pngcairo size 900,480 font ',10'",
                    f"set output '{os.path.join(outdir, png)}'",
                    f"set title 'bench pps: {title}'",
                    "set style data histograms", "set style histogram clustered gap 1",
                    "set style fill solid 0.8 border -1", "set key outside right top",
                    "set grid ytics", "set yrange [0:*]", "set logscale y" if metric == "cycles"
                    else "", "set yrange [*:*]" if metric == "cycles" else "",
                    "plot " + ", ".join(
                        f"'{data}' using {i + 2}:xtic(1) title '{labels[i]}'"
                        for i in range(len(subjects)))])
                _gnuplot(script)
                made.append((f"Packets: {title}", png))
        boot, lvm = all_.get("boot"), all_.get("linuxvm")
        if boot and lvm:
            bars = []
            for accel in boot["times"]:
                bars.append((f"nfos rxsink ({accel})",
                             boot["times"][accel]["wall_exec_to_rxsink_ready_s"]["median"] * 1000))
            if lvm.get("boot"):
                bars.append((f"Linux VM testpmd ({lvm['accel']})",
                             median(lvm["boot"]["exec_to_ready_s"]) * 1000))
            made.append(("Boot: exec -> ready, ms (log scale)",
                         _bars(tmp, outdir, "boot.png", "exec -> ready (ms, log scale)", bars)))
            ni = max(v["bytes"] for k, v in boot["images"].items() if k != "helloworld")
            bars = [("nfos (largest network function)", ni / 1024),
                    ("Linux VM (kernel + initramfs)", lvm["image"]["bytes"] / 1024)]
            nr = boot.get("functions_min_ram_bytes", {}).get("rxsink")
            if nr and lvm.get("min_ram_bytes"):
                bars += [("nfos rxsink smallest RAM", nr / 1024),
                         ("Linux VM smallest RAM", lvm["min_ram_bytes"] / 1024)]
            made.append(("Image size and smallest guest RAM, KiB (log scale)",
                          _bars(tmp, outdir, "size.png", "KiB (log scale)", bars)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return made


def _bars(tmp, outdir, png, ylabel, bars):
    data = os.path.join(tmp, png + ".dat")
    with open(data, "w") as f:
        for i, (name, v) in enumerate(bars):
            f.write(f'{i} "{name}" {v:.3f}\n')
    _gnuplot("\n".join([
        "set terminal pngcairo size 900,420 font ',10'",
        f"set output '{os.path.join(outdir, png)}'", "set style fill solid 0.8 border -1",
        "set boxwidth 0.6", "set logscale y", f"set ylabel '{ylabel}'", "set grid ytics",
        "set xtics rotate by -15", "unset key",
        f"plot '{data}' using 1:3:xtic(2) with boxes, "
        f"'' using 1:3:(sprintf('%.1f', $3)) with labels offset 0,1"]))
    return png


def _gnuplot(script):
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise BenchError(f"gnuplot failed: {r.stderr.strip().splitlines()[-1:]}")


def markdown(all_, made, json_rel):
    boot, lvm, pps, kv = (all_.get(k) for k in ("boot", "linuxvm", "pps", "kv"))
    h = all_["host"]
    out = ["# Performance: nfos against a Linux VM running DPDK, and against DPDK",
           "",
           "Generated by `./nfos bench all` (bench/all/bench_all.py) on "
           f"{all_['date']}; the raw figures are in `{json_rel}`. Every number below comes "
           "from that run; rerun the command to get your machine's. Medians over the "
           "runs, with (min-max).",
           "",
           "## Machine",
           "",
           f"- CPU: {h['cpu']}, {h['cores']} cores; kernel {h['kernel']}",
           f"- /dev/kvm: {h['kvm']}",
           f"- QEMU {h['qemu']}; DPDK {h['dpdk']}",
           f"- Command: `{all_['command']}`",
           ""]
    rows = compare(all_)
    if rows:
        out += ["## The comparison", "",
                "| what | nfos | peer | ratio | how (which way the ratio goes) | target |",
                "|---|---|---|---|---|---|"]
        for what, a, b, r, how, met in rows:
            tgt = "-" if met is None else ("met" if met else "NOT met")
            out.append(f"| {what} | {a} | {b} | {fx(r)} | {how} | {tgt} |")
        out += ["", "Targets (issue 4, same accelerator): boot >= 20x faster, image >= 50x "
                "smaller, smallest RAM >= 10x smaller, busy cycles per packet at or below the "
                "Linux VM's testpmd for rx, tx and fwd.", ""]
    if pps:
        out += ["## Packets (`./nfos bench pps`)", "",
                f"Host backend: {pps['setup']['backend']}; subjects on core "
                f"{pps['setup']['subject_core']}; DPDK memory: {pps['setup']['dpdk_memory']}; "
                f"{pps['setup']['runs']} runs x {pps['setup']['seconds']} s per subject.", "",
                "| case | size | subject | accel | Mpp/s | busy cycles/pkt | clean runs |",
                "|---|---|---|---|---|---|---|"]
        for case in ("rx", "tx", "fwd"):
            for size in (64, 1500):
                for s in PPS_SUBJECTS:
                    r = pps.get("results", {}).get(f"{case}/{size}/{s}")
                    if not r:
                        continue
                    if "summary" not in r:
                        out.append(f"| {case} | {size} | {s} | - | failed: {r.get('error')} | | |")
                        continue
                    sm = r["summary"]
                    out.append(f"| {case} | {size} | {s} | {r['accel']} | "
                               f"{fmt_range(sm['mpps'], 3)} | "
                               f"{fmt_range(sm['busy_cycles_per_pkt'], 1)} | "
                               f"{sm['clean_runs']}/{sm['runs']} |")
        skipped = {s: v for s, v in pps.get("subjects", {}).items() if v != "available"}
        for s, v in skipped.items():
            out.append(f"\n- {s}: {v}")
        out += ["", "Native pair (nfos linuxu over vhost-user vs DPDK testpmd with "
                "net_virtio_user), nfos/DPDK busy cycles per packet:", ""]
        for r in pps.get("ratios", []):
            if "nfos_over_dpdk_busy" in r:
                out.append(f"- {r['case']} {r['size']} B: {r['nfos_over_dpdk_busy']:.2f}x")
        out.append("")
    if boot:
        out += ["## Boot, image size, smallest RAM (`./nfos bench boot`)", "",
                "| figure | " + " | ".join(boot["times"]) + " |",
                "|---|" + "---|" * len(boot["times"])]
        for key, name in (("guest_entry_to_main_ns_8M", "guest PVH entry -> main, 8 MiB (us)"),
                          ("guest_entry_to_main_ns_4G", "guest PVH entry -> main, 4 GiB (us)")):
            out.append(f"| {name} | " + " | ".join(
                fmt_range({k: v / 1000 for k, v in t[key].items() if k != "runs"}, 1)
                if key in t else "-" for t in boot["times"].values()) + " |")
        for key, name in (("wall_exec_to_main_s", "exec -> helloworld's first line (ms)"),
                          ("wall_exec_to_rxsink_ready_s", "exec -> rxsink ready (ms)"),
                          ("wall_exec_to_exit_s", "exec -> helloworld exits (ms)")):
            out.append(f"| {name} | " + " | ".join(
                fmt_range({k: v * 1000 for k, v in t[key].items() if k != "runs"}, 1)
                for t in boot["times"].values()) + " |")
        out += ["", f"| image | bytes | smallest guest RAM ({boot['min_ram_accel']}) |",
                "|---|---|---|"]
        for app, im in boot["images"].items():
            ram = (boot["min_ram_bytes"] if app == "helloworld"
                   else boot.get("functions_min_ram_bytes", {}).get(app))
            out.append(f"| {app} | {im['bytes']:,} | "
                       f"{'-' if not ram else f'{ram >> 10:,} KiB'} |")
        out.append("")
    if lvm:
        out += ["## The Linux VM peer (bench/linuxvm)", "",
                f"- Accelerator: {lvm['accel']} ({lvm['accel_reason']})",
                f"- Image: kernel {lvm['image'].get('kernel_bytes', 0):,} B + initramfs "
                f"{lvm['image'].get('initrd_bytes', 0):,} B = {lvm['image']['bytes']:,} B"]
        if lvm.get("boot"):
            b = lvm["boot"]["exec_to_ready_s"]
            out.append(f"- exec -> testpmd ready: {fmt_range({k: v * 1000 for k, v in b.items() if k in ('median', 'min', 'max')}, 0)} ms")
        if lvm.get("min_ram_bytes"):
            out.append(f"- smallest guest RAM that runs testpmd: {lvm['min_ram_bytes'] >> 20} MiB")
        out.append("")
    if kv:
        out += ["## Key-value store (`./nfos bench kv`)", "",
                "See the JSON for every workload; summary lines as the benchmark printed them:",
                "", "```"] + kv.get("summary_lines", []) + ["```", ""]
    if made:
        out += ["## Plots", ""] + [f"![{t}](perf/{f})" for t, f in made] + [""]
    out += ["## The talk's figures, for reference", "",
            "Unikraft vs a Linux VM, from \"Extremely Fast and Efficient NFV with Unikraft\" "
            "(other machine, other software; not measured here):", "",
            "| figure | Unikraft | Linux VM |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in TALK]
    out += ["", "## How it is measured", "",
            "- Busy cycles per packet: TSC cycles of poll-loop iterations that moved packets, "
            "divided by those packets (nfos apps' report; testpmd `--record-core-cycles`).",
            "- Packet subjects share one host backend (dpdk-testpmd net_vhost, core 0); the "
            "subject runs on core 1. Runs where either did not get at least 90% of its core "
            "are retried; medians are over clean runs.",
            "- The Linux VM cannot boot on this host's PVM-based KVM, so it runs under TCG; "
            "nfos is measured under both, and every row names its accelerator.", ""]
    return "\n".join(out)


def render(all_, docs_dir, json_rel):
    perf = os.path.join(docs_dir, "perf")
    os.makedirs(perf, exist_ok=True)
    made = plots(all_, perf)
    md = markdown(all_, made, json_rel)
    with open(os.path.join(docs_dir, "PERFORMANCE.md"), "w") as f:
        f.write(md)
    return md


def host_info():
    import bench_boot
    import bench_pps
    return {"cpu": bench_boot._cpu_model(), "cores": os.cpu_count(),
            "kernel": platform.release(),
            "kvm": ("usable" if nfos_cli.kvm_usable() else "not usable"),
            "qemu": bench_pps._pkg_version("qemu-system-x86"),
            "dpdk": bench_pps._pkg_version("dpdk-dev")}


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
    ap.add_argument("--docs", metavar="DIR", default=os.path.join(ROOT, "docs"),
                    help="where PERFORMANCE.md and perf/*.png go (default: docs/)")
    args = ap.parse_args(argv)
    skip = [s for s in args.skip.split(",") if s]
    bad = [s for s in skip if s not in PIECES]
    if bad:
        ap.error(f"--skip: unknown piece {bad[0]!r} ({', '.join(PIECES)})")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    try:
        if args.report:
            all_ = load(args.report)
            md = render(all_, args.docs, os.path.relpath(os.path.abspath(args.report), ROOT))
            print(md)
            return 0
        return measure(args, skip)
    except BenchError as e:
        print(f"nfos bench all: {e}", file=sys.stderr)
        return 1


def measure(args, skip):
    nfos_cli.ensure_deps()  # gnuplot, DPDK, QEMU...: no manual step
    all_ = {"benchmark": "all", "date": datetime.datetime.now().isoformat(timespec="seconds"),
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
    stamp = f"{datetime.datetime.now():%Y%m%d-%H%M%S}"
    failed = []
    smoke = ["--smoke"] if args.smoke else []
    runs = ["--runs", str(args.runs)] if not args.smoke else []
    # Smoke runs keep nothing: their JSON goes to tmp.
    json_to = (lambda what: ["--json", os.path.join(tmp, what + ".json")]) if args.smoke \
        else (lambda what: [])

    if "boot" not in skip:
        st, path = sub_bench("boot", smoke + runs + json_to("boot"))
        if st == 0 and path:
            all_["boot"] = load(path)
        else:
            failed.append("boot")
    if "linuxvm" not in skip:
        try:
            all_["linuxvm"] = linuxvm_piece(1 if args.smoke else args.runs, args.smoke)
        except Exception as e:  # the peer's own errors are one line each
            log(f"linuxvm: failed: {e}")
            failed.append("linuxvm")
    if "pps" not in skip:
        import bench_pps
        subjects = ",".join(s for s in PPS_SUBJECTS if s in bench_pps.SUBJECTS)
        st, path = sub_bench("pps", smoke + runs + json_to("pps") + ["--subjects", subjects] + (
            [] if args.smoke else ["--seconds", f"{args.seconds:g}"]))
        if path:
            all_["pps"] = load(path)
        if st != 0:
            failed.append("pps")
    kv_py = os.path.join(ROOT, "bench", "kv", "bench_kv.py")
    if "kv" not in skip and os.path.exists(kv_py):
        with open(kv_py) as f:
            has_json = '"--json"' in f.read()
        sys.path.insert(0, os.path.dirname(kv_py))
        import bench_kv
        # Every subject it has, those it runs only on request included.
        kv_subjects = ["--subjects", ",".join(bench_kv.SUBJECTS)]
        st, path = sub_bench("kv", smoke + runs + (json_to("kv") if has_json else []) +
                             kv_subjects)
        if path:
            all_["kv"] = load(path)
        if st != 0:
            failed.append("kv")
    all_["failed"] = failed

    if args.smoke:
        render(all_, tmp, "(smoke)")
        log(f"smoke: rendered {sorted(os.listdir(os.path.join(tmp, 'perf')))} and "
            "PERFORMANCE.md; nothing kept")
    else:
        out = os.path.join(ROOT, "bench", "results", f"all-{stamp}.json")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(all_, f, indent=2)
        md = render(all_, args.docs, os.path.relpath(out, ROOT))
        print(md)
        print(f"results: {os.path.relpath(out, ROOT)}")
        print(f"report: {os.path.relpath(os.path.join(args.docs, 'PERFORMANCE.md'), ROOT)}")
    if failed:
        log(f"failed pieces: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
