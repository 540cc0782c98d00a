"""The guest's process for `nfos run`: QEMU, nfvm or a linuxu image started,
waited for and stopped on a signal; its exit code mapped to the guest's."""

import os
import signal
import subprocess
import sys
import threading

from tools.base import ROOT, UsageError, die, kvm_usable
from tools.console import ConsoleInput

EXIT_NO_STATUS = 125  # guest ended without writing a status (triple fault)


def is_qemu_error(line):
    """A line QEMU wrote about itself failing; its warnings (a CPU feature
    the host lacks, as invtsc on the nested VM's emulated CPU) are not."""
    return line.startswith("qemu-system-") and ": warning: " not in line


def map_qemu_status(rc, qemu_error):
    """QEMU's exit code -> the guest's status."""
    if rc < 0:
        return 128 - rc  # killed by a signal
    if rc == 1 and qemu_error:
        return None  # QEMU itself failed
    if rc % 2 == 1:
        return (rc - 1) // 2
    return EXIT_NO_STATUS


# --- run: the guest process ---------------------------------------------------
#
# `nfos run` never leaves a guest behind. SIGINT, SIGTERM and SIGHUP stop the
# guest (a linuxu app gets its own stop, SIGINT or SIGTERM; QEMU has no way to
# tell the guest, so QEMU itself is terminated), a guest still there after
# STOP_GRACE seconds or a second signal is killed, and the command ends with
# 128+signal. A killed nfos (SIGKILL) takes its guest along through
# PR_SET_PDEATHSIG. Before the guest starts, the signal ends the command
# (and the build in progress).

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE = 10  # seconds
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Stopped(Exception):
    """A stop signal before the guest started; main() exits 128+signum."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class RunSignals:
    """Catches the stop signals for the length of a `with` block: raises
    Stopped until guest_starts() is called, then only records them for
    wait_guest (raising there could leave a half-started guest)."""

    def __init__(self):
        self.signum, self.count, self.guest, self.saved = None, 0, False, {}

    def __enter__(self):
        for s in STOP_SIGNALS:
            self.saved[s] = signal.signal(s, self.handle)
        return self

    def __exit__(self, *exc):
        for s, h in self.saved.items():
            signal.signal(s, h)

    def handle(self, signum, frame):
        self.signum = self.signum or signum
        self.count += 1
        if not self.guest:
            raise Stopped(signum)

    def guest_starts(self):
        self.guest = True


def die_with_parent():
    """A preexec_fn: the child gets SIGKILL when nfos ends, however it ends
    (PR_SET_PDEATHSIG; ctypes is loaded before the fork)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()

    def preexec():
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
        if os.getppid() != parent:  # nfos died before the prctl
            os._exit(128 + signal.SIGKILL)
    return preexec


def start_guest(cmd, sig, console, **popen_args):
    """Starts the guest's process (QEMU or a linuxu image), its stdin the
    console input's (tools/console.py)."""
    sig.guest_starts()
    proc = subprocess.Popen(cmd, stdin=console.stdin, preexec_fn=die_with_parent(),
                            **popen_args)
    console.started()
    return proc


def wait_guest(proc, sig, stop_with, timeout=None):
    """Waits for the guest. On a stop signal sends stop_with(signum) to it
    once, then SIGKILL after STOP_GRACE seconds or a second signal. Returns
    its exit code, or None when it was killed at the timeout."""
    import time
    end = None if timeout is None else time.monotonic() + timeout
    stop_sent = None
    while True:
        now = time.monotonic()
        if sig.signum and stop_sent is None:
            proc.send_signal(stop_with(sig.signum))
            stop_sent = now
        elif stop_sent is not None and (sig.count > 1 or now - stop_sent > STOP_GRACE):
            proc.kill()
        if end is not None and now > end and not sig.signum:
            proc.kill()
            proc.wait()
            return None
        try:
            return proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass


def linuxu_stop(signum):
    """The signal that stops a linuxu app cleanly: SIGINT or SIGTERM."""
    return signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM


def run_qemu(cmd, sig, timeout=None):
    """Runs QEMU with the serial console on our stdout and stdin
    (tools/console.py); returns the guest status (128+signal when a stop
    signal ended it)."""
    qemu_error = []

    with ConsoleInput("qemu") as console:
        proc = start_guest(cmd, sig, console, stderr=subprocess.PIPE, text=True)

        def relay():
            for line in proc.stderr:
                if is_qemu_error(line):
                    qemu_error.append(line.rstrip())
                sys.stderr.write(line)
        t = threading.Thread(target=relay, daemon=True)
        t.start()
        rc = wait_guest(proc, sig, lambda s: signal.SIGTERM, timeout)
        t.join(5)
    if sig.signum:
        return 128 + sig.signum
    if rc is None:
        die(f"guest still running after {timeout} s: killed", 124)
    status = map_qemu_status(rc, qemu_error)
    if status is None:
        die("QEMU failed to start the image: " + qemu_error[0], 1)
    if status == EXIT_NO_STATUS:
        print("nfos: the guest stopped without an exit status (triple fault, or no "
              "isa-debug-exit device)", file=sys.stderr)
    return status


_nfvm_built = False


def nfvm_build():
    """make nfvm, once per process (a benchmark builds command lines by the
    hundred): None, or make's output when it failed."""
    global _nfvm_built
    if not _nfvm_built:
        r = subprocess.run(["make", "-s", "-C", ROOT, "nfvm"], capture_output=True, text=True)
        if r.returncode != 0:
            return r.stdout + r.stderr
        _nfvm_built = True
    return None


def nfvm_path():
    """Builds nfvm (nfvm_build) and returns its path."""
    err = nfvm_build()
    if err is not None:
        die("make nfvm failed:\n" + err, 1)
    return os.path.join(ROOT, "build", "nfvm", "nfvm")


def nfvm_command(image, mem, cmdline, nets=(), initrd=None, cpus=1):
    """The nfvm command line for an image, as `nfos run --vmm nfvm` starts it.
    nets: parsed --net values, tap or vhost-user (one virtio-net on virtio-mmio
    each, its MAC the --mac given for it, if any; a tap's ',rss': nfvm's
    device offers RSS);
    initrd: a file for the image's plat_initrd() (--files' archive);
    cpus: vCPUs (nfvm starts each at the image's CPL3 entry)."""
    net = [a for n in nets for a in ("--net", f"{n['kind']}:{n['arg']}"
                                     + (f",mac={n['mac']}" if n.get("mac") else "")
                                     + (",rss" if n.get("rss") else ""))]
    rd = ["--initrd", initrd] if initrd else []
    smp = ["--cpus", str(cpus)] if cpus > 1 else []
    return [nfvm_path(), "--mem", f"{mem // 1024}K"] + smp + net + rd + [image, "--", cmdline]


def run_nfvm(args, image, mem, cmdline, nets, initrd=None):
    """Runs an image under nfvm; its exit status is the guest's (nfvm says
    on stderr when it ended the guest itself: vmm/nfvm.h)."""
    if any(n["kind"] not in ("tap", "vhost-user") for n in nets):
        raise UsageError("--vmm nfvm: only --net tap:IF and vhost-user:SOCK so far (no user)")
    if args.machine is not None:
        raise UsageError("--machine is QEMU's: nfvm has one machine")
    if args.accel == "tcg" or not kvm_usable():
        raise UsageError("--vmm nfvm needs /dev/kvm (usable, and NFOS_ACCEL not tcg)")
    cmd = nfvm_command(image, mem, cmdline, nets, initrd, args.cpus)
    if args.timeout:
        cmd[1:1] = ["--timeout", str(args.timeout)]  # nfvm ends it: status 124
    if args.verbose:
        print("nfos: " + " ".join(cmd), file=sys.stderr)
    # nfvm ends the guest itself on SIGINT/SIGTERM/SIGHUP (status 128+signal)
    # and on --timeout; ours is a backstop.
    timeout = args.timeout + 10 if args.timeout else None
    # nfvm's COM1 reads its stdin (a foreground terminal raw, ^D after a
    # pipe's end: nfvm does both), so it gets the stdin a linuxu image gets.
    return run_linuxu(cmd, args.signals, timeout, console="linuxu")


def run_linuxu(cmd, sig, timeout=None, console="linuxu"):
    """Runs a linuxu image (or nfvm, which stops and reads stdin the same
    way); returns its status (128+signal when a stop signal ended it)."""
    with ConsoleInput(console) as c:
        rc = wait_guest(start_guest(cmd, sig, c), sig, linuxu_stop, timeout)
    if sig.signum:
        return 128 + sig.signum
    if rc is None:
        die(f"still running after {timeout} s: killed", 124)
    return rc if rc >= 0 else 128 - rc


def with_run_signals(fn):
    """cmd_run under RunSignals, which it finds as args.signals."""
    def wrapped(args):
        with RunSignals() as args.signals:
            return fn(args)
    return wrapped
