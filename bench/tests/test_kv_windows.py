"""bench kv's logic without a benchmark: its measured windows (kvstore's
busy cycles, the others' share of the cores, the probes at kvgen's holds
with a stand-in kvgen and server), the clean-run rule and the ratios."""

import signal
import sys
import time
from types import SimpleNamespace

import pytest

from bench.common import placement
from bench.common.proc import Proc, pid_state
from bench.kv import bench_kv, report, windows
from bench.kv.windows import GEN_CORE, SERVER_CORE


class Lines:
    def __init__(self, lines):
        self.lines = lines


def interval(rx, busy, secs=1.0):
    return (f"kvstore: interval rx {rx} pkts 0.100 Mpp/s | tx {rx} pkts 0.100 Mpp/s | drops 0 | "
            f"busy {busy} cycles/pkt | {secs:.2f} s")


def test_busy_cycles_of_a_window():
    """kvstore's interval lines weighted by packets and by the part of each
    inside the window; lines outside it, totals and other text ignored."""
    server = Lines([(10.0, interval(1000, 900.0)),       # covers [9, 10]: outside
                    (11.0, interval(1000, 100.0)),       # [10, 11]: all inside
                    (12.0, interval(3000, 300.0)),       # [11, 12]: half inside
                    (12.5, "kvstore: total rx 5000 pkts 0.1 Mpp/s | tx 5000 pkts 0.1 Mpp/s | "
                           "drops 0 | busy 1.0 cycles/pkt | 3.00 s"),
                    (13.0, "kvstore: something else")])
    # weights: 1000 * 1 and 3000 * 0.5 -> (1000*100 + 1500*300) / 2500
    assert windows.busy_in(server, 10.0, 11.5) == 220.0
    assert windows.busy_in(server, 20.0, 21.0) is None


def test_others_share_of_the_cores():
    a = (100.0, [10.0, 20.0], {0: 50.0, 1: 60.0})
    b = (102.0, [11.9, 21.0], {0: 52.0, 1: 62.0})
    own, others = windows.shares(a, b)
    assert own == [0.95, 0.5]
    assert others == {0: 0.05, 1: 0.5}


# A stand-in for kvgen --hold: holds before each workload and at the end,
# each answered by a line on stdin, with a window between them.
FAKE_KVGEN = r"""
import sys, time
for w in ("get100-uniform", "get50-zipf"):
    print(f"kvgen: hold before {w}", flush=True)
    if sys.stdin.readline() != "\n":
        sys.exit(3)
    print(f"kvgen: {w}: measuring 0.1 s", flush=True)
    time.sleep(0.1)
    print(f"kvgen: {w}: 1000 req/s | hit 1.0000", flush=True)
print("kvgen: hold at end", flush=True)
sys.exit(0 if sys.stdin.readline() == "\n" else 3)
"""


def let_go(server):
    """The server runs again (SIGCONT): on a loaded machine its state in
    /proc may lag a moment."""
    end = time.monotonic() + 5
    while pid_state(server.p.pid)[0] not in "RS" and time.monotonic() < end:
        time.sleep(0.01)
    return pid_state(server.p.pid)[0] in "RS"


def test_follow_probes_at_each_hold_with_the_server_stopped(tmp_path, monkeypatch):
    """follow() answers each hold of kvgen's after one probe taken while the
    server's process group is stopped; the server goes on afterwards. Each
    workload gets the probe before its warm-up and the next one."""
    server = Proc("server", ["sleep", "30"], SERVER_CORE, str(tmp_path))
    gen = Proc("kvgen", [sys.executable, "-c", FAKE_KVGEN], GEN_CORE,
                        str(tmp_path), stdin_pipe=True)
    states = []

    def probe(ctx):
        states.append(pid_state(server.p.pid)[0])
        return 100.0 * len(states)
    monkeypatch.setattr(placement, "probe_c2c", probe)
    try:
        marks, holds = windows.follow(SimpleNamespace(c2c_near=None), gen, [gen, server], time.monotonic() + 30)
        assert gen.p.returncode == 0, gen.text()
        assert states == ["T", "T", "T"], states
        assert let_go(server)
        assert holds == [("get100-uniform", 100.0, 100.0), ("get50-zipf", 200.0, 200.0),
                         (None, 300.0, 300.0)]
        assert {w: len(m) for w, m in marks.items()} == {"get100-uniform": 2, "get50-zipf": 2}
        assert windows.around(holds, "get100-uniform") == [100.0, 200.0]
        assert windows.around(holds, "get50-zipf") == [200.0, 300.0]
        assert windows.around(holds, "get90-zipf") == [None, None]
    finally:
        server.signal(signal.SIGKILL)
        server.wait(5)
        gen.wait(5)


def test_hold_waits_idle_for_the_cores_to_come_back_near(tmp_path, monkeypatch):
    """A hold that finds the cores apart closes the window before with that
    probe, then leaves them idle (server stopped) and probes again until
    they are near, which opens the next window; it gives up after
    SETTLE_S."""
    server = Proc("server", ["sleep", "30"], SERVER_CORE, str(tmp_path))
    seq, states = [900.0, 880.0, 140.0], []

    def probe(ctx):
        states.append(pid_state(server.p.pid)[0])
        return seq.pop(0) if seq else 870.0
    monkeypatch.setattr(placement, "probe_c2c", probe)
    monkeypatch.setattr(windows, "SETTLE_STEP", 0.01)
    ctx = SimpleNamespace(c2c="c2c", c2c_near=130.0)
    try:
        assert windows.hold_probe(ctx, server) == (900.0, 140.0)
        assert states == ["T", "T", "T"]  # stopped all along
        assert let_go(server)
        monkeypatch.setattr(windows, "SETTLE_S", 0.1)
        t0 = time.monotonic()
        assert windows.hold_probe(ctx, server) == (870.0, 870.0)  # never near: given up
        assert time.monotonic() - t0 < 2
        holds = [("a", 150.0, 150.0), ("b", 900.0, 140.0), (None, 160.0, 160.0)]
        assert windows.around(holds, "a") == [150.0, 900.0]
        assert windows.around(holds, "b") == [140.0, 160.0]
    finally:
        server.signal(signal.SIGKILL)
        server.wait(5)


def test_hold_probe_lets_the_server_go_whatever_happens(tmp_path, monkeypatch):
    server = Proc("server", ["sleep", "30"], SERVER_CORE, str(tmp_path))

    def broken(ctx):
        raise KeyboardInterrupt
    try:
        monkeypatch.setattr(placement, "probe_c2c", broken)
        with pytest.raises(KeyboardInterrupt):
            windows.hold_probe(SimpleNamespace(c2c_near=None), server)
        assert let_go(server)
        monkeypatch.setattr(placement, "probe_c2c", lambda ctx: None)
        assert windows.hold_probe(SimpleNamespace(c2c_near=None), None) == (None, None)  # no server: the probe
    finally:
        server.signal(signal.SIGKILL)
        server.wait(5)
    assert windows.hold_probe(SimpleNamespace(c2c_near=None), server) == (None, None)  # gone: no error


def test_windows_judged_again_when_near_is_revised():
    """A calibration that ran while the host had the cores apart took apart
    for near; once a later probe shows the real near round trip, windows
    judged against the wrong one are judged again."""
    ctx = SimpleNamespace(c2c="c2c", c2c_near=850.0)
    early = {"c2c_cycles": [860.0, 900.0], "quiet": True}
    noisy = {"c2c_cycles": [150.0, 140.0], "quiet": False}
    windows.judge(ctx, early)
    assert early["clean"] and not early["placed_apart"]  # nothing better known yet
    late = {"c2c_cycles": [150.0, 140.0], "quiet": True}
    windows.judge(ctx, late)
    assert late["clean"] and ctx.c2c_near == 140.0
    windows.rejudge(ctx, {"kvstore-linuxu": [{"workloads": {"a": early, "b": noisy}}]})
    assert not early["clean"] and early["placed_apart"]
    assert not noisy["clean"] and not noisy["placed_apart"]  # others took the cores


def test_clean_results_are_counted_per_workload():
    """A subject is done when every workload has --runs clean results, from
    whichever runs they came."""
    def run(**clean):
        return {"workloads": {w: {"clean": c} for w, c in clean.items()}}
    ws = ["get100-uniform", "get50-zipf"]
    a = run(**{"get100-uniform": True, "get50-zipf": False})
    b = run(**{"get100-uniform": False, "get50-zipf": True})
    assert not bench_kv.enough_clean([a], ws, 1)
    assert bench_kv.enough_clean([a, b], ws, 1)
    assert not bench_kv.enough_clean([a, b, a], ws, 2)
    assert bench_kv.enough_clean([a, b, a, b], ws, 2)


def test_linux_vm_ratios_are_labelled():
    """kvstore over memcached-in-the-VM: "same accelerator" only when both
    ran under the same one, else "best available here"; key counts shown."""
    def res(accel, keys, rps):
        sm = {"rps": {"median": rps, "min": rps, "max": rps}}
        return {"accel": accel, "keys": keys, "summary": {"get90-uniform": sm}}
    results = {"linux-vm": res("tcg", 20000, 1000.0), "kvstore-tcg": res("tcg", 20000, 5000.0),
               "kvstore-kvm": res("kvm", 1000000, 200000.0)}
    r = report.ratios(results, ["get90-uniform"])[0]
    assert r["kvstore-tcg_over_linux-vm_rps"] == {
        "ratio": 5.0, "accels": "tcg vs tcg", "label": "same accelerator",
        "keys": "20000 vs 20000"}
    assert r["kvstore-kvm_over_linux-vm_rps"]["label"] == "best available here"
    assert r["kvstore-kvm_over_linux-vm_rps"]["ratio"] == 200.0
    del results["linux-vm"]
    assert not any("linux-vm" in k for k in report.ratios(results, ["get90-uniform"])[0])
