"""bench all's DPDK-inside part: which DPDK subjects it names in bench pps
and bench kv, and the "DPDK inside nfos" section of PERFORMANCE.md (issue
14's figures beside the talk's: testpmd's image size, exec -> "testpmd> ",
its guest RAM, and the busy-cycle ratios of testpmd and kvstore-dpdk
against native nfos and DPDK on Linux).

The kvm subjects are named only where /dev/kvm is usable: under TCG their
figures say nothing about DPDK in nfos (bench pps and bench kv skip them
for the same reason when not named), and the section says so."""

from bench.boot.bench_boot import TALK_TESTPMD_BYTES
from bench.kv import dpdk as kv_dpdk
from bench.pps import dpdk_nfos

# The talk's Unikraft figures for DPDK's testpmd (other machine, not measured here).
TALK_BOOT_MS = 87.0
TALK_RAM = "1 GB"
GOAL_RAM = 64 << 20     # issue 14: testpmd reaches its prompt in <= 64 MiB
NO_KVM = "not run: no usable /dev/kvm (under TCG its figures say nothing about DPDK in nfos)"


def pps_subjects(kvm):
    """bench pps's DPDK-in-nfos subjects bench all names."""
    return [s for s in dpdk_nfos.SUBJECTS
            if dpdk_nfos.accel(s, "kvm" if kvm else "tcg") != "tcg"]


def kv_subjects(kvm):
    """bench kv's kvstore-dpdk subjects bench all names."""
    return [s for s in kv_dpdk.SUBJECTS if kvm or kv_dpdk.plat(s) != "kvm"]


def left_out(kvm):
    """{subject: why} for the DPDK subjects bench all does not name."""
    named = set(pps_subjects(kvm)) | set(kv_subjects(kvm))
    return {s: NO_KVM for s in dpdk_nfos.KVM_SUBJECTS + (kv_dpdk.KVM_SUBJECT,) if s not in named}


def boot_rows(boot):
    """(figure, nfos, the talk's, judged) rows from bench boot's JSON."""
    rows = []
    im = boot.get("dpdk_images", {}).get("dpdk-testpmd", {})
    if "bytes" in im:
        rows.append(("dpdk-testpmd image (stripped ELF)", f"{im['bytes']:,} bytes",
                     f"{TALK_TESTPMD_BYTES:,} bytes",
                     "met" if im["bytes"] <= TALK_TESTPMD_BYTES else "NOT met"))
    d = boot.get("dpdk", {})
    if "skipped" in d:
        rows.append(("exec -> \"testpmd> \"", f"skipped: {d['skipped']}", f"{TALK_BOOT_MS:g} ms",
                     "-"))
        return rows
    for accel, t in d.get("times", {}).items():
        ms = t["median"] * 1000
        judged = ("met" if ms <= TALK_BOOT_MS else "NOT met") if accel in ("kvm", "nfvm") \
            else "- (judged under KVM only)"
        rows.append((f"exec -> \"testpmd> \" ({accel}, {d['cpus']} vCPUs)",
                     f"{ms:.1f} ms (min {t['min'] * 1000:.1f}, max {t['max'] * 1000:.1f})",
                     f"{TALK_BOOT_MS:g} ms", judged))
    if d.get("times"):
        rows.append(("guest RAM it reached the prompt in", f"{d['mem_bytes'] >> 20} MiB",
                     TALK_RAM, "met" if d["mem_bytes"] <= GOAL_RAM else "NOT met"))
    return rows


def instr_rows(instr):
    """(case, nfos program, its instr/pkt, testpmd's mode, its instr/pkt,
    ratio, goal) rows from bench.pps.callgrind's JSON, one per case that
    has both subjects."""
    by = {(r["case"], r["subject"]): r for r in instr.get("results", [])}
    rows = []
    for case in dict.fromkeys(r["case"] for r in instr.get("results", [])):
        n, t = by.get((case, "nfos")), by.get((case, "testpmd"))
        if not (n and t):
            continue
        ratio = t["instructions_per_packet"] / n["instructions_per_packet"]
        rows.append((case, n["program"], f"{n['instructions_per_packet']:.1f}", t["program"],
                     f"{t['instructions_per_packet']:.1f}", f"{ratio:.2f}x",
                     "met" if ratio <= dpdk_nfos.GOAL else "NOT met"))
    return rows


def md_instr(all_):
    """PERFORMANCE.md's instructions-per-packet section, from the run's
    instr piece (bench.pps.callgrind), or a line saying it was not run."""
    out = ["## DPDK inside nfos: instructions per packet (callgrind)", ""]
    instr = all_.get("instr")
    if not instr:
        return out + ["Not in this run (`--skip instr`, or the piece failed).", ""]
    if instr.get("separate"):
        out += [f"Not from the run above: from `{instr['command']}` run on its own on "
                f"{instr['date']} ({instr['separate']}), rendered in with `--instr`.", ""]
    out += [f"Load-proof, unlike the cycles above: `{instr['command']}` runs each linuxu "
            f"subject under callgrind over linuxu's {instr['port']} port, for "
            f"{instr['short_s']:g} s and {instr['long_s']:g} s, and divides the difference "
            "of the two runs' instructions by the difference of their packets "
            f"({instr['size']} B; lib/dpdk/README.md reads them per function). Goal: testpmd "
            f"within {dpdk_nfos.GOAL}x of the nfos app.", "",
            "| case | nfos app | instr/pkt | testpmd in nfos | instr/pkt | testpmd / nfos | "
            "goal |", "|---|---|---|---|---|---|---|"]
    out += ["| " + " | ".join(r) + " |" for r in instr_rows(instr)] + [""]
    for r in instr.get("results", []):
        top = ", ".join(f"{f} {v:.1f}" for f, v in r["top_functions"][:6])
        out.append(f"- {r['case']}, {r['program']}: {top}")
    return out + [""]


def md_dpdk(all_):
    """The section's markdown lines (none when the run has no DPDK figure)."""
    boot, pps, kv = (all_.get(k) or {} for k in ("boot", "pps", "kv"))
    brows = boot_rows(boot)
    prows = dpdk_nfos.table_rows(pps.get("ratios", []))
    krows = kv_dpdk.table_rows(kv.get("kvstore_dpdk_busy_ratios", []))
    if not (brows or prows or krows):
        return []
    out = ["## DPDK inside nfos: the talk's figures and the goals", "",
           "DPDK 22.11's own testpmd and kvstore's DPDK build, unmodified DPDK code linked "
           "into nfos images (lib/dpdk). Goals: testpmd's image <= the talk's 1.4 MB, exec -> "
           "\"testpmd> \" <= 87 ms under KVM in <= 64 MiB; busy cycles per 64 B packet within "
           f"{dpdk_nfos.GOAL}x of native nfos and at or below DPDK virtio_user on Linux.", ""]
    if brows:
        out += ["| figure | nfos | the talk (Unikraft) | goal |", "|---|---|---|---|"]
        out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in brows] + [""]
    for rows in (prows, krows):
        if rows:
            out += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
            out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows[1:]] + [""]
    for s, why in all_.get("dpdk_left_out", {}).items():
        out.append(f"- {s}: {why}")
    return out + [""] if all_.get("dpdk_left_out") else out
