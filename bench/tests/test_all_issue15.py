"""PERFORMANCE.md's issue 15 sections (bench/all/issue15.py): nfvm's exec ->
main split from the newest bench boot JSON with an nfvm part, the density
table and plot from the newest bench density JSON, each naming the run it
comes from, and the command that makes one when there is none. The JSONs
are made up here (their numbers are inputs, not measurements) and written
to the test's own results folder (conftest.py)."""

import json
import os

from bench.all import bench_all, issue15, report
from bench.all.report import render
from bench.tests.test_all_report import made_up_run, s

BOOT_CMD = "./nfos bench boot -- --runs 50 --accels kvm,tcg"
DENSITY_CMD = "./nfos bench density -- --counts 100,1000"


def nfvm_app(main_s, exit_s, monitor_ms, guest_ns, rss):
    return {"wall_exec_to_main_s": s(main_s, main_s * 0.9, main_s * 1.5),
            "wall_exec_to_exit_s": s(exit_s), "monitor_main_to_vcpu_ms": s(monitor_ms),
            "guest_entry_to_main_ns": s(guest_ns), "nfvm_max_rss_kib": s(rss)}


def boot_json(date="2026-12-08T01:00:00", hello_s=0.001, command=BOOT_CMD):
    b = {"benchmark": "boot", "date": date, "runs": 50,
         "times": {"kvm": {"wall_exec_to_main_s": s(0.05, 0.045, 0.06)}, "tcg": {}},
         "nfvm": {"helloworld": nfvm_app(hello_s, 0.0012, 0.6, 150e3, 2100),
                  "pong": nfvm_app(0.0013, 0.21, 0.62, 160e3, 2500)}}
    return dict(b, command=command) if command else b


def density_json(vmm="nfvm", silent=()):
    def one(n, start, pss, cpu):
        return {"instances": n, "start_s": start, "starts_per_s": n / start,
                "pss_kib_per_instance": pss, "pss_kib_max": pss + 100,
                "idle_cpu_percent_of_one_core": cpu, "idle_seconds": 10.0,
                "not_answering": list(silent) if n == 1000 else [],
                "all_answer": not silent or n != 1000}
    return {"benchmark": "density", "date": "2026-12-08T02:00:00", "vmm": vmm, "mem": 8 << 20,
            "host": {"cpu": "made-up cpu", "cores": 2}, "command": DENSITY_CMD,
            "runs": [one(100, 0.5, 3000.0, 0.1), one(1000, 6.0, 3100.0, 1.2)]}


def put(name, data):
    os.makedirs(issue15.RESULTS, exist_ok=True)
    path = os.path.join(issue15.RESULTS, name)
    with open(path, "w") as f:
        json.dump(data, f)
    return os.path.relpath(path, bench_all.ROOT)


def section(md, title):
    return md.split("\n## " + title)[1].split("\n## ")[0]


def test_without_their_runs_the_sections_name_the_commands(tmp_path):
    md = render(made_up_run(), str(tmp_path), "x.json")
    nfvm = section(md, "nfvm: exec -> main, split")
    assert "No bench boot run with an nfvm part in bench/results yet: `./nfos bench boot`" \
        in nfvm and "`./nfos bench all --report FILE`" in nfvm
    dens = section(md, "Density (`./nfos bench density`)")
    assert "No bench density run in bench/results yet: `./nfos bench density`" in dens
    assert not (tmp_path / "perf" / "density.png").exists()


def test_nfvm_split_from_the_newest_boot_run_with_nfvm(tmp_path):
    put("boot-old.json", boot_json(date="2026-12-07T00:00:00", hello_s=0.009))
    rel = put("boot-new.json", boot_json())
    put("boot-newer.json", dict(boot_json(date="2026-12-09T00:00:00"),
                                nfvm={"skipped": "no /dev/kvm"}))
    put("boot-broken.json", {})
    put("density-none.json", dict(density_json(), runs=[]))
    sec = section(render(made_up_run(), str(tmp_path), "x.json"), "nfvm: exec -> main, split")
    assert f"Not from the run above: from `{BOOT_CMD}` run on its own on 2026-12-08T01:00:00 " \
        f"(`{rel}`)" in sec
    assert "| helloworld | 1.000 (0.900-1.500) | 1.200 (1.200-1.200) | 0.600 (0.600-0.600) | " \
        "150.0 (150.0-150.0) | 2100 (2100-2100) |" in sec
    assert "| pong | 1.300 (1.170-1.950) | 210.000 (210.000-210.000) |" in sec
    assert "| exec -> main on nfvm <= 2 ms (goal 1 ms) | 1.000 ms | met |" in sec
    assert "| >= 10x faster than QEMU microvm (kvm): exec -> first line 50.0 (45.0-60.0) ms " \
        "| 50.0x | met |" in sec
    assert "| Unikraft on Firecracker | 2.7 ms (median) | 1.48 ms | 1.26 ms |" in sec
    assert "not measured here" in sec and "LightVM" in sec
    dens = section(render(made_up_run(), str(tmp_path), "x.json"), "Density")
    assert "No bench density run" in dens, "a run without counts is no run"


def test_nfvm_goals_not_met_and_an_old_json_without_its_command(tmp_path):
    put("boot-x.json", boot_json(hello_s=0.006, command=None))
    sec = section(render(made_up_run(), str(tmp_path), "x.json"), "nfvm: exec -> main, split")
    assert "from `./nfos bench boot` (50 runs, accelerators kvm, tcg) (its exact command " \
        "is not in that JSON) run on its own" in sec
    assert "| 6.000 ms | NOT met |" in sec and "| 8.3x | NOT met |" in sec


def test_the_all_runs_own_boot_piece_is_named_as_such(tmp_path):
    boot = boot_json()
    rel = put("boot-x.json", boot)
    run = made_up_run()
    run["boot"].update(date=boot["date"], nfvm=boot["nfvm"])
    sec = section(render(run, str(tmp_path), "x.json"), "nfvm: exec -> main, split")
    assert f"From this run's boot piece: `{BOOT_CMD}` on 2026-12-08T01:00:00 (`{rel}`)." in sec
    assert "Not from the run above" not in sec


def test_density_table_goals_and_plot(tmp_path):
    rel = put("density-x.json", density_json())
    md = render(made_up_run(), str(tmp_path), "x.json")
    sec = section(md, "Density (`./nfos bench density`)")
    assert f"from `{DENSITY_CMD}` run on its own on 2026-12-08T02:00:00 (`{rel}`)" in sec
    assert "| 100 | 0.50 | 200 | 3,000 / 3,100 | 0.10 | all |" in sec
    assert "| 1,000 | 6.00 | 167 | 3,100 / 3,200 | 1.20 | all |" in sec
    assert "at 1,000 instances: >= 1,000 all answering ping: met; idle CPU < 5% of one " \
        "core: met; PSS per instance 3.03 MiB, goal <= 4 MiB: met." in sec
    assert "KraftCloud: 5,000 unikernels on a 24-core host" in sec
    assert "(perf/density.png)" in sec
    assert (tmp_path / "perf" / "density.png").read_bytes().startswith(b"\x89PNG")


def test_density_not_all_answering_and_linuxu_not_judged(tmp_path):
    put("density-x.json", density_json(silent=[3, 7]))
    sec = section(render(made_up_run(), str(tmp_path), "x.json"), "Density")
    assert "| 1,000 | 6.00 | 167 | 3,100 / 3,200 | 1.20 | 2 silent |" in sec
    assert ">= 1,000 all answering ping: NOT met" in sec
    put("density-x.json", density_json(vmm="linuxu"))
    sec = section(render(made_up_run(), str(tmp_path), "x.json"), "Density")
    assert "judged under nfvm only (this run: linuxu)" in sec and "NOT met" not in sec


def test_density_plot_script(tmp_path):
    got = []

    def gnuplot(script):
        data = script.split("plot '")[1].split("'")[0]
        got.append((script, open(data).read()))
    png = issue15.density_plot(density_json(), str(tmp_path), str(tmp_path), gnuplot)
    script, data = got[0]
    assert png == "density.png"
    assert f"set output '{tmp_path / 'density.png'}'" in script
    assert "set logscale x" in script and "set xtics ('100' 100, '1000' 1000)" in script
    assert "using 1:2 with linespoints" in script and "axes x1y1" in script
    assert "using 1:3 with linespoints" in script and "axes x1y2" in script
    assert "set y2label 'PSS per instance (KiB)'" in script
    assert data.splitlines() == ["100 0.5000 3000.0", "1000 6.0000 3100.0"]


def test_report_from_a_file_takes_the_newest_separate_runs(tmp_path, monkeypatch):
    put("boot-x.json", boot_json())
    put("density-x.json", density_json())
    f = tmp_path / "all-x.json"
    f.write_text(json.dumps(made_up_run()))
    calls = []
    real = report._gnuplot
    monkeypatch.setattr(report, "_gnuplot", lambda sc: calls.append(sc) or real(sc))
    assert bench_all.main(["--report", str(f), "--docs", str(tmp_path / "docs")]) == 0
    md = (tmp_path / "docs" / "PERFORMANCE.md").read_text()
    assert "| helloworld | 1.000 (0.900-1.500) |" in md and "| 100 | 0.50 | 200 |" in md
    assert any("density.png" in sc for sc in calls)
    assert md.index("## nfvm: exec -> main") < md.index("## Density") < md.index("## Plots")
