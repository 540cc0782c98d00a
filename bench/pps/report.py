"""bench pps's summaries, ratios and tables, from the runs' results."""

from bench.common import lcores
from bench.common.placement import C2C_FAR, spread
from bench.common.stats import fmt, paired, summary, table
from bench.pps import dpdk_nfos


def summarize(runs):
    clean = [r for r in runs if r["clean"]]
    use = clean or runs
    return {"mpps": summary([r["mpps"] for r in use]),
            "busy_cycles_per_pkt": summary([r["busy"] for r in use]),
            "clean_runs": len(clean), "runs": len(runs),
            "over": "clean runs" if clean else "all runs (none clean)",
            "checks": sorted({r["check"] for r in runs})}


def why_disturbed(r):
    return " (placed apart)" if r.get("placed_apart") else " (disturbed)"


def run_line(case, size, subject, run, r):
    """The line printed after each run."""
    return (f"  {case:<3} {size:>4} B  {subject:<16} run {run}: "
            f"{r['mpps']:.3f} Mpp/s, busy {r['busy']:.1f} cycles/pkt, cpu "
            f"{r['cpu_share']['subject']}/{r['cpu_share']['backend']}"
            f"{'' if r['clean'] else why_disturbed(r)}"
            f"{'' if r['check'] == 'ok' else ', check: ' + r['check']}"
            + "".join("\n  " + line for line in lcores.lines_of(r.get("lcores") or [])))


def c2c_note(results):
    """One line on the placement the runs started and ended in, or None."""
    runs = [r for res in results.values() for r in res.get("runs", [])]
    probes = [c for r in runs for c in r.get("c2c_cycles") or [] if c]
    if not probes:
        return None
    apart = sum(1 for r in runs if r.get("placed_apart"))
    return (f"  cross-core round trip around the runs (build/bench/c2c, before and after each): "
            f"{spread(probes)}; {apart} of {len(runs)} runs began or ended with the two vCPUs "
            f"placed apart by the host (over {C2C_FAR:g}x the near round trip): disturbed "
            f"(tried again but in --smoke), for every subject alike")


def ratios(results, cases, sizes, kvm_accel, accel_of):
    out = []
    for case in cases:
        for size in sizes:
            get = lambda s: results.get(f"{case}/{size}/{s}", {})  # noqa: E731
            r = {"case": case, "size": size}
            native_ratios(r, get, kvm_accel)
            in_nfos = dpdk_nfos.ratios(get, size, accel_of)
            if in_nfos:
                r["dpdk_in_nfos"] = in_nfos
            lv = get("linux-vm").get("summary")
            for s in ("nfos-tcg", "nfos-kvm"):  # same accelerator first, then the best here
                nv = get(s).get("summary")
                if lv and nv:
                    r[f"{s.replace('-', '_')}_over_linux_vm_busy"] = {
                        "ratio": (nv["busy_cycles_per_pkt"]["median"] /
                                  lv["busy_cycles_per_pkt"]["median"]),
                        "accels": f"{accel_of[s]} vs {accel_of['linux-vm']}"}
            out.append(r)
    return out


def native_ratios(r, get, kvm_accel):
    """nfos linuxu over DPDK (busy cycles, also round by round; the 1.3x
    goal at 64 B) and nfos kvm over linuxu (Mpp/s), into r."""
    nf, dp, kv = (get(s).get("summary") for s in ("nfos-linuxu", "dpdk", "nfos-kvm"))
    if nf and dp:
        r["nfos_over_dpdk_busy"] = (nf["busy_cycles_per_pkt"]["median"] /
                                    dp["busy_cycles_per_pkt"]["median"])
        r["nfos_over_dpdk_busy_paired"] = paired(get("nfos-linuxu")["runs"],
                                                 get("dpdk")["runs"])
        if r["size"] == 64:
            r["goal_1_3x"] = "met" if r["nfos_over_dpdk_busy"] <= 1.3 else "not met"
            if not (nf["clean_runs"] and dp["clean_runs"]):
                r["goal_1_3x"] += " (disturbed runs)"
    if nf and kv:
        r["kvm_over_linuxu_mpps"] = kv["mpps"]["median"] / nf["mpps"]["median"]
        r["kvm_accel"] = kvm_accel
    nv = get("nfos-nfvm").get("summary")
    if nv and kv:
        # Issue 15: nfvm stays out of the data path, so the guest must move
        # what it moves under QEMU; 5% is below this host's run-to-run spread.
        r["nfvm_over_qemu_mpps"] = nv["mpps"]["median"] / kv["mpps"]["median"]
        r["nfvm_goal"] = "met" if r["nfvm_over_qemu_mpps"] >= NFVM_GOAL else "not met"


NFVM_GOAL = 0.95


def figures_table(results, cases, sizes, subjects, status, accel_of):
    rows = [("case", "size", "subject", "accel", "Mpp/s median (min-max)",
             "busy cycles/pkt median (min-max)", "clean", "check")]
    for case in cases:
        for size in sizes:
            for s in subjects:
                res = results.get(f"{case}/{size}/{s}")
                if res and "summary" in res:
                    sm = res["summary"]
                    rows.append((case, size, s, accel_of[s], fmt(sm["mpps"], 3),
                                 fmt(sm["busy_cycles_per_pkt"], 1),
                                 f"{sm['clean_runs']}/{sm['runs']}", "; ".join(sm["checks"])))
                elif res:
                    rows.append((case, size, s, accel_of[s], "failed: " + res["error"]))
                else:
                    rows.append((case, size, s, accel_of[s], status[s]))
    return table(rows)


def ratios_table(rat, kvm_accel):
    rrows = [("case", "size", "nfos/dpdk busy cycles", "same-round pairs median (min-max)",
              "goal <= 1.3x at 64 B", f"nfos-kvm ({kvm_accel})/linuxu Mpp/s",
              "nfos/linux-vm busy cycles", f"nfvm/QEMU Mpp/s (goal >= {NFVM_GOAL:g}x)")]
    for r in rat:
        x = lambda k, f="{:.2f}x": f.format(r[k]) if k in r else "-"  # noqa: E731
        vm = ", ".join(f"{r[k]['ratio']:.2f}x ({r[k]['accels']})" for k in
                       ("nfos_tcg_over_linux_vm_busy", "nfos_kvm_over_linux_vm_busy") if k in r)
        rrows.append((r["case"], r["size"], x("nfos_over_dpdk_busy"),
                      fmt(r.get("nfos_over_dpdk_busy_paired"), 2), r.get("goal_1_3x", "-"),
                      x("kvm_over_linuxu_mpps"), vm or "-",
                      f"{x('nfvm_over_qemu_mpps')} {r['nfvm_goal']}" if "nfvm_goal" in r else "-"))
    return table(rrows)


def print_report(ctx, results, subjects, status, accel_of):
    """Prints the tables and the notes under them; returns the ratios."""
    rat = ratios(results, ctx.cases, ctx.sizes, ctx.accel, accel_of)
    print()
    print("\n".join(figures_table(results, ctx.cases, ctx.sizes, subjects, status, accel_of)))
    print()
    print("\n".join(ratios_table(rat, ctx.accel)))
    in_nfos = dpdk_nfos.table_rows(rat)
    if in_nfos:
        print()
        print("\n".join(table(in_nfos)))
    note = c2c_note(results)
    if note:
        print(note)
    if any(not res.get("summary", {"clean_runs": 1})["clean_runs"] for res in results.values()):
        print("  note: some figures come from disturbed runs (another process took part of "
              "core 0 or 1, or the host placed them apart); see the cpu shares and c2c_cycles")
    return rat
