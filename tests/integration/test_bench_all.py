"""./nfos bench all: a smoke run of its plumbing (boot only: the other
pieces have their own smoke tests). Its report and command line are unit
tests in bench/tests."""

import os
import re

from conftest import ROOT, nfos


def test_smoke_boot_piece_renders_and_keeps_nothing():
    before = set(os.listdir(os.path.join(ROOT, "bench", "results"))) \
        if os.path.isdir(os.path.join(ROOT, "bench", "results")) else set()
    r = nfos("bench", "all", "--", "--smoke", "--skip", "linuxvm,pps,kv", timeout=900)
    assert r.status == 0, r
    assert "$ ./nfos bench boot -- --smoke --json" in r.out, r
    assert re.search(r"\[\w+\] wall: exec -> rxsink ready", r.out), r
    # Boot alone has no peer to plot against; the document is still made.
    assert "smoke: rendered [] and PERFORMANCE.md; nothing kept" in r.out, r
    after = set(os.listdir(os.path.join(ROOT, "bench", "results"))) \
        if os.path.isdir(os.path.join(ROOT, "bench", "results")) else set()
    assert after == before
