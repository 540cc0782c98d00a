"""--cpus N for the benchmarks (issue 13): the nfos subject runs with N
lcores (linuxu: nfos.cpus=N threads; kvm: QEMU -smp N), pinned to cores
0..N-1, and each lcore's busy cycles per request or packet come from the
lines the app prints at exit, one per lcore:

    kvstore: lcore 1 queue 1: requests 812 | ... | busy 310.2 cycles/request, 290.1 cycles/pkt
    kvstore: lcore 1 idle: no queue for it (port 0 (vhost0) has 1 queue pair(s))
    l2fwd: lcore 1 rx 1000 pkts tx 1000 pkts drops 0 | busy 45.6 cycles/pkt

A per-lcore figure must not rise with N: the lcores share nothing on the
fast path. The host here has two cores and the backend (kvgen, testpmd)
needs one of them: N >= 2 oversubscribes it, which the output says, and
the figures of such runs show the sharing, not the scaling
(docs/PERFORMANCE.md has the expectation for a larger host, on paper)."""

import os
import re

LCORE_MAX = 16  # lib/lcore's LCORE_MAX
BUSY = re.compile(r"([\d.]+) cycles/(request|pkt)")
LCORE_LINE = re.compile(r"^[\w-]+: lcore (\d+)\b(.*)$")  # kvstore-dpdk too
IDLE = re.compile(r"^idle: (.*)$")


def add_option(ap):
    ap.add_argument("--cpus", type=int, default=1,
                    help="lcores of the nfos subject (linuxu threads, kvm vCPUs), pinned to "
                         "cores 0..N-1 (default 1; N >= 2 shares cores with the backend here)")


def check(ap, cpus):
    if not 1 <= cpus <= LCORE_MAX:
        ap.error(f"--cpus must be in 1..{LCORE_MAX}")


def cores(cpus, core):
    """The taskset list for the subject: its own core with one lcore,
    cores 0..N-1 with several."""
    return str(core) if cpus == 1 else f"0-{cpus - 1}"


def params(cpus):
    """The subject's OS parameters for N lcores (none for one)."""
    return [f"nfos.cpus={cpus}"] if cpus > 1 else []


def oversubscribed(cpus, backend_cores=1, host_cores=None):
    """The line to print when the subject's lcores and the backend need more
    cores than the host has, else None."""
    host_cores = host_cores or os.cpu_count() or 1
    need = cpus + backend_cores
    if cpus == 1 or need <= host_cores:
        return None
    return (f"  --cpus {cpus}: {cpus} lcores + {backend_cores} backend core(s) = {need} > "
            f"{host_cores} host cores: the machine is oversubscribed, lcores and the backend "
            f"take turns on the cores; per-lcore busy cycles per request/packet are the "
            f"figure to read (they must not rise with N), not the rate")


def per_lcore(lines):
    """Each lcore's line of an app's exit report: [{"lcore", "idle" (the
    reason) or "busy_cycles_per_request"/"busy_cycles_per_pkt"}], by lcore."""
    out = {}
    for text in lines:
        m = LCORE_LINE.match(text)
        if not m:
            continue
        lc, rest = int(m.group(1)), m.group(2).strip()
        idle = IDLE.match(rest)
        if idle:
            out[lc] = {"lcore": lc, "idle": idle.group(1)}
            continue
        at = rest.find("busy ")
        busy = {f"busy_cycles_per_{unit}": float(v)
                for v, unit in BUSY.findall(rest[at:])} if at >= 0 else {}
        if busy:
            out[lc] = {"lcore": lc, **busy}
    return [out[k] for k in sorted(out)]


def lines_of(per):
    """Printable lines for per_lcore()'s result."""
    rows = []
    for r in per:
        if "idle" in r:
            rows.append(f"    lcore {r['lcore']}: idle ({r['idle']})")
            continue
        figs = ", ".join(f"{r[k]:.1f} busy cycles/{k.rsplit('_', 1)[1]}"
                         for k in ("busy_cycles_per_request", "busy_cycles_per_pkt") if k in r)
        rows.append(f"    lcore {r['lcore']}: {figs}")
    return rows
