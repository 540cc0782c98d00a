"""bench/pps: packets per second and busy CPU cycles per packet, nfos against DPDK.

    ./nfos bench pps [--smoke] [--runs N] [--seconds S] [--cases rx,tx,fwd]
                     [--sizes 64,1500] [--subjects nfos-linuxu,dpdk,nfos-kvm,nfos-nfvm,nfos-tcg,
                                linux-vm,
                                dpdk-in-nfos-kvm,dpdk-in-nfos-tcg,dpdk-in-nfos-linuxu,
                                dpdk-in-nfos-nfvm,dpdk-in-nfos-virtio-kvm,
                                dpdk-in-nfos-virtio-tcg]
                     [--cpus N] [--no-huge]
                     [--json FILE]

The host backend is dpdk-testpmd with a net_vhost port (vhost-user server,
--no-pci) pinned to core 0; a subject on core 1 connects to its socket:
  nfos-linuxu  the nfos app as a Linux process, netdev.dev=vhost-user:SOCK
  dpdk         dpdk-testpmd with net_virtio_user (the peer nfos must match)
  nfos-kvm     the nfos app's kvm image under QEMU with -netdev vhost-user;
               under TCG (no usable /dev/kvm) it is skipped unless --subjects
               names it, and every row says its accelerator.
  nfos-nfvm    the same kvm image under nfvm (vmm/, our own monitor) with a
               vhost-user virtio-net on virtio-mmio: nfvm is the protocol's
               front-end and stays out of the data path (issue 15: it must
               reach nfos-kvm's Mpp/s); needs a usable /dev/kvm.
  nfos-tcg     the same image under TCG (only when --subjects names it): the
               figure to compare with a Linux VM that can only run under TCG.
  linux-vm     the Linux VM peer (bench/linuxvm: Debian's kernel, testpmd
               rxonly/txonly/macswap inside on the same virtio-net-pci NIC,
               bound to uio_pci_generic) under QEMU, KVM where a Linux guest
               boots on it, else TCG (only when --subjects names it); busy
               cycles from testpmd's --record-core-cycles inside the guest.
  dpdk-in-nfos-kvm, -tcg, -linuxu  DPDK's testpmd, unmodified, as an nfos image
               (net_nfos over nfos's virtio-net) under KVM (skipped under
               TCG unless named), under TCG and as a Linux process (both
               only when named); see bench/pps/dpdk_nfos.py.
  dpdk-in-nfos-nfvm  the same image under nfvm (needs a usable /dev/kvm):
               testpmd's idle main lcore sleeps there, not beside the
               forwarding one as under QEMU on kvm-pvm.
  dpdk-in-nfos-virtio-kvm, -tcg  the same testpmd with DPDK's own net_virtio
               on the virtio-net PCI function (apps/dpdk-testpmd-virtio),
               under KVM (skipped under TCG unless named) and TCG (when named).
Cases (backend mode -> subject -> backend):
  rx   backend txonly -> subject receives and frees (rxsink / testpmd rxonly)
  tx   subject sends (txgen / testpmd txonly) -> backend rxonly
  fwd  backend flowgen -> subject swaps MACs and sends back (l2fwd --macswap /
       testpmd macswap) -> backend (flowgen also receives and drops)
Sizes are Ethernet frame sizes with the FCS, as in RFC 2544: 64 means 60
bytes of packet data (testpmd txonly --txpkts 60, flowgen --txpkts 64, which
subtracts the FCS itself, txgen --size 60), 1500 means 1496.

Each run starts a fresh backend and subject, waits for the subject to be
ready, lets it run 1 s (--smoke: 0.5 s), measures --seconds S, stops both with SIGINT
(the kvm guest stops itself with --time) and parses what each printed:
Mpp/s from the periodic self-timed rate lines that fall in the window
(testpmd --stats-period 1, nfos.stats=1), busy cycles per packet from the
final report (testpmd --record-core-cycles, the nfos apps' busy figure), and
the packet counts, checked against the backend's. A run is clean when the
subject and the backend each got at least 90% of their core in the window
(other processes on the cores disturb it) and the two cores were near each
other when it began and when it ended (see below); a disturbed run is tried
again, up to --runs more times, and medians (min, max) are over the clean
runs when there are any. Subjects alternate within one invocation (A B, B
A, ...).
A table goes to stdout and JSON to bench/results/pps-<date>.json (not with
--smoke: 1 run, 2 s, 64 B, figures marked smoke).

--cpus N runs the nfos subjects with N lcores (bench/common/lcores.py:
nfos.cpus=N or -smp N, pinned to cores 0..N-1; each run's line adds every
lcore's busy cycles per packet from the app's exit report); on this 2-core
host that shares core 0 with testpmd, which the header says.

Before and after each run, with both cores idle, build/bench/c2c (from
bench/pps/c2c.c) times a cache line's round trip between core 0 and core 1
(c2c_cycles in the JSON); the fastest of five probes at the start, and of
all since, is the near placement. On a virtual machine the host may move the
two vCPUs between placements that share a cache and placements that do not,
even within a run; every cross-core transfer, and so every figure here, then
costs several times more (on the machine this was written on: about 145
against 860 cycles per round trip, and fwd 64 B at ~100 against ~260 busy
cycles per packet, for every subject alike). A run that began or ended with
a probe over 2.5x the near one is disturbed like one that lost its core
("placed apart"), and tried again; the line under the tables counts them.
What the probes cannot see is a move and a move back within a run.

Busy cycles: both count TSC cycles of loop iterations that moved packets,
divided by the packets. Differences (DPDK 22.11 app/test-pmd): rxonly and
macswap add an iteration's cycles only when rx_burst returned packets and
divide by packets received, as rxsink and l2fwd do; txonly adds every
iteration that built a burst, also when tx_burst took none of it (ring
full), and divides by packets sent, while txgen leaves iterations that sent
nothing out. When the backend is the bottleneck in tx, DPDK's figure thus
includes wasted bursts that the nfos figure does not.
"""

import argparse
import sys
import types

from bench.common import cli, lcores, placement
from bench.common.dpdk import TESTPMD, Memory
from bench.common.host import describe, pkg_version
from bench.common.images import build_images, check_images
from bench.common.proc import DPDK_LOCK, guarded
from bench.common.rounds import alternate, first_status, print_unavailable
from bench.linuxvm import linuxvm
from bench.pps import dpdk_nfos
from bench.pps.report import print_report, run_line, summarize
from bench.pps.run import (BACKEND_CORE, CASES, CLEAN_SHARE, LINUX_VM_MEM, MBUFS, ON_REQUEST,
                           PREFIX, SUBJECT_CORE, SUBJECTS, WARMUP, run_once)
from tools import guest, nfos_cli

LOCK = DPDK_LOCK


def frame_size(text):
    if not text.isdigit() or not 64 <= int(text) <= 1518:
        raise ValueError(f"'{text}' (Ethernet frame sizes 64..1518)")
    return int(text)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="nfos bench pps", description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, help="runs per subject and case (default 5)")
    ap.add_argument("--seconds", type=float, help="measured seconds per run (default 5)")
    ap.add_argument("--cases", type=cli.csv("cases", tuple(CASES)), default=list(CASES))
    ap.add_argument("--sizes", type=cli.csv("sizes", conv=frame_size),
                    help="Ethernet frame sizes with FCS, 64..1518 (default 64,1500)")
    ap.add_argument("--subjects", type=cli.csv("subjects", SUBJECTS),
                    help="default: all; nfos-kvm is skipped under TCG unless named here")
    lcores.add_option(ap)
    cli.tail_options(ap, "1 run, 2 s, 64 B; figures marked smoke, nothing written (for tests)")
    args = ap.parse_args(argv)
    cli.check_runs(ap, args.runs)
    lcores.check(ap, args.cpus)
    if args.seconds is not None and not 0 < args.seconds <= 600:
        ap.error("--seconds must be in (0, 600]")
    return args


def main(argv):
    args = parse_args(argv)
    ctx = types.SimpleNamespace(cases=args.cases, smoke=args.smoke)
    ctx.runs = args.runs or (1 if args.smoke else 5)
    ctx.cpus = args.cpus
    ctx.seconds = args.seconds or (2.0 if args.smoke else 5.0)
    ctx.sizes = args.sizes or ([64] if args.smoke else [64, 1500])
    missing = None if cli.has(TESTPMD) else (f"{TESTPMD} is missing: install it with ./nfos "
                                             f"deps (or apt-get install dpdk-dev)")
    st = cli.can_run("pps", missing, "backend on 0, subject on 1")
    if st:
        return st
    ctx.warmup = WARMUP / 2 if args.smoke else WARMUP

    def start():
        ctx.mem = Memory(args.no_huge, PREFIX.values())
        return bench(ctx, args)
    return guarded("pps", LOCK, ctx, args.logs, start)


def bench(ctx, args):
    subjects = args.subjects or list(SUBJECTS)
    status, accel_of, lvm = set_up(ctx, args, subjects)
    active = [s for s in subjects if status[s] == "available"]
    print_header(ctx, subjects, status, active, accel_of, lvm)
    results, failed = loop(ctx, active, status, accel_of)
    rat = print_report(ctx, results, subjects, status, accel_of)
    write(ctx, args, results_json(ctx, status, results, rat, lvm, accel_of))
    return 1 if failed else 0


def set_up(ctx, args, subjects):
    """The subjects' status, the images built, the probe calibrated.
    Returns (status, {subject: accelerator}, the Linux VM's image or None)."""
    ctx.accel = "kvm" if nfos_cli.kvm_usable() else "tcg"
    status = first_status(subjects, args.subjects, ON_REQUEST, "nfos-kvm", ctx.accel, "nfos")
    nfvm_status(status, ctx.accel)
    dpdk_nfos.status(status, args.subjects, ctx.accel)
    plats = {s: p for s, p in (("nfos-linuxu", "linuxu"), ("nfos-kvm", "kvm"),
                               ("nfos-nfvm", "kvm"), ("nfos-tcg", "kvm"))
             if status.get(s) == "available"}
    in_nfos = {s: dpdk_nfos.plat(s) for s in dpdk_nfos.SUBJECTS if status.get(s) == "available"}
    ctx.images = build_images([(CASES[c]["app"], p) for p in plats.values() for c in ctx.cases] +
                              [(dpdk_nfos.app(s), p) for s, p in in_nfos.items()], cpus=ctx.cpus)
    ctx.c2c = placement.build_c2c()
    placement.calibrate_c2c(ctx)
    check_images(lambda plat: [ctx.images[(CASES[c]["app"], plat)] for c in ctx.cases],
                 plats, status, ctx.tmp)
    for s, p in in_nfos.items():
        check_images(lambda plat, s=s: [ctx.images[(dpdk_nfos.app(s), plat)]], {s: p}, status,
                     ctx.tmp)
    ctx.lvm_accel, ctx.lvm_why = linuxvm.accel()
    lvm = None
    if status.get("linux-vm") == "available":
        try:
            lvm = linuxvm.build(log=lambda line: print(line, flush=True))
            ctx.images["linux-vm"] = (lvm, ctx.lvm_accel)
        except linuxvm.Error as e:
            status["linux-vm"] = f"unavailable: {e}"
    accel_of = {"nfos-linuxu": "native", "dpdk": "native", "nfos-kvm": ctx.accel,
                "nfos-nfvm": "kvm",  # under nfvm (the subject says)
                "nfos-tcg": "tcg", "linux-vm": ctx.lvm_accel}
    accel_of.update({s: dpdk_nfos.accel(s, ctx.accel) for s in dpdk_nfos.SUBJECTS})
    return status, accel_of, lvm


def nfvm_status(status, accel):
    """nfos-nfvm and dpdk-in-nfos-nfvm run where /dev/kvm is usable and nfvm
    builds (make nfvm); there is no TCG nfvm."""
    subjects = [s for s in ("nfos-nfvm", dpdk_nfos.NFVM_SUBJECT) if status.get(s) == "available"]
    if not subjects:
        return
    if accel != "kvm":
        for s in subjects:
            status[s] = "skipped: nfvm needs a usable /dev/kvm (none here)"
        return
    err = guest.nfvm_build()
    if err is not None:
        last = [l for l in err.splitlines() if l.strip()][-1:] or ["?"]
        for s in subjects:
            status[s] = f"unavailable: make nfvm failed: {last[0]}"


def print_header(ctx, subjects, status, active, accel_of, lvm):
    tag = " [SMOKE: not a measurement]" if ctx.smoke else ""
    print(f"nfos bench pps{tag}: {ctx.runs} run(s) x {ctx.seconds:g} s, backend dpdk-testpmd "
          f"net_vhost on core {BACKEND_CORE}, subjects on core {SUBJECT_CORE}, DPDK memory: "
          f"{ctx.mem.mode} ({ctx.mem.reason})")
    print_unavailable(subjects, status)
    if ctx.cpus > 1:
        print(f"  nfos subjects: {ctx.cpus} lcores on cores {lcores.cores(ctx.cpus, SUBJECT_CORE)}"
              f" (rxsink and txgen run on lcore 0, the others idle; l2fwd forwards one "
              f"direction per lcore between two ports); dpdk and linux-vm keep one core")
        over = lcores.oversubscribed(ctx.cpus)
        if over:
            print(over)
    if "linux-vm" in active:
        print(f"  linux-vm: {ctx.lvm_accel} ({ctx.lvm_why}), {LINUX_VM_MEM >> 20} MiB, image "
              f"{lvm['image_bytes']} bytes ({lvm['kernel_package']} + initramfs)")
    sys.stdout.flush()


def loop(ctx, active, status, accel_of):
    """Every case and size, the subjects alternating; a disturbed run is
    tried again, up to --runs more times (not in smoke). Returns the
    results by "case/size/subject" and whether a run failed."""
    results, failed = {}, False
    for case in ctx.cases:
        for size in ctx.sizes:
            pending, errors = alternate(
                active, status, ctx.runs if ctx.smoke else 2 * ctx.runs,
                lambda runs: sum(r["clean"] for r in runs) >= ctx.runs,
                lambda s, i: run_once(ctx, case, size, s, i, ctx.seconds),
                lambda s, i, r: print(run_line(case, size, s, i, r)),
                lambda s, i: f"nfos bench pps: {case} {size} B {s} run {i}")
            for subject, e in errors.items():
                failed = True
                results[f"{case}/{size}/{subject}"] = {"error": str(e), "tail": e.tail}
            for subject, rs in pending.items():
                if rs:
                    results[f"{case}/{size}/{subject}"] = {"accel": accel_of[subject],
                                                           "runs": rs, "summary": summarize(rs)}
    return results, failed


def results_json(ctx, status, results, rat, lvm, accel_of):
    return {
        "benchmark": "pps",
        "date": cli.now(),
        "host": describe(dpdk=pkg_version("dpdk-dev"), qemu=pkg_version("qemu-system-x86")),
        "setup": setup_json(ctx, lvm),
        "subjects": status,
        "results": results,
        "ratios": rat,
        "notes": __doc__.split("\n\n")[-1].strip(),
    }


def setup_json(ctx, lvm):
    return {"backend": "dpdk-testpmd net_vhost (vhost-user server), --no-pci, "
                       f"core {BACKEND_CORE}", "subject_core": SUBJECT_CORE,
            "dpdk_memory": ctx.mem.mode, "dpdk_memory_note": ctx.mem.reason,
            "dpdk_eal_mem": ctx.mem.eal(), "mbufs": MBUFS, "runs": ctx.runs,
            "seconds": ctx.seconds, "warmup_s": ctx.warmup, "clean_cpu_share": CLEAN_SHARE,
            "c2c_near_cycles": ctx.c2c_near, "c2c_far_factor": placement.C2C_FAR,
            "sizes_note": "Ethernet frame bytes with FCS; packet data is 4 less",
            "cases": {k: {"backend": v["backend"], "dpdk": v["dpdk"],
                          "nfos": " ".join([v["app"]] + v["args"]),
                          "mpps_of": v["metric"]} for k, v in CASES.items()
                      if k in ctx.cases},
            "kvm_accel": ctx.accel,
            "cpus": ctx.cpus, "oversubscribed": lcores.oversubscribed(ctx.cpus),
            "linux_vm": lvm and {
                "accel": ctx.lvm_accel, "accel_why": ctx.lvm_why, "mem": LINUX_VM_MEM,
                "kernel": lvm["kernel_package"], "image_bytes": lvm["image_bytes"],
                "qemu": "microvm,pcie=on, virtio-net-pci vectors=0, vhost-user, "
                        "memory-backend-memfd share=on"}}


def write(ctx, args, res):
    if args.smoke and not args.json:
        print("smoke run: figures are not measurements and are not written")
        return
    res["smoke"] = args.smoke
    out = cli.write_json(res, args.json or cli.default_results("pps"))
    print(f"results: {out}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
