"""The suite's own helpers (conftest.py), where a mistake would hide in
every test that uses them. No guest: shell stand-ins."""

import subprocess
import time

import pytest

from conftest import run_session


def ended(pid, limit=10):
    """Gone, or a zombie (its parent killed, init has not reaped it yet),
    within limit s: SIGKILL is sent at once but takes effect a moment
    later."""
    end = time.monotonic() + limit
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        if time.monotonic() > end:
            return False
        time.sleep(0.05)


def test_run_session_output_and_status():
    r = run_session(["sh", "-c", "cat; echo err >&2; exit 3"], 30, input="in\n")
    assert (r.status, r.out, r.err) == (3, "in\n", "err\n")


def test_run_session_timeout_ends_what_the_child_started(tmp_path):
    """nfos()'s timeout: ./nfos bench all's benchmark, and its QEMU, went on
    running after subprocess.run had killed ./nfos alone."""
    pidfile = tmp_path / "pid"
    with pytest.raises(subprocess.TimeoutExpired) as e:
        run_session(["sh", "-c", f"sleep 1000 & echo $! > {pidfile}; echo so far; wait"], 1)
    assert ended(int(pidfile.read_text()))
    assert "its stdout by then: 'so far\\n'" in str(e.value), str(e.value)
