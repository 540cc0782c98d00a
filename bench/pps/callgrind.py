"""Instructions per packet of the linuxu subjects of bench pps, load-proof:
each subject runs under callgrind (valgrind --tool=callgrind) against the
bench's backend (host dpdk-testpmd, net_vhost, pinned to core 0; the
subject to core 1), once for a short and once for a long window; the
difference of the two runs' instructions over the difference of their
packets is the cost of one packet, start-up and exit cancelled out. Per
function too: each function's own instructions (self cost, from
callgrind_annotate) the same way. Wall-clock rates under valgrind mean
nothing; instruction counts do not depend on the load of the machine.

Usage (from the repository root; the linuxu images it needs are built
first: rxsink, txgen, l2fwd, dpdk-testpmd):
  /usr/bin/python3 -m bench.pps.callgrind [--cases rx,tx,fwd]
      [--subjects nfos,testpmd,dpdk] [--short 4] [--long 12] [--top 25] [--keep DIR]
      [--json FILE] [--smoke] [--smp N]

--json FILE writes the figures (per case and subject: instructions per
packet, the top functions, burst calls per packet) for ./nfos bench all,
which runs this script as its "instr" piece and renders PERFORMANCE.md's
instructions-per-packet table from them. --smoke: 0.5 s and 2 s windows,
for tests (the figures are then rougher, not wrong).

Subjects: nfos = the native apps bench pps compares with (rxsink, txgen,
l2fwd --macswap; --smp N with --cases fwd --subjects nfos: l2fwd's SMP
variant, make SMP=1, with N lcores, nfos.cpus=N, each polling a queue pair,
whose pools have per-lcore caches when N > 1: issue 13's per-packet cost
against N), testpmd = the subject dpdk-in-nfos-linuxu (unmodified
testpmd over net_nfos: rxonly, txonly, macswap), dpdk = bench pps's peer,
Debian's dpdk-testpmd on net_virtio_user (--port vhost-user only; on
--no-huge memory, its functions named by address where Debian's libraries
have no symbols), each with the bench's arguments (bench/pps/run.py,
dpdk_nfos.py). Packets: rx counts what the
subject received, tx and fwd what it sent. Polls that find nothing cost
instructions too and are not per packet: the script prints the rx and tx
burst calls per packet beside each table (32 packets a burst at best: 1/32
= 0.031)."""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from bench.common import cli
from bench.common.dpdk import TESTPMD, Memory
from bench.common.images import build_images
from bench.common.proc import Unavailable
from bench.pps import dpdk_nfos, run
from tools import nfos_cli

BACKEND_CORE, SUBJECT_CORE = "0", "1"
CASES = {"rx": ("txonly", "rxsink", "rxonly"), "tx": ("rxonly", "txgen", "txonly"),
         "fwd": ("flowgen", "l2fwd", "macswap")}
SIZE = 64
FN_LINE = re.compile(r"^\s*([\d,]+) \([^)]*\)\s+(?:\?\?\?|[^:]*):(\S+)")
NFOS_TOTAL = re.compile(r"^\w+: total rx (\d+) pkts .*\| tx (\d+) pkts")
BURST_FNS = {"rx": ("nfos_pmd_rx_burst", "vhost_user_rx_burst", "virtio_recv_pkts"),
             "tx": ("nfos_pmd_tx_burst", "vhost_user_tx_burst", "virtio_xmit_pkts")}


def backend(case, sock, log):
    mode = CASES[case][0]
    txpkts = {"txonly": SIZE - 4, "flowgen": SIZE}.get(mode)
    argv = (["nice", "-n", "-19", "taskset", "-c", BACKEND_CORE, "stdbuf", "-oL", TESTPMD, "--lcores", f"0@{BACKEND_CORE},1@"
             f"{BACKEND_CORE}", "--file-prefix=nfos-cg-be", "--no-pci", "--vdev",
             f"net_vhost0,iface={sock},queues=1", "--no-huge", "-m", "64", "--",
             f"--forward-mode={mode}", "--auto-start", "--nb-cores=1",
             f"--total-num-mbufs={run.MBUFS}"] + ([f"--txpkts={txpkts}"] if txpkts else []))
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def image(app, smp=False):
    """The linuxu image with its symbols (the build keeps them in IMAGE.dbg,
    the same program unstripped): callgrind names functions from them."""
    path = nfos_cli.image_path(app, "linuxu", smp)
    if not os.path.exists(path):
        raise SystemExit(f"callgrind: no image {path}: make APP={app} PLAT=linuxu"
                         + (" SMP=1" if smp else ""))
    return path + ".dbg" if os.path.exists(path + ".dbg") else path


def subject_argv(subject, case, port, seconds, smp=0):
    """port: the netdev.dev of the subject's one port; smp: the nfos apps'
    SMP variant with that many lcores (0: the single-CPU image)."""
    if subject == "dpdk":
        # bench pps's peer as it runs there (net_virtio_user, testpmd's
        # arguments), on --no-huge memory: valgrind and hugepages do not mix.
        sock = port.split(":", 1)[1]
        argv = run.testpmd_argv("dpdk", f"net_virtio_user0,path={sock},queues=1", SUBJECT_CORE,
                                Memory(True, []), CASES[case][2], SIZE, False)
        # Without the periodic stats it waits for the newline run_subject sends.
        return [a for a in argv[2:] if not a.startswith("--stats-period")]
    if subject == "nfos":
        app = CASES[case][1]
        args = {"tx": ["--size", str(SIZE - 4)], "fwd": ["--macswap"]}.get(case, [])
        return ([image(app, smp > 0), f"netdev.dev={port}", "nfos.stats=1"] +
                ([f"nfos.cpus={smp}"] if smp else []) +
                ["--"] + args + ["--time", f"{seconds:g}"])
    return ([image(dpdk_nfos.APP), f"netdev.dev={port}",
             f"nfos.mem={dpdk_nfos.LINUXU_MEM}", f"nfos.cpus={dpdk_nfos.LCORES}", "--"] +
            dpdk_nfos.testpmd_args(CASES[case][2], SIZE, run.MBUFS, dpdk_nfos.LINUXU_EAL_MEM_MB))


def packets(subject, case, text):
    """What the subject received (rx) or sent (tx, fwd), from its exit lines
    (testpmd's accumulated statistics for testpmd and dpdk)."""
    if subject == "nfos":
        m = [NFOS_TOTAL.match(l) for l in text.splitlines()]
        m = [x for x in m if x]
        if not m:
            return None
        return int(m[-1].group(1 if case == "rx" else 2))
    acc = text.rsplit("Accumulated forward statistics", 1)
    key = "RX-packets" if case == "rx" else "TX-packets"
    m = re.search(key + r":\s+(\d+)", acc[-1]) if len(acc) == 2 else None
    return int(m.group(1)) if m else None


def wait_ready(path, pattern, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(path, errors="replace") as f:
            if re.search(pattern, f.read(), re.M):
                return True
        time.sleep(0.2)
    return False


def one_run(subject, case, seconds, tmp, tag, port, smp=0):
    """One callgrind run: (packets, {function: self instructions}, total)."""
    sock = os.path.join(tmp, f"{tag}.sock")
    out = os.path.join(tmp, f"{tag}.callgrind")
    if port == "null":
        text = run_subject(subject, case, "null", seconds, out, tmp, tag, smp)
        return result(subject, case, text, out, tmp, tag)
    with open(os.path.join(tmp, f"{tag}.backend.log"), "w") as blog:
        be = backend(case, sock, blog)
        try:
            if not wait_ready(blog.name, r"Press enter to exit|Port 0: link", 30):
                raise SystemExit(f"callgrind: the backend did not start (see {blog.name})")
            time.sleep(0.5)
            text = run_subject(subject, case, f"vhost-user:{sock}", seconds, out, tmp, tag, smp)
        finally:
            be.communicate(b"\n", timeout=30)
    return result(subject, case, text, out, tmp, tag)


def result(subject, case, text, out, tmp, tag):
    n = packets(subject, case, text)
    if not n:
        raise SystemExit(f"callgrind: {tag}: no packet count in its output "
                         f"(see {os.path.join(tmp, tag + '.log')})")
    fns, total = annotate(out)
    return n, fns, total


def run_subject(subject, case, port, seconds, out, tmp, tag, smp=0):
    argv = (["taskset", "-c", SUBJECT_CORE, "stdbuf", "-oL", "valgrind", "--tool=callgrind",
             f"--callgrind-out-file={out}"] + subject_argv(subject, case, port, seconds, smp))
    log = os.path.join(tmp, f"{tag}.log")
    with open(log, "w") as f:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True)
        if subject in ("testpmd", "dpdk"):
            # Ready, then the window, then a newline: testpmd stops itself.
            if not wait_ready(log, r"^Press enter to exit", 300):
                p.kill()
                raise SystemExit(f"callgrind: testpmd did not start (see {log})")
            time.sleep(seconds)
            p.communicate(b"\n", timeout=300)
        else:
            p.communicate(timeout=seconds + 300)
    with open(log, errors="replace") as f:
        return f.read()


def annotate(path):
    """({function: self instructions}, total) from callgrind_annotate."""
    text = subprocess.run(["callgrind_annotate", "--auto=no", "--threshold=100", path],
                          capture_output=True, text=True, check=True).stdout
    return parse_annotate(text)


def parse_annotate(text):
    """({function: self instructions}, total) from callgrind_annotate's
    function list (--auto=no); a function inlined from several files is
    summed."""
    fns, total = {}, 0
    for line in text.splitlines():
        m = FN_LINE.match(line)
        if m and "PROGRAM TOTALS" not in line:
            name = symbol(m.group(2), line)
            fns[name] = fns.get(name, 0) + int(m.group(1).replace(",", ""))
        elif "PROGRAM TOTALS" in line:
            total = int(line.split()[0].replace(",", ""))
    return fns, total


def symbol(name, line):
    """A function callgrind names by address only (assembly without a
    symbol size, as musl's memcpy) named by addr2line from its image."""
    image = re.search(r"\[(\S+)\]\s*$", line)
    if not name.startswith("0x") or not image or not shutil.which("addr2line"):
        return name
    r = subprocess.run(["addr2line", "-f", "-e", image.group(1), name], capture_output=True,
                       text=True)
    fn = r.stdout.split("\n", 1)[0].strip()
    return f"{fn} ({name})" if r.returncode == 0 and fn and fn != "??" else name


def calls(path, names):
    """Calls of each function named, from the callgrind output's calls= lines."""
    text = open(path, errors="replace").read()
    out = {}
    for name in names:
        # cfn=(id) name ... calls=N: the first mention names the id.
        ids = re.findall(r"^c?fn=\((\d+)\) " + re.escape(name) + r"$", text, re.M)
        if not ids:
            continue
        pat = re.compile(r"^cfn=\(" + ids[0] + r"\)(?: \S+)?\ncalls=(\d+)", re.M)
        out[name] = sum(int(c) for c in pat.findall(text))
    return out


def measure(subject, case, short, long, tmp, port, tries=2, smp=0):
    for _ in range(tries):
        # On a loaded machine the subject may get little of its core in a
        # window: a long run that moved no more packets is run again.
        a = one_run(subject, case, short, tmp, f"{subject}-{case}-short", port, smp)
        b = one_run(subject, case, long, tmp, f"{subject}-{case}-long", port, smp)
        dn = b[0] - a[0]
        if dn > 0:
            break
    else:
        raise SystemExit(f"callgrind: {subject} {case}: the long run moved no more packets "
                         f"({a[0]}, {b[0]}), {tries} times")
    per = {f: (b[1].get(f, 0) - a[1].get(f, 0)) / dn for f in set(a[1]) | set(b[1])}
    names = [n for fs in BURST_FNS.values() for n in fs]
    ca = calls(os.path.join(tmp, f"{subject}-{case}-short.callgrind"), names)
    cb = calls(os.path.join(tmp, f"{subject}-{case}-long.callgrind"), names)
    bursts = {n: (cb.get(n, 0) - ca.get(n, 0)) / dn for n in names if n in cb}
    return {"packets": (a[0], b[0]), "total": (b[2] - a[2]) / dn, "per": per, "bursts": bursts}


def apps(cases, subjects):
    """The linuxu images the run needs."""
    return [CASES[c][1] if s == "nfos" else dpdk_nfos.APP for c in cases for s in subjects
            if s != "dpdk"]


def build(cases, subjects, smp=0):
    """Builds the images (each once, all at once; the nfos apps' SMP variants
    with smp, testpmd's image being SMP already); exits naming a failed one."""
    wanted = [(a, "linuxu") for a in apps(cases, subjects)]
    for (app, _), img in build_images(wanted, cpus=2 if smp else 1).items():
        if isinstance(img, Unavailable):
            sys.exit(f"callgrind: {img}")


def results_json(args, results, top):
    """What --json writes: the run's settings and, per case and subject,
    instructions per packet with its top functions (self cost)."""
    rows = []
    for (case, subject), r in results:
        fns = sorted(((f, v) for f, v in r["per"].items() if abs(v) >= 0.05),
                     key=lambda kv: -kv[1])[:top]
        rows.append({"case": case, "subject": subject,
                     "program": CASES[case][1 if subject == "nfos" else 2],
                     "instructions_per_packet": round(r["total"], 2),
                     "packets": list(r["packets"]),
                     "bursts_per_packet": {n: round(v, 4) for n, v in r["bursts"].items()},
                     "top_functions": [[f, round(v, 2)] for f, v in fns]})
    return {"benchmark": "callgrind", "date": cli.now(), "command": " ".join(
        ["/usr/bin/python3 -m bench.pps.callgrind", f"--cases {','.join(args.cases)}",
         f"--subjects {','.join(args.subjects)}", f"--short {args.short:g}",
         f"--long {args.long:g}", f"--port {args.port}"] +
        ([f"--smp {args.smp}"] if getattr(args, "smp", 0) else [])),
        "nfos_smp_lcores": getattr(args, "smp", 0) or None, "port": args.port, "size": SIZE, "short_s": args.short, "long_s": args.long,
        "results": rows}


def report(subject, case, r, top, smp=0):
    smp = f", SMP variant, {smp} lcore{'s' if smp > 1 else ''}" if smp and subject == "nfos" else ""
    print(f"\n{subject} {case} ({CASES[case][1 if subject == 'nfos' else 2]}{smp}): "
          f"{r['total']:.1f} instructions/packet "
          f"(packets {r['packets'][0]} short, {r['packets'][1]} long)")
    if r["bursts"]:
        print("  burst calls per packet: " +
              ", ".join(f"{n} {v:.3f}" for n, v in sorted(r["bursts"].items())))
    for f, v in sorted(r["per"].items(), key=lambda kv: -kv[1])[:top]:
        if abs(v) >= 0.05:
            print(f"  {v:8.1f}  {f}")


def parse(ap, argv):
    args = ap.parse_args(argv)
    if args.smoke:
        args.short, args.long = 0.5, 2.0
    if not 0 < args.short < args.long:
        ap.error(f"--short ({args.short:g}) must be above 0 and below --long ({args.long:g})")
    if not 0 <= args.smp <= 16:
        ap.error(f"--smp {args.smp}: 1 to 16 lcores (0: the single-CPU images)")
    if "dpdk" in args.subjects and args.port != "vhost-user":
        ap.error("--subjects dpdk: DPDK's testpmd on net_virtio_user needs the backend: "
                 "--port vhost-user")
    if args.smp and (args.cases != ["fwd"] or set(args.subjects) != {"nfos"}):
        ap.error("--smp: the nfos apps' lcores are l2fwd's only (rxsink and txgen have none, "
                 "testpmd's image is SMP already): --cases fwd --subjects nfos")
    return args


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=cli.csv("case", tuple(CASES)), default=list(CASES))
    ap.add_argument("--subjects", type=cli.csv("subject", ("nfos", "testpmd", "dpdk")),
                    default=["nfos", "testpmd"])
    ap.add_argument("--short", type=float, default=4)
    ap.add_argument("--long", type=float, default=12)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--port", choices=("null", "vhost-user"), default="null")
    ap.add_argument("--keep", help="keep the logs and callgrind outputs in this folder")
    ap.add_argument("--json", metavar="FILE", help="write the figures to FILE")
    ap.add_argument("--smoke", action="store_true", help="0.5 s and 2 s windows (tests)")
    ap.add_argument("--smp", type=int, default=0, metavar="N",
                    help="the nfos apps' SMP variants with N lcores (default: single-CPU)")
    args = parse(ap, argv)
    for tool in ("valgrind", "callgrind_annotate", TESTPMD):
        if not shutil.which(tool):
            sys.exit(f"callgrind: {tool} not found (./nfos deps; valgrind from Debian)")
    build(args.cases, args.subjects, args.smp)
    tmp = args.keep or tempfile.mkdtemp(prefix="nfos-callgrind-")
    os.makedirs(tmp, exist_ok=True)
    results = []
    try:
        for case in args.cases:
            for subject in args.subjects:
                r = measure(subject, case, args.short, args.long, tmp, args.port, smp=args.smp)
                report(subject, case, r, args.top, args.smp)
                results.append(((case, subject), r))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(f"results: {cli.write_json(results_json(args, results, args.top), args.json)}")


if __name__ == "__main__":
    main()
