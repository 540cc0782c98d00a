"""bench boot's nfvm part without /dev/kvm: the lines it parses (nfvm's
--trace line as vmm/main.c prints it, the image's boot trace) and the
skip with its reason."""

import re

import pytest

from bench.boot import nfvm
from tools import nfos_cli

TRACE = ("nfvm: trace (ms after main): memory 0.031, image 0.102, kvm 0.400, boot info 0.410, "
         "vcpu 0.522, end 3.100; first exit 0.801; 17 exits\n"
         "nfvm: peak RSS 1234 KiB\n"
         "nfvm: idle: 0 arms, 0 sleeps (0 woken by a device, 0 by the timer), 0.000 ms asleep\n")


def test_parse_trace():
    t = nfvm.parse_trace("something else\n" + TRACE)
    assert t["vcpu_ms"] == 0.522 and t["first_exit_ms"] == 0.801 and t["exits"] == 17, t
    assert t["peak_rss_kib"] == 1234, t
    with pytest.raises(RuntimeError):
        nfvm.parse_trace(TRACE.replace("peak RSS", "peak"))


def test_trace_format_is_nfvm_s():
    """The pattern follows vmm/main.c's trace_print format string."""
    src = open(f"{nfos_cli.ROOT}/vmm/main.c").read()
    assert 'fprintf(stderr, "nfvm: trace (ms after main):");' in src
    assert re.search(r'"; first exit %\.3f; %llu exits\\n"', src)
    assert 'fprintf(stderr, "nfvm: peak RSS %lu KiB\\n", peak_rss_kib());' in src


def test_parse_boottrace():
    out = "boottrace: entry     0 ns\nboottrace: main  41000 ns\nHello from nfos!\n"
    assert nfvm.parse_boottrace(out) == 41000
    with pytest.raises(RuntimeError):
        nfvm.parse_boottrace("Hello from nfos!\n")


def test_skipped_without_kvm(monkeypatch):
    monkeypatch.setattr(nfos_cli, "kvm_usable", lambda: False)
    res = nfvm.measure({}, 3)
    assert res == {"skipped": "nfvm needs a usable /dev/kvm (none here)"}
    assert nfvm.rows(res, None) == [("nfvm", "skipped: nfvm needs a usable /dev/kvm (none here)")]


def test_rows_and_ratio():
    s = {"median": 0.002, "min": 0.0015, "max": 0.003}
    t = {"wall_exec_to_main_s": s, "wall_exec_to_exit_s": s,
         "monitor_main_to_vcpu_ms": {"median": 0.5}, "guest_entry_to_main_ns": {"median": 40000},
         "nfvm_max_rss_kib": {"median": 3000}}
    rows = dict(nfvm.rows({"helloworld": t}, {"wall_exec_to_main_s": {"median": 0.05}}))
    assert rows["QEMU microvm / nfvm, exec -> helloworld main"] == "25.0x", rows
    assert rows["[nfvm] helloworld: monitor (main -> vCPU) / guest (entry -> main)"] == \
        "0.500 ms / 40.0 us", rows
