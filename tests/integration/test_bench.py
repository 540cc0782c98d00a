"""The benchmark drivers in --smoke mode, so that they cannot rot. No figure
is checked here: benchmarks report, tests check behaviour."""

import os
import re

from conftest import ROOT, build, dpdk_build, nfos
from tools import nfos_cli

RESULTS = os.path.join(ROOT, "bench", "results")


def check_boot_report(out):
    """bench boot's report (passed through by bench all, each line "  | ")."""
    assert re.search(r"image size \(stripped ELF\) +\d+ bytes", out), out
    assert re.search(r"smallest guest RAM that boots +\d+ KiB", out), out
    for app in ("rxsink", "txgen", "l2fwd", "pong"):
        assert re.search(rf"{app}: image / smallest RAM that runs it +\d+ bytes / \d+ KiB",
                         out), out
    assert re.search(r"\[tcg\] wall: exec -> rxsink ready +[\d.]+ ms", out), out
    assert re.search(r"lua: image size \(stripped ELF\) +\d+ bytes", out), out
    assert re.search(r"\[tcg\] lua: wall: exec -> its first line +[\d.]+ ms", out), out
    assert re.search(r"\[tcg\] lua minus helloworld, first line +-?[\d.]+ ms", out), out
    # The AP start time of a 2-vCPU image under TCG: from the boot trace, so
    # present and more than zero (the AP cannot reach CPL3 before asked).
    m = re.search(r"\[tcg\] AP start, l2fwd --cpus 2: cpu1 INIT/SIPI -> CPL3 +([\d.]+) us", out)
    assert m and float(m[1]) > 0, out
    assert re.search(r"\[nfvm\] AP start(, l2fwd --cpus 2: cpu1 wake -> CPL3 +[\d.]+ us| "
                     r"+skipped: nfvm needs a usable /dev/kvm)", out), out
    # nfvm beside QEMU: measured under KVM, else skipped with the reason
    assert re.search(r"nfvm +skipped: nfvm needs a usable /dev/kvm|\[nfvm\] helloworld: wall "
                     r"exec -> main +[\d.]+ ms", out), out


def test_bench_all_smoke_boot_piece_renders_and_keeps_nothing(hello_kvm):
    """./nfos bench all's plumbing with its boot piece, which is bench boot
    --smoke (its report checked here: one boot benchmark per CI run; the
    other pieces have their own smoke tests). bench boot writes its JSON
    where bench all says (a temporary folder), bench all renders from it
    and keeps nothing. bench boot's --smoke without --json keeps nothing
    either: bench/tests/test_boot_main.py."""
    before = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    r = nfos("bench", "all", "--", "--smoke", "--skip", "linuxvm,pps,kv,instr", timeout=900)
    assert r.status == 0, r
    assert "$ ./nfos bench boot -- --smoke --json" in r.out, r
    check_boot_report(r.out)
    # bench boot's JSON went to bench all's temporary folder, not bench/results.
    m = re.search(r"^  \| results: (\S+)$", r.out, re.M)
    assert m and not m[1].startswith(RESULTS) and not os.path.exists(m[1]), r
    # Boot alone has no peer to plot against; the document is still made.
    # The density plot is drawn from bench/results' newest bench density
    # run, when one is kept there (docs/PERFORMANCE.md's issue 15 section).
    made = re.search(r"smoke: rendered \[(.*)\] and PERFORMANCE.md; nothing kept", r.out)
    assert made and set(re.findall(r"'([^']+)'", made[1])) <= {"density.png"}, r
    assert "results:" not in r.out.replace(m[0], ""), r  # bench all's own JSON neither
    after = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    assert after == before


def test_bench_all_smoke_instr_piece_renders_from_callgrind():
    """bench all's instr piece: bench.pps.callgrind (--smoke windows) under
    valgrind for every case and both subjects, its JSON in bench all's
    temporary folder, and the instructions-per-packet table rendered from it
    (the figures themselves are not checked: tests check behaviour)."""
    for app in ("rxsink", "txgen", "l2fwd"):
        build(app, "linuxu")
    dpdk_build("dpdk-testpmd", "linuxu")
    before = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    r = nfos("bench", "all", "--", "--smoke", "--skip", "boot,linuxvm,pps,kv", timeout=900)
    assert r.status == 0, r
    assert "$ /usr/bin/python3 -m bench.pps.callgrind --json" in r.out, r
    for case, nfos_app, mode in (("rx", "rxsink", "rxonly"), ("tx", "txgen", "txonly"),
                                 ("fwd", "l2fwd", "macswap")):
        assert re.search(rf"^  \| nfos {case} \({nfos_app}\): [\d.]+ instructions/packet",
                         r.out, re.M), r
        assert re.search(rf"^  \| testpmd {case} \({mode}\): [\d.]+ instructions/packet",
                         r.out, re.M), r
    m = re.search(r"^  \| results: (\S+)$", r.out, re.M)
    assert m and not m[1].startswith(RESULTS) and not os.path.exists(m[1]), r
    assert "smoke: rendered" in r.out, r
    after = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    assert after == before


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


def test_bench_accept_smoke_issue_12():
    """./nfos bench accept's wiring into the bench modules, at its smallest
    (issue 12: image sizes, and the Lua boot line under KVM only): each line
    has its figure or a reason, its goal, its status and its command, and
    --smoke keeps nothing. The judging: bench/tests/test_accept.py."""
    before = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    r = nfos("bench", "accept", "--", "--smoke", "--issues", "12", timeout=600)
    assert r.status == 0, r
    assert re.search(r"Lua image, stripped\n    figure: [\d,]+ bytes\n    goal:   <= 512 KiB.*\n"
                     r"    (met|NOT met)\n    \$ ", r.out), r
    lua = re.search(r"Lua's first line within 5 ms.*\n    figure: (.*)\n.*\n    (.*)\n", r.out)
    assert lua, r
    if nfos_cli.kvm_usable():
        assert lua[2] in ("met", "NOT met") and lua[1].endswith("(median of runs)"), r
    else:
        assert lua[2] == "not measurable here: /dev/kvm absent" and lua[1] == "-", r
    assert "not measured: give --against DIR" in r.out, r  # no reference given
    assert "issue 13" not in r.out and "results:" not in r.out, r
    after = set(os.listdir(RESULTS)) if os.path.isdir(RESULTS) else set()
    assert after == before
