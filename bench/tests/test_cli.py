"""The benchmarks' command lines: a bad option is one line of usage error
and status 2, before anything runs (no benchmark runs here)."""

import pytest

from bench.all import bench_all
from bench.kv import bench_kv
from bench.pps import bench_pps


def refused(main, argv, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--bogus"], ["--cases", "rx,nope"], ["--sizes", "12"],
                                  ["--subjects", "linux"], ["--runs", "0"]])
def test_bench_pps_bad_options(argv, capsys):
    assert "nfos bench pps: error:" in refused(bench_pps.main, argv, capsys)


@pytest.mark.parametrize("argv", [["--bogus"], ["--workloads", "get90-gauss"],
                                  ["--workloads", "get101-zipf"], ["--subjects", "redis"],
                                  ["--runs", "0"], ["--keys", "1"], ["--window", "0"],
                                  ["--vm-keys", "1"], ["--vm-keys", "lots"]])
def test_bench_kv_bad_options(argv, capsys):
    assert "nfos bench kv: error:" in refused(bench_kv.main, argv, capsys)


@pytest.mark.parametrize("args,message", [
    (["--skip", "nope"], "--skip: unknown piece 'nope'"),
    (["--runs", "0"], "--runs must be at least 1"),
])
def test_bench_all_bad_options(args, message, capsys):
    assert message in refused(bench_all.main, args, capsys)


def test_lists_keep_their_order_once_each():
    parse = bench_pps.cli.csv("sizes", conv=bench_pps.frame_size)
    assert parse("1500,64,1500") == [1500, 64]
    assert bench_kv.count("100K") == 100000 and bench_kv.count("1m") == 1000000
    assert bench_kv.workload_list("get90-zipf,get90-zipf") == ["get90-zipf"]


def test_a_measurement_that_fails_is_one_line_and_status_1(monkeypatch, capsys):
    """bench boot's guest that never printed its boot trace (a RuntimeError
    of the bench) reaches the user as one line, not a traceback."""
    import argparse

    from bench.boot import bench_boot
    from tools import nfos_cli

    def fails(argv):
        raise RuntimeError("helloworld under kvm never printed 'Hello'")

    monkeypatch.setattr(bench_boot, "main", fails)
    assert nfos_cli.cmd_bench(argparse.Namespace(what="boot", app_args=[])) == 1
    assert capsys.readouterr().err == "nfos bench boot: helloworld under kvm never printed 'Hello'\n"
