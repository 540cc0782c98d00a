"""bench accept's measurements. Each is a call into the bench module that
owns the measuring (bench boot's parts, bench pps, bench density), made at
most once per invocation and shared by every line that judges it; a piece
that fails fails every line that needs it, with its error, and no other.
Nothing here times or counts by itself."""

import json
import os

from bench.boot import bench_boot, dpdk, nfvm, sizes, smp
from bench.density import bench_density
from bench.pps import bench_pps
from tools import nfos_cli

NO_KVM = "not measurable here: /dev/kvm absent"
SIZE = 64  # the acceptance lines' packet size (busy cycles per 64 B packet)


class NotMeasured(Exception):
    """A line that cannot be measured by this command, and what to run instead."""


class Pieces:
    """The measurements of one bench accept run (runs per figure; smoke:
    every benchmark at its smallest; against: an older checkout or None;
    pps: {"cases", "subjects"} the run's lines need; tmp: where the
    sub-benchmarks' JSON goes)."""

    def __init__(self, runs, smoke, against, pps, tmp, log=print):
        self.kvm = nfos_cli.kvm_usable()
        self.runs, self.smoke, self.against, self.log = runs, smoke, against, log
        self.pps_want, self.tmp = pps, tmp
        self.memo = {}

    def once(self, name, fn):
        """fn()'s value, computed once; its exception raised again each time."""
        if name not in self.memo:
            try:
                self.memo[name] = (True, fn())
            except Exception as e:  # noqa: BLE001 (reported on every line that needs it)
                self.memo[name] = (False, e)
            except SystemExit as e:  # a sub-benchmark's own refusal (argparse, can_run)
                self.memo[name] = (False, RuntimeError(f"it stopped with status {e.code}"))
        ok, v = self.memo[name]
        if not ok:
            raise v
        return v

    def images(self):
        """The kvm images bench boot's timing parts take, by app."""
        return self.once("images", lambda: {a: nfos_cli.build(a, "kvm", quiet=True) for a in (
            bench_boot.APP, "rxsink", "pong", bench_boot.LUA)})

    def boot_kvm(self):
        """bench boot's QEMU microvm times under KVM (helloworld, rxsink, Lua)."""
        return self.once("boot_kvm", lambda: bench_boot.measure_accel(
            self.images(), "kvm", self.runs))

    def boot_nfvm(self):
        """bench boot's nfvm part (helloworld and pong under nfvm)."""
        return self.once("boot_nfvm", lambda: skipped_is_error(
            nfvm.measure(self.images(), self.runs)))

    def ap_start(self):
        """bench boot's AP start time (QEMU under KVM, and nfvm)."""
        return self.once("ap_start", lambda: smp.measure(["kvm"], self.runs, self.log))

    def sizes(self, apps):
        """bench boot --sizes of apps, beside --against's images when given."""
        return self.once(("sizes",) + tuple(apps), lambda: sizes.measure(
            apps=tuple(apps), against=self.against))

    def dpdk_images(self):
        """bench boot's DPDK image sizes (--smoke: only those already built)."""
        return self.once("dpdk_images", lambda: bench_boot.dpdk_sizes(build=not self.smoke))

    def testpmd_prompt(self):
        """bench boot's exec -> "testpmd> " in 64 MiB: under KVM with --runs
        runs, else once under TCG (the RAM line needs only the prompt)."""
        accel, runs = ("kvm", self.runs) if self.kvm else ("tcg", 1)
        return self.once("testpmd", lambda: skipped_is_error(dpdk.measure(
            [accel], runs, self.log, build=not self.smoke)))

    def hello_against(self):
        """helloworld's exec -> first line under KVM, this checkout's image
        and --against's alternating run by run (bench boot's wall_times)."""
        def measure():
            old = against_image(self.against, bench_boot.APP)
            new, runs = self.images()[bench_boot.APP], {"new": [], "old": []}
            for _ in range(self.runs):
                for key, img in (("new", new), ("old", old)):
                    runs[key].append(bench_boot.wall_times(img, 64 << 20, "kvm")[0])
            return {k: bench_boot.summary(v) for k, v in runs.items()}
        return self.once("hello_against", measure)

    def pps(self):
        """One bench pps run of every subject and case the lines need, 64 B."""
        return self.once("pps", lambda: sub_json(
            bench_pps.main, pps_argv(self.pps_want, self.smoke), self.tmp, "pps"))

    def density(self):
        """One bench density run of 1,000 pongs under nfvm (--smoke: 2)."""
        return self.once("density", lambda: sub_json(
            bench_density.main, density_argv(self.smoke), self.tmp, "density"))


def skipped_is_error(res):
    if "skipped" in res:
        raise NotMeasured(res["skipped"])
    return res


def against_image(root, app):
    """app's kvm image in the checkout root; NotMeasured when not built there."""
    if not root:
        raise NotMeasured("give --against DIR (a checkout of the older commit)")
    path = sizes.image_in(root, app, False)
    if not os.path.exists(path):
        raise NotMeasured(f"{path} is not built: make APP={app} PLAT=kvm in {root}")
    return path


def pps_argv(want, smoke):
    return (["--cases", ",".join(want["cases"]), "--sizes", str(SIZE),
             "--subjects", ",".join(want["subjects"])] + (["--smoke"] if smoke else []))


def density_argv(smoke):
    return (["--counts", "2", "--idle-seconds", "1", "--smoke"] if smoke
            else ["--counts", "1000", "--max", "1000"])


def sub_json(main, argv, tmp, what):
    """Runs a benchmark's main(argv) with --json into tmp; its results."""
    path = os.path.join(tmp, f"{what}.json")
    status = main(argv + ["--json", path])
    if not os.path.exists(path):
        raise RuntimeError(f"bench {what} wrote no results (status {status})")
    with open(path) as f:
        return json.load(f)
