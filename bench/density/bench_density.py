"""bench/density: how many idle pong instances one host holds.

    ./nfos bench density [--counts 100,1000] [--max N] [--mem SIZE]
                         [--vmm nfvm|linuxu] [--idle-seconds S] [--smoke] [--json FILE]

For each N in --counts, then doubling while free memory allows and N stays
within --max (default 8000): starts N pong instances under nfvm (--vmm
linuxu: N linuxu pong processes, which sleep in ppoll() on their TAP while
idle, as nfvm's guests sleep in nfvm; where /dev/kvm is missing, the
driver's check and linuxu's own figure), each on a TAP of its own, all TAPs
on one bridge in one network namespace of the bench's own; reports the
total start time (exec of the first -> the last one's "answers" line),
starts per second, host memory per instance (PSS, from smaps_rollup), the
instances' host CPU over --idle-seconds while idle (percent of one core,
from their utime + stime), and that every one answers a ping; then stops
them all and removes the namespace (and its TAPs and bridge): nothing is
left behind. nfvm needs a usable /dev/kvm: without it the benchmark says
so and stops (status 0, nothing written). JSON to
bench/results/density-<date>.json (not with --smoke)."""

import argparse
import concurrent.futures
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from bench.common import cli, host
from tools import guest, nfos_cli

READY = "answers for"
MAX_DEFAULT = 8000


# A Linux bridge takes at most 1,024 ports (BR_MAX_PORTS): instances go
# 1,000 to a bridge, bridge k on 10.(77+k).0.0/16 at .0.1.
PER_BRIDGE = 1000


def bridge(i):
    return i // PER_BRIDGE


def address(i):
    """Instance i's address on its bridge's 10.(77+k).0.0/16 (the bridge: .0.1)."""
    j = i % PER_BRIDGE + 2
    return f"10.{77 + bridge(i)}.{j // 256}.{j % 256}"


def mac(i):
    """Instance i's MAC, unique among all: nfvm's default MAC is its
    device's number (02:6e:66:76:6d:01 for every one-port guest), and on one
    bridge N guests with one MAC leave all but one unanswered."""
    return f"02:6e:64:{(i + 2) >> 16:02x}:{((i + 2) >> 8) & 255:02x}:{(i + 2) & 255:02x}"


def sh(*cmd, timeout=120):
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, timeout=timeout)


class Net:
    """One namespace: bridges br0.. at 10.(77+k).0.1/16 and TAPs t0..tN-1,
    PER_BRIDGE on each. A set-up that fails removes the namespace and says
    what ip said."""

    def __init__(self, n):
        self.name = f"nfos-density-{os.getpid()}"
        sh("ip", "netns", "add", self.name)
        lines = ["link set lo up"]
        for k in range(bridge(n - 1) + 1 if n else 0):
            lines += [f"link add br{k} type bridge", f"addr add 10.{77 + k}.0.1/16 dev br{k}",
                      f"link set br{k} up"]
        for i in range(n):
            lines += [f"tuntap add dev t{i} mode tap", f"link set t{i} master br{bridge(i)}",
                      f"link set t{i} up"]
        try:
            subprocess.run(["ip", "-n", self.name, "-batch", "-"], input="\n".join(lines) + "\n",
                           check=True, capture_output=True, text=True, timeout=600)
            sh("ip", "netns", "exec", self.name, "sysctl", "-qw",
               "net.ipv6.conf.all.disable_ipv6=1")
        except subprocess.CalledProcessError as e:
            self.remove()
            raise RuntimeError(f"setting up {n} TAPs in {self.name}: {e.stderr.strip()[-300:]}")
        except BaseException:
            self.remove()
            raise

    def exec(self, *cmd):
        return ["ip", "netns", "exec", self.name, *cmd]

    def remove(self):
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def command(vmm, image, i, mem):
    params = [f"netdev.ip={address(i)}/16"]
    if vmm == "nfvm":
        return guest.nfvm_command(image, mem, nfos_cli.guest_cmdline(params, []),
                                  [{"kind": "tap", "arg": f"t{i}", "mac": mac(i)}])
    return [image, f"netdev.dev=tap:t{i}", f"nfos.mem={mem}"] + params + ["--"]


def start_all(net, vmm, image, n, mem, logdir, timeout):
    """Starts n instances; returns (procs, seconds until the last was ready)."""
    procs, t0 = [], time.perf_counter()
    for i in range(n):
        out = open(os.path.join(logdir, f"{i}.out"), "w")
        procs.append(subprocess.Popen(net.exec(*command(vmm, image, i, mem)), stdout=out,
                                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        out.close()
    waiting, end = set(range(n)), time.monotonic() + timeout
    while waiting:
        for i in list(waiting):
            with open(os.path.join(logdir, f"{i}.out")) as f:
                if READY in f.read():
                    waiting.discard(i)
            if i in waiting and procs[i].poll() is not None:
                raise RuntimeError(f"instance {i} ended ({procs[i].returncode}): "
                                   + open(os.path.join(logdir, f"{i}.out")).read()[-1000:])
        if waiting and time.monotonic() > end:
            raise RuntimeError(f"{len(waiting)} of {n} instances not ready after {timeout} s")
        time.sleep(0.05)
    return procs, time.perf_counter() - t0


def pss_kib(pid):
    """Proportional set size of pid in KiB (shared pages split)."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise RuntimeError(f"no Pss in /proc/{pid}/smaps_rollup")


def cpu_ticks(pid):
    """utime + stime of pid, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def idle_cpu(pids, seconds):
    """The instances' CPU over seconds, in percent of one core."""
    t0 = [cpu_ticks(p) for p in pids]
    time.sleep(seconds)
    used = sum(cpu_ticks(p) for p in pids) - sum(t0)
    return 100.0 * used / os.sysconf("SC_CLK_TCK") / seconds


def all_answer(net, n):
    """The instances that did not answer one ping (within 5 s, 3 tries)."""
    def one(i):
        r = subprocess.run(net.exec("ping", "-c", "3", "-i", "0.2", "-w", "5", address(i)),
                           capture_output=True, text=True)
        return None if r.returncode == 0 else i
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        return [i for i in ex.map(one, range(n)) if i is not None]


def stop_all(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    end = time.monotonic() + 30
    for p in procs:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def one_count(vmm, image, n, mem, idle_s):
    """Everything for n instances; always removes what it made."""
    net, procs, logdir = None, [], tempfile.mkdtemp(prefix="nfos-density-")
    try:
        net = Net(n)
        procs, start_s = start_all(net, vmm, image, n, mem, logdir, timeout=60 + n)
        pids = [p.pid for p in procs]  # `ip netns exec` execs the instance: same pid
        pss = [pss_kib(p) for p in pids]
        cpu = idle_cpu(pids, idle_s)
        silent = all_answer(net, n)
        return {"instances": n, "start_s": start_s, "starts_per_s": n / start_s,
                "pss_kib_per_instance": sum(pss) / n, "pss_kib_max": max(pss),
                "idle_cpu_percent_of_one_core": cpu, "idle_seconds": idle_s,
                "not_answering": silent, "all_answer": not silent}
    finally:
        stop_all(procs)
        if net:
            net.remove()
        shutil.rmtree(logdir, ignore_errors=True)


def mem_available_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def counts_to_run(counts, last, cap):
    """After the given counts: doubling while the last run's memory per
    instance says twice as many fit in half of what is free, up to cap."""
    if not last or last["instances"] * 2 > cap:
        return None
    need = last["instances"] * 2 * last["pss_kib_per_instance"]
    return last["instances"] * 2 if need * 2 < mem_available_kib() else None


def run(args, log=print):
    image = nfos_cli.build("pong", "kvm" if args.vmm == "nfvm" else "linuxu", quiet=True)
    res = {"benchmark": "density", "date": cli.now(), "vmm": args.vmm, "mem": args.mem,
           "host": {"cpu": host.cpu_model(), "cores": os.cpu_count()}, "runs": []}
    queue = list(args.counts)
    while queue:
        n = queue.pop(0)
        log(f"nfos bench density: {n} pong instances under {args.vmm} ...")
        r = one_count(args.vmm, image, n, args.mem, args.idle_seconds)
        res["runs"].append(r)
        answered = "all answer" if r["all_answer"] else f"{len(r['not_answering'])} silent"
        log(f"  start {r['start_s']:.2f} s ({r['starts_per_s']:.0f}/s), "
            f"PSS {r['pss_kib_per_instance']:.0f} KiB each, idle CPU "
            f"{r['idle_cpu_percent_of_one_core']:.2f}% of a core, {answered}")
        if not queue and not args.smoke:
            nxt = counts_to_run(args.counts, r, args.max)
            queue += [nxt] if nxt else []
    return res


def main(argv):
    ap = argparse.ArgumentParser(prog="nfos bench density", description=__doc__.split("\n\n")[0])
    ap.add_argument("--counts", type=cli.csv("--counts", conv=int), default=[100, 1000])
    ap.add_argument("--max", type=int, default=MAX_DEFAULT, help="never more instances")
    ap.add_argument("--mem", type=nfos_cli.parse_size, default=8 << 20, help="guest RAM each")
    ap.add_argument("--vmm", choices=("nfvm", "linuxu"), default="nfvm")
    ap.add_argument("--idle-seconds", type=float, default=10.0)
    cli.tail_options(ap, "only the given counts, nothing written unless --json", dpdk=False)
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        ap.error("needs root (network namespaces and TAPs)")
    if args.vmm == "nfvm" and not nfos_cli.kvm_usable():
        print("nfos bench density: skipped: nfvm needs a usable /dev/kvm (none here; "
              "--vmm linuxu runs linuxu processes instead)")
        return 0
    res = run(args)
    res["command"] = cli.command("density", argv)  # for docs/PERFORMANCE.md
    if args.json or not args.smoke:
        print(f"results: {cli.write_json(res, args.json or cli.default_results('density'))}")
    return 0 if all(r["all_answer"] for r in res["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
