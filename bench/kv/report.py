"""bench kv's summaries, ratios, targets and tables, from the runs' results."""

from bench.common import lcores
from bench.common.placement import C2C_FAR, placement, spread
from bench.common.stats import fmt, summary, table
from bench.kv import dpdk
from bench.kv.windows import CLEAN_OTHER, GEN_CORE, SERVER_CORE

def c2c_note(results):
    """One line on the placements the measured windows began and ended in,
    and the runs, or None."""
    runs = [r for res in results.values() for r in res.get("runs", [])]
    ws = [w for r in runs for w in r["workloads"].values()]
    probes = [c for w in ws for c in w.get("c2c_cycles") or [] if c]
    if not probes:
        return None
    apart = sum(1 for w in ws if w.get("placed_apart"))
    runs_apart = sum(1 for r in runs if r.get("placed_apart"))
    return (f"  cross-core round trip before each workload's warm-up and after its window "
            f"(build/bench/c2c, kvgen idle, the server stopped): {spread(probes)}; "
            f"{apart} of {len(ws)} windows began or "
            f"ended with the two vCPUs placed apart by the host (over {C2C_FAR:g}x "
            f"the near round trip): not clean (tried again but in --smoke); around whole "
            f"runs {runs_apart} of {len(runs)} (not part of the rule)")


def summarize(runs, workload):
    rs = [r["workloads"][workload] for r in runs]
    clean = [r for r in rs if r["clean"]]
    use = clean or rs
    pick = lambda k: summary([r[k] for r in use if r.get(k) is not None])  # noqa: E731
    return {"rps": pick("rps"), "hit_ratio": pick("hit_ratio"), "p50_us": pick("p50_us"),
            "p99_us": pick("p99_us"), "busy_cycles_per_req": pick("busy_cycles_per_req"),
            "gen_idle_share": pick("gen_idle_share"),
            "gen_cycles_per_req": pick("gen_cycles_per_req"),
            "lost": sum(r["lost"] for r in use), "malformed": sum(r["malformed"] for r in use),
            "unmatched": sum(r["unmatched"] for r in use), "errors": sum(r["errors"] for r in use),
            "bad_value": sum(r["bad_value"] for r in use),
            "clean_runs": len(clean), "runs": len(rs),
            "over": "clean runs" if clean else "all runs (none clean)"}


def ratios(results, workloads):
    """Per workload: kvstore's req/s over memcached's on the host kernel
    (plain numbers), and over memcached's in the Linux VM (with the
    accelerators and key counts of both sides, labelled "same accelerator"
    or "best available here")."""
    out = []
    mc = results.get("memcached", {}).get("summary", {})
    lv = results.get("linux-vm", {})
    for w in workloads:
        r = {"workload": w}
        for s in ("kvstore-linuxu", "kvstore-kvm"):
            kv = results.get(s, {}).get("summary", {})
            if kv.get(w) and mc.get(w) and kv[w]["rps"] and mc[w]["rps"]:
                r[f"{s}_over_memcached_rps"] = kv[w]["rps"]["median"] / mc[w]["rps"]["median"]
        for s in ("kvstore-tcg", "kvstore-kvm"):  # same accelerator first, then the best here
            kv = results.get(s, {})
            a, b = kv.get("summary", {}).get(w), lv.get("summary", {}).get(w)
            if a and b and a["rps"] and b["rps"]:
                same = kv["accel"] == lv["accel"]
                r[f"{s}_over_linux-vm_rps"] = {
                    "ratio": a["rps"]["median"] / b["rps"]["median"],
                    "accels": f"{kv['accel']} vs {lv['accel']}",
                    "label": "same accelerator" if same else "best available here",
                    "keys": f"{kv['keys']} vs {lv['keys']}"}
        out.append(r)
    return out


def acceptance(results, rat, workloads):
    """The issue's two targets, from this run's figures, or why not judged."""
    kv = results.get("kvstore-linuxu", {}).get("summary", {})
    gets = [w for w in workloads if w.startswith("get100-")]
    busy = [kv[w]["busy_cycles_per_req"]["median"] for w in gets
            if kv.get(w) and kv[w]["busy_cycles_per_req"]]
    out = {}
    mc = results.get("memcached", {}).get("summary", {})
    clean = lambda sm, ws: all(sm.get(w, {}).get("clean_runs") for w in ws)  # noqa: E731
    if busy:
        out["busy_per_get"] = {"value": max(busy), "target": 500,
                               "met": max(busy) <= 500, "from": ",".join(gets),
                               "clean": clean(kv, gets)}
    else:
        out["busy_per_get"] = {"met": None, "why": "no kvstore-linuxu figure for a get100 "
                               "workload"}
    x = [r["kvstore-linuxu_over_memcached_rps"] for r in rat
         if "kvstore-linuxu_over_memcached_rps" in r]
    if x:
        out["rps_10x_memcached"] = {"value": min(x), "target": 10, "met": min(x) >= 10,
                                    "from": "lowest kvstore-linuxu/memcached ratio over "
                                            "the workloads",
                                    "clean": clean(kv, workloads) and clean(mc, workloads)}
    else:
        out["rps_10x_memcached"] = {"met": None, "why": "no kvstore-linuxu and memcached "
                                    "figures of the same workload"}
    return out


def run_lines(ctx, subject, run, r):
    """The lines printed after each run, one per workload."""
    out = []
    for w, x in r["workloads"].items():
        busy = x.get("busy_cycles_per_req")
        out.append(f"  {subject:<19} run {run} {w:<14} {x['rps']:>10.0f} req/s, hit "
                   f"{x['hit_ratio']:.4f}, p50 {x['p50_us']:.1f} us, p99 {x['p99_us']:.1f} us"
                   + (f", busy {busy:.1f} cycles/req" if busy is not None else "")
                   + f", lost {x['lost']}, kvgen idle {x['gen_idle_share']:.2f}"
                   + f", c2c {'/'.join(f'{c:.0f}' if c else '?' for c in x['c2c_cycles'])}"
                   + ("" if x["clean"] else " (placed apart)" if x["placed_apart"] else
                      " (placement unknown: a probe failed)"
                      if placement(ctx, x["c2c_cycles"]) == "unknown" else
                      f" (disturbed: others took {x['others_share']})"))
    if r.get("lcores"):  # --cpus N: the whole run's, from kvstore's exit report
        out.append(f"  {subject:<19} run {run} per lcore (whole run):")
        out += lcores.lines_of(r["lcores"])
    return out


def print_tables(ctx, subjects, status, results, rat, acc):
    """Prints the tables and the targets; returns the lines printed."""
    out = [""] + figures_table(ctx, subjects, status, results)
    scaled = [s for s in subjects if s in results and "summary" in results[s]
              and ctx.keys_of[s] != ctx.keys]
    if scaled:
        out.append(f"  keys: {', '.join(scaled)} preloaded {ctx.vm_keys} keys (--vm-keys), the "
                   f"others {ctx.keys}")
    rrows = [("workload", "kvstore-linuxu/memcached req/s",
              f"kvstore-kvm ({ctx.accel})/memcached req/s")]
    for r in rat:
        x = lambda k: f"{r[k]:.2f}x" if k in r else "-"  # noqa: E731
        rrows.append((r["workload"], x("kvstore-linuxu_over_memcached_rps"),
                      x("kvstore-kvm_over_memcached_rps")))
    out += [""] + table(rrows)
    drows = dpdk.table_rows(dpdk.ratios(results, ctx.workloads))
    if drows:
        out += [""] + table(drows)
    lvm = [r for r in rat if any(k.endswith("_over_linux-vm_rps") for k in r)]
    if lvm:
        out += [""] + linux_vm_table(lvm)
    out.append("")
    out += targets(acc)
    if any(not v.get("summary", {}).get(w, {"clean_runs": 1})["clean_runs"]
           for v in results.values() for w in ctx.workloads):
        out.append("  note: some figures come from disturbed runs (other processes took more "
                   f"than {CLEAN_OTHER:.0%} of core {GEN_CORE} or {SERVER_CORE}, or the host "
                   "placed the cores apart); see others_share and c2c_cycles in the JSON")
    print("\n".join(out))
    return out


def figures_table(ctx, subjects, status, results):
    rows = [("subject", "accel", "workload", "req/s median (min-max)", "hit ratio",
             "p50 us", "p99 us", "busy cycles/req", "kvgen idle", "lost", "clean")]
    for s in subjects:
        res = results.get(s)
        for w in ctx.workloads:
            if res and "summary" in res:
                sm = res["summary"][w]
                rows.append((s, ctx.accel_of[s], w, fmt(sm["rps"], 0), fmt(sm["hit_ratio"], 4),
                             fmt(sm["p50_us"], 1), fmt(sm["p99_us"], 1),
                             fmt(sm["busy_cycles_per_req"], 1) if s.startswith("kvstore")
                             else "n/a",
                             fmt(sm["gen_idle_share"], 2), sm["lost"],
                             f"{sm['clean_runs']}/{sm['runs']}"))
            elif res:
                rows.append((s, ctx.accel_of[s], w, "failed: " + res["error"]))
            else:
                rows.append((s, ctx.accel_of[s], w, status[s]))
    return table(rows)


def linux_vm_table(lvm):
    """kvstore over memcached in the Linux VM, with both sides' accelerators."""
    heads = {}
    for r in lvm:
        for s in ("kvstore-tcg", "kvstore-kvm"):
            x = r.get(f"{s}_over_linux-vm_rps")
            if x:
                heads[s] = (f"{s}/linux-vm req/s ({x['accels']}, {x['label']}; "
                            f"keys {x['keys']})")
    vrows = [("workload",) + tuple(heads.values())]
    for r in lvm:
        vrows.append((r["workload"],) + tuple(
            f"{r[f'{s}_over_linux-vm_rps']['ratio']:.2f}x"
            if f"{s}_over_linux-vm_rps" in r else "-" for s in heads))
    return table(vrows)


def targets(acc):
    """The issue's two targets, judged (or why not)."""
    def judged(a, text):
        if a["met"] is None:
            return f"not judged ({a['why']})"
        return (f"{text} ({'met' if a['met'] else 'not met'}"
                f"{'' if a['clean'] else '; from disturbed runs'})")
    b, t = acc["busy_per_get"], acc["rps_10x_memcached"]
    return ["  target: kvstore-linuxu busy cycles per GET <= 500: " +
            judged(b, f"{b.get('value', 0):.1f}"),
            "  target: kvstore-linuxu req/s >= 10x memcached's: " +
            judged(t, f"{t.get('value', 0):.2f}x")]
