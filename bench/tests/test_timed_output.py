"""bench/common/proc.py timed_output, which bench boot times its QEMU and
nfvm runs with: the line's time and the exit's, both outputs, and a child
that never ends killed with its whole session after the timeout instead of
holding the benchmark (bench boot's nfvm part read nfvm's output to its end
with no limit). No real guest here: shell stand-ins."""

import threading

import pytest

from bench.boot import bench_boot, nfvm
from bench.common.proc import timed_output


def in_thread(fn, limit=60):
    """fn()'s result, or a failure when it has not returned after limit s
    (the thread is left behind: a hang must fail the test, not stop it)."""
    box = []
    t = threading.Thread(target=lambda: box.append(_call(fn)), daemon=True)
    t.start()
    t.join(limit)
    assert box, f"still running after {limit} s"
    if isinstance(box[0], BaseException):
        raise box[0]
    return box[0]


def _call(fn):
    try:
        return fn()
    except Exception as e:  # handed to the test's thread
        return e


def test_a_child_that_ends():
    cmd = ["sh", "-c", "echo one; echo 'Hello from nfos!'; echo err >&2; exit 3"]
    t_want, t_exit, out, err, status, ru = in_thread(lambda: timed_output(cmd, "Hello", 30))
    assert out == "one\nHello from nfos!\n" and err == "err\n" and status == 3
    assert t_want is not None and t_exit >= t_want and ru.ru_maxrss > 0


def test_a_child_that_never_ends_is_killed():
    cmd = ["sh", "-c", "echo ready; exec sleep 1000"]
    t_want, _, out, _, status, _ = in_thread(lambda: timed_output(cmd, "ready", 1))
    assert status is None and out == "ready\n" and t_want is not None


def test_a_full_stderr_does_not_block():
    """Half a MiB on stderr before the line on stdout: read beside it."""
    cmd = ["sh", "-c", "head -c 524288 /dev/zero | tr '\\0' x >&2; echo done"]
    t_want, _, out, err, status, _ = in_thread(lambda: timed_output(cmd, "done", 30))
    assert status == 0 and out == "done\n" and len(err) == 524288 and t_want is not None


def test_nfvm_walls_carry_no_boot_trace(monkeypatch):
    """bench boot's nfvm walls run the command QEMU's walls run (no boot
    trace, no --trace); the traced run gives the split."""
    seen = []

    def fake(cmd, want, timeout):
        seen.append(cmd)
        traced = "--trace" in cmd
        out = "boottrace: main 1000 ns\nHello from nfos!\n" if traced else "Hello from nfos!\n"
        err = ("nfvm: trace (ms after main): memory 0.1, image 0.2, kvm 0.3, boot info 0.4, "
               "vcpu 0.5, end 0.9; first exit 0.6; 3 exits\nnfvm: peak RSS 400 KiB\n") if traced else ""
        return 0.001, 0.002, out, err, 0, type("ru", (), {"ru_maxrss": 1})()
    monkeypatch.setattr(nfvm, "timed_output", fake)
    monkeypatch.setattr(nfvm.guest, "nfvm_command",
                        lambda image, mem, cmdline: ["nfvm", image, "--", cmdline])
    assert nfvm.one_run("/x/h", [], [], "Hello", False)[2:4] == (None, None)
    assert nfvm.one_run("/x/h", [], [], "Hello", True)[2:4] == (0.5, 1000)
    plain, traced = seen
    assert "--trace" not in plain and "boottrace" not in plain[-1]
    assert "--trace" in traced and "nfos.boottrace=1" in traced[-1]


def test_nfvm_run_that_never_ends_fails(monkeypatch, tmp_path):
    """bench boot's nfvm part: a guest that hangs ends its run with the reason."""
    stand_in = tmp_path / "nfvm"
    stand_in.write_text("#!/bin/sh\necho 'Hello from nfos!'\nexec sleep 1000\n")
    stand_in.chmod(0o755)
    monkeypatch.setattr(nfvm.guest, "nfvm_command", lambda image, mem, cmdline: [str(stand_in)])
    monkeypatch.setattr(nfvm, "TIMEOUT", 1)
    with pytest.raises(RuntimeError, match="not ended after 1 s"):
        in_thread(lambda: nfvm.one_run("/x/helloworld", [], [], "Hello from nfos!", False))


def test_qemu_wall_time_run_that_never_ends_fails(monkeypatch):
    """bench boot's QEMU rows: the same."""
    monkeypatch.setattr(bench_boot, "qemu", lambda *a: ["sh", "-c", "exec sleep 1000"])
    monkeypatch.setattr(bench_boot, "TIMEOUT", 1)
    with pytest.raises(RuntimeError, match="not ended after 1 s"):
        in_thread(lambda: bench_boot.wall_times("/x/helloworld", 8 << 20, "tcg"))
