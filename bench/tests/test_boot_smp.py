"""bench boot's AP start time (bench/boot/smp.py) without booting: the
boot-trace line it parses (as lib/lcore prints it), the report's rows and
the table bench all renders, nfvm's skip without /dev/kvm. A boot under
TCG checks the figure itself: tests/integration/test_bench.py."""

import re

import pytest

from bench.all.report import md_ap_start
from bench.boot import smp
from tools import nfos_cli

OUT = ("boottrace: cpu1 start 69545388 ns, entry +19087441 ns, cpl3 +195964 ns "
       "(19283405 ns to start)\nboottrace: entry             0 ns            0 cycles\n")


def s(median):
    return {"median": median, "min": median - 100, "max": median + 100, "runs": 3}


def test_parse_the_ap_line():
    assert smp.parse("l2fwd: x\n" + OUT) == {"cpu1": {
        "start_ns": 69545388, "to_entry_ns": 19087441, "cpl0_ns": 195964,
        "to_cpl3_ns": 19283405}}
    with pytest.raises(RuntimeError, match="no AP line"):
        smp.parse("boottrace: main 41000 ns\n")


def test_the_line_is_lcore_s():
    """The pattern follows lib/lcore/lcore.c's printf."""
    src = open(f"{nfos_cli.ROOT}/lib/lcore/lcore.c").read()
    assert ('"boottrace: cpu%u start %llu ns, entry +%llu ns, cpl3 +%llu ns '
            '(%llu ns to start)\\n"') in src


def test_summaries_per_ap():
    runs = [smp.parse(OUT), smp.parse(OUT.replace("19283405", "19283605"))]
    got = smp.summarise(runs)
    assert got["cpu1"]["to_cpl3_ns"]["median"] == 19283505, got
    assert got["cpu1"]["cpl0_ns"]["runs"] == 2, got


def test_rows_and_the_nfvm_skip(monkeypatch):
    monkeypatch.setattr(nfos_cli, "kvm_usable", lambda: False)
    monkeypatch.setattr(smp, "image", lambda: "img")
    monkeypatch.setattr(smp, "one_run", lambda img, mon: smp.parse(OUT))
    res = smp.measure(["tcg"], 2, log=lambda m: None)
    assert res["nfvm"] == {"skipped": "nfvm needs a usable /dev/kvm (none here)"}
    rows = dict(smp.rows(res))
    assert rows["[tcg] AP start, l2fwd --cpus 2: cpu1 INIT/SIPI -> CPL3"] == \
        "19283.4 us (min 19283.4, max 19283.4); CPL0 part 196.0 us", rows
    assert rows["[nfvm] AP start"].startswith("skipped: nfvm needs"), rows


def test_nfvm_measured_with_kvm(monkeypatch):
    monkeypatch.setattr(nfos_cli, "kvm_usable", lambda: True)
    monkeypatch.setattr(smp, "image", lambda: "img")
    monkeypatch.setattr(smp.guest, "nfvm_path", lambda: "nfvm")
    seen = []
    monkeypatch.setattr(smp, "one_run", lambda img, mon: seen.append(mon) or smp.parse(OUT))
    res = smp.measure(["kvm", "tcg"], 2, log=lambda m: None)
    assert seen == ["kvm", "kvm", "tcg", "tcg", "nfvm", "nfvm"]
    rows = dict(smp.rows(res))
    assert "[nfvm] AP start, l2fwd --cpus 2: cpu1 wake -> CPL3" in rows, rows


def test_bench_all_table():
    ap = {"app": "l2fwd", "cpus": 2,
          "qemu": {"tcg": {"cpu1": {"to_cpl3_ns": s(500e3), "cpl0_ns": s(90e3)}}},
          "nfvm": {"skipped": "why"}}
    md = "\n".join(md_ap_start(ap))
    assert re.search(r"^\| QEMU tcg \| cpu1 \| 500\.0 \(499\.9-500\.1\) \| 90\.0 ", md, re.M), md
    assert "| nfvm | - | skipped: why | - |" in md, md
    assert md_ap_start(None) == []  # a run from before the AP start was measured
