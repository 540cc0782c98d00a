"""The open issues' measured acceptance lines, each with its goal, the
measurement it judges (bench/accept/pieces.py) and the command that
reproduces the figure. The goals are the issues' own words (`./issues show
N`, Acceptance); where an issue leaves a bound open the goal says which one
is used here."""

from collections import namedtuple

from bench.all import dpdk as all_dpdk
from bench.boot import bench_boot, dpdk, sizes
from bench.accept.pieces import NotMeasured, pps_argv, density_argv, SIZE
from bench.pps import dpdk_nfos

# kvm: the figure means something only under KVM (without it: NO_KVM).
Line = namedtuple("Line", "issue name goal kvm measure command")

TITLES = {12: "musl inside nfos, unmodified programs (Lua) as images",
          13: "SMP: one run-to-completion loop per vCPU",
          14: "DPDK inside nfos: testpmd and l2fwd as images",
          15: "nfvm: our own KVM monitor"}
LUA_MAX = 512 << 10
LUA_WITHIN_S = 0.005
SIZE_WITHIN = 0.01
NFVM_MAX_S = 0.002
NFVM_TIMES = 10.0
DENSITY_N = 1000
IDLE_MAX = 5.0
PSS_GOAL_KIB = 4 << 10
PPS_14 = {"cases": ["rx", "tx", "fwd"], "subjects": ["nfos-kvm", "dpdk"] +
          list(dpdk_nfos.KVM_SUBJECTS)}
PPS_15 = {"cases": ["rx"], "subjects": ["nfos-kvm", "nfos-nfvm"]}
N1_APPS = sizes.APPS  # the single-vCPU images bench boot --sizes builds


def ms(s):
    return f"{s * 1000:.3f} ms"


def median(s):
    return s["median"]


# --- issue 12 -------------------------------------------------------------------

def lua_first_line(p):
    d = median(p.boot_kvm()["lua_minus_hello_first_line_s"])
    return f"Lua's first line {ms(d)} after helloworld's (median of runs)", d <= LUA_WITHIN_S


def lua_size(p):
    b = p.sizes(("lua",))["lua"]
    if "error" in b:
        raise NotMeasured(b["error"])
    return f"{b['bytes']:,} bytes", b["bytes"] <= LUA_MAX


def within(r):
    """(new/old - 1) of a sizes.measure() entry, NotMeasured without both."""
    if "error" in r:
        raise NotMeasured(r["error"])
    if "against_bytes" not in r:
        raise NotMeasured(f"{r.get('against', 'the reference')} is not built: make APP=... "
                          "PLAT=kvm in the --against checkout"
                          if "against" in r else "give --against DIR (an older checkout)")
    return r["bytes"] / r["against_bytes"] - 1


def hello_size(p):
    r = p.sizes((bench_boot.APP,))[bench_boot.APP]
    d = within(r)
    # Judged on the stripped file, bench boot's figure; its loaded bytes
    # beside it, as the file moves in 4 KiB steps (bench/boot/sizes.py).
    return (f"{r['bytes']:,} bytes against {r['against_bytes']:,} ({d:+.2%}; loaded bytes "
            f"{r['loaded'] - r['against_loaded']:+d})", abs(d) <= SIZE_WITHIN)


# --- issue 13 -------------------------------------------------------------------

def ap_start(monitor):
    def measure(p):
        res = p.ap_start()
        aps = res["qemu"]["kvm"] if monitor == "qemu" else res["nfvm"]
        if "skipped" in aps:
            raise NotMeasured(aps["skipped"])
        fig = ", ".join(f"{cpu} {t['to_cpl3_ns']['median'] / 1000:.1f} us"
                        for cpu, t in aps.items())
        return fig, all(t["to_cpl3_ns"]["median"] > 0 for t in aps.values())
    return measure


def n1_sizes(p):
    """SMP's own bytes in each single-vCPU image (bench/boot/sizes.py
    smp_bytes): what SMP costs it. A reference checkout's growth also holds
    the other issues' features since, so it is shown, not judged."""
    res = p.sizes(N1_APPS)
    share, ref = {}, []
    for app, r in res.items():
        if "error" in r or r.get("smp_bytes") is None:
            raise NotMeasured(r.get("error", f"{app}: no .dbg image or objects to attribute"))
        share[app] = r["smp_bytes"] / r["bytes"]
        if "against_bytes" in r:
            ref.append(f"{app} {r['bytes'] / r['against_bytes'] - 1:+.1%}")
    worst = max(share, key=share.get)
    fig = ", ".join(f"{a} {res[a]['smp_bytes']} B ({v:.2%})" for a, v in share.items())
    if ref:
        fig += "; against the reference, all features: " + ", ".join(ref)
    return fig + f" (worst {worst})", share[worst] <= SIZE_WITHIN


def n1_boot(p):
    t = p.hello_against()
    new, old = t["new"], t["old"]
    spread = max(new["max"] - new["min"], old["max"] - old["min"])
    return (f"{ms(new['median'])} against {ms(old['median'])} (spread {ms(spread)})",
            abs(new["median"] - old["median"]) <= spread)


def n1_pps_kv(p):
    raise NotMeasured("not composed here (each checkout's own bench, alternating): run "
                      "`./nfos bench pps -- --subjects nfos-kvm` and `./nfos bench kv` here "
                      "and in the --against checkout, one after the other, twice each")


# --- issue 14 -------------------------------------------------------------------

def boot_row(rows, start):
    """The judged row of bench all's DPDK goal logic that starts with start."""
    for figure, value, _talk, judged in rows:
        if figure.startswith(start):
            return value, judged == "met"
    raise NotMeasured("no such figure in the run")


def testpmd_size(p):
    im = p.dpdk_images().get(dpdk.APP, {})
    if "error" in im:
        raise NotMeasured(im["error"])
    return boot_row(all_dpdk.boot_rows({"dpdk_images": {dpdk.APP: im}}), "dpdk-testpmd image")


def testpmd_prompt(p):
    """Under KVM, by QEMU or by nfvm (both monitors on this machine's KVM;
    the faster one judged, both shown)."""
    rows = all_dpdk.boot_rows({"dpdk": p.testpmd_prompt()})
    got = []
    for mon in ("kvm", "nfvm"):
        try:
            got.append((mon,) + boot_row(rows, f"exec -> \"testpmd> \" ({mon}"))
        except NotMeasured:
            pass
    if not got:
        raise NotMeasured("no KVM figure in the run")
    return "; ".join(f"{'QEMU' if m == 'kvm' else m}: {v}" for m, v, _ in got), \
        any(met for _, _, met in got)


def testpmd_ram(p):
    value, met = boot_row(all_dpdk.boot_rows({"dpdk": p.testpmd_prompt()}), "guest RAM")
    accel = next(iter(p.testpmd_prompt()["times"]))
    return f"reached \"testpmd> \" in {value} ({accel})", met


def pps_case(case):
    def measure(p):
        rat = [r for r in p.pps()["ratios"] if r["case"] == case and r["size"] == SIZE]
        got = [d for r in rat for d in r.get("dpdk_in_nfos", [])
               if d["subject"] in dpdk_nfos.KVM_SUBJECTS]
        if not got:
            raise NotMeasured(f"no DPDK-in-nfos figure for {case} (see the pps run's subjects)")
        fig = "; ".join(f"{d['subject']}: {d.get('over_nfos', 0):.2f}x nfos, "
                        f"{d.get('over_dpdk', 0):.2f}x dpdk" for d in got)
        return fig, any(d.get("goal") == "met" for d in got)
    return measure


# --- issue 15 -------------------------------------------------------------------

def nfvm_main(p):
    s = median(p.boot_nfvm()["helloworld"]["wall_exec_to_main_s"])
    return ms(s), s <= NFVM_MAX_S


def nfvm_ratio(p):
    q = median(p.boot_kvm()["wall_exec_to_main_s"])
    n = median(p.boot_nfvm()["helloworld"]["wall_exec_to_main_s"])
    return f"QEMU {ms(q)} / nfvm {ms(n)} = {q / n:.1f}x", q / n >= NFVM_TIMES


def density_run(p):
    runs = p.density()["runs"]
    if not runs:
        raise NotMeasured("bench density ran no count")
    return max(runs, key=lambda r: r["instances"])


def density_count(p):
    r = density_run(p)
    silent = len(r["not_answering"])
    return (f"{r['instances']} pongs, {silent} not answering",
            r["instances"] >= DENSITY_N and not silent)


def density_idle(p):
    r = density_run(p)
    c = r["idle_cpu_percent_of_one_core"]
    return f"{c:.2f}% of a core ({r['instances']} idle pongs)", c < IDLE_MAX


def density_pss(p):
    r = density_run(p)
    k = r["pss_kib_per_instance"]
    return f"{k:.0f} KiB PSS per instance ({r['instances']} pongs)", k <= PSS_GOAL_KIB


def nfvm_rxsink(p):
    res = p.pps()["results"]
    cell = lambda s: res.get(f"rx/{SIZE}/{s}", {}).get("summary")  # noqa: E731
    nf, q = cell("nfos-nfvm"), cell("nfos-kvm")
    if not (nf and q):
        raise NotMeasured("the pps run has no rx figure for nfos-nfvm and nfos-kvm")
    n, qm = nf["mpps"], q["mpps"]
    return (f"nfvm {n['median']:.3f} Mpp/s, QEMU {qm['median']:.3f} "
            f"({qm['min']:.3f}-{qm['max']:.3f})", n["median"] >= qm["min"])


# --- the table ------------------------------------------------------------------

def pps_command(p):
    return "./nfos bench pps -- " + " ".join(pps_argv(p.pps_want, p.smoke))


def boot_command(p):
    return f"./nfos bench boot -- --accels kvm --runs {p.runs}"


def against(p):
    return p.against or "DIR"


LINES = [
    Line(12, "Lua's first line within 5 ms of helloworld's, same bench boot run (KVM)",
         "<= 5 ms", True, lua_first_line, boot_command),
    Line(12, "Lua image, stripped", "<= 512 KiB (524,288 bytes)", False, lua_size,
         lambda p: "./nfos bench boot (its 'lua: image size' row), or: ./nfos build lua"),
    Line(12, "helloworld on the small libc unchanged", "size within 1% of --against's", False,
         hello_size, lambda p: f"./nfos bench boot -- --sizes --against {against(p)}"),
    Line(13, "AP start time, 2 vCPUs, QEMU under KVM (INIT/SIPI -> CPL3)",
         "measured under KVM (the issue sets no bound)", True, ap_start("qemu"),
         boot_command),
    Line(13, "AP start time, 2 vCPUs, nfvm (wake -> CPL3)",
         "measured under nfvm (the issue sets no bound)", True, ap_start("nfvm"),
         boot_command),
    Line(13, "N = 1 image sizes: the bytes SMP's objects put in each",
         "<= 1% of each image (sizes have no run-to-run spread)", False, n1_sizes,
         lambda p: f"./nfos bench boot -- --sizes --against {against(p)}"),
    Line(13, "N = 1 boot: exec -> helloworld's first line against the reference (KVM)",
         "medians differ by at most the larger run-to-run spread", True, n1_boot,
         lambda p: f"./nfos bench accept -- --issues 13 --runs {p.runs} --against {against(p)}"),
    Line(13, "N = 1 bench pps and bench kv against the reference (KVM)",
         "within the run-to-run spread", True, n1_pps_kv,
         lambda p: "./nfos bench pps -- --subjects nfos-kvm; ./nfos bench kv (both checkouts)"),
    Line(14, "testpmd image, stripped", "<= 1.4 MB (1,400,000 bytes, the talk's)", False,
         testpmd_size, lambda p: "./nfos bench boot (its 'dpdk-testpmd: image size' row)"),
    Line(14, "testpmd exec -> \"testpmd> \" (KVM, 2 vCPUs; QEMU or nfvm)", "<= 87 ms (the talk's)", True,
         testpmd_prompt, boot_command),
    Line(14, "testpmd's guest RAM", "<= 64 MiB (the talk: 1 GB)", False, testpmd_ram,
         lambda p: "./nfos run dpdk-testpmd --cpus 2 --mem 64M -- " + " ".join(dpdk.ARGS)),
] + [
    Line(14, f"testpmd in nfos, busy cycles per 64 B packet, {case} (KVM)",
         f"either driver <= {dpdk_nfos.GOAL}x nfos-kvm and <= 1x dpdk", True, pps_case(case),
         pps_command) for case in PPS_14["cases"]
] + [
    Line(15, "exec -> helloworld main on nfvm (KVM)", "<= 2 ms (goal 1 ms)", True, nfvm_main,
         boot_command),
    Line(15, "nfvm against QEMU microvm, exec -> helloworld main, same run (KVM)",
         ">= 10x faster", True, nfvm_ratio, boot_command),
    Line(15, "concurrent pong instances under nfvm, all answering ping (KVM)",
         ">= 1,000, every one answering", True, density_count,
         lambda p: "./nfos bench density -- " + " ".join(density_argv(p.smoke))),
    Line(15, "host CPU while they idle (KVM)", "< 5% of one core", True, density_idle,
         lambda p: "./nfos bench density -- " + " ".join(density_argv(p.smoke))),
    Line(15, "host memory per instance (KVM)", "reported (goal <= 4 MiB PSS)", True,
         density_pss, lambda p: "./nfos bench density -- " + " ".join(density_argv(p.smoke))),
    Line(15, "rxsink over vhost-user, nfvm against QEMU, same bench pps run (KVM)",
         "nfvm's median Mpp/s >= QEMU's slowest run", True, nfvm_rxsink, pps_command),
]


def pps_wanted(issues):
    """The cases and subjects of the one bench pps run the chosen issues need."""
    parts = [w for i, w in ((14, PPS_14), (15, PPS_15)) if i in issues]
    return {k: list(dict.fromkeys(x for w in parts for x in w[k])) for k in ("cases", "subjects")}
