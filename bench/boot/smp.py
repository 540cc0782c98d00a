"""bench boot's SMP part: how long an application processor (AP) of a
2-vCPU image takes to start, under QEMU (each accelerator) and nfvm.

The image is l2fwd's SMP variant on a null port (--macswap, 100,000
packets: each lcore forwards on its own queue pair), booted with -smp 2 and
nfos.boottrace=1. lib/lcore prints one line per AP from the TSC stamps the
platform took (plat_smp_trace, include/nfos/plat/smp.h):

    boottrace: cpu1 start S ns, entry +E ns, cpl3 +C ns (T ns to start)

start: main asked the AP to start (QEMU: right before the INIT/SIPI
through the xAPIC; nfvm: right before the wake-up of the vCPU nfvm created
at exec, which sleeps until then); entry: the AP's first instruction (the
real-mode trampoline; under nfvm that is already the CPL3 entry); cpl3:
its first instruction at CPL3. T = cpl3 - start is the AP start time
reported; C (the trampoline's CPL0 path, 0 under nfvm) beside it. The
stamps are the same TSC on every vCPU (KVM and TCG keep them in step).
Medians of --runs, per AP, per monitor and accelerator."""

import re
import subprocess

from bench.common import stats
from tools import guest, nfos_cli

APP = "l2fwd"
CPUS = 2
PARAMS = ["netdev.dev=null", "nfos.boottrace=1", f"nfos.cpus={CPUS}"]
ARGS = ["--macswap", "--count", "100000"]
DONE = "l2fwd: total rx"
MEM = 64 << 20
TIMEOUT = 120
AP_LINE = re.compile(r"^boottrace: cpu(\d+) start (\d+) ns, entry \+(\d+) ns, cpl3 \+(\d+) ns "
                     r"\((\d+) ns to start\)$", re.M)


def parse(out):
    """{"cpu1": {"start_ns", "to_entry_ns", "cpl0_ns", "to_cpl3_ns"}, ...} from
    the boot trace; RuntimeError without an AP line."""
    aps = {}
    for m in AP_LINE.finditer(out):
        aps[f"cpu{m[1]}"] = {"start_ns": int(m[2]), "to_entry_ns": int(m[3]),
                             "cpl0_ns": int(m[4]), "to_cpl3_ns": int(m[5])}
    if not aps:
        raise RuntimeError(f"no AP line in the boot trace: {out[-2000:]!r}")
    return aps


def image():
    """The 2-vCPU image (built if needed)."""
    return nfos_cli.build(APP, "kvm", quiet=True, smp=nfos_cli.smp_variant(APP, CPUS))


def command(img, monitor):
    """The command line: monitor is "nfvm" or a QEMU accelerator."""
    cmdline = nfos_cli.guest_cmdline(PARAMS, ARGS)
    if monitor == "nfvm":
        return guest.nfvm_command(img, MEM, cmdline, cpus=CPUS)
    return nfos_cli.qemu_command(img, MEM, "microvm", monitor, cmdline, cpus=CPUS)


def one_run(img, monitor):
    """The APs' stamps of one boot; RuntimeError when the app did not run
    to its clean end (QEMU's exit 1 is the guest's 0, nfvm's 0 is it)."""
    r = subprocess.run(command(img, monitor), capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    clean = 0 if monitor == "nfvm" else 1
    if r.returncode != clean or DONE not in r.stdout:
        raise RuntimeError(f"{APP} --cpus {CPUS} under {monitor}: status {r.returncode}: "
                           f"{r.stdout[-1500:]} {r.stderr[-1500:]}")
    return parse(r.stdout)


def summarise(runs):
    """Per AP: summaries of the start time and of its CPL0 part."""
    out = {}
    for cpu in runs[0]:
        got = [r[cpu] for r in runs if cpu in r]
        out[cpu] = {k: stats.summary([g[k] for g in got], count="runs")
                    for k in ("to_cpl3_ns", "cpl0_ns")}
    return out


def measure(accels, runs, log=print):
    """{"app", "cpus", "qemu": {accel: per AP}, "nfvm": per AP or {"skipped"}}."""
    img = image()
    res = {"app": APP, "cpus": CPUS, "qemu": {}}
    for accel in accels:
        log(f"nfos bench boot: AP start, {APP} --cpus {CPUS} under QEMU {accel}, {runs} runs ...")
        res["qemu"][accel] = summarise([one_run(img, accel) for _ in range(runs)])
    if not nfos_cli.kvm_usable():
        res["nfvm"] = {"skipped": "nfvm needs a usable /dev/kvm (none here)"}
        return res
    log(f"nfos bench boot: AP start under nfvm, {runs} runs ...")
    guest.nfvm_path()  # built once, before the runs
    res["nfvm"] = summarise([one_run(img, "nfvm") for _ in range(runs)])
    return res


def fmt(s):
    return (f"{s['median'] / 1000:.1f} us (min {s['min'] / 1000:.1f}, "
            f"max {s['max'] / 1000:.1f})")


def rows(res):
    """Report rows: one per monitor (QEMU per accelerator, nfvm) and AP."""
    if not res or "skipped" in res:
        return [("AP start", f"skipped: {(res or {}).get('skipped', 'not measured')}")]
    out = []
    head = f"{res['app']} --cpus {res['cpus']}"
    for accel, aps in res["qemu"].items():
        for cpu, t in aps.items():
            cpl0 = t["cpl0_ns"]["median"] / 1000
            out.append((f"[{accel}] AP start, {head}: {cpu} INIT/SIPI -> CPL3",
                        f"{fmt(t['to_cpl3_ns'])}; CPL0 part {cpl0:.1f} us"))
    nf = res.get("nfvm", {"skipped": "not measured"})
    if "skipped" in nf:
        return out + [("[nfvm] AP start", f"skipped: {nf['skipped']}")]
    for cpu, t in nf.items():
        out.append((f"[nfvm] AP start, {head}: {cpu} wake -> CPL3", fmt(t["to_cpl3_ns"])))
    return out
