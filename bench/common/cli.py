"""The benchmarks' command lines and results files: comma-separated
choices, the checks every one makes, and the JSON written under
bench/results/ (or to --json FILE)."""

import argparse
import datetime
import json
import os
import shutil
import sys

from tools.nfos_cli import ROOT


def csv(kind, choices=None, conv=str):
    """An argparse type: a comma-separated list of choices (or of conv's
    values), duplicates dropped, at least one."""
    def parse(text):
        try:
            items = [conv(x) for x in text.split(",") if x]
        except ValueError as e:
            raise argparse.ArgumentTypeError(f"{kind}: bad value {e}")
        bad = [x for x in items if choices and x not in choices]
        if not items or bad:
            raise argparse.ArgumentTypeError(
                f"{kind}: {','.join(map(str, bad)) or 'none given'}"
                + (f" (choose from {','.join(choices)})" if choices else ""))
        return list(dict.fromkeys(items))
    return parse


def tail_options(ap, smoke_help, dpdk=True):
    """The options every benchmark's command line ends with: --no-huge and
    --logs (with dpdk), --smoke and --json."""
    if dpdk:
        ap.add_argument("--no-huge", action="store_true", help="DPDK without hugepages (memfd)")
        ap.add_argument("--logs", metavar="DIR", help="keep every process's output in DIR")
    ap.add_argument("--smoke", action="store_true", help=smoke_help)
    ap.add_argument("--json", metavar="FILE",
                    help="write the results to FILE instead (also with --smoke)")


def check_runs(ap, runs):
    if runs is not None and runs < 1:
        ap.error("--runs must be at least 1")


def can_run(name, missing, cores_for):
    """None, or prints why `nfos bench NAME` cannot run here and returns
    1: missing is what is missing (or None); the benchmark needs two cores
    (cores_for says for what)."""
    if missing:
        print(f"nfos bench {name}: {missing}", file=sys.stderr)
        return 1
    if (os.cpu_count() or 1) < 2:
        print(f"nfos bench {name}: needs two cores ({cores_for})", file=sys.stderr)
        return 1
    return None


def has(command):
    return shutil.which(command) is not None


def command(what, argv):
    """The command line a benchmark's JSON records: `./nfos bench WHAT -- ARGV`
    (no `--` without arguments)."""
    return " ".join([f"./nfos bench {what}"] + (["--"] + list(argv) if argv else []))


def now():
    return datetime.datetime.now().isoformat(timespec="seconds")


def default_results(kind):
    """bench/results/KIND-<date>.json"""
    return os.path.join(ROOT, "bench", "results",
                        f"{kind}-{datetime.datetime.now():%Y%m%d-%H%M%S}.json")


def write_json(res, path):
    """Writes res to path (its folder made); returns the absolute path."""
    out = os.path.abspath(path)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=2)
    return out
