"""One run of bench pps: a fresh backend (dpdk-testpmd net_vhost) on core
0 and a subject on core 1, the measured window, both stopped, and what
they printed parsed and checked against each other. The why of it all is
in bench_pps.py's docstring (./nfos bench pps --help)."""

import os
import re
import time

from bench.common import lcores, placement
from bench.common.dpdk import TESTPMD
from bench.common.images import NFOS_LINE
from bench.common.proc import BenchError, Proc, RunFailed, keep_logs, wait_socket, watch
from bench.linuxvm import linuxvm
from bench.pps import dpdk_nfos
from tools import guest, nfos_cli

BACKEND_CORE, SUBJECT_CORE = placement.CORES
PREFIX = {"backend": "nfos-pps-be", "dpdk": "nfos-pps-subj"}  # --file-prefix each
MBUFS = 8192            # --total-num-mbufs: 8192 x ~2.4 KiB fits in 64 MiB
NFOS_MEM = 64 << 20     # guest RAM of the kvm subject
LINUX_VM_MEM = 512 << 20  # guest RAM of the linux-vm subject
WARMUP = 1.0            # s between the subject's ready line and the window (smoke: half)
GRACE = 0.5             # s after the window, so that its last rate lines print
# s more that a kvm guest runs (its --time) than the bench waits for: its
# clock starts before the bench sees its ready line. Smoke runs (tests, the
# nested VM where everything is emulated and the console comes late) 5 s.
STOP_SLACK = {False: 0.5, True: 5.0}
CLEAN_SHARE = 0.9       # share of a core below which a run counts as disturbed
SLACK = 8192            # packets a ring or two may hold when the ends stop
SUBJECTS = ("nfos-linuxu", "dpdk", "nfos-kvm", "nfos-nfvm", "nfos-tcg",
            "linux-vm") + dpdk_nfos.SUBJECTS
# Subjects that run only when --subjects names them.
ON_REQUEST = ("nfos-tcg", "linux-vm") + dpdk_nfos.ON_REQUEST
TESTPMD_SUBJECTS = ("dpdk", "linux-vm")  # print testpmd's lines
QEMU_SUBJECTS = ("nfos-kvm", "nfos-tcg", "linux-vm")  # the guest stops itself
NFVM = "nfos-nfvm"  # the guest stops itself too; nfvm's status is the guest's
CASES = {
    "rx": {"backend": "txonly", "dpdk": "rxonly", "app": "rxsink", "args": [], "metric": "rx"},
    "tx": {"backend": "rxonly", "dpdk": "txonly", "app": "txgen", "args": [], "metric": "tx"},
    "fwd": {"backend": "flowgen", "dpdk": "macswap", "app": "l2fwd", "args": ["--macswap"],
            "metric": "tx"},
}
# What a subject prints once its port is up and it is moving packets.
READY = {"dpdk": re.compile(r"Rx-pps:"),
         "rxsink": re.compile(r"^rxsink: receiving on port"),
         "txgen": re.compile(r"^txgen: port 0"),
         "l2fwd": re.compile(r"^l2fwd: forwarding")}
NFOS_PORT = re.compile(r"^\w+: port \d+ .*: rx (\d+) pkts (\d+) bytes .*"
                       r"\| tx (\d+) pkts (\d+) bytes")
PMD_RATE = {"rx": re.compile(r"Rx-pps:\s+(\d+)"), "tx": re.compile(r"Tx-pps:\s+(\d+)")}
PMD_BYTES = {"rx": re.compile(r"RX-packets:\s+(\d+)\s+RX-missed:\s+\d+\s+RX-bytes:\s+(\d+)"),
             "tx": re.compile(r"TX-packets:\s+(\d+)\s+TX-errors:\s+\d+\s+TX-bytes:\s+(\d+)")}
PMD_CYCLES = linuxvm.PMD_CYCLES  # one pattern for --record-core-cycles


# --- command lines ----------------------------------------------------------------

def testpmd_argv(role, port_vdev, core, mem, mode, size, cycles):
    txpkts = {"txonly": size - 4, "flowgen": size}.get(mode)  # flowgen subtracts the FCS
    return (["stdbuf", "-oL", TESTPMD, "--lcores", f"0@{core},1@{core}",
             f"--file-prefix={PREFIX[role]}", "--no-pci", "--vdev", port_vdev] + mem.eal() +
            ["--", f"--forward-mode={mode}", "--auto-start", "--stats-period=1", "--nb-cores=1",
             f"--total-num-mbufs={MBUFS}"] +
            (["--record-core-cycles"] if cycles else []) +
            ([f"--txpkts={txpkts}"] if txpkts else []))


def subject_argv(subject, case, size, sock, mem, images, accel, warmup, seconds, cpus=1,
                 slack=STOP_SLACK[False]):
    c = CASES[case]
    if subject in dpdk_nfos.SUBJECTS:
        return dpdk_nfos.argv(subject, c["dpdk"], size, sock,
                              images[(dpdk_nfos.app(subject), dpdk_nfos.plat(subject))], accel,
                              MBUFS)
    if subject == "dpdk":
        return testpmd_argv("dpdk", f"net_virtio_user0,path={sock},queues=1", SUBJECT_CORE, mem,
                            c["dpdk"], size, True)
    if subject == "linux-vm":
        # The guest stops testpmd itself, that long after its ready line
        # (which comes just before its first rate line, our ready line).
        image, acc = images["linux-vm"]
        return linuxvm.qemu_command(c["dpdk"], sock, LINUX_VM_MEM, acc, image,
                                    warmup + seconds + GRACE + 1.5,
                                    size - 4 if case == "tx" else None)
    args = c["args"] + (["--size", str(size - 4)] if case == "tx" else [])
    if subject == "nfos-linuxu":
        # It stops on SIGINT; --time only ends it should we not.
        return ([images[(c["app"], "linuxu")], f"netdev.dev=vhost-user:{sock}", "nfos.stats=1"]
                + lcores.params(cpus) + ["--"] + args + ["--time", f"{warmup + seconds + 30:g}"])
    # SIGINT would end QEMU, not the guest: the guest stops itself.
    cmdline = nfos_cli.guest_cmdline(["nfos.stats=1"] + lcores.params(cpus),
                                      args + ["--time", f"{warmup + seconds + GRACE + slack:g}"])
    if subject == NFVM:
        return guest.nfvm_command(images[(c["app"], "kvm")], NFOS_MEM, cmdline,
                                  [{"kind": "vhost-user", "arg": sock}], cpus=cpus)
    return nfos_cli.qemu_command(images[(c["app"], "kvm")], NFOS_MEM, "microvm,pcie=on",
                                 "tcg" if subject == "nfos-tcg" else accel, cmdline,
                                 [{"kind": "vhost-user", "arg": sock}], cpus=cpus)


def ready_timeout(ctx, subject):
    """Seconds for a subject to print its ready line."""
    if subject == "linux-vm":
        return linuxvm.BOOT_TIMEOUT
    if subject in dpdk_nfos.SUBJECTS and dpdk_nfos.accel(subject, ctx.accel) == "tcg":
        return 300  # DPDK's EAL and testpmd's set-up, emulated
    if subject == "nfos-tcg" or (ctx.accel == "tcg" and subject == "nfos-kvm"):
        return 180
    return 30


# --- what they printed ----------------------------------------------------------

def window_rate(points, w0, w1):
    """Mean rate over the self-timed lines whose interval (from the line
    before to the line) lies in [w0, w1] (each within half a second), weighted
    by the interval; points: (time, rate) from a subject's periodic lines, the
    first of which only marks the start. Falls back to all intervals."""
    spans = [(points[i - 1][0], t, r) for i, (t, r) in enumerate(points) if i]
    inside = [s for s in spans if s[0] >= w0 - 0.5 and s[1] <= w1 + 0.5] or spans
    total = sum(b - a for a, b, _ in inside)
    if not inside or total <= 0:
        return None
    return sum((b - a) * r for a, b, r in inside) / total


def parse_testpmd(proc, metric, w0, w1):
    lines = proc.lines
    text = "\n".join(t for _, t in lines)
    # Totals and busy cycles as the Linux VM's parser reads them; the rates
    # come from the lines inside the window instead.
    out = {k: v for k, v in linuxvm.parse_testpmd([t for _, t in lines]).items()
           if k not in ("rx_pps", "tx_pps")}
    m = PMD_CYCLES.search(text)
    if m:
        out["busy_total_cycles"] = int(m.group(2))
    points = [(t, int(m.group(1)) / 1e6)
              for t, s in lines for m in [PMD_RATE[metric].search(s)] if m]
    out["mpps"] = window_rate(points, w0, w1)
    sizes = PMD_BYTES[metric].findall(text)
    if sizes and int(sizes[-1][0]):
        out["bytes_per_pkt"] = int(sizes[-1][1]) / int(sizes[-1][0])
    return out


def parse_nfos(proc, metric, w0, w1):
    out = {}
    points = []
    for t, s in proc.lines:
        m = NFOS_LINE.search(s)
        if not m:
            continue
        if m.group(2) == "interval":
            points.append((t, float(m.group(4) if metric == "rx" else m.group(6))))
        else:
            out.update(rx=int(m.group(3)), tx=int(m.group(5)), drops=int(m.group(7)),
                       busy=float(m.group(8)))
    out["mpps"] = window_rate(points, w0, w1)
    for _, s in proc.lines:
        m = NFOS_PORT.search(s)
        if m:
            pk, by = (m.group(1), m.group(2)) if metric == "rx" else (m.group(3), m.group(4))
            if int(pk):
                out["bytes_per_pkt"] = int(by) / int(pk)
    return out


def cross_check(case, size, subj, be):
    """The subject's counts against the backend's: what one end sent, the
    other received, but for what the rings held when they stopped."""
    problems = []

    def pair(what, sent, got):
        if sent is None or got is None:
            problems.append(f"no {what} counts")
        elif not 0 <= sent - got <= max(SLACK, sent // 200):
            problems.append(f"{what}: {sent} sent, {got} received")
    if case in ("rx", "fwd"):
        pair("backend->subject", be.get("tx"), subj.get("rx"))
    if case in ("tx", "fwd"):
        pair("subject->backend", subj.get("tx"), be.get("rx"))
    bpp = subj.get("bytes_per_pkt")
    if bpp is not None and abs(bpp - (size - 4)) > 0.01:
        problems.append(f"{bpp:.1f} bytes per packet, expected {size - 4}")
    return "; ".join(problems) or "ok"


def backend_error(mem, be, err):
    """One line on why the backend did not start."""
    info = re.compile(r"EAL: (Detected|Multi-process|Selected IOVA|Physical addresses|Using memfd|"
                      r"No (available|free)|VFIO|Probe|Error - exiting)")
    eal = [t.strip() for t in be.text()
           if t.startswith("EAL:") and not info.match(t) or "Cause:" in t]
    why = (eal or err.tail or [""])[0].strip()
    if eal and mem.mode == "hugepages":
        hint = f"; DPDK memory: hugepages ({mem.reason}): try --no-huge"
    elif eal:
        hint = f"; no usable hugepages ({mem.reason}) and --no-huge fails too"
    else:
        hint = ""
    return f"dpdk-testpmd (the backend) did not start: {err}: {why}{hint}"


# --- one run ----------------------------------------------------------------------

def run_once(ctx, case, size, subject, run, seconds):
    """One run of a subject in a case and size: its figures, the backend's,
    the cores' shares and placement, clean or not, and the cross-check."""
    sock = os.path.join(ctx.tmp, "vhost.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.mem.scrub()
    procs = []
    c2c = [placement.probe_c2c(ctx)]
    try:
        window = measure(ctx, case, size, subject, seconds, sock, procs, c2c)
    finally:
        for p in reversed(procs):
            if p.alive():
                p.stop(10)
        if os.path.exists(sock):
            os.unlink(sock)
        keep_logs(ctx, procs, lambda p: f"{case}-{size}-{subject}-{run}-"
                                        f"{'backend' if p is procs[0] else 'subject'}.log")
    r = judge_run(ctx, case, size, subject, procs, window, c2c)
    if subject.startswith("nfos") and ctx.cpus > 1:
        r["lcores"] = lcores.per_lcore(text for _, text in procs[1].lines)
    return r


def measure(ctx, case, size, subject, seconds, sock, procs, c2c):
    """Starts the backend and the subject (appended to procs), measures the
    window, stops both and probes the cores (appended to c2c). Returns (w0,
    w1, CPU seconds at w0, at w1)."""
    c = CASES[case]
    be = Proc("backend", testpmd_argv("backend", f"net_vhost0,iface={sock},queues=1",
                                      BACKEND_CORE, ctx.mem, c["backend"], size, True),
              BACKEND_CORE, ctx.tmp)
    procs.append(be)
    try:
        wait_socket(sock, be)
    except RunFailed as e:
        raise BenchError(backend_error(ctx.mem, be, e))
    cpus = ctx.cpus if subject.startswith("nfos") else 1  # --cpus: the nfos subjects'
    in_nfos = subject in dpdk_nfos.SUBJECTS
    su = Proc(subject, subject_argv(subject, case, size, sock, ctx.mem, ctx.images,
                                    ctx.accel, ctx.warmup, seconds, cpus, STOP_SLACK[ctx.smoke]),
              lcores.cores(cpus, SUBJECT_CORE), ctx.tmp, stdin_pipe=in_nfos)
    procs.append(su)
    ready = su.wait_for(dpdk_nfos.READY if in_nfos else
                        READY["dpdk" if subject in TESTPMD_SUBJECTS else c["app"]],
                        ready_timeout(ctx, subject), [be])
    watch(procs, max(0.0, ready + ctx.warmup - time.monotonic()))
    w0, cpu0 = time.monotonic(), [p.cpu_seconds() for p in procs]
    watch(procs, seconds)
    w1, cpu1 = time.monotonic(), [p.cpu_seconds() for p in procs]
    watch(procs, GRACE)
    if in_nfos:
        status = dpdk_nfos.stop(su, 60)
    elif subject == NFVM:
        status = su.wait(60)  # the guest's --time ends it
    elif subject in QEMU_SUBJECTS:
        status = su.wait(60)  # the guest's --time ends it; QEMU says status*2+1
        if status is not None:
            status = nfos_cli.map_qemu_status(status, [])
    else:
        # The subject first: it still talks to the backend's socket as
        # it stops (a testpmd frontend dies of SIGPIPE otherwise).
        status = su.stop(15)
    be_status = be.stop(15)
    c2c.append(placement.probe_c2c(ctx))
    if status != 0:
        raise RunFailed(f"{subject} ended with status {status} after the window", su.tail())
    if be_status != 0:
        raise RunFailed(f"backend ended with status {be_status}", be.tail())
    return w0, w1, cpu0, cpu1


def judge_run(ctx, case, size, subject, procs, window, c2c):
    """The run's result from what the backend and the subject printed."""
    be, su = procs
    metric = CASES[case]["metric"]
    w0, w1, cpu0, cpu1 = window
    if subject in dpdk_nfos.SUBJECTS:
        res = dpdk_nfos.parse(su, be, case, parse_testpmd, w0, w1)
    else:
        res = (parse_testpmd if subject in TESTPMD_SUBJECTS else parse_nfos)(su, metric, w0, w1)
    be_res = parse_testpmd(be, metric, w0, w1)
    shares = [None if a is None or b is None else round((b - a) / (w1 - w0), 3)
              for a, b in zip(cpu0, cpu1)]
    res.update(backend={k: be_res.get(k) for k in ("rx", "tx", "drops", "tsc_mhz")},
               cpu_share={"backend": shares[0], "subject": shares[1]},
               window_s=round(w1 - w0, 3), c2c_cycles=c2c)
    res["clean"] = all(s is not None and s >= CLEAN_SHARE for s in shares)
    res["placed_apart"] = placement.placed_apart(ctx, c2c)
    if res["placed_apart"]:
        res["clean"] = False
    res["check"] = cross_check(case, size, res, be_res)
    if res.get("mpps") and be_res.get("tsc_mhz"):
        res["wall_cycles_per_pkt"] = round(be_res["tsc_mhz"] / res["mpps"], 1)
    missing = [k for k in ("mpps", "busy") if res.get(k) is None]
    if missing:
        raise RunFailed(f"{subject} printed no {' and no '.join(missing)} figure", su.tail())
    return res
