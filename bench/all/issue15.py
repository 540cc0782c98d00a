"""PERFORMANCE.md's two issue 15 sections, from runs of their own: nfvm's
exec -> main split (the newest bench boot JSON in bench/results with an
nfvm part: bench/boot/nfvm.py's figures beside the same run's QEMU microvm
ones) and the density curve (the newest bench density JSON, with its
plot). bench all does not run bench density, and a re-render (--report)
takes whatever is newest then: each section names the run it comes from
(date, command, file), and says which command makes one when there is
none."""

import glob
import json
import os

from bench.accept.lines import DENSITY_N, IDLE_MAX, NFVM_MAX_S, NFVM_TIMES, PSS_GOAL_KIB
from bench.common.stats import fmt as fmt_range  # median (min-max)
from tools.nfos_cli import ROOT

RESULTS = os.path.join(ROOT, "bench", "results")
# As issue 15 quotes them (other machines, other software; not measured
# here): (system, exec -> main, monitor time, guest time).
PUBLISHED_BOOT = [
    ("Unikraft on Firecracker", "2.7 ms (median)", "1.48 ms", "1.26 ms"),
    ("Unikraft on Solo5 hvt", "3.13 ms (the sum)", "3.07 ms", "63 us"),
    ("LightVM", "2.3 ms", "-", "-"),
]
PUBLISHED_DENSITY = ["KraftCloud: 5,000 unikernels on a 24-core host",
                     "LightVM: 8k guests on a single server (as the talk quotes it)"]


def has_nfvm(boot):
    """Whether a bench boot JSON has nfvm figures (not skipped)."""
    n = boot.get("nfvm")
    return isinstance(n, dict) and "skipped" not in n and any(
        isinstance(t, dict) and "wall_exec_to_main_s" in t for t in n.values())


def has_density(d):
    return bool(d.get("runs"))


def newest(kind, ok, results=None):
    """(path relative to the repo, data) of the newest results/KIND-*.json
    (by the date it records) whose data ok() accepts, or None."""
    best = None
    for path in glob.glob(os.path.join(results or RESULTS, f"{kind}-*.json")):
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError):
            continue
        key = (str(data.get("date", "")), os.path.basename(path))
        if isinstance(data, dict) and ok(data) and (best is None or key > best[0]):
            best = (key, os.path.relpath(os.path.abspath(path), ROOT), data)
    return best and best[1:]


def separate_runs(results=None):
    """{"boot": (file, JSON) or None, "density": ...}: what the sections show."""
    return {"boot": newest("boot", has_nfvm, results),
            "density": newest("density", has_density, results)}


def source(all_, piece, rel, data, fallback):
    """The line naming the run a section comes from."""
    cmd = data.get("command")
    cmd = f"`{cmd}`" if cmd else f"{fallback} (its exact command is not in that JSON)"
    if data.get("date") and (all_.get(piece) or {}).get("date") == data["date"]:
        return f"From this run's {piece} piece: {cmd} on {data.get('date')} (`{rel}`)."
    return (f"Not from the run above: from {cmd} run on its own on {data.get('date')} "
            f"(`{rel}`), the newest such run in bench/results when this was rendered.")


def met(ok):
    return "met" if ok else "NOT met"


def md_nfvm(all_, found):
    """The section "nfvm: exec -> main, split"."""
    out = ["## nfvm: exec -> main, split (`./nfos bench boot`)", ""]
    if not found:
        return out + ["No bench boot run with an nfvm part in bench/results yet: "
                      "`./nfos bench boot` under a usable /dev/kvm writes one "
                      "(bench/results/boot-<date>.json), and `./nfos bench all --report "
                      "FILE` renders it here.", ""]
    rel, boot = found
    runs = boot.get("runs", "?")
    out += [source(all_, "boot", rel, boot, f"`./nfos bench boot` ({runs} runs, "
                   f"accelerators {', '.join(boot.get('times', {})) or '?'})"), "",
            "nfvm (vmm/) runs the image QEMU boots, 64 MiB of guest RAM, the command line "
            "QEMU's runs have; exec -> first line and -> exit are plain runs, the split and "
            "the peak RSS come from a traced run after each plain one: monitor time is "
            "nfvm's main -> the vCPU's first entry (`nfvm --trace`), guest time the image's "
            "entry -> main (nfos.boottrace=1), peak RSS nfvm's VmHWM (the guest RAM it "
            f"touched included). Medians of {runs} runs, (min-max); pong runs on a null "
            "port for 0.2 s, hence its exit.", "",
            "| app | exec -> first line (ms) | exec -> exit (ms) | monitor: main -> vCPU (ms) "
            "| guest: entry -> main (us) | nfvm peak RSS (KiB) |", "|---|---|---|---|---|---|"]
    scaled = lambda s, k: {x: v * k for x, v in s.items() if x != "runs"}  # noqa: E731
    for app, t in boot["nfvm"].items():
        out.append(f"| {app} | {fmt_range(scaled(t['wall_exec_to_main_s'], 1e3), 3)} | "
                   f"{fmt_range(scaled(t['wall_exec_to_exit_s'], 1e3), 3)} | "
                   f"{fmt_range(t.get('monitor_main_to_vcpu_ms'), 3)} | "
                   f"{fmt_range(scaled(t['guest_entry_to_main_ns'], 1e-3), 1)} | "
                   f"{fmt_range(t.get('nfvm_max_rss_kib'), 0)} |")
    return out + [""] + nfvm_against_qemu(boot) + published_boot()


def nfvm_against_qemu(boot):
    """QEMU microvm's exec -> helloworld's first line in the same run, the
    ratio, and issue 15's two boot goals judged."""
    hello = boot["nfvm"].get("helloworld")
    q = boot.get("times", {}).get("kvm", {}).get("wall_exec_to_main_s")
    if not hello:
        return ["No helloworld figure under nfvm in that run: no ratio.", ""]
    n = hello["wall_exec_to_main_s"]["median"]
    out = ["| issue 15's goal (helloworld, same run) | figure | |", "|---|---|---|",
           f"| exec -> main on nfvm <= {NFVM_MAX_S * 1e3:g} ms (goal 1 ms) | {n * 1e3:.3f} ms "
           f"| {met(n <= NFVM_MAX_S)} |"]
    if q:
        r = q["median"] / n
        out.append(f"| >= {NFVM_TIMES:g}x faster than QEMU microvm (kvm): exec -> first line "
                   f"{fmt_range({k: v * 1e3 for k, v in q.items() if k != 'runs'}, 1)} ms | "
                   f"{r:.1f}x | {met(r >= NFVM_TIMES)} |")
    else:
        out.append(f"| >= {NFVM_TIMES:g}x faster than QEMU microvm (kvm) | QEMU microvm under "
                   "KVM not measured in that run (--accels) | - |")
    return out + [""]


def published_boot():
    out = ["Published figures, as issue 15 quotes them (other machines, other software; "
           "not measured here):", "", "| system | exec -> main | monitor | guest |",
           "|---|---|---|---|"]
    return out + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in PUBLISHED_BOOT] + [""]


def md_density(all_, found, png=None):
    """The section "Density (./nfos bench density)"; png: its plot's file
    name under docs/perf/, or None."""
    out = ["## Density (`./nfos bench density`)", ""]
    if not found:
        return out + ["No bench density run in bench/results yet: `./nfos bench density` "
                      "(as root, under a usable /dev/kvm) writes one "
                      "(bench/results/density-<date>.json), and `./nfos bench all --report "
                      "FILE` renders it here.", ""]
    rel, d = found
    vmm, idle = d.get("vmm", "?"), d["runs"][0].get("idle_seconds", "?")
    h = d.get("host", {})
    out += [source(all_, "density", rel, d, f"`./nfos bench density` (--vmm {vmm})"), "",
            f"N pong instances under {vmm}, {d.get('mem', 0) >> 20} MiB of guest RAM each, "
            "each on a TAP of its own, on bridges of 1,000 (a Linux bridge takes 1,024 "
            "ports) in a namespace of the bench's own "
            f"(host: {h.get('cpu', '?')}, {h.get('cores', '?')} cores). Start: exec of the "
            "first -> the last one's \"answers\" line; PSS from smaps_rollup; idle CPU: the "
            f"instances' utime + stime over {idle} s; then every one is pinged.", "",
            "| instances | start, total (s) | starts/s | PSS per instance, mean / max (KiB) "
            "| idle CPU (% of one core) | answering ping |", "|---|---|---|---|---|---|"]
    for r in d["runs"]:
        silent = r.get("not_answering", [])
        out.append(f"| {r['instances']:,} | {r['start_s']:.2f} | {r['starts_per_s']:.0f} | "
                   f"{r['pss_kib_per_instance']:,.0f} / {r['pss_kib_max']:,.0f} | "
                   f"{r['idle_cpu_percent_of_one_core']:.2f} | "
                   f"{'all' if not silent else f'{len(silent)} silent'} |")
    out += [""] + density_goals(d)
    if png:
        out += [f"![Density: total start time and PSS per instance against instances]"
                f"(perf/{png})", ""]
    return out + ["Published, not measured here: " + "; ".join(PUBLISHED_DENSITY) + ".", ""]


def density_goals(d):
    """Issue 15's density goals, judged at the run's largest count (nfvm only)."""
    r = max(d["runs"], key=lambda x: x["instances"])
    if d.get("vmm") != "nfvm":
        return [f"Issue 15's goals are judged under nfvm only (this run: {d.get('vmm')}).", ""]
    cpu, pss = r["idle_cpu_percent_of_one_core"], r["pss_kib_per_instance"]
    silent = len(r.get("not_answering", []))
    return [f"Issue 15's goals, at {r['instances']:,} instances: >= {DENSITY_N:,} all "
            f"answering ping: {met(r['instances'] >= DENSITY_N and not silent)}; idle CPU "
            f"< {IDLE_MAX:g}% of one core: {met(cpu < IDLE_MAX)}; PSS per instance "
            f"{pss / 1024:.2f} MiB, goal <= {PSS_GOAL_KIB >> 10} MiB: "
            f"{met(pss <= PSS_GOAL_KIB)}.", ""]


def density_plot(d, outdir, tmp, gnuplot):
    """docs/perf/density.png: instances (log scale) against the total start
    time (left axis) and PSS per instance (right axis); returns its name."""
    runs = sorted(d["runs"], key=lambda r: r["instances"])
    data = os.path.join(tmp, "density.dat")
    with open(data, "w") as f:
        for r in runs:
            f.write(f"{r['instances']} {r['start_s']:.4f} {r['pss_kib_per_instance']:.1f}\n")
    png = "density.png"
    gnuplot("\n".join([
        "set terminal pngcairo size 900,420 font ',10'",
        f"set output '{os.path.join(outdir, png)}'",
        f"set title 'bench density: pong instances under {d.get('vmm', '?')} "
        f"({d.get('date', '?')})'",
        "set logscale x", "set xlabel 'instances (log scale)'",
        f"set xrange [{runs[0]['instances'] / 1.5:g}:{runs[-1]['instances'] * 1.5:g}]",
        "set xtics (" + ", ".join(f"'{r['instances']}' {r['instances']}" for r in runs) + ")",
        "set ylabel 'total start time (s)'", "set y2label 'PSS per instance (KiB)'",
        "set ytics nomirror", "set y2tics", "set yrange [0:*]", "set y2range [0:*]",
        "set grid", "set key outside below horizontal",
        f"plot '{data}' using 1:2 with linespoints lw 2 pt 7 axes x1y1 "
        "title 'total start time (s)', "
        f"'' using 1:3 with linespoints lw 2 pt 5 axes x1y2 title 'PSS per instance (KiB)'"]))
    return png
