"""bench boot's nfvm part: the same images under nfvm (vmm/) beside QEMU
microvm, in the same run. Needs a usable /dev/kvm; without it the part is
skipped and the results say why.

Per app (helloworld; pong on a null port, --time 0.2), median of --runs:
  - wall: exec of nfvm -> the app's first line (main), and -> nfvm's exit,
    with the command line QEMU's runs have (no boot trace)
  - the split Unikraft's artifact reports: monitor time (nfvm's main ->
    the vCPU's first entry, from `nfvm --trace`) and guest time (the image's
    entry -> main, from nfos.boottrace=1), from a traced run after each
    plain one
  - nfvm's peak RSS (the guest RAM it touched included), from the traced
    run's `nfvm: peak RSS` line (/proc's VmHWM; wait4()'s ru_maxrss would
    hold this Python's own peak: the child starts as its vfork)
and the ratio QEMU microvm / nfvm of exec -> helloworld main."""

import os
import re

from bench.common import stats
from bench.common.proc import timed_output
from tools import guest, nfos_cli

TIMEOUT = 30
APPS = {
    "helloworld": ([], [], "Hello from nfos!"),
    "pong": (["netdev.dev=null", "netdev.ip=10.0.0.2/24"], ["--time", "0.2"],
             "pong: port 0 "),
}
TRACE = re.compile(r"^nfvm: trace \(ms after main\): memory ([\d.]+), image ([\d.]+), "
                   r"kvm ([\d.]+), boot info ([\d.]+), vcpu ([\d.]+), end ([\d.]+); "
                   r"first exit ([\d.]+); (\d+) exits$", re.M)
PEAK_RSS = re.compile(r"^nfvm: peak RSS (\d+) KiB$", re.M)


def skip_reason():
    """Why nfvm cannot be measured here, or None."""
    if not nfos_cli.kvm_usable():
        return "nfvm needs a usable /dev/kvm (none here)"
    return None


def parse_trace(err):
    """nfvm --trace's line: {'vcpu_ms': ..., 'first_exit_ms': ..., ...}."""
    m = TRACE.search(err)
    if not m:
        raise RuntimeError(f"no nfvm trace line in: {err[-2000:]!r}")
    names = ("memory", "image", "kvm", "boot_info", "vcpu", "end", "first_exit")
    out = {f"{n}_ms": float(v) for n, v in zip(names, m.groups())}
    out["exits"] = int(m.group(8))
    rss = PEAK_RSS.search(err)
    if not rss:
        raise RuntimeError(f"no nfvm peak RSS line in: {err[-2000:]!r}")
    out["peak_rss_kib"] = int(rss.group(1))
    return out


def parse_boottrace(out):
    """The image's entry -> main in ns, from nfos.boottrace=1."""
    st = dict(re.findall(r"^boottrace: (\w+) +(\d+) ns", out, re.M))
    if "main" not in st:
        raise RuntimeError(f"no boot trace in: {out[-2000:]!r}")
    return int(st["main"])


def one_run(image, params, args, want, traced):
    """(exec -> want, exec -> exit, monitor ms, guest ns, peak RSS KiB);
    untraced, the command is QEMU's in bench boot (no boot trace), and the
    split and the RSS are None: the boot trace's lines cost a port exit per byte, which
    the wall times must not carry. A run that has not ended after TIMEOUT s
    is killed and fails."""
    cmd = guest.nfvm_command(image, 64 << 20, nfos_cli.guest_cmdline(
        list(params) + (["nfos.boottrace=1"] if traced else []), list(args)))
    if traced:
        cmd.insert(1, "--trace")
    t_main, t_exit, out, err, status, _ = timed_output(cmd, want, TIMEOUT)
    if status is None:
        raise RuntimeError(f"{os.path.basename(image)} under nfvm: not ended after {TIMEOUT} s "
                           f"(killed): {out[-1000:]} {err[-1000:]}")
    if t_main is None or status != 0:
        raise RuntimeError(f"{os.path.basename(image)} under nfvm: status {status}, "
                           f"never printed {want!r}: {out[-1000:]} {err[-1000:]}")
    if not traced:
        return t_main, t_exit, None, None, None
    tr = parse_trace(err)
    return t_main, t_exit, tr["vcpu_ms"], parse_boottrace(out), tr["peak_rss_kib"]


def measure(images, runs):
    """{app: summaries} under nfvm, or {'skipped': why}."""
    why = skip_reason()
    if why:
        return {"skipped": why}
    guest.nfvm_path()  # built once, before the timed runs
    res = {}
    for app, (params, args, want) in APPS.items():
        # Plain and traced runs alternate, so that both see the same host.
        got = [[one_run(images[app], params, args, want, traced) for traced in (False, True)]
               for _ in range(runs)]
        plain, traced = [g[0] for g in got], [g[1] for g in got]
        res[app] = {
            "wall_exec_to_main_s": stats.summary([g[0] for g in plain], count="runs"),
            "wall_exec_to_exit_s": stats.summary([g[1] for g in plain], count="runs"),
            "monitor_main_to_vcpu_ms": stats.summary([g[2] for g in traced], count="runs"),
            "guest_entry_to_main_ns": stats.summary([g[3] for g in traced], count="runs"),
            "nfvm_max_rss_kib": stats.summary([g[4] for g in traced], count="runs"),
        }
    return res


def rows(res, qemu_times):
    """Report rows; qemu_times: bench boot's own (kvm) times, for the ratio."""
    if "skipped" in res:
        return [("nfvm", f"skipped: {res['skipped']}")]
    out = []
    for app, t in res.items():
        w, e = t["wall_exec_to_main_s"], t["wall_exec_to_exit_s"]
        out += [(f"[nfvm] {app}: wall exec -> main", f"{w['median'] * 1e3:.3f} ms "
                 f"(min {w['min'] * 1e3:.3f}, max {w['max'] * 1e3:.3f})"),
                (f"[nfvm] {app}: wall exec -> exit", f"{e['median'] * 1e3:.3f} ms"),
                (f"[nfvm] {app}: monitor (main -> vCPU) / guest (entry -> main)",
                 f"{t['monitor_main_to_vcpu_ms']['median']:.3f} ms / "
                 f"{t['guest_entry_to_main_ns']['median'] / 1e3:.1f} us"),
                (f"[nfvm] {app}: nfvm peak RSS", f"{t['nfvm_max_rss_kib']['median']:.0f} KiB")]
    q = (qemu_times or {}).get("wall_exec_to_main_s")
    if q and "helloworld" in res:
        ratio = q["median"] / res["helloworld"]["wall_exec_to_main_s"]["median"]
        out.append(("QEMU microvm / nfvm, exec -> helloworld main", f"{ratio:.1f}x"))
    return out
