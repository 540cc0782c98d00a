"""Shared helpers for the integration tests: build images once per session,
boot them under QEMU (KVM when usable, TCG otherwise) or as linuxu processes,
always with a timeout."""

import os
import re
import signal
import subprocess

import pytest

import nfvm_switch
from tools import console, guest, nfos_cli
from tools.nfos_cli import ROOT

BOOT_TIMEOUT = 120  # seconds; TCG on a loaded 2-core machine is slow, never hang


def accel():
    return "kvm" if nfos_cli.kvm_usable() else "tcg"


class Result:
    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err

    @property
    def text(self):
        return self.out + self.err

    def __repr__(self):
        return f"Result(status={self.status}, out={self.out!r}, err={self.err!r})"


_built = {}


def build(app, plat, smp=False):
    """app's image for plat; smp: the variant for more than one lcore (its
    SMP variant, unless its defconfig has SMP on: nfos_cli.smp_variant)."""
    smp = smp and nfos_cli.smp_variant(app, 2)
    key = (app, plat, smp)
    if key not in _built:
        r = subprocess.run(["make", "-C", ROOT, f"-j{os.cpu_count()}", f"APP={app}",
                            f"PLAT={plat}"] + (["SMP=1"] if smp else []),
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        _built[key] = nfos_cli.image_path(app, plat, smp)
    return _built[key]


# mk/dpdk.sh's words when `apt-get source dpdk` gives nothing.
DPDK_FETCH_FAILED = ("apt-get source dpdk failed", "gave no 22.11 source")
# The build from an empty cache takes a few minutes on two loaded cores.
DPDK_BUILD_TIMEOUT = 1800


def dpdk_build(app=None, plat="kvm"):
    """Debian's DPDK built for nfos (mk/dpdk.sh, once per session; a skip
    only when its source cannot be fetched, any other failure fails), then
    APP's image for PLAT (its path; None without an APP)."""
    if "dpdk" not in _built:
        r = subprocess.run(["sh", os.path.join(ROOT, "mk", "dpdk.sh"), ROOT],
                           capture_output=True, text=True, timeout=DPDK_BUILD_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0 and any(s in r.stderr for s in DPDK_FETCH_FAILED):
            pytest.skip(f"Debian's DPDK source cannot be fetched: {r.stderr.strip()}")
        assert r.returncode == 0, r.stderr
        _built["dpdk"] = True
    return build(app, plat) if app else None


def vm_command(cmd):
    """A kvm guest's QEMU command line (nfos_cli.qemu_command's) as is, or
    with NFOS_VMM=nfvm nfvm's command for the same run, the test skipped
    when only QEMU serves it (nfvm_switch). nfvm's status is the guest's."""
    if nfvm_switch.wanted():
        return nfvm_switch.served_or_skip(nfvm_switch.nfvm_argv, cmd)
    return cmd


def vm_status(rc):
    """The guest's status from the exit code of a vm_command process:
    nfvm's is the guest's (128+signal when killed), QEMU's is mapped."""
    if nfvm_switch.wanted():
        return rc if rc >= 0 else 128 - rc
    return nfos_cli.map_qemu_status(rc, [])


def boot(image, mem="64M", machine="microvm", params=(), args=(), cmdline=None,
         extra=(), timeout=BOOT_TIMEOUT, console_in=""):
    """Boots a kvm image; returns the guest status mapped back from QEMU's.
    console_in: what the serial console receives, then ^D (its end of
    file, as `nfos run` sends it: tools/console.py)."""
    if cmdline is None:
        cmdline = nfos_cli.guest_cmdline(list(params), list(args))
    cmd = nfos_cli.qemu_command(image, nfos_cli.parse_size(mem), machine, accel(), cmdline)
    if machine not in nfos_cli.MACHINES:
        i = cmd.index("-M")
        cmd[i + 1] = machine
    cmd += list(extra)
    if nfvm_switch.wanted():  # nfvm's COM1 gets ^D after its stdin's end itself
        r = subprocess.run(vm_command(cmd), capture_output=True, text=True, timeout=timeout,
                           input=console_in)
        return Result(r.returncode, r.stdout, r.stderr)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       input=console_in + console.EOF_MARK.decode())
    qemu_error = [l for l in r.stderr.splitlines() if guest.is_qemu_error(l)]
    return Result(nfos_cli.map_qemu_status(r.returncode, qemu_error), r.stdout, r.stderr)


def run_linuxu(image, params=(), args=(), timeout=BOOT_TIMEOUT):
    cmd = [image] + list(params) + ["--"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


def run_image_first(argv):
    """./nfos run APP's image built before the run, untimed (build(), once a
    session): the run's make then finds it up to date, and the run's timeout
    times the run, not a cold build (112 s in the nested VM, where make's
    first look at an image's tree over 9p is TCG-slow). Usage errors are
    left to ./nfos."""
    if argv[:1] != ("run",) or len(argv) < 2 or argv[1] not in nfos_cli.apps():
        return
    opts = dict(zip(argv[2:], argv[3:]))
    if "--" in argv:
        opts = dict(zip(argv[2:argv.index("--")], argv[3:argv.index("--")]))
    cpus = opts.get("--cpus", "1")
    plat = opts.get("--plat", "kvm")
    if plat in nfos_cli.PLATS and cpus.isdigit():
        build(argv[1], plat, smp=int(cpus) > 1 or "--pin" in opts)


def nfos(*argv, timeout=BOOT_TIMEOUT, input=None):
    """./nfos ARGV; input: its stdin's text (default: /dev/null). With
    NFOS_VMM=nfvm, a kvm `run` gets --vmm nfvm (nfvm_switch)."""
    run_image_first(argv)
    if nfvm_switch.wanted() and argv[:1] == ("run",):
        argv = nfvm_switch.served_or_skip(nfvm_switch.nfos_run_argv, argv)
    return run_session([os.path.join(ROOT, "nfos")] + list(argv), timeout, input)


def run_session(argv, timeout, input=None):
    """Result of argv, run in a session of its own; at its timeout the whole
    session is killed before TimeoutExpired: subprocess.run's timeout kills
    the child alone, and what ./nfos had started (bench all's benchmarks,
    their QEMU and nfvm) ran on into the next tests."""
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as p:
        try:
            out, err = p.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            raise TimedOut(argv, timeout, e.stdout, e.stderr) from None
    return Result(p.returncode, out, err)


class TimedOut(subprocess.TimeoutExpired):
    """TimeoutExpired that says what the command had printed by then (the
    plain one names the command only, so a timed-out benchmark showed no
    clue to where it stood)."""

    def __str__(self):
        def tail(b):
            t = b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
            return t[-3000:]
        return (f"{super().__str__()}; its stdout by then: {tail(self.stdout)!r}; "
                f"its stderr: {tail(self.stderr)!r}")


def nfos_argv(*argv):
    """[./nfos, ARGV...] for a test that starts ./nfos itself; with
    NFOS_VMM=nfvm, as nfos(): a kvm `run` gets --vmm nfvm (its image built
    first, untimed), or the test is skipped as QEMU only (nfvm_switch)."""
    if nfvm_switch.wanted() and argv[:1] == ("run",):
        run_image_first(argv)
        argv = nfvm_switch.served_or_skip(nfvm_switch.nfos_run_argv, argv)
    return [os.path.join(ROOT, "nfos")] + list(argv)


def bench_smoke(what, why_not, subjects, timeout):
    """Runs `./nfos bench WHAT --smoke` (skipped when why_not, a reason, is
    set) and checks that it passed, said SMOKE and kept nothing. Returns
    its result and {subject: what it said instead of figures} for the
    subjects whose names match the pattern subjects."""
    if why_not:
        pytest.skip(why_not)
    r = nfos("bench", what, "--smoke", timeout=timeout)
    assert r.status == 0, r
    assert "SMOKE" in r.out and "results:" not in r.out, r  # smoke runs keep nothing
    said = dict(re.findall(rf"^  ({subjects}): ((?:unavailable|skipped): .+)$", r.out, re.M))
    return r, said


POOLS = re.compile(r"^([\w-]+): netbufs: (\d+) in \d+ pool\(s\), (\d+) home, (\d+) in port rings, "
                   r"(-?\d+) lost, (\d+) double frees: (balanced|NOT balanced)$", re.M)


def check_tap(r):
    """r (a Result) exited 0 with a TAP plan 1..N and ok 1..N, none not ok."""
    assert r.status == 0, r
    plan = re.search(r"^1\.\.(\d+)$", r.out, re.M)
    assert plan, r
    oks = re.findall(r"^ok (\d+) - ", r.out, re.M)
    assert [int(n) for n in oks] == list(range(1, int(plan.group(1)) + 1)), r
    assert "not ok" not in r.out, r


def assert_pools_balanced(text, apps=1):
    """The exit reports in text (a Result or its output) say, apps times,
    that every netbuf came home or sits in a port's ring, none freed twice
    (nfapp_pools_check)."""
    text = text.text if isinstance(text, Result) else text
    found = POOLS.findall(text)
    assert len(found) == apps, f"{len(found)} netbufs lines, want {apps}: ...{text[-1500:]}"
    for app, total, home, held, lost, double, verdict in found:
        assert verdict == "balanced" and lost == "0" and double == "0", \
            f"{app}: {total} netbufs, {home} home, {held} in rings, {lost} lost, {double} double frees"


def image_fixture(app, plat, scope="session"):
    """A fixture that builds app for plat (once) and gives its image."""
    @pytest.fixture(scope=scope)
    def image():
        return build(app, plat)
    return image


hello_kvm = image_fixture("helloworld", "kvm")
hello_linuxu = image_fixture("helloworld", "linuxu")
selftest_kvm = image_fixture("selftest", "kvm")
selftest_linuxu = image_fixture("selftest", "linuxu")


def pytest_terminal_summary(terminalreporter):
    if nfvm_switch.wanted():
        nfvm_switch.summary(terminalreporter)
