"""bench pps's nfos-nfvm subject (issue 15: rxsink over vhost-user under
nfvm against the same image under QEMU, same run): its command line, when
it runs, and the nfvm/QEMU ratio. Made-up results; no benchmark runs."""

from bench.all.report import md_pps
from bench.pps import bench_pps, report
from bench.pps import run as pps_run


def test_command_line_is_nfvms_with_a_vhost_user_port():
    cmd = pps_run.subject_argv("nfos-nfvm", "rx", 64, "/tmp/s.sock", None,
                               {("rxsink", "kvm"): "/img"}, "kvm", 0.5, 2)
    assert cmd[0].endswith("nfvm") and cmd[cmd.index("--mem") + 1] == "65536K"
    assert cmd[cmd.index("--net") + 1] == "vhost-user:/tmp/s.sock"
    assert cmd[cmd.index("--") - 1] == "/img"
    line = cmd[cmd.index("--") + 1]
    assert line.startswith("nfos.stats=1 -- --time "), "the guest stops itself"
    assert "--cpus" not in cmd
    cmd = pps_run.subject_argv("nfos-nfvm", "fwd", 64, "/s", None,
                               {("l2fwd", "kvm"): "/img"}, "kvm", 0.5, 2, cpus=2)
    assert cmd[cmd.index("--cpus") + 1] == "2" and "--macswap" in cmd[-1]


def test_nfvm_needs_kvm(monkeypatch):
    st = {"nfos-nfvm": "available", "nfos-kvm": "available"}
    bench_pps.nfvm_status(st, "tcg")
    assert st["nfos-nfvm"] == "skipped: nfvm needs a usable /dev/kvm (none here)"
    assert st["nfos-kvm"] == "available"

    monkeypatch.setattr(bench_pps.guest, "nfvm_build",
                        lambda: "vmm/main.c:1: error: no\nmake: *** [nfvm] Error 1\n")
    st = {"nfos-nfvm": "available"}
    bench_pps.nfvm_status(st, "kvm")
    assert st["nfos-nfvm"] == "unavailable: make nfvm failed: make: *** [nfvm] Error 1"
    st = {"nfos-nfvm": "not run: made up"}
    bench_pps.nfvm_status(st, "kvm")
    assert st["nfos-nfvm"] == "not run: made up", "a status already set is kept"


def mpps(v):
    return {"summary": {"mpps": {"median": v}, "busy_cycles_per_pkt": {"median": 50.0}}}


def test_ratio_nfvm_over_qemu_and_its_goal():
    results = {"rx/64/nfos-kvm": mpps(10.0), "rx/64/nfos-nfvm": mpps(9.8),
               "tx/64/nfos-kvm": mpps(10.0), "tx/64/nfos-nfvm": mpps(9.0),
               "fwd/64/nfos-nfvm": mpps(9.0)}
    rat = report.ratios(results, ["rx", "tx", "fwd"], [64], "kvm", {})
    rx, tx, fwd = rat
    assert round(rx["nfvm_over_qemu_mpps"], 3) == 0.98 and rx["nfvm_goal"] == "met"
    assert tx["nfvm_goal"] == "not met"
    assert "nfvm_over_qemu_mpps" not in fwd, "no QEMU figure, no ratio"
    table = "\n".join(report.ratios_table(rat, "kvm"))
    assert "0.98x met" in table and "0.90x not met" in table
    md = "\n".join(md_pps({"setup": {"backend": "b", "subject_core": 1, "dpdk_memory": "m",
                                     "runs": 1, "seconds": 1},
                           "results": {}, "subjects": {}, "ratios": rat}))
    assert "- rx 64 B: 0.98x (met)" in md and "- tx 64 B: 0.90x (not met)" in md
