"""Runs the in-image tests (tests/apps/selftest, TAP) on kvm and linuxu, and the
deliberate fault mode that must end in the exception report."""

import re

import pytest

from conftest import boot, run_linuxu


def check_tap(r):
    assert r.status == 0, r
    plan = re.search(r"^1\.\.(\d+)$", r.out, re.M)
    assert plan, r
    oks = re.findall(r"^ok \d+ ", r.out, re.M)
    assert not re.search(r"^not ok", r.out, re.M), r
    assert len(oks) == int(plan.group(1)) and len(oks) >= 20, r
    assert "running at CPL3" in r.out, r


@pytest.mark.parametrize("machine", ["microvm", "microvm,pcie=on"])
def test_selftest_kvm(selftest_kvm, machine):
    check_tap(boot(selftest_kvm, machine=machine, mem="64M"))


def test_selftest_kvm_small_ram(selftest_kvm):
    check_tap(boot(selftest_kvm, mem="8M"))


def test_selftest_linuxu(selftest_linuxu):
    check_tap(run_linuxu(selftest_linuxu, params=["nfos.mem=32M"]))


def test_exhaustion_prints_one_line(selftest_kvm):
    r = boot(selftest_kvm, mem="16M")
    check_tap(r)
    assert len(re.findall(r"^alloc: out of memory", r.text, re.M)) == 1, r


def test_fault_report_kvm(selftest_kvm):
    r = boot(selftest_kvm, args=["fault"])
    assert r.status == 126, r
    assert "fatal exception 0x000000000000000e (#PF page fault)" in r.out, r
    assert "cr2 0x00007f0000000000" in r.out, r
    for reg in ("rip", "rsp", "rax", "r15", "rflags"):
        assert f" {reg} 0x" in r.out, r
    bt = r.out.split("backtrace:")[1].split()
    assert len(bt) >= 2 and all(a.startswith("0x") for a in bt), r
    assert "the fault did not happen" not in r.out


def test_fault_report_linuxu(selftest_linuxu):
    r = run_linuxu(selftest_linuxu, args=["fault"])
    assert r.status == 126, r
    assert re.search(r"fatal signal 11 \(Segmentation fault\): address 0x7f0000000000", r.err), r


def test_selftest_usage(selftest_kvm):
    r = boot(selftest_kvm, args=["bogus"])
    assert r.status == 2 and "usage: selftest" in r.text, r


@pytest.mark.parametrize("extra_kib,message", [
    # Whether the page after the image is still RAM depends on where the
    # image ends within its last page and on QEMU's rounding: either the
    # platform or the allocator says so.
    (0, r"nfos: not enough guest RAM|alloc: no usable RAM region"),
    (8, r"alloc: no usable RAM region"),
])
def test_too_little_ram_guest_side(selftest_kvm, extra_kib, message):
    """RAM that holds the image but leaves no heap: the guest says so and
    exits 2 (QEMU rounds RAM up to a page, so sizes are given in KiB)."""
    from tools import nfos_cli
    need_kib = (nfos_cli.image_ram_need(selftest_kvm) + 4095) // 4096 * 4
    r = boot(selftest_kvm, mem=f"{need_kib + extra_kib}K")
    assert r.status == 2, r
    assert re.search(message, r.text), r
