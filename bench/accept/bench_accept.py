"""bench/accept: every open issue's remaining measured acceptance line in one
command, judged.

    ./nfos bench accept [--issues 12,13,14,15] [--runs N] [--against DIR]
                        [--smoke] [--json FILE]

Prints, per issue and line, the figure, the goal, met / NOT met and the
command that reproduces the figure, and writes
bench/results/accept-<date>.json (not with --smoke, unless --json). The
lines and their goals are bench/accept/lines.py's (the issues' Acceptance);
the measuring is the bench modules' own (bench/accept/pieces.py), each run
at most once and shared. A line whose figure means something only under
KVM says "not measurable here: /dev/kvm absent" (never met) without a
usable /dev/kvm; image sizes and guest RAM are measured anyway. --against
DIR: a checkout of an older commit, its kvm images built there (make
APP=... PLAT=kvm), for the lines that compare against a reference.
--smoke: every piece at its smallest (1 run, bench pps and bench density
in their smoke modes, no DPDK build), for the tests; nothing written to
bench/results. Run it first in a session that has /dev/kvm."""

import argparse
import os
import shutil
import sys
import tempfile

from bench.accept.lines import LINES, TITLES, pps_wanted
from bench.accept.pieces import NO_KVM, NotMeasured, Pieces
from bench.common import cli, host

MET, NOT_MET = "met", "NOT met"


def judge(line, p):
    """{"line", "figure", "goal", "status", "command"} of one line."""
    out = {"line": line.name, "goal": line.goal, "figure": "-", "command": line.command(p)}
    if line.kvm and not p.kvm:
        return dict(out, status=NO_KVM)
    try:
        figure, ok = line.measure(p)
    except NotMeasured as e:
        return dict(out, status=f"not measured: {e}")
    except Exception as e:  # noqa: BLE001 (a failed piece fails its lines, not the run)
        return dict(out, status=f"not measured: {type(e).__name__}: {e}")
    return dict(out, figure=figure, status=MET if ok else NOT_MET)


def run(issues, runs, smoke, against, log=print):
    """Every chosen issue's lines, judged: {issue: [line dicts]}."""
    tmp = tempfile.mkdtemp(prefix="nfos-accept-")
    try:
        p = Pieces(runs, smoke, against, pps_wanted(issues), tmp, log)
        res = {}
        for line in LINES:
            if line.issue in issues:
                log(f"nfos bench accept: issue {line.issue}: {line.name} ...")
                res.setdefault(str(line.issue), []).append(judge(line, p))
        return res, p.kvm
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def counts(res):
    lines = [l for ls in res.values() for l in ls]
    return {"lines": len(lines), "met": sum(l["status"] == MET for l in lines),
            "not_met": sum(l["status"] == NOT_MET for l in lines),
            "not_measured": sum(l["status"] not in (MET, NOT_MET) for l in lines)}


def report(res, kvm, smoke):
    tag = " [SMOKE: not a measurement]" if smoke else ""
    print(f"nfos bench accept{tag}: /dev/kvm {'usable' if kvm else 'absent'}")
    for issue, lines in res.items():
        print(f"\nissue {issue}: {TITLES[int(issue)]}")
        for l in lines:
            print(f"  {l['line']}\n    figure: {l['figure']}\n    goal:   {l['goal']}\n"
                  f"    {l['status']}\n    $ {l['command']}")
    c = counts(res)
    print(f"\n{c['lines']} lines: {c['met']} met, {c['not_met']} NOT met, "
          f"{c['not_measured']} not measured")


def issues_arg(text):
    return [int(i) for i in cli.csv("--issues", tuple(str(k) for k in TITLES))(text)]


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="nfos bench accept", description=__doc__.split("\n\n")[0],
                                 epilog=__doc__.split("\n\n", 1)[1],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--issues", type=issues_arg, default=list(TITLES),
                    help=f"comma-separated, of {','.join(map(str, TITLES))} (default: all)")
    ap.add_argument("--runs", type=int, default=20, help="runs per boot figure (default 20)")
    ap.add_argument("--against", metavar="DIR",
                    help="a checkout of an older commit (its kvm images built) to compare with")
    cli.tail_options(ap, "every piece at its smallest, nothing written to bench/results",
                     dpdk=False)
    args = ap.parse_args(argv)
    cli.check_runs(ap, args.runs)
    if args.against and not os.path.isdir(args.against):
        ap.error(f"--against {args.against}: no such folder")
    return args


def main(argv):
    args = parse_args(argv)
    runs = 1 if args.smoke else args.runs
    res, kvm = run(args.issues, runs, args.smoke, args.against)
    report(res, kvm, args.smoke)
    out = {"benchmark": "accept", "date": cli.now(), "smoke": args.smoke,
           "host": host.describe(kvm="usable" if kvm else "absent"),
           "command": " ".join(["./nfos bench accept --"] + argv), "runs": runs,
           "against": args.against, "issues": res, "counts": counts(res)}
    if args.json or not args.smoke:
        print(f"results: {cli.write_json(out, args.json or cli.default_results('accept'))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
