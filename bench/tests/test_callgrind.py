"""bench/pps/callgrind.py's parsing: the packets a subject's exit lines
give, and callgrind_annotate's function list summed per function."""

from bench.pps import callgrind

ANNOTATE = """\
--------------------------------------------------------------------------------
Ir
--------------------------------------------------------------------------------
580,813,091 (100.0%)  PROGRAM TOTALS

--------------------------------------------------------------------------------
Ir                    file:function
--------------------------------------------------------------------------------
123,004,384 (21.18%)  /w/lib/netbuf/include/nfos/netbuf.h:main
115,994,943 (19.97%)  /w/lib/netbuf/include/nfos/netbuf.h:null_rx
 93,609,954 (16.12%)  /w/drivers/null/null.c:null_rx [/w/build/rxsink.dbg]
 47,257,324 ( 8.14%)  /w/apps/rxsink/main.c:main [/w/build/rxsink.dbg]
    209,790 ( 0.04%)  ./time/clock_gettime.c:clock_gettime@@GLIBC_2.17 [/usr/lib/libc.so.6]
"""


def test_annotate_sums_each_function_over_its_files():
    fns, total = callgrind.parse_annotate(ANNOTATE)
    assert total == 580813091
    assert fns["main"] == 123004384 + 47257324
    assert fns["null_rx"] == 115994943 + 93609954
    assert fns["clock_gettime@@GLIBC_2.17"] == 209790
    assert "PROGRAM" not in " ".join(fns)


def test_packets_from_the_nfos_apps_total_line():
    text = ("rxsink: interval rx 5 pkts 0.1 Mpp/s | tx 0 pkts 0.000 Mpp/s | drops 0 | busy 1.0 "
            "cycles/pkt | 1.00 s\n"
            "rxsink: total rx 7190144 pkts 0.1 Mpp/s | tx 3 pkts 0.000 Mpp/s | drops 0 | busy "
            "1.0 cycles/pkt | 5.00 s\n")
    assert callgrind.packets("nfos", "rx", text) == 7190144
    assert callgrind.packets("nfos", "fwd", text) == 3
    assert callgrind.packets("nfos", "rx", "rxsink: receiving on port 0\n") is None


def test_packets_from_testpmds_accumulated_statistics():
    text = """\
  ---------------------- Forward statistics for port 0  ----------------------
  RX-packets: 11             RX-dropped: 0             RX-total: 11
  TX-packets: 12             TX-dropped: 0             TX-total: 12
  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
  RX-packets: 2199744        RX-dropped: 0             RX-total: 2199744
  TX-packets: 4327712        TX-dropped: 0             TX-total: 4327712
"""
    assert callgrind.packets("testpmd", "rx", text) == 2199744
    assert callgrind.packets("testpmd", "tx", text) == 4327712
    assert callgrind.packets("testpmd", "rx", text.split("+++")[0]) is None


def test_a_named_function_keeps_its_name():
    assert callgrind.symbol("null_rx", "1 (1%) /w/null.c:null_rx [/w/x.dbg]") == "null_rx"


def test_json_has_each_case_and_subject_with_its_top_functions():
    class Args:
        cases, subjects, short, long, port = ["fwd"], ["nfos"], 2.0, 5.0, "null"
    r = {"total": 107.84, "packets": (100, 400), "bursts": {"nfos_pmd_rx_burst": 0.03125},
         "per": {"forward": 34.81, "null_rx": 62.2, "tiny": 0.01}}
    out = callgrind.results_json(Args, [(("fwd", "nfos"), r)], top=25)
    assert out["command"].endswith("--cases fwd --subjects nfos --short 2 --long 5 --port null")
    row = out["results"][0]
    assert row["program"] == "l2fwd" and row["instructions_per_packet"] == 107.84
    assert row["top_functions"] == [["null_rx", 62.2], ["forward", 34.81]], "below 0.05 left out"
    assert row["bursts_per_packet"] == {"nfos_pmd_rx_burst": 0.0312}


def test_bad_windows_are_a_usage_error(capsys):
    import pytest
    with pytest.raises(SystemExit) as e:
        callgrind.main(["--short", "5", "--long", "2"])
    assert e.value.code == 2 and "must be above 0 and below --long" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        callgrind.main(["--cases", "nope"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        callgrind.main(["--smp", "2"])
    assert e.value.code == 2 and "--cases fwd --subjects nfos" in capsys.readouterr().err


def test_smp_runs_the_nfos_apps_smp_variant_with_n_lcores(monkeypatch):
    monkeypatch.setattr(callgrind.os.path, "exists", lambda p: not p.endswith(".dbg"))
    one = callgrind.subject_argv("nfos", "fwd", "null", 2)
    two = callgrind.subject_argv("nfos", "fwd", "null", 2, smp=2)
    assert one[0].endswith("build/l2fwd_linuxu-x86_64/l2fwd_linuxu-x86_64")
    assert not any(a.startswith("nfos.cpus=") for a in one)
    assert two[0].endswith("build/l2fwd_linuxu-x86_64-smp/l2fwd_linuxu-x86_64")
    assert "nfos.cpus=2" in two[:two.index("--")]
    pmd = callgrind.subject_argv("testpmd", "fwd", "null", 2, smp=2)
    assert "-smp" not in pmd[0], "testpmd's image is SMP already"


def test_json_says_smp():
    class Args:
        cases, subjects, short, long, port, smp = ["fwd"], ["nfos"], 2.0, 5.0, "null", 2
    out = callgrind.results_json(Args, [], top=25)
    assert out["command"].endswith("--port null --smp 2") and out["nfos_smp_lcores"] == 2
