"""--cpus N of bench kv and bench pps (bench/common/lcores.py): the option,
the subjects' command lines, the per-lcore lines of an app's exit report
and the oversubscription note. No benchmark runs here."""

import types

import pytest

from bench.common import lcores
from bench.kv import bench_kv
from bench.kv import run as kv_run
from bench.pps import bench_pps
from bench.pps import run as pps_run

KVSTORE_REPORT = [
    "kvstore: port 0 (vhost0): 2 queue pair(s) for 2 lcores (virtio-net offers 2)",
    "kvstore: lcore 0 queue 0: requests 1000 | get 900 (hits 900) | set 100 | rx 1000 tx 1000 "
    "| busy 310.5 cycles/request, 301.0 cycles/pkt",
    "kvstore: lcore 1 queue 1: requests 990 | get 890 (hits 890) | set 100 | rx 990 tx 990 "
    "| busy 305.0 cycles/request, 299.5 cycles/pkt",
    "kvstore: requests 1990 | get 1790 (hits 1790) | set 200 | busy 307.8 cycles/request",
]


@pytest.mark.parametrize("main", [bench_kv.main, bench_pps.main])
@pytest.mark.parametrize("bad", ["0", "17", "two"])
def test_cpus_out_of_range_refused(main, bad, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--cpus", bad])
    assert e.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_cpus_parsed():
    assert bench_kv.parse_args(["--cpus", "2"]).cpus == 2
    assert bench_kv.parse_args([]).cpus == 1
    assert bench_pps.parse_args(["--cpus", "4"]).cpus == 4


def test_cores_and_params():
    assert lcores.cores(1, 1) == "1" and lcores.params(1) == []
    assert lcores.cores(2, 1) == "0-1" and lcores.params(2) == ["nfos.cpus=2"]


def test_per_lcore_kvstore_lines():
    per = lcores.per_lcore(KVSTORE_REPORT)
    assert per == [{"lcore": 0, "busy_cycles_per_request": 310.5, "busy_cycles_per_pkt": 301.0},
                   {"lcore": 1, "busy_cycles_per_request": 305.0, "busy_cycles_per_pkt": 299.5}]
    assert lcores.lines_of(per)[1] == \
        "    lcore 1: 305.0 busy cycles/request, 299.5 busy cycles/pkt"


def test_per_lcore_idle_and_l2fwd_lines():
    per = lcores.per_lcore([
        "kvstore: lcore 1 idle: no queue for it (port 0 (vhost0) has 1 queue pair(s))",
        "l2fwd: lcore 0 rx 10 pkts tx 10 pkts drops 0 | busy 45.6 cycles/pkt",
        "l2fwd: total rx 10 pkts 0.001 Mpp/s | tx 10 pkts | busy 45.6 cycles/pkt | 1.00 s"])
    assert per == [{"lcore": 0, "busy_cycles_per_pkt": 45.6},
                   {"lcore": 1, "idle": "no queue for it (port 0 (vhost0) has 1 queue pair(s))"}]
    assert lcores.lines_of(per)[1].startswith("    lcore 1: idle (no queue for it")


def test_oversubscribed_said_only_when_cores_run_out():
    assert lcores.oversubscribed(1, host_cores=2) is None
    assert lcores.oversubscribed(2, host_cores=4) is None
    note = lcores.oversubscribed(2, host_cores=2)
    assert "oversubscribed" in note and "3 > 2 host cores" in note


def test_kv_server_argv_has_lcores():
    ctx = types.SimpleNamespace(cpus=2, images={("kvstore", "linuxu"): "kv-linuxu",
                                                ("kvstore", "kvm"): "kv-kvm"},
                                accel_of={"kvstore-kvm": "tcg"})
    argv = kv_run.server_argv(ctx, "kvstore-linuxu", "/tmp/s", None)
    assert "nfos.cpus=2" in argv and argv.index("nfos.cpus=2") < argv.index("--")
    qemu = kv_run.server_argv(ctx, "kvstore-kvm", "/tmp/s", None)
    assert qemu[qemu.index("-smp") + 1] == "2"
    assert any("nfos.cpus=2" in a for a in qemu)
    ctx.cpus = 1
    assert "nfos.cpus=2" not in kv_run.server_argv(ctx, "kvstore-linuxu", "/tmp/s", None)


def test_pps_subject_argv_has_lcores():
    images = {("rxsink", "linuxu"): "rx-linuxu", ("rxsink", "kvm"): "rx-kvm"}
    argv = pps_run.subject_argv("nfos-linuxu", "rx", 64, "/tmp/s", None, images, "tcg", 1, 2,
                                cpus=2)
    assert "nfos.cpus=2" in argv
    qemu = pps_run.subject_argv("nfos-kvm", "rx", 64, "/tmp/s", None, images, "tcg", 1, 2,
                                cpus=2)
    assert qemu[qemu.index("-smp") + 1] == "2"
