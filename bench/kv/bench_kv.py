"""bench/kv: key-value requests per second, kvstore against memcached.

    ./nfos bench kv [--smoke] [--runs N] [--seconds S] [--warmup S] [--keys N]
                    [--workloads get100-uniform,get90-zipf,...] [--window N]
                    [--subjects kvstore-linuxu,kvstore-kvm,memcached,kvstore-tcg,linux-vm,
                                kvstore-dpdk-linuxu,kvstore-dpdk-kvm]
                    [--vm-keys N] [--cpus N] [--no-huge] [--logs DIR]

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
  kvstore-dpdk-linuxu, kvstore-dpdk-kvm
                  apps/kvstore-dpdk (kvstore's request path over DPDK's
                  rte_eth bursts) as kvstore-linuxu and kvstore-kvm; only
                  when --subjects names them (DPDK's build; see
                  bench/kv/dpdk.py); their busy cycles per request over
                  kvstore's on the same platform get a table of their own
--cpus N runs kvstore with N lcores (bench/common/lcores.py: nfos.cpus=N
or -smp N, cores 0..N-1), each polling its own queue pair of the port;
the device offers one pair unless the backend and the driver do multiqueue,
and then the lcores without one idle (kvstore says so, and so does the
table). Each run's line lists every lcore's busy cycles per request; on
this 2-core host N >= 2 shares core 0 with kvgen, which the header says.
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
import os
import re
import subprocess
import sys
import types

from bench.common import cli, lcores, placement
from bench.common.dpdk import TESTPMD, Memory
from bench.common.host import describe, pkg_version
from bench.common.images import build_images, check_images
from bench.common.proc import DPDK_LOCK, guarded
from bench.common.rounds import alternate, first_status, print_unavailable
from bench.kv import dpdk
from bench.kv.report import acceptance, c2c_note, print_tables, ratios, run_lines, summarize
from bench.kv.run import (GEN_PREFIX, KV_ARGS, KV_MEM, LINUX_VM_MEM, MEMCACHED_SUBJECTS,
                          build_kvgen, run_once)
from bench.kv.windows import CLEAN_OTHER, GEN_CORE, SERVER_CORE, rejudge
from bench.linuxvm import linuxvm
from tools import nfos_cli
from tools.nfos_cli import ROOT

LOCK = DPDK_LOCK
SUBJECTS = ("kvstore-linuxu", "kvstore-kvm", "memcached", "kvstore-tcg", "linux-vm")
ON_REQUEST = ("kvstore-tcg", "linux-vm")  # TCG boots and slow servers: only when named
# Every subject --subjects takes: ./nfos bench all names SUBJECTS, these
# only when named (bench/kv/dpdk.py).
ALL_SUBJECTS = SUBJECTS + dpdk.SUBJECTS
# The image of each kvstore subject.
IMAGE = {"kvstore-linuxu": ("kvstore", "linuxu"), "kvstore-kvm": ("kvstore", "kvm"),
         "kvstore-tcg": ("kvstore", "kvm"),
         **{s: (dpdk.APP, dpdk.plat(s)) for s in dpdk.SUBJECTS}}
VM_KEYS, SMOKE_VM_KEYS = 20000, 2000
WORKLOADS = ("get100-uniform", "get90-uniform", "get90-zipf", "get50-uniform", "get50-zipf")
SMOKE_WORKLOADS = ("get100-uniform", "get50-zipf")


# --- command line -------------------------------------------------------------------

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


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="nfos bench kv", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int,
                    help="clean results wanted per workload of each subject (default 3; "
                         "at most 2x that many runs, 1 run with --smoke)")
    ap.add_argument("--seconds", type=float, help="measured seconds per workload (default 3)")
    ap.add_argument("--warmup", type=float, help="seconds before each measurement (default 1)")
    ap.add_argument("--keys", type=count, help="keys preloaded (default 1M)")
    ap.add_argument("--workloads", type=workload_list,
                    help=f"default {','.join(WORKLOADS)}")
    ap.add_argument("--subjects", type=cli.csv("subjects", ALL_SUBJECTS),
                    help="default: all but kvstore-tcg, linux-vm and the kvstore-dpdk ones "
                         "(run only when named); kvstore-kvm is skipped under TCG unless "
                         "named here")
    ap.add_argument("--vm-keys", type=count,
                    help=f"keys preloaded for kvstore-tcg and linux-vm (default "
                         f"{VM_KEYS // 1000}K, smoke {SMOKE_VM_KEYS // 1000}K; at most --keys)")
    ap.add_argument("--window", type=int, default=256,
                    help="kvgen's outstanding requests for kvstore (default 256)")
    ap.add_argument("--mc-window", type=int, default=64,
                    help="kvgen's outstanding requests for memcached (default 64)")
    lcores.add_option(ap)
    cli.tail_options(ap, "1 run, 10K keys, two short workloads; nothing written (for tests)")
    args = ap.parse_args(argv)
    check_args(ap, args)
    return args


def check_args(ap, args):
    cli.check_runs(ap, args.runs)
    lcores.check(ap, args.cpus)
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


def make_ctx(args):
    ctx = types.SimpleNamespace(smoke=args.smoke)
    ctx.runs = args.runs or (1 if args.smoke else 3)
    ctx.seconds = args.seconds or (0.5 if args.smoke else 3.0)
    ctx.warmup = args.warmup if args.warmup is not None else (0.2 if args.smoke else 1.0)
    ctx.keys = args.keys or (10000 if args.smoke else 1000000)
    ctx.vm_keys = min(ctx.keys, args.vm_keys or (SMOKE_VM_KEYS if args.smoke else VM_KEYS))
    ctx.keys_of = {s: ctx.vm_keys if s in ON_REQUEST else ctx.keys for s in ALL_SUBJECTS}
    ctx.workloads = args.workloads or list(SMOKE_WORKLOADS if args.smoke else WORKLOADS)
    ctx.window, ctx.mc_window = args.window, args.mc_window
    ctx.cpus = args.cpus
    ctx.preload_timeout = 300
    return ctx


def main(argv):
    args = parse_args(argv)
    ctx = make_ctx(args)
    dpdk_dev = cli.has(TESTPMD) and subprocess.run(
        ["pkg-config", "--exists", "libdpdk"], capture_output=True).returncode == 0
    st = cli.can_run("kv", None if dpdk_dev else
                     "DPDK's development files are missing: install them with ./nfos deps "
                     "(or apt-get install dpdk-dev pkg-config)", "kvgen on 0, the server on 1")
    if st:
        return st

    def start():
        build_kvgen()
        ctx.mem = Memory(args.no_huge, [GEN_PREFIX])
        return bench(ctx, args)
    return guarded("kv", LOCK, ctx, args.logs, start)


# --- the benchmark ------------------------------------------------------------------

def subject_status(ctx, args, subjects):
    status = first_status(subjects, args.subjects, ON_REQUEST, "kvstore-kvm", ctx.accel,
                          "kvstore")
    dpdk.status(status, args.subjects, ctx.accel)
    if "memcached" in subjects and not cli.has("memcached"):
        status["memcached"] = "unavailable: memcached is missing (./nfos deps)"
    if "memcached" in subjects and os.geteuid() != 0:
        status["memcached"] = "unavailable: network namespaces need root"
    ctx.lvm = None
    if status.get("linux-vm") == "available":
        try:
            ctx.lvm = linuxvm.build(log=lambda line: print(line, flush=True))
        except linuxvm.Error as e:
            status["linux-vm"] = f"unavailable: {e}"
    wanted = {s: IMAGE[s] for s in IMAGE if status.get(s) == "available"}
    ctx.images = {}
    for s, (app, _) in wanted.items():
        if not os.path.isdir(os.path.join(ROOT, "apps", app)):
            status[s] = f"unavailable: apps/{app} is not in this tree yet"
    wanted = {s: im for s, im in wanted.items() if status[s] == "available"}
    if wanted:
        ctx.images = build_images(list(wanted.values()), cpus=ctx.cpus)
    for app in dict.fromkeys(app for app, _ in wanted.values()):
        check_images(lambda plat, app=app: [ctx.images[(app, plat)]],
                     {s: p for s, (a, p) in wanted.items() if a == app}, status, ctx.tmp)
    return status


def enough_clean(runs, workloads, want):
    """Has every workload at least want clean results over these runs? A
    run's workloads are judged one by one: a window the host disturbed
    costs that workload a result, not the run's others."""
    return all(sum(r["workloads"][w]["clean"] for r in runs) >= want for w in workloads)


def bench(ctx, args):
    subjects = args.subjects or list(ALL_SUBJECTS)
    ctx.accel = "kvm" if nfos_cli.kvm_usable() else "tcg"
    ctx.lvm_accel, ctx.lvm_why = linuxvm.accel()
    ctx.accel_of = {"kvstore-linuxu": "native", "kvstore-kvm": ctx.accel, "memcached": "native",
                    "kvstore-tcg": "tcg", "linux-vm": ctx.lvm_accel,
                    **{s: dpdk.accel(s, ctx.accel) for s in dpdk.SUBJECTS}}
    status = subject_status(ctx, args, subjects)
    active = [s for s in subjects if status[s] == "available"]
    ctx.c2c = placement.build_c2c()
    placement.calibrate_c2c(ctx)
    print_header(ctx, subjects, status, active)
    results, failed = loop(ctx, active, status)
    rat = ratios(results, ctx.workloads)
    acc = acceptance(results, rat, ctx.workloads)
    lines = print_tables(ctx, subjects, status, results, rat, acc)
    note = c2c_note(results)
    if note:
        print(note)
        lines.append(note)
    write(ctx, args, results_json(ctx, status, results, rat, acc, lines))
    return 1 if failed else 0


def print_header(ctx, subjects, status, active):
    tag = " [SMOKE: not a measurement]" if ctx.smoke else ""
    print(f"nfos bench kv{tag}: {ctx.runs} run(s), {ctx.keys} keys, workloads "
          f"{','.join(ctx.workloads)} ({ctx.warmup:g} s warm-up + {ctx.seconds:g} s each); "
          f"kvgen on core {GEN_CORE}, servers on core {SERVER_CORE}; DPDK memory: "
          f"{ctx.mem.mode} ({ctx.mem.reason})")
    print_unavailable(subjects, status)
    if ctx.cpus > 1:
        print(f"  kvstore: {ctx.cpus} lcores on cores {lcores.cores(ctx.cpus, SERVER_CORE)} "
              f"(memcached and the Linux VM keep -t 1)")
        over = lcores.oversubscribed(ctx.cpus)
        if over:
            print(over)
    if "linux-vm" in active:
        print(f"  linux-vm: {ctx.lvm_accel} ({ctx.lvm_why}), {LINUX_VM_MEM >> 20} MiB, image "
              f"{ctx.lvm['roles']['memcached']['image_bytes']} bytes (kernel + memcached "
              f"initramfs), memcached -t 1 -m 64 on virtio_net over vhost-user")
    scaled = [s for s in active if ctx.keys_of[s] != ctx.keys]
    if scaled:
        print(f"  {', '.join(scaled)}: {ctx.vm_keys} keys preloaded (--vm-keys), not "
              f"{ctx.keys}: a slow server's preload must finish")
    sys.stdout.flush()


def loop(ctx, active, status):
    """The subjects alternating, until every workload of each has --runs
    clean results (at most 2x --runs runs; --smoke: one). Returns the
    results by subject and whether a run failed."""
    pending, errors = alternate(
        active, status, ctx.runs if ctx.smoke else 2 * ctx.runs,
        lambda runs: enough_clean(runs, ctx.workloads, ctx.runs),
        lambda s, i: run_once(ctx, s, i),
        lambda s, i, r: print("\n".join(run_lines(ctx, s, i, r))),
        lambda s, i: f"nfos bench kv: {s} run {i}",
        lambda pending: rejudge(ctx, pending))
    results = {s: {"error": str(e), "tail": e.tail} for s, e in errors.items()}
    for subject, rs in pending.items():
        if rs:
            results[subject] = {"accel": ctx.accel_of[subject], "keys": ctx.keys_of[subject],
                                "window": ctx.mc_window if subject in MEMCACHED_SUBJECTS
                                else ctx.window, "runs": rs,
                                "summary": {w: summarize(rs, w) for w in ctx.workloads}}
    return results, bool(errors)


def results_json(ctx, status, results, rat, acc, lines):
    return {
        "benchmark": "kv",
        "date": cli.now(),
        "host": describe(dpdk=pkg_version("dpdk-dev"), qemu=pkg_version("qemu-system-x86"),
                         memcached=pkg_version("memcached")),
        "setup": setup_json(ctx),
        "subjects": status,
        "results": results,
        "ratios": rat,
        "kvstore_dpdk_busy_ratios": dpdk.ratios(results, ctx.workloads),
        "acceptance": acc,
        "notes": __doc__.split("\n\n")[-1].strip(),
        "summary_lines": lines,
    }


def setup_json(ctx):
    return {"generator": f"build/bench/kvgen on core {GEN_CORE}, one DPDK port",
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
            "cpus": ctx.cpus, "oversubscribed": lcores.oversubscribed(ctx.cpus),
            "clean_others_share": CLEAN_OTHER, "c2c_near_cycles": ctx.c2c_near,
            "c2c_far_factor": placement.C2C_FAR}


def write(ctx, args, res):
    if args.smoke:
        res["smoke"] = True
        print("smoke run: figures are not measurements"
              + ("" if args.json else " and are not written"))
    if args.json or not args.smoke:
        out = cli.write_json(res, args.json or cli.default_results("kv"))
        print(f"results: {os.path.relpath(out, ROOT) if not args.json else out}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
