"""bench boot's DPDK part: DPDK's testpmd, unmodified, as a kvm image
(apps/dpdk-testpmd) on microvm with 2 vCPUs and two net_null ports, in 64
MiB of guest RAM: wall time from exec of QEMU to its interactive prompt
"testpmd> " on the serial console (EAL init, the mempool, both ports
started), median of --runs, per accelerator; under KVM also under nfvm
(our monitor: the same image, 2 vCPUs started at its CPL3 entry). Skipped, with the reason in the
results, when Debian's DPDK source cannot be fetched."""

import os
import select
import subprocess
import time

from bench.boot import nfvm
from bench.common import stats
from tools import guest, nfos_cli
from tools.nfos_cli import ROOT

APP = "dpdk-testpmd"
PROMPT = b"testpmd> "
CPUS = 2
NFVM = "nfvm"  # the "accelerator" of the run under nfvm (KVM, our monitor)
MEM = 64 << 20
PARAMS = [f"nfos.cpus={CPUS}"]
ARGS = ["--vdev", "net_null0", "--vdev", "net_null1", "--", "-i", "--total-num-mbufs", "2048"]
TIMEOUT = 180  # seconds to the prompt: TCG on a loaded machine
# mk/dpdk.sh's words when `apt-get source dpdk` gives nothing.
FETCH_FAILED = ("apt-get source dpdk failed", "gave no 22.11 source")


def image():
    """(path of the testpmd image, None) or (None, why it cannot be built)."""
    r = subprocess.run(["sh", os.path.join(ROOT, "mk", "dpdk.sh"), ROOT], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        fetch = any(s in r.stderr for s in FETCH_FAILED)
        return None, ("Debian's DPDK source cannot be fetched" if fetch
                      else "mk/dpdk.sh failed") + ": " + r.stderr.strip()[-300:]
    return nfos_cli.build(APP, "kvm", quiet=True), None


def until_prompt(stream, deadline):
    """Reads stream until PROMPT; True when seen before deadline and EOF."""
    seen = b""
    while PROMPT not in seen:
        left = deadline - time.perf_counter()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            return False
        chunk = os.read(stream.fileno(), 65536)
        if not chunk:
            return False
        seen = seen[-len(PROMPT):] + chunk
    return True


def prompt_s(path, accel):
    """Seconds from exec of the monitor (accel: QEMU's accelerator, or
    "nfvm") to "testpmd> " (the guest is killed then)."""
    cmdline = nfos_cli.guest_cmdline(PARAMS, ARGS)
    cmd = (guest.nfvm_command(path, MEM, cmdline, cpus=CPUS) if accel == NFVM else
           nfos_cli.qemu_command(path, MEM, "microvm", accel, cmdline, cpus=CPUS))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    try:
        if not until_prompt(p.stdout, t0 + TIMEOUT):
            raise RuntimeError(f"{APP} under {accel}: no prompt within {TIMEOUT} s")
        return time.perf_counter() - t0
    finally:
        p.kill()
        p.wait()


def measure(accels, runs, log=print, build=True):
    """{"bytes": ..., "times": {accel: summary}} or {"skipped": why}.
    build=False (--smoke): the image only if built already (DPDK's build
    from an empty cache takes minutes)."""
    if build:
        path, why = image()
    else:
        path = nfos_cli.image_path(APP, "kvm")
        why = None if os.path.exists(path) else "--smoke builds no DPDK image, and none is built"
    if why:
        return {"skipped": why}
    res = {"image": os.path.relpath(path, ROOT), "bytes": os.path.getsize(path),
           "cpus": CPUS, "mem_bytes": MEM, "times": {}}
    # nfvm beside QEMU under KVM (its vCPUs start at the CPL3 entry).
    accels = list(accels) + ([NFVM] if "kvm" in accels and nfvm.skip_reason() is None else [])
    if NFVM in accels:
        guest.nfvm_path()  # built once, before the timed runs
    for accel in accels:
        log(f"nfos bench boot: {APP} to its prompt under {accel}, {runs} runs ...")
        res["times"][accel] = stats.summary([prompt_s(path, accel) for _ in range(runs)],
                                            count="runs")
    return res


def rows(res):
    """The report's rows for this part."""
    if "skipped" in res:
        return [(f"{APP}", f"skipped: {res['skipped']}")]
    out = []  # the image's size is bench_boot's dpdk_rows'
    for accel, s in res["times"].items():
        out.append((f"[{accel}] {APP}: wall: exec -> \"testpmd>\" ({res['cpus']} vCPUs, "
                    f"{res['mem_bytes'] >> 20} MiB)",
                    f"{s['median'] * 1000:.1f} ms (min {s['min'] * 1000:.1f}, "
                    f"max {s['max'] * 1000:.1f})"))
    return out
