"""bench boot's DPDK part without DPDK or QEMU: the prompt is found across
reads, a stream that ends or stays silent is not a prompt, the rows, and
the skip when the source cannot be fetched."""

import os
import subprocess
import threading
import time

import pytest

from bench.boot import dpdk


def feed(chunks, pause=0.02, close=True):
    """A pipe's read end that receives chunks one by one."""
    r, w = os.pipe()

    def writer():
        for c in chunks:
            os.write(w, c)
            time.sleep(pause)
        if close:
            os.close(w)
    threading.Thread(target=writer, daemon=True).start()
    return os.fdopen(r, "rb", buffering=0), w


def test_prompt_split_across_reads():
    f, _ = feed([b"EAL: Detected CPU lcores: 2\nPort 0: ...\ntestp", b"md", b"> "])
    assert dpdk.until_prompt(f, time.perf_counter() + 10)


def test_end_of_output_is_no_prompt():
    f, _ = feed([b"EAL: Error\n"])
    assert not dpdk.until_prompt(f, time.perf_counter() + 10)


def test_silence_until_the_deadline_is_no_prompt():
    f, _ = feed([b"testpmd"], close=False)
    t0 = time.perf_counter()
    assert not dpdk.until_prompt(f, t0 + 0.3)
    assert time.perf_counter() - t0 < 5


def test_rows():
    res = {"bytes": 1500000, "cpus": 2, "mem_bytes": 64 << 20,
           "times": {"tcg": {"median": 1.5, "min": 1.25, "max": 2.0}}}
    assert dpdk.rows(res) == [
        ('[tcg] dpdk-testpmd: wall: exec -> "testpmd>" (2 vCPUs, 64 MiB)',
         "1500.0 ms (min 1250.0, max 2000.0)")]


def test_skipped_when_the_source_cannot_be_fetched(monkeypatch):
    def fake_run(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 1, "", "nfos: apt-get source dpdk failed: ...")
    monkeypatch.setattr(subprocess, "run", fake_run)
    res = dpdk.measure(["tcg"], 2, log=lambda s: None)
    assert res["skipped"].startswith("Debian's DPDK source cannot be fetched"), res
    assert dpdk.rows(res)[0][1].startswith("skipped: "), res


def test_smoke_builds_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(dpdk.nfos_cli, "image_path", lambda app, plat: str(tmp_path / "none"))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("built something"))
    res = dpdk.measure(["tcg"], 2, log=lambda s: None, build=False)
    assert res == {"skipped": "--smoke builds no DPDK image, and none is built"}
