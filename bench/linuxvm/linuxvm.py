"""bench/linuxvm: the Linux VM peer -- Debian's kernel, a small initramfs,
DPDK testpmd (or memcached) inside -- on the same virtio-net-pci NIC and
vhost-user backend as nfos.

    python3 -m bench.linuxvm.linuxvm build
    python3 -m bench.linuxvm.linuxvm run rxonly|txonly|macswap [--seconds S] [--mem SIZE]
    python3 -m bench.linuxvm.linuxvm run memcached --tap IF --ip ADDR/PREFIX [--seconds S]
    python3 -m bench.linuxvm.linuxvm boot-time [--runs N]
    python3 -m bench.linuxvm.linuxvm smallest-ram
    python3 -m bench.linuxvm.linuxvm smoke

(from the repository's root, the one import root of tools/ and bench/).

`run` with a testpmd mode starts the host side itself: dpdk-testpmd with a
net_vhost port (--no-pci --no-huge, a shared memfd) on core 0, in the mode
that feeds or drains the guest's (rxonly <- txonly, txonly -> rxonly,
macswap <-> flowgen); the VM runs on core 1. It prints the guest's console
and a summary: boot time, packets, Mpp/s, busy cycles per packet (testpmd's
--record-core-cycles inside the guest) and the accelerator.

Accelerator: KVM only where a Linux guest boots on it, i.e. /dev/kvm is
usable and backed by hardware virtualization (kvm_intel or kvm_amd); on
PVM-based nested KVM (kvm_pvm) Debian's kernel does not boot, so TCG
(`-accel tcg -cpu max`). Every figure is labelled with it.

Boot time is exec of QEMU -> the guest's "linuxvm: testpmd ready" line (testpmd
has configured the port and started forwarding). Image size is the bytes the
VMM loads: kernel + initramfs.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench.linuxvm import build as _build
from tools import nfos_cli

TESTPMD_MODES = ("rxonly", "txonly", "macswap")
MODES = TESTPMD_MODES + ("memcached",)
BACKEND_MODE = {"rxonly": "txonly", "txonly": "rxonly", "macswap": "flowgen"}
BACKEND_CORE, VM_CORE = 0, 1
DEFAULT_MEM = 512 << 20
# reboot=t: microvm has no reset the kernel knows (no i8042, no ACPI reset
# register), so a panic or `reboot -f` would hang; a triple fault ends QEMU
# (-no-reboot) instead.
KERNEL_PARAMS = ["console=ttyS0", "quiet", "panic=-1", "reboot=t"]
PANIC = re.compile(r"Kernel panic - not syncing: .*")
READY = re.compile(r"^linuxvm: (testpmd|memcached) ready")
BOOT_TIMEOUT = 240  # s to the ready line: TCG on a loaded 2-core host is slow
PMD_CYCLES = re.compile(r"CPU cycles/packet=([\d.]+) \(total cycles=(\d+) / total (\w+) "
                        r"packets=(\d+)\) at (\d+) MHz")


class Error(Exception):
    """Stops the command with one line."""


def role(mode):
    """Which initramfs a mode boots: "testpmd" or "memcached"."""
    return "memcached" if mode == "memcached" else "testpmd"


def build(log=None):
    """The kernel and initramfs images (built once, then from the cache): a
    dict with kernel, kernel_bytes, initramfs, initramfs_bytes and
    image_bytes (kernel + initramfs: what QEMU loads) of the testpmd role,
    and the same per role (see role()) under roles."""
    try:
        return _build.build(log=log)
    except _build.BuildError as e:
        raise Error(str(e))


def accel():
    """'kvm' where a Linux guest boots under KVM, else 'tcg'; and why."""
    if not nfos_cli.kvm_usable():
        return "tcg", "no usable /dev/kvm"
    if os.path.isdir("/sys/module/kvm_pvm"):
        return "tcg", "/dev/kvm is PVM-based (kvm_pvm), where Debian's kernel does not boot"
    if os.path.isdir("/sys/module/kvm_intel") or os.path.isdir("/sys/module/kvm_amd"):
        return "kvm", "hardware KVM"
    return "tcg", "/dev/kvm is neither kvm_intel nor kvm_amd"


def host_tsc_khz():
    """The host's TSC frequency in kHz: under TCG the guest's rdtsc reads
    the host's TSC. From the host kernel's log, else /proc/cpuinfo."""
    try:
        log = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        log = ""
    for pat in (r"tsc: Refined TSC clocksource calibration: ([\d.]+) MHz",
                r"tsc: Detected ([\d.]+) MHz processor"):
        m = re.findall(pat, log)
        if m:
            return round(float(m[-1]) * 1000)
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^cpu MHz\s*:\s*([\d.]+)", f.read(), re.M)
    return round(float(m.group(1)) * 1000) if m else None


def qemu_command(mode, sock=None, mem=DEFAULT_MEM, accel="tcg", image=None, seconds=10,
                 txpkts=None, tap=None, ip=None, params=()):
    """QEMU's argv for one mode. sock: a vhost-user backend's socket (guest
    RAM is then a shared memfd); tap: a TAP interface instead (memcached).
    One virtio-net-pci NIC, modern only, no MSI-X vectors (QEMU 7.2 under
    TCG with vhost-user crashes when the guest enables MSI-X), on microvm
    with PCIe as nfos uses. The guest stops itself: testpmd `seconds` after
    it is ready, then status*2+1 through isa-debug-exit."""
    if mode not in MODES:
        raise Error(f"unknown mode '{mode}' ({', '.join(MODES)})")
    if (sock is None) == (tap is None):
        raise Error("one of a vhost-user socket and a TAP interface")
    image = image or build()
    m = "microvm,pcie=on"
    extra = []
    if sock:
        extra += ["-object", f"memory-backend-memfd,id=mem,size={mem >> 10}K,share=on",
                  "-chardev", f"socket,id=c0,path={sock}",
                  "-netdev", "vhost-user,id=n0,chardev=c0"]
        m += ",memory-backend=mem"
    else:
        extra += ["-netdev", f"tap,id=n0,ifname={tap},script=no,downscript=no"]
    extra += ["-device", "virtio-net-pci,netdev=n0,disable-legacy=on,romfile=,vectors=0"]
    cmdline = KERNEL_PARAMS + [f"linuxvm.mode={mode}", f"linuxvm.seconds={seconds:g}"]
    khz = host_tsc_khz() if accel == "tcg" else None
    if khz:
        # Without it the kernel calibrates the TSC against the PIT, which
        # fails under TCG on a busy host (no HPET or PM timer on microvm to
        # fall back on) and then hangs with no clocksource.
        cmdline.append(f"tsc_early_khz={khz}")
    if txpkts:
        cmdline.append(f"linuxvm.txpkts={txpkts}")
    if ip:
        cmdline.append(f"linuxvm.ip={ip}")
    cmdline += list(params)
    cpu = "host,-arch-capabilities" if accel == "kvm" else "max"
    return ["qemu-system-x86_64", "-accel", accel, "-M", m, "-cpu", cpu, "-smp", "1",
            "-m", f"{mem >> 10}K", "-nodefaults", "-no-user-config", "-nographic",
            "-no-reboot", "-serial", "stdio", "-device", nfos_cli.DEBUG_EXIT] + extra + [
            "-kernel", image["kernel"], "-initrd", image["roles"][role(mode)]["initramfs"],
            "-append", " ".join(cmdline)]


def guest_status(qemu_status):
    """The guest's status from QEMU's (isa-debug-exit: status*2+1)."""
    return nfos_cli.map_qemu_status(qemu_status, [])


def parse_testpmd(lines):
    """Totals from testpmd's output: rx, tx, drops (accumulated forward
    statistics), busy cycles per packet and the TSC MHz (--record-core-cycles,
    printed when it stops), and the Rx-pps/Tx-pps of each periodic line."""
    text = "\n".join(lines)
    out = {"rx_pps": [int(x) for x in re.findall(r"Rx-pps:\s+(\d+)", text)],
           "tx_pps": [int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", text)]}
    acc = text.rsplit("Accumulated forward statistics", 1)
    if len(acc) == 2:
        m = re.search(r"RX-packets:\s+(\d+)\s+RX-dropped:\s+(\d+)", acc[1])
        n = re.search(r"TX-packets:\s+(\d+)\s+TX-dropped:\s+(\d+)", acc[1])
        if m and n:
            out.update(rx=int(m.group(1)), tx=int(n.group(1)), drops=int(n.group(2)))
    m = PMD_CYCLES.search(text)
    if m:
        out.update(busy=float(m.group(1)), busy_per=f"{m.group(3)} packets",
                   tsc_mhz=int(m.group(5)))
    return out


# --- processes ----------------------------------------------------------------

class Proc:
    """A child in its own session, killed if we die, pinned to one core; its
    lines kept with the time each came. stop() ends its whole session."""

    def __init__(self, argv, core, echo=False):
        self.lines = []
        self.start = time.monotonic()
        self.p = subprocess.Popen(
            ["setpriv", "--pdeathsig", "KILL", "--", "taskset", "-c", str(core)] + argv,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, errors="replace", start_new_session=True)
        self.echo = echo
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            line = line.rstrip("\r\n").replace("\x1b[2J\x1b[1;1H", "")
            self.lines.append((time.monotonic(), line))
            if self.echo:
                print(line, flush=True)

    def text(self):
        return [t for _, t in self.lines]

    def tail(self, n=3):
        return [t for t in self.text() if t.strip()][-n:]

    def wait_for(self, pattern, timeout):
        """Seconds from start to the first line matching pattern, or None
        when the process ends first or timeout passes."""
        end = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < end:
            lines = self.lines
            for t, text in lines[seen:]:
                if pattern.search(text):
                    return t - self.start
            seen = len(lines)
            if self.p.poll() is not None:
                self.reader.join(2)
                if len(self.lines) == seen:
                    return None
                continue
            time.sleep(0.02)
        return None

    def wait(self, timeout):
        """Its status, or None when it had to be killed after timeout."""
        try:
            self.p.wait(timeout=timeout)
            status = self.p.returncode
        except subprocess.TimeoutExpired:
            status = None
        self.stop()
        return status

    def stop(self, sig=signal.SIGKILL):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(timeout=10)
        self.reader.join(5)


class Backend:
    """Host dpdk-testpmd with a net_vhost port on core 0, --no-huge (its
    memory a shared memfd, which net_vhost maps), for this module's own runs.
    The packet benchmark (bench/pps) uses its own, with hugepages."""

    def __init__(self, mode, txpkts=None):
        if not shutil.which("dpdk-testpmd"):
            raise Error("dpdk-testpmd is missing: ./nfos deps (or apt-get install dpdk-dev)")
        self.tmp = tempfile.mkdtemp(prefix="nfos-linuxvm-")
        self.sock = os.path.join(self.tmp, "vhost.sock")
        self.prefix = f"nfos-linuxvm-{os.getpid()}"
        argv = ["stdbuf", "-oL", "dpdk-testpmd", "--lcores", f"0@{BACKEND_CORE},1@{BACKEND_CORE}",
                f"--file-prefix={self.prefix}", "--no-pci", "--no-huge", "-m", "64",
                "--vdev", f"net_vhost0,iface={self.sock},queues=1", "--",
                f"--forward-mode={mode}", "--auto-start", "--stats-period=1", "--nb-cores=1",
                "--total-num-mbufs=8192"]
        if txpkts and mode == "txonly":
            argv.append(f"--txpkts={txpkts}")
        self.proc = Proc(argv, BACKEND_CORE)
        end = time.monotonic() + 30
        while not os.path.exists(self.sock):
            if self.proc.p.poll() is not None or time.monotonic() > end:
                tail = "; ".join(self.proc.tail())
                self.close()
                raise Error(f"the host dpdk-testpmd backend did not start: {tail}")
            time.sleep(0.05)
        time.sleep(0.1)  # it binds, then listens

    def close(self):
        self.proc.stop(signal.SIGINT)
        self.proc.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(f"/var/run/dpdk/{self.prefix}", ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- runs ---------------------------------------------------------------------

def run(mode, mem=DEFAULT_MEM, seconds=3, txpkts=60, acc=None, tap=None, ip=None, echo=False,
        timeout=BOOT_TIMEOUT, params=()):
    """Boots the VM once in mode (with its own host backend for testpmd
    modes) and returns a dict: ready_s (exec -> ready line, None if never),
    status (the guest's, None if killed), testpmd figures, lines."""
    acc = acc or accel()[0]
    image = build()
    backend = vm = None
    try:
        if mode in TESTPMD_MODES:
            backend = Backend(BACKEND_MODE[mode], txpkts)
        cmd = qemu_command(mode, backend and backend.sock, mem, acc, image, seconds,
                           txpkts if mode == "txonly" else None, tap, ip, params)
        vm = Proc(cmd, VM_CORE, echo)
        ready = vm.wait_for(READY, timeout)
        status = vm.wait(seconds + 60 if ready is not None and seconds else
                         (0 if ready is None else None))
        if status is not None:
            status = guest_status(status)
        out = {"mode": mode, "accel": acc, "mem": mem, "ready_s": ready, "status": status,
               "lines": vm.text()}
        panic = [m.group(0) for m in map(PANIC.search, out["lines"]) if m]
        if panic:
            out["panic"] = panic[0]
        if mode in TESTPMD_MODES:
            out.update(parse_testpmd(vm.text()))
        return out
    finally:
        if vm:
            vm.stop()
        if backend:
            backend.close()


def boot_time(runs=3, mem=DEFAULT_MEM, acc=None):
    """Seconds exec -> testpmd ready (rxonly, the guest stops right after)."""
    out = []
    for _ in range(runs):
        r = run("rxonly", mem, seconds=0.5, acc=acc)
        if r["ready_s"] is None:
            raise Error(f"the VM did not get ready: {'; '.join(r['lines'][-3:])}")
        out.append(r["ready_s"])
    return out


def testpmd_runs(mem, acc=None, timeout=BOOT_TIMEOUT):
    """Does testpmd get ready, receive packets and end with status 0 with mem
    bytes of guest RAM?"""
    r = run("rxonly", mem, seconds=1, acc=acc, timeout=timeout)
    return r["status"] == 0 and r["ready_s"] is not None and r.get("rx", 0) > 0


def smallest_ram(lo=64 << 20, hi=DEFAULT_MEM, step=8 << 20, acc=None, log=None):
    """The smallest guest RAM, in step units between lo and hi, at which
    testpmd still runs (bisection: about log2((hi - lo) / step) boots).
    None when even hi does not; lo itself is not tried (assumed too small)."""
    lo, hi = lo // step, hi // step
    if not testpmd_runs(hi * step, acc):
        return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        ok = testpmd_runs(mid * step, acc)
        if log:
            log(f"linuxvm: {mid * step >> 20} MiB: {'runs' if ok else 'does not run'}")
        if ok:
            hi = mid
        else:
            lo = mid
    return hi * step


# --- command line -------------------------------------------------------------

def summary(r):
    ready = "never ready" if r["ready_s"] is None else f"ready {r['ready_s']:.2f} s after exec"
    if r["status"] == nfos_cli.EXIT_NO_STATUS:
        # No isa-debug-exit write: the kernel reset (reboot=t) before init ended.
        ready += (f", ended without a status ({r['panic'].strip()})" if "panic" in r else
                  ", ended without a status (the kernel reset before init ran: too little RAM?)")
    if r["mode"] not in TESTPMD_MODES:
        return f"linuxvm: {r['mode']} [{r['accel']}]: {ready}, status {r['status']}"
    pps = r["rx_pps" if r["mode"] == "rxonly" else "tx_pps"]
    rates = pps[1:] or pps  # the first line only marks the start
    mpps = statistics.median(rates) / 1e6 if rates else None
    return (f"linuxvm: testpmd {r['mode']} [{r['accel']}]: {ready}, rx {r.get('rx', '-')} tx "
            f"{r.get('tx', '-')} pkts, {'-' if mpps is None else f'{mpps:.3f}'} Mpp/s (median of "
            f"the per-second lines), busy {r.get('busy', '-')} cycles/pkt "
            f"({r.get('busy_per', '-')}, {r.get('tsc_mhz', '-')} MHz), status {r['status']}")


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python3 -m bench.linuxvm.linuxvm",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--accel", choices=("kvm", "tcg"), help="default: see below")
    ap.add_argument("--mem", default="512M", help="guest RAM (default 512M)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="build the kernel and initramfs (cached)")
    r = sub.add_parser("run", help="boot one mode (testpmd modes with a host backend)")
    r.add_argument("mode", choices=MODES)
    r.add_argument("--seconds", type=float, default=3, help="testpmd forwards this long (3)")
    r.add_argument("--txpkts", type=int, default=60, help="txonly packet bytes (60)")
    r.add_argument("--tap", help="memcached: the TAP interface for the NIC")
    r.add_argument("--ip", help="memcached: the guest's ADDR/PREFIX")
    r.add_argument("--quiet", action="store_true", help="only the summary, not the console")
    b = sub.add_parser("boot-time", help="exec -> testpmd ready, rxonly")
    b.add_argument("--runs", type=int, default=3)
    sub.add_parser("smallest-ram", help="the smallest guest RAM that runs testpmd (bisection)")
    sub.add_parser("smoke", help="build, boot once (rxonly, 1 s), check that figures came")
    args = ap.parse_args(argv)
    try:
        args.mem_bytes = nfos_cli.parse_size(args.mem)
    except nfos_cli.UsageError as e:
        ap.error(str(e))
    if args.cmd == "run":
        if args.mode == "memcached" and not (args.tap and args.ip):
            ap.error("memcached needs --tap IF and --ip ADDR/PREFIX")
        if args.seconds < 0 or args.mode in TESTPMD_MODES and args.seconds == 0:
            ap.error("--seconds must be more than 0 for testpmd modes")
    return args


def main(argv):
    args = parse_args(argv)
    acc, why = (args.accel, "asked") if args.accel else accel()
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    try:
        image = build(log)
        sizes = {r: f"image {v['image_bytes']} bytes (kernel {image['kernel_bytes']} + "
                    f"initramfs {v['initramfs_bytes']})" for r, v in image["roles"].items()}
        if args.cmd == "build":
            print(f"kernel: {image['kernel']}")
            for r in sizes:
                print(f"{r}: {image['roles'][r]['initramfs']}; {sizes[r]}")
            return 0
        size = sizes[role(args.mode if args.cmd == "run" else "rxonly")]
        print(f"linuxvm: {acc} ({why}); {size}", flush=True)
        return COMMANDS[args.cmd](args, args.mem_bytes, acc, log)
    except Error as e:
        print(f"linuxvm: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("linuxvm: interrupted; everything it started is stopped", file=sys.stderr)
        return 130


def cmd_run(args, mem, acc, log):
    res = run(args.mode, mem, args.seconds, args.txpkts, acc, args.tap, args.ip,
              echo=not args.quiet)
    print(summary(res))
    return 0 if res["status"] == 0 else 1


def cmd_boot_time(args, mem, acc, log):
    times = boot_time(args.runs, mem, acc)
    print(f"linuxvm: boot (exec -> testpmd ready) [{acc}], {mem >> 20} MiB: median "
          f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
          f"{len(times)} runs)")
    return 0


def cmd_smallest_ram(args, mem, acc, log):
    m = smallest_ram(acc=acc, log=log)
    if m is None:
        print(f"linuxvm: testpmd does not run even with {DEFAULT_MEM >> 20} MiB [{acc}]")
        return 1
    print(f"linuxvm: smallest guest RAM that runs testpmd [{acc}]: {m >> 20} MiB "
          f"(8 MiB steps)")
    return 0


def cmd_smoke(args, mem, acc, log):
    res = run("rxonly", mem, 1, acc=acc)
    print(summary(res))
    ok = res["status"] == 0 and res.get("rx", 0) > 0 and "busy" in res
    return 0 if ok else 1


COMMANDS = {"run": cmd_run, "boot-time": cmd_boot_time, "smallest-ram": cmd_smallest_ram,
            "smoke": cmd_smoke}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
