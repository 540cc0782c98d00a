"""bench density's pure parts: the address plan, when it grows, what it
reads from /proc. (The driver itself runs in
tests/integration/test_nfvm.py::test_density_driver_linuxu and
test_density_driver_nfvm.)"""

import json
import os

from bench.density import bench_density as bd


def test_addresses_are_distinct_and_skip_the_bridge():
    got = {bd.address(i) for i in range(8000)}
    assert len(got) == 8000
    assert "10.77.0.1" not in got and "10.77.0.0" not in got
    assert bd.address(0) == "10.77.0.2" and bd.address(254) == "10.77.1.0"
    # a Linux bridge holds 1,024 ports at most: 1,000 instances a bridge
    assert bd.address(999) == "10.77.3.233" and bd.address(1000) == "10.78.0.2"
    assert {bd.bridge(i) for i in range(8000)} == set(range(8))


def test_failed_network_setup_leaves_no_namespace(monkeypatch):
    """ip refusing the TAPs: one clear error, the namespace removed."""
    import subprocess
    calls = []
    real = subprocess.run

    def fake(cmd, **kw):
        calls.append(cmd)
        if "-batch" in cmd:
            raise subprocess.CalledProcessError(1, cmd, stderr="RTNETLINK answers: No space")
        return real(["true"], **{k: v for k, v in kw.items() if k != "input"})
    monkeypatch.setattr(bd.subprocess, "run", fake)
    try:
        bd.Net(3)
        assert False, "no error"
    except RuntimeError as e:
        assert "No space" in str(e), e
    assert calls[-1][:3] == ["ip", "netns", "del"], calls

def test_each_nfvm_instance_has_a_mac_of_its_own():
    """One bridge: nfvm's default MAC is the same for every one-port guest."""
    cmds = [bd.command("nfvm", "img", i, 8 << 20) for i in range(8000)]
    macs = [c[c.index("--net") + 1].split(",mac=")[1] for c in cmds]
    assert len(set(macs)) == 8000
    assert all(int(m[:2], 16) & 1 == 0 for m in macs)  # unicast
    assert cmds[0][cmds[0].index("--net") + 1] == "tap:t0,mac=02:6e:64:00:00:02"


def test_grows_while_memory_allows(monkeypatch):
    monkeypatch.setattr(bd, "mem_available_kib", lambda: 14 << 20)  # 14 GiB free
    last = {"instances": 1000, "pss_kib_per_instance": 3000}
    assert bd.counts_to_run([100, 1000], last, 8000) == 2000
    assert bd.counts_to_run([100, 1000], last, 1500) is None, "the cap"
    last["pss_kib_per_instance"] = 4000  # 2000 x 4000 KiB x 2 > 14 GiB
    assert bd.counts_to_run([100, 1000], last, 8000) is None


def test_reads_pss_and_cpu_of_a_process():
    assert bd.pss_kib(os.getpid()) > 1000
    assert bd.cpu_ticks(os.getpid()) >= 0


def test_a_run_records_its_command(tmp_path, monkeypatch, capsys):
    """docs/PERFORMANCE.md's density section shows the run's exact command."""
    monkeypatch.setattr(bd.os, "geteuid", lambda: 0)
    monkeypatch.setattr(bd.nfos_cli, "kvm_usable", lambda: True)
    monkeypatch.setattr(bd, "run", lambda args: {"benchmark": "density", "runs": []})
    path = tmp_path / "d.json"
    assert bd.main(["--counts", "100", "--json", str(path)]) == 0
    got = json.loads(path.read_text())
    assert got["command"] == f"./nfos bench density -- --counts 100 --json {path}"
    assert bd.cli.command("density", []) == "./nfos bench density"
