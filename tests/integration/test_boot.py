"""Boots helloworld and selftest on kvm (microvm, microvm with PCIe, q35) and
linuxu, and checks output and exit status."""

import re
import shutil
import subprocess

import pytest

import nfvm_switch
from conftest import BOOT_TIMEOUT, accel, boot, nfos, run_linuxu
from tools import guest, nfos_cli


def check_hello(r, args=()):
    assert "Hello from nfos!" in r.out, r
    assert 'argv[0] = "helloworld"' in r.out, r
    for i, a in enumerate(args, 1):
        assert f'argv[{i}] = "{a}"' in r.out, r


@pytest.mark.parametrize("machine", ["microvm", "microvm,pcie=on"])
def test_hello_microvm(hello_kvm, machine):
    r = boot(hello_kvm, machine=machine, args=["one", "two words"])
    assert r.status == 0, r
    check_hello(r, ["one", "two words"])


def test_hello_q35(hello_kvm):
    # q35 boots through SeaBIOS, which runs at CPL0: slow on nested PVM. Once.
    r = boot(hello_kvm, machine="q35", args=["exit=3"])
    assert r.status == 3, r
    check_hello(r, ["exit=3"])


@pytest.mark.parametrize("status", [0, 1, 42, 127])
def test_exit_status_travels(hello_kvm, status):
    r = boot(hello_kvm, args=[f"exit={status}"])
    assert r.status == status, r


def test_qemu_warnings_are_not_errors():
    """QEMU's warnings (seen on the nested VM's emulated CPU, which lacks
    invtsc) do not hide the guest's status; its own failures do."""
    warn = "qemu-system-x86_64: warning: host doesn't support requested feature: invtsc"
    assert not guest.is_qemu_error(warn)
    assert guest.is_qemu_error("qemu-system-x86_64: -kernel x: No such file or directory")
    assert nfos_cli.map_qemu_status(1, [l for l in [warn] if guest.is_qemu_error(l)]) == 0


def test_hello_linuxu(hello_linuxu):
    r = run_linuxu(hello_linuxu, args=["a", "b c", "exit=5"])
    assert r.status == 5, r
    check_hello(r, ["a", "b c", "exit=5"])


def test_boots_in_2mib(hello_kvm):
    r = boot(hello_kvm, mem="2M")
    assert r.status == 0, r
    check_hello(r)


def test_too_little_ram_is_refused():
    """Less RAM than the image occupies: QEMU could not even load it, so
    ./nfos refuses with one line instead of starting a guest that hangs."""
    r = nfos("run", "helloworld", "--mem", "1M")
    assert r.status == 2, r
    assert "--mem 1M is too small for helloworld" in r.err, r


def test_boottrace(hello_kvm):
    r = boot(hello_kvm, params=["nfos.boottrace=1"])
    assert r.status == 0, r
    stages = re.findall(r"^boottrace: (\w+) +(\d+) ns", r.out, re.M)
    names = [s for s, _ in stages]
    assert names == ["entry", "longmode", "cpl3", "memory", "devices", "main"], r
    times = [int(t) for _, t in stages]
    assert times == sorted(times), r
    m = re.search(r"^boottrace: tsc (\d+) Hz \((.*)\)$", r.out, re.M)
    assert m and int(m[1]) > 100_000_000, r
    # Under KVM the frequency comes from kvmclock (under nfvm: its boot
    # info), not from a 10 ms PIT calibration (which would be most of the boot).
    assert accel() != "kvm" or m[2] == ("nfvm" if nfvm_switch.wanted() else "kvmclock"), r


def test_quiet_boot_prints_only_the_app(hello_kvm):
    r = boot(hello_kvm)
    assert r.status == 0, r
    assert r.out.splitlines()[0] == "Hello from nfos!", r


@pytest.mark.parametrize("params,message", [
    (["nfos.bogus=1"], "unknown OS parameter 'nfos.bogus'"),
    (["nfos.boottrace=maybe"], "bad value 'maybe' for nfos.boottrace"),
    (["nfos.tsc_khz=12x"], "bad value '12x' for nfos.tsc_khz"),
])
def test_malformed_params(hello_kvm, hello_linuxu, params, message):
    r = boot(hello_kvm, params=params)
    assert r.status == 2 and message in r.text, r
    r = run_linuxu(hello_linuxu, params=params)
    assert r.status == 2 and message in r.text, r


def test_unterminated_quote(hello_kvm):
    r = boot(hello_kvm, cmdline='nfos.verbose=1 -- "oops')
    assert r.status == 2 and "unterminated quote" in r.text, r


def test_plain_qemu_command(hello_kvm):
    """The acceptance command line, not through ./nfos (TCG when no KVM)."""
    nfvm_switch.qemu_only("the test is of QEMU's own command line")
    cpu = "host,-arch-capabilities" if accel() == "kvm" else "max"
    cmd = ["qemu-system-x86_64", "-accel", accel(), "-M", "microvm", "-cpu", cpu, "-m", "2",
           "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", hello_kvm]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BOOT_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1, r  # status 0 -> 0*2+1
    assert "Hello from nfos!" in r.stdout


def test_no_exit_device_still_ends(hello_kvm):
    """Without isa-debug-exit the image falls back to a triple fault, which
    QEMU with -no-reboot turns into an exit: no hang."""
    nfvm_switch.qemu_only("the test is of QEMU's -no-reboot (nfvm's exits: test_nfvm.py)")
    cmd = ["qemu-system-x86_64", "-accel", accel(), "-M", "microvm",
           "-cpu", "host,-arch-capabilities" if accel() == "kvm" else "max", "-m", "16",
           "-nodefaults", "-no-user-config", "-nographic", "-no-reboot",
           "-serial", "stdio", "-kernel", hello_kvm]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=BOOT_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r  # QEMU's own exit after the guest's triple fault
    assert "Hello from nfos!" in r.stdout


def test_big_ram(selftest_kvm):
    """4 GiB of RAM: memory above the first GiB is mapped and usable."""
    r = boot(selftest_kvm, mem="4G")
    assert r.status == 0, r
    assert "not ok" not in r.out, r
    total = int(re.search(r"memmap: \d+ RAM region\(s\), (\d+) KiB", r.out).group(1))
    assert total >= 4 * 1024 * 1024 - 1024, r


def test_nfos_run(hello_kvm):
    r = nfos("run", "helloworld", "--mem", "8M", "--", "exit=9", "x y")
    assert r.status == 9, r
    check_hello(r, ["exit=9", "x y"])


@pytest.mark.parametrize("argv,message", [
    (["run", "nope"], "unknown app 'nope'"),
    (["run", "helloworld", "--plat", "xen"], "unknown platform 'xen'"),
    (["run", "helloworld", "--mem", "lots"], "bad size 'lots'"),
    (["run", "helloworld", "--machine", "pc98"], "unknown machine 'pc98'"),
    (["build", "nope"], "unknown app 'nope'"),
    (["frobnicate"], "invalid choice"),
])
def test_nfos_usage_errors(argv, message):
    r = nfos(*argv)
    assert r.status == 2, r
    assert message in r.err and len(r.err.strip().splitlines()) == 1, r


def test_nfos_help():
    r = nfos("--help")
    assert r.status == 0 and "run" in r.out and "build" in r.out, r
