"""Shared helpers for the integration tests: build images once per session,
boot them under QEMU (KVM when usable, TCG otherwise) or as linuxu processes,
always with a timeout."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import nfos_cli  # noqa: E402

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


def build(app, plat):
    key = (app, plat)
    if key not in _built:
        r = subprocess.run(["make", "-C", ROOT, f"-j{os.cpu_count()}", f"APP={app}",
                            f"PLAT={plat}"], capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        _built[key] = nfos_cli.image_path(app, plat)
    return _built[key]


def boot(image, mem="64M", machine="microvm", params=(), args=(), cmdline=None,
         extra=(), timeout=BOOT_TIMEOUT):
    """Boots a kvm image; returns the guest status mapped back from QEMU's."""
    if cmdline is None:
        cmdline = nfos_cli.guest_cmdline(list(params), list(args))
    cmd = nfos_cli.qemu_command(image, nfos_cli.parse_size(mem), machine, accel(), cmdline)
    if machine not in nfos_cli.MACHINES:
        i = cmd.index("-M")
        cmd[i + 1] = machine
    cmd += list(extra)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    qemu_error = [l for l in r.stderr.splitlines() if l.startswith("qemu-system-")]
    return Result(nfos_cli.map_qemu_status(r.returncode, qemu_error), r.stdout, r.stderr)


def run_linuxu(image, params=(), args=(), timeout=BOOT_TIMEOUT):
    cmd = [image] + list(params) + ["--"] + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


def nfos(*argv, timeout=BOOT_TIMEOUT):
    r = subprocess.run([os.path.join(ROOT, "nfos")] + list(argv), capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def hello_kvm():
    return build("helloworld", "kvm")


@pytest.fixture(scope="session")
def hello_linuxu():
    return build("helloworld", "linuxu")


@pytest.fixture(scope="session")
def selftest_kvm():
    return build("selftest", "kvm")


@pytest.fixture(scope="session")
def selftest_linuxu():
    return build("selftest", "linuxu")
