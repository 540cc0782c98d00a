"""bench boot's command line around its measurements (run() and report()
stood in for: the measurements are tests/integration/test_bench.py's,
through bench all): --smoke keeps nothing unless --json says where."""

import json
import os

import pytest

from bench.boot import bench_boot
from bench.common import cli

RES = {"benchmark": "boot", "runs": 2}


@pytest.fixture
def stand_ins(tmp_path, monkeypatch):
    """run() records its arguments and gives RES; the default results file
    is under tmp_path (so a wrong write shows, and bench/results stays)."""
    calls = []
    monkeypatch.setattr(bench_boot, "run", lambda runs, accels, smoke: calls.append(
        (runs, accels, smoke)) or dict(RES))
    monkeypatch.setattr(bench_boot, "report", lambda res: print("report"))
    monkeypatch.setattr(bench_boot.nfos_cli, "kvm_usable", lambda: False)
    monkeypatch.setattr(cli, "default_results", lambda kind: str(tmp_path / "default" /
                                                                 f"{kind}.json"))
    return calls


def test_smoke_keeps_nothing(stand_ins, tmp_path, capsys):
    assert bench_boot.main(["--smoke"]) == 0
    assert stand_ins == [(2, ["tcg"], True)]  # 2 runs, TCG without /dev/kvm
    out = capsys.readouterr().out
    assert "report" in out and "results:" not in out, out
    assert not os.path.exists(tmp_path / "default")


def test_smoke_with_json_writes_there(stand_ins, tmp_path, capsys):
    path = tmp_path / "here" / "boot.json"
    assert bench_boot.main(["--smoke", "--json", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"results: {path}"
    assert json.loads(path.read_text()) == dict(
        RES, command=f"./nfos bench boot -- --smoke --json {path}")
    assert not os.path.exists(tmp_path / "default")


def test_a_measured_run_keeps_its_results(stand_ins, tmp_path, capsys):
    assert bench_boot.main(["--runs", "3"]) == 0
    assert stand_ins == [(3, ["tcg"], False)]
    path = tmp_path / "default" / "boot.json"
    assert capsys.readouterr().out.splitlines()[-1] == f"results: {path}"
    # The command is recorded: docs/PERFORMANCE.md's nfvm section shows it.
    assert json.loads(path.read_text()) == dict(RES, command="./nfos bench boot -- --runs 3")
