"""bench all's report: the comparison rows (nfos against the Linux VM
peer, with the issue's targets judged on the same accelerator), the
gnuplot plots and docs/PERFORMANCE.md, from a run's JSON (and issue 15's
sections from the newest runs of their own: bench/all/issue15.py)."""

import os
import shutil
import subprocess
import tempfile

from bench.all import issue15
from bench.all.dpdk import md_dpdk, md_instr
from bench.common.proc import BenchError
from bench.common.stats import fmt as fmt_range  # median (min-max)
from bench.pps import dpdk_nfos

PPS_SUBJECTS = ("nfos-kvm", "nfos-nfvm", "nfos-tcg", "linux-vm", "nfos-linuxu", "dpdk")
# The talk's own figures ("Extremely Fast and Efficient NFV with Unikraft"),
# shown beside ours for reference only: other machine, other software.
TALK = [("boot time", "87 ms", "12 s"), ("image size", "1.4 MB", "2.5 GB"),
        ("memory", "1 GB", "6 GB"), ("key-value store, one core", "6.1 Mpp/s", "on par")]
# Issue 4's targets, same accelerator (TCG): nfos / Linux VM.
TARGETS = {"boot": 20.0, "image": 50.0, "ram": 10.0}


def median(s):
    return s["median"] if isinstance(s, dict) else s


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
    boot, lvm, pps = all_.get("boot"), all_.get("linuxvm"), all_.get("pps")
    rows = []
    if boot and lvm:
        rows += compare_boot(boot, lvm)
    if all_.get("kv"):
        rows += compare_kv(all_["kv"])
    if pps:
        rows += compare_pps(pps)
    return rows


def compare_boot(boot, lvm):
    rows = []
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
    return rows


def compare_kv(kv):
    rows = []
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
    return rows


def compare_pps(pps):
    rows = []
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
            made += pps_plots(pps, tmp, outdir)
        boot, lvm = all_.get("boot"), all_.get("linuxvm")
        if boot and lvm:
            made += boot_plots(boot, lvm, tmp, outdir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return made


def pps_plots(pps, tmp, outdir):
    made = []
    subjects = [s for s in PPS_SUBJECTS
                if any(pps_cell(pps, c, z, s) for c in ("rx", "tx", "fwd") for z in (64, 1500))]
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
    return made


def boot_plots(boot, lvm, tmp, outdir):
    made = []
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


def markdown(all_, made, json_rel, separate=None, density_png=None):
    """docs/PERFORMANCE.md from a run (all_), its plots and its JSON's path;
    separate: issue15.separate_runs() (the nfvm and density sections' runs of
    their own), density_png: the density plot's file name."""
    boot, lvm, pps, kv = (all_.get(k) for k in ("boot", "linuxvm", "pps", "kv"))
    separate = separate if separate is not None else issue15.separate_runs()
    out = md_head(all_, json_rel) + md_compare(all_)
    if pps:
        out += md_pps(pps)
    if boot:
        out += md_boot(boot)
    out += issue15.md_nfvm(all_, separate["boot"])
    if lvm:
        out += md_lvm(lvm)
    if kv:
        out += ["## Key-value store (`./nfos bench kv`)", "",
                "See the JSON for every workload; summary lines as the benchmark printed them:",
                "", "```"] + kv.get("summary_lines", []) + ["```", ""]
    out += md_dpdk(all_) + md_instr(all_)
    out += issue15.md_density(all_, separate["density"], density_png)
    if made:
        out += ["## Plots", ""] + [f"![{t}](perf/{f})" for t, f in made] + [""]
    out += md_tail()
    return "\n".join(out)


def md_head(all_, json_rel):
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
    return out


def md_compare(all_):
    """The comparison table and the targets."""
    out = []
    rows = compare(all_)
    if not rows:
        return out
    out += ["## The comparison", "",
            "| what | nfos | peer | ratio | how (which way the ratio goes) | target |",
            "|---|---|---|---|---|---|"]
    for what, a, b, r, how, met in rows:
        tgt = "-" if met is None else ("met" if met else "NOT met")
        out.append(f"| {what} | {a} | {b} | {fx(r)} | {how} | {tgt} |")
    out += ["", "Targets (issue 4, same accelerator): boot >= 20x faster, image >= 50x "
            "smaller, smallest RAM >= 10x smaller, busy cycles per packet at or below the "
            "Linux VM's testpmd for rx, tx and fwd.", ""]
    return out


def md_pps(pps):
    """The packet figures of bench pps."""
    out = []
    out += ["## Packets (`./nfos bench pps`)", "",
            f"Host backend: {pps['setup']['backend']}; subjects on core "
            f"{pps['setup']['subject_core']}; DPDK memory: {pps['setup']['dpdk_memory']}; "
            f"{pps['setup']['runs']} runs x {pps['setup']['seconds']} s per subject.", "",
            "| case | size | subject | accel | Mpp/s | busy cycles/pkt | clean runs |",
            "|---|---|---|---|---|---|---|"]
    for case in ("rx", "tx", "fwd"):
        for size in (64, 1500):
            for s in PPS_SUBJECTS + dpdk_nfos.SUBJECTS:
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
    nfvm = [r for r in pps.get("ratios", []) if "nfvm_over_qemu_mpps" in r]
    if nfvm:
        out += ["", "The same kvm image under nfvm and under QEMU (one vhost-user backend; "
                "nfvm is out of the data path, so the goal is QEMU's rate), nfvm/QEMU Mpp/s:", ""]
        out += [f"- {r['case']} {r['size']} B: {r['nfvm_over_qemu_mpps']:.2f}x ({r['nfvm_goal']})"
                for r in nfvm]
    out.append("")
    return out


def md_boot(boot):
    """Boot times, image sizes, smallest RAM."""
    out = []
    out += ["## Boot, image size, smallest RAM (`./nfos bench boot`)", "",
            "| figure | " + " | ".join(boot["times"]) + " |",
            "|---|" + "---|" * len(boot["times"])]
    us, ms = (lambda v: v / 1000), (lambda v: v * 1000)  # from ns, from s
    for key, name, unit in (
            ("guest_entry_to_main_ns_8M", "guest PVH entry -> main, 8 MiB (us)", us),
            ("guest_entry_to_main_ns_4G", "guest PVH entry -> main, 4 GiB (us)", us),
            ("wall_exec_to_main_s", "exec -> helloworld's first line (ms)", ms),
            ("wall_exec_to_rxsink_ready_s", "exec -> rxsink ready (ms)", ms),
            ("wall_exec_to_exit_s", "exec -> helloworld exits (ms)", ms)):
        out.append(f"| {name} | " + " | ".join(
            fmt_range({k: unit(v) for k, v in t[key].items() if k != "runs"}, 1)
            if key in t else "-" for t in boot["times"].values()) + " |")
    out += ["", f"| image | bytes | smallest guest RAM ({boot['min_ram_accel']}) |",
            "|---|---|---|"]
    for app, im in boot["images"].items():
        ram = (boot["min_ram_bytes"] if app == "helloworld"
               else boot.get("functions_min_ram_bytes", {}).get(app))
        out.append(f"| {app} | {im['bytes']:,} | "
                   f"{'-' if not ram else f'{ram >> 10:,} KiB'} |")
    out.append("")
    return out + md_ap_start(boot.get("ap_start"))


def md_ap_start(ap):
    """The AP start time of a 2-vCPU image (bench/boot/smp.py); nothing for a
    run from before it was measured."""
    if not ap or "qemu" not in ap:
        return []
    out = [f"AP start time, {ap['app']} --cpus {ap['cpus']} (main asks -> the AP's first CPL3 "
           "instruction, boot trace; us, median (min-max)):", "",
           "| monitor | AP | start -> CPL3 | of it at CPL0 |", "|---|---|---|---|"]
    us = lambda s: {k: v / 1000 for k, v in s.items() if k != "runs"}  # noqa: E731
    mons = [(f"QEMU {a}", aps) for a, aps in ap["qemu"].items()]
    nf = ap.get("nfvm", {})
    mons += [("nfvm", nf)] if nf and "skipped" not in nf else []
    for mon, aps in mons:
        for cpu, t in aps.items():
            out.append(f"| {mon} | {cpu} | {fmt_range(us(t['to_cpl3_ns']), 1)} | "
                       f"{fmt_range(us(t['cpl0_ns']), 1)} |")
    if "skipped" in nf:
        out.append(f"| nfvm | - | skipped: {nf['skipped']} | - |")
    return out + [""]


def md_lvm(lvm):
    """The Linux VM peer's figures."""
    out = []
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
    return out


# Written by hand (issue 13): what --cpus N should give on a larger host.
SCALING = """## Several lcores (`--cpus N`): the expectation, on paper

Not measured: this host has two cores, and the backend (testpmd, kvgen)
needs one of them, so a 2-lcore subject shares a core with it (`--cpus 2`
prints "oversubscribed") and its rates show the sharing, not the scaling.
What the design predicts for a host with a core per lcore plus the
backend's, from the one-lcore figures above (not a measurement):

- Packets (l2fwd, pong): each lcore owns its queue pairs, its pool cache and
  its counters; nothing is written by two lcores on the fast path. Busy
  cycles per packet per lcore stay at the one-lcore figure, and Mpp/s grows
  about N times until the backend (one testpmd core) or the device's queues
  are the limit. The per-lcore figure is the one `--cpus N` reports; a rise
  with N would mean sharing.
- kvstore: a get takes no lock and writes nothing shared on a hit (it reads
  two bucket versions in lines it reads anyway), so its busy cycles per
  get stay at the one-lcore figure plus a few cycles, and get-only req/s
  grow about N times. Every other command holds the table's one lock: at
  s cycles for a set plus a cache-line transfer t for the lock and each
  bucket line another lcore wrote last (t is the c2c probe's round trip,
  about 150 cycles near and 860 apart on this host), sets cost s + 2t or
  so, at most about f / (s + 2t) sets per second in all, whatever N (f the
  TSC frequency). With a share w of sets, N lcores at g cycles per get give
  about min(N f / ((1 - w) g + w (s + 2t)), f / (w (s + 2t))) requests per
  second: for a 90%-get mix with g and s near the one-lcore busy figure, the
  lock is not the limit before about ten lcores.
- MICA's partitioned table (an lcore per key range, the client steering by
  key hash to a UDP port per partition, the NIC steering by port) would
  remove the set lock and its transfers; it needs a device that steers by
  port, which TAP, vhost-user and virtio-net without RSS do not, so kvstore
  keeps one partition (README, kvstore)."""


def md_tail():
    """The talk's figures and how it is all measured."""
    out = []
    out += ["## The talk's figures, for reference", "",
            "Unikraft vs a Linux VM, from \"Extremely Fast and Efficient NFV with Unikraft\" "
            "(other machine, other software; not measured here):", "",
            "| figure | Unikraft | Linux VM |", "|---|---|---|"]
    out += [f"| {a} | {b} | {c} |" for a, b, c in TALK]
    out += [""] + SCALING.splitlines()
    out += ["", "## How it is measured", "",
            "- Busy cycles per packet: TSC cycles of poll-loop iterations that moved packets, "
            "divided by those packets (nfos apps' report; testpmd `--record-core-cycles`).",
            "- Packet subjects share one host backend (dpdk-testpmd net_vhost, core 0); the "
            "subject runs on core 1. Runs where either did not get at least 90% of its core "
            "are retried; medians are over clean runs.",
            "- The Linux VM cannot boot on this host's PVM-based KVM, so it runs under TCG; "
            "nfos is measured under both, and every row names its accelerator.", ""]
    return out


def render(all_, docs_dir, json_rel):
    perf = os.path.join(docs_dir, "perf")
    os.makedirs(perf, exist_ok=True)
    made = plots(all_, perf)
    separate = issue15.separate_runs()
    png = None
    if separate["density"]:
        tmp = tempfile.mkdtemp(prefix="nfos-plot-")
        try:
            png = issue15.density_plot(separate["density"][1], perf, tmp, _gnuplot)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    md = markdown(all_, made, json_rel, separate, png)
    with open(os.path.join(docs_dir, "PERFORMANCE.md"), "w") as f:
        f.write(md)
    return md


