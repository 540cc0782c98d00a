"""bench kv's kvstore-dpdk subjects (bench/kv/dpdk.py): when they run,
which images they take, their command lines per platform, their lines read
as kvstore's, and their busy cycles over kvstore's. Made-up output; no
benchmark runs."""

from types import SimpleNamespace

import pytest

from bench.common import lcores
from bench.common.rounds import first_status
from bench.kv import bench_kv, dpdk, report, run, windows

IMAGES = {("kvstore-dpdk", "linuxu"): "/img-u", ("kvstore-dpdk", "kvm"): "/img-k"}


def status(named, accel):
    subjects = named or list(bench_kv.ALL_SUBJECTS)
    st = first_status(subjects, named, bench_kv.ON_REQUEST, "kvstore-kvm", accel, "kvstore")
    dpdk.status(st, named, accel)
    return st


def test_run_only_when_named_kvm_skipped_under_tcg():
    st = status(None, "tcg")
    assert st["kvstore-dpdk-linuxu"].startswith("not run: name it in --subjects")
    assert "DPDK's build" in st["kvstore-dpdk-linuxu"]
    assert st["kvstore-dpdk-kvm"].startswith("skipped: no usable /dev/kvm")
    assert st["kvstore-linuxu"] == "available"
    st = status(None, "kvm")
    assert st["kvstore-dpdk-kvm"].startswith("not run: name it in --subjects")
    named = ["kvstore-linuxu", "kvstore-dpdk-linuxu", "kvstore-dpdk-kvm"]
    assert set(status(named, "tcg").values()) == {"available"}


def test_subjects_option_and_bench_all():
    args = bench_kv.parse_args(["--subjects", "kvstore-linuxu,kvstore-dpdk-linuxu"])
    assert args.subjects == ["kvstore-linuxu", "kvstore-dpdk-linuxu"]
    with pytest.raises(SystemExit):
        bench_kv.parse_args(["--subjects", "kvstore-dpdk"])
    # ./nfos bench all names SUBJECTS: the DPDK ones stay out of it.
    assert not set(dpdk.SUBJECTS) & set(bench_kv.SUBJECTS)
    ctx = bench_kv.make_ctx(bench_kv.parse_args(["--smoke"]))
    assert ctx.keys_of["kvstore-dpdk-kvm"] == ctx.keys


def test_images_asked_for_per_subject(monkeypatch, tmp_path):
    """Each named kvstore subject's own image is built and checked:
    kvstore-dpdk's for the DPDK subjects, kvstore's for the others."""
    asked, checked = [], {}
    monkeypatch.setattr(bench_kv, "build_images",
                        lambda wanted, cpus: asked.extend(wanted) or {w: f"/{w[0]}-{w[1]}"
                                                                      for w in wanted})
    monkeypatch.setattr(bench_kv, "check_images",
                        lambda images, plats, st, tmp: checked.update(
                            {s: images(p) for s, p in plats.items()}))
    ctx = SimpleNamespace(accel="tcg", tmp=str(tmp_path), cpus=1)
    named = ["kvstore-linuxu", "kvstore-dpdk-linuxu", "kvstore-dpdk-kvm"]
    st = bench_kv.subject_status(ctx, SimpleNamespace(subjects=named), named)
    assert set(st.values()) == {"available"}
    assert sorted(asked) == [("kvstore", "linuxu"), ("kvstore-dpdk", "kvm"),
                             ("kvstore-dpdk", "linuxu")]
    assert checked == {"kvstore-linuxu": ["/kvstore-linuxu"],
                       "kvstore-dpdk-linuxu": ["/kvstore-dpdk-linuxu"],
                       "kvstore-dpdk-kvm": ["/kvstore-dpdk-kvm"]}


def ctx_for(cpus):
    return SimpleNamespace(images=IMAGES, cpus=cpus, accel="kvm",
                           accel_of={"kvstore-dpdk-kvm": "kvm"})


def test_linuxu_command_line():
    """kvstore-linuxu's, with the EAL's "--" before kvstore's options."""
    cmd = run.server_argv(ctx_for(1), "kvstore-dpdk-linuxu", "/s.sock", None)
    assert cmd == ["/img-u", f"nfos.mem={run.KV_MEM}", "netdev.dev=vhost-user:/s.sock",
                   f"netdev.ip={run.SERVER_IP}/{run.PREFIXLEN}", "nfos.stats=1", "--", "--",
                   *run.KV_ARGS]
    cmd = run.server_argv(ctx_for(2), "kvstore-dpdk-linuxu", "/s.sock", None)
    assert cmd[cmd.index("nfos.stats=1") + 1] == "nfos.cpus=2"
    assert "kvstore-dpdk-linuxu" in run.LINUXU_SUBJECTS  # exit 0 on SIGINT, or the run fails


def test_kvm_command_line():
    cmd = run.server_argv(ctx_for(2), "kvstore-dpdk-kvm", "/s.sock", None)
    assert cmd[0] == "qemu-system-x86_64" and cmd[cmd.index("-accel") + 1] == "kvm"
    assert cmd[cmd.index("-kernel") + 1] == "/img-k"
    assert cmd[cmd.index("-smp") + 1] == "2"
    assert any("vhost-user" in w for w in cmd)
    line = cmd[cmd.index("-append") + 1]
    assert line.endswith(" -- -- " + " ".join(run.KV_ARGS)), line
    assert "nfos.stats=1" in line and "nfos.cpus=2" in line
    assert "kvstore-dpdk-kvm" in run.QEMU_SUBJECTS  # stopped with SIGTERM to QEMU


def interval(app, rx, busy):
    return (f"{app}: interval rx {rx} pkts 0.100 Mpp/s | tx {rx} pkts 0.100 Mpp/s | drops 0 | "
            f"busy {busy} cycles/pkt | 1.00 s")


def test_its_lines_read_as_kvstore_s():
    """Busy cycles in a window and the per-lcore lines, under its name."""
    server = SimpleNamespace(lines=[(11.0, interval("kvstore-dpdk", 1000, 100.0)),
                                    (12.0, interval("kvstore-dpdk", 3000, 300.0))])
    assert windows.busy_in(server, 10.0, 12.0) == 250.0
    out = lcores.per_lcore([
        "kvstore-dpdk: lcore 0 queue 0: requests 10 | get 0 (hits 0) | set 10 | rx 12 tx 11 | "
        "busy 310.2 cycles/request, 290.1 cycles/pkt",
        "kvstore-dpdk: lcore 1 idle: no queue for it (port 0 (net_nfos0) has 1 queue pair(s))"])
    assert out == [{"lcore": 0, "busy_cycles_per_request": 310.2, "busy_cycles_per_pkt": 290.1},
                   {"lcore": 1, "idle": "no queue for it (port 0 (net_nfos0) has 1 queue "
                                        "pair(s))"}]


def res(accel, busy):
    return {"accel": accel, "summary": {"get100-uniform": {"busy_cycles_per_req": {
        "median": busy, "min": busy, "max": busy}}}}


def test_busy_over_kvstore_on_the_same_platform():
    results = {"kvstore-linuxu": res("native", 400.0), "kvstore-dpdk-linuxu": res("native", 440.0),
               "kvstore-kvm": res("kvm", 500.0), "kvstore-dpdk-kvm": res("tcg", 9000.0)}
    rat = dpdk.ratios(results, ["get100-uniform", "get50-zipf"])
    # kvm under another accelerator than kvstore-kvm's: no ratio.
    assert rat == [{"workload": "get100-uniform", "subject": "kvstore-dpdk-linuxu",
                    "peer": "kvstore-linuxu", "ratio": pytest.approx(1.1)}]
    rows = dpdk.table_rows(rat)
    assert rows[1] == ("get100-uniform", "kvstore-dpdk-linuxu", "1.10x")
    assert dpdk.table_rows(dpdk.ratios({"kvstore-linuxu": res("native", 1.0)},
                                       ["get100-uniform"])) == []


def test_table_shows_its_busy_cycles_and_ratio(capsys):
    """The figures table lists its busy cycles beside kvstore's; the ratio
    table follows."""
    r = {"rps": {"median": 1e6, "min": 1e6, "max": 1e6}, "hit_ratio": None, "p50_us": None,
         "p99_us": None, "gen_idle_share": None, "lost": 0, "clean_runs": 1, "runs": 1}
    results = {s: {"accel": "native", "summary": {"get100-uniform": dict(
        r, busy_cycles_per_req={"median": b, "min": b, "max": b})}}
               for s, b in (("kvstore-linuxu", 400.0), ("kvstore-dpdk-linuxu", 480.0))}
    ctx = SimpleNamespace(workloads=["get100-uniform"], accel="tcg", keys=10, vm_keys=10,
                          keys_of={s: 10 for s in bench_kv.ALL_SUBJECTS},
                          accel_of={s: "native" for s in bench_kv.ALL_SUBJECTS})
    subjects = ["kvstore-linuxu", "kvstore-dpdk-linuxu"]
    acc = report.acceptance(results, [], ctx.workloads)
    lines = report.print_tables(ctx, subjects, {}, results, [], acc)
    text = "\n".join(lines)
    assert "kvstore-dpdk-linuxu  native  get100-uniform" in text and "480.0" in text, text
    assert any("kvstore-dpdk-linuxu" in l and "1.20x" in l for l in lines), text
