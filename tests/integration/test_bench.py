"""The benchmark drivers in --smoke mode, so that they cannot rot. No figure
is checked here: benchmarks report, tests check behaviour."""

import re

from conftest import nfos


def test_bench_boot_smoke(hello_kvm):
    r = nfos("bench", "boot", "--smoke", timeout=600)
    assert r.status == 0, r
    assert re.search(r"image size \(stripped ELF\) +\d+ bytes", r.out), r
    assert re.search(r"smallest guest RAM that boots +\d+ KiB", r.out), r
    for app in ("rxsink", "txgen", "l2fwd", "pong"):
        assert re.search(rf"{app}: image / smallest RAM that runs it +\d+ bytes / \d+ KiB",
                         r.out), r
    assert re.search(r"\[tcg\] wall: exec -> rxsink ready +[\d.]+ ms", r.out), r
    assert re.search(r"lua: image size \(stripped ELF\) +\d+ bytes", r.out), r
    assert re.search(r"\[tcg\] lua: wall: exec -> its first line +[\d.]+ ms", r.out), r
    assert re.search(r"\[tcg\] lua minus helloworld, first line +-?[\d.]+ ms", r.out), r
    # nfvm beside QEMU: measured under KVM, else skipped with the reason
    assert re.search(r"nfvm +skipped: nfvm needs a usable /dev/kvm|\[nfvm\] helloworld: wall "
                     r"exec -> main +[\d.]+ ms", r.out), r
    assert "results:" not in r.out  # smoke runs keep nothing


def test_bench_unknown():
    r = nfos("bench", "nope")
    assert r.status == 2 and "unknown benchmark 'nope'" in r.err, r


def test_bench_options_belong_to_the_benchmark():
    """`nfos bench WHAT --help` is the benchmark's help, with or without `--`."""
    for argv in (["bench", "boot", "--help"], ["bench", "boot", "--", "--help"]):
        r = nfos(*argv)
        assert r.status == 0 and "usage: nfos bench boot" in r.out, r
    r = nfos("bench", "boot", "--runs", "0")
    assert r.status == 2 and "--runs must be at least 1" in r.err, r
