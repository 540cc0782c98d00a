"""./nfos bench pps in --smoke mode (1 run, 1 s, 64 B), so that the driver
cannot rot: every subject gets a row with figures or the reason it has none.
No figure is checked here: benchmarks report, tests check behaviour."""

import os
import re
import shutil
import subprocess

import pytest

from conftest import bench_smoke, dpdk_build, nfos
from tools import nfos_cli

SUBJECTS = ("nfos-linuxu", "dpdk", "nfos-kvm", "nfos-nfvm")


def dpdk_unusable():
    """Why the benchmark cannot run here, or None."""
    if not shutil.which("dpdk-testpmd"):
        return "dpdk-testpmd is missing (./nfos deps, or apt-get install dpdk-dev)"
    if (os.cpu_count() or 1) < 2:
        return "needs two cores"
    with open("/proc/meminfo") as f:
        free = int(re.search(r"HugePages_Free:\s+(\d+)", f.read()).group(1))
    with open("/proc/mounts") as f:
        mounted = " hugetlbfs " in f.read()
    if (mounted or os.geteuid() == 0) and free >= 72:
        return None
    # The fallback: DPDK's EAL on a shared memfd instead of hugepages.
    r = subprocess.run(["dpdk-testpmd", "--no-huge", "-m", "64", "--no-pci", "-l", "0",
                        "--file-prefix=nfos-pps-probe", "--", "--help"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    shutil.rmtree("/var/run/dpdk/nfos-pps-probe", ignore_errors=True)
    if "Cannot init EAL" in r.stdout + r.stderr:
        return f"no hugepages ({free} free) and EAL with --no-huge fails"
    return None


def test_bench_pps_smoke():
    r, said = bench_smoke("pps", dpdk_unusable(), r"nfos-\w+|dpdk", 300)
    assert "dpdk" not in said, r
    for case in ("rx", "tx", "fwd"):
        for subject in SUBJECTS:
            row = re.search(rf"^  {case} +64 +{subject} +(\w+) +(.*)$", r.out, re.M)
            assert row, (case, subject, r)
            if subject in said:
                assert row.group(2).startswith(said[subject].split(":")[0]), (row.group(0), r)
            else:
                assert re.match(r"[\d.]+ \([\d.]+-[\d.]+\) +[\d.]+ \(", row.group(2)), (
                    row.group(0), r)
    assert re.search(r"^  case +size +nfos/dpdk busy cycles", r.out, re.M), r
    # The placement probe ran around every run and is summed up.
    assert re.search(r"^  cross-core round trip around the runs .*: median \d+ cycles "
                     r"\(\d+-\d+\); \d+ of \d+ runs", r.out, re.M), r


def test_bench_pps_dpdk_in_nfos_linuxu():
    """DPDK's testpmd in nfos on linuxu (net_nfos over the vhost-user port)
    against the bench's backend, each case once: it forwards, stops at the
    newline, prints its busy cycles, and its counts match the backend's."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    dpdk_build("dpdk-testpmd", "linuxu")
    r = nfos("bench", "pps", "--smoke", "--subjects", "dpdk-in-nfos-linuxu", "--seconds", "1",
             timeout=600)
    assert r.status == 0, r
    for case in ("rx", "tx", "fwd"):
        row = re.search(rf"^  {case} +64 +dpdk-in-nfos-linuxu +native +(.*)$", r.out, re.M)
        assert row, (case, r)
        assert re.match(r"[\d.]+ \([\d.]+-[\d.]+\) +[\d.]+ \([\d.]+-[\d.]+\) +\d/1 +ok$",
                        row.group(1)), (row.group(0), r)
    assert re.search(r"^  case +size +DPDK in nfos +busy cycles over nfos", r.out, re.M), r


def test_bench_pps_nfvm_beside_qemu():
    """nfos-nfvm (rxsink's kvm image under nfvm, vhost-user on virtio-mmio)
    and nfos-kvm (the same image under QEMU) against one backend in one
    run: both receive, their counts match the backend's, and the nfvm/QEMU
    ratio is printed. Needs /dev/kvm: on a host without it, run it in the
    nested VM (python3 -m vmm.tests.nested_suite -- tests/integration/
    test_bench_pps.py -k nfvm)."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    if not nfos_cli.kvm_usable():
        pytest.skip("nfvm needs a usable /dev/kvm (none here; the nested VM has one)")
    r = nfos("bench", "pps", "--smoke", "--no-huge", "--subjects", "nfos-nfvm,nfos-kvm",
             "--cases", "rx", "--seconds", "1", timeout=900)
    assert r.status == 0, r
    for subject in ("nfos-nfvm", "nfos-kvm"):
        row = re.search(rf"^  rx +64 +{subject} +kvm +(.*)$", r.out, re.M)
        assert row and re.match(r"[\d.]+ \([\d.]+-[\d.]+\) +[\d.]+ \(.* ok$", row.group(1)), r
    assert re.search(r"^  rx +64 .* [\d.]+x (met|not met)$", r.out, re.M), r


def test_c2c_probe_usage():
    """The probe the smoke run built: bad arguments get usage and status 2."""
    c2c = os.path.join(os.path.dirname(__file__), "..", "..", "build", "bench", "c2c")
    if not os.path.exists(c2c) or (os.cpu_count() or 1) < 2:
        pytest.skip("build/bench/c2c not built (test_bench_pps_smoke builds it), or one core")
    for argv in ([], ["0"], ["x", "1"], ["0", "1y"], ["0", "1", "x"], ["0", "1", "-5"]):
        r = subprocess.run([c2c] + argv, capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "c2c" in r.stderr, (argv, r)
    r = subprocess.run([c2c, "0", "1", "100"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and re.match(r"c2c: cores \d \d: [\d.]+ cycles per round trip",
                                          r.stdout), r
