"""One run of bench kv: kvgen on core 0 against one server on core 1
(kvstore over vhost-user, memcached in a network namespace, or the Linux
VM), every workload measured in turn; what kvgen printed parsed into each
workload's result (bench/kv/windows.py judges them). The why is in
bench_kv.py's docstring (./nfos bench kv --help)."""

import os
import re
import signal
import subprocess
import time

from bench.common import lcores, placement
from bench.kv import dpdk
from bench.common.proc import (BenchError, Proc, RunFailed, check_alive, keep_logs,
                               wait_socket)
from bench.kv.windows import GEN_CORE, SERVER_CORE, follow, last_line_after, parse_run
from bench.linuxvm import linuxvm
from tools import nfos_cli
from tools.nfos_cli import ROOT

HERE = os.path.dirname(os.path.abspath(__file__))
GEN_PREFIX = "nfos-kv-gen"      # kvgen's --file-prefix
KVGEN = os.path.join(ROOT, "build", "bench", "kvgen")
# Stopped with SIGTERM to QEMU.
QEMU_SUBJECTS = ("kvstore-kvm", "kvstore-tcg", "linux-vm", dpdk.KVM_SUBJECT)
# Linux processes that must exit 0 on SIGINT (their exit report).
LINUXU_SUBJECTS = ("kvstore-linuxu", "kvstore-dpdk-linuxu")
MEMCACHED_SUBJECTS = ("memcached", "linux-vm")  # UDP socket buffers: --mc-window
LINUX_VM_MEM = 512 << 20        # the linux-vm subject's guest RAM
GEN_IP, SERVER_IP, PREFIXLEN, PORT = "10.99.0.1", "10.99.0.2", 24, 11211
KV_MEM = 1 << 30                # kvstore's memory: linuxu nfos.mem=, kvm guest RAM
KV_ARGS = ["--mem-limit", "256M"]  # kvstore's own options after --: 1M items fit


# --- network namespaces for memcached -------------------------------------------

def sh(*argv, timeout=20):
    r = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RunFailed(f"`{' '.join(argv)}` failed: {(r.stderr or r.stdout).strip()}")
    return r.stdout


class Namespaces:
    """Two network namespaces joined by a veth pair: the server's side has
    SERVER_IP, kvgen's side no address (kvgen is the host there). Removed
    by close(), which deleting the namespaces does for the veth too."""

    def __init__(self):
        tag = os.getpid() % 10000000
        self.server, self.client = f"nfos-kv-s{tag}", f"nfos-kv-c{tag}"
        self.server_if, self.client_if = f"kvs{tag}", f"kvc{tag}"
        self.made = []
        try:
            for ns in (self.server, self.client):
                sh("ip", "netns", "add", ns)
                self.made.append(ns)
                for key in ("all", "default"):  # no IPv6 chatter on the pair
                    sh("ip", "netns", "exec", ns, "sysctl", "-qw",
                       f"net.ipv6.conf.{key}.disable_ipv6=1")
                sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "link", "add", self.client_if, "netns", self.client, "type", "veth",
               "peer", "name", self.server_if, "netns", self.server)
            sh("ip", "-n", self.server, "addr", "add", f"{SERVER_IP}/{PREFIXLEN}",
               "dev", self.server_if)
            for ns, dev in ((self.server, self.server_if), (self.client, self.client_if)):
                sh("ip", "-n", ns, "link", "set", dev, "up")
        except BaseException:
            self.close()
            raise

    def exec(self, ns):
        return ["ip", "netns", "exec", ns]

    def udp_stats(self):
        try:
            out = sh(*self.exec(self.server), "nstat", "-az", "UdpRcvbufErrors", "UdpInDatagrams")
        except (RunFailed, OSError, subprocess.TimeoutExpired):
            return {}
        return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)", out, re.M)}

    def close(self):
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)
        self.made = []


def wait_udp_listen(ns, proc, timeout=15):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        check_alive([proc])
        out = subprocess.run(ns.exec(ns.server) + ["ss", "-Hnuln", f"sport = :{PORT}"],
                             capture_output=True, text=True, timeout=10).stdout
        if out.strip():
            return
        time.sleep(0.05)
    raise RunFailed(f"memcached is not listening on UDP {PORT} after {timeout} s", proc.tail())


# --- one run --------------------------------------------------------------------

def ready_timeout(ctx, subject):
    """Seconds for the server to come up and answer ARP."""
    if subject == "linux-vm":
        return linuxvm.BOOT_TIMEOUT
    return 180 if ctx.accel_of[subject] == "tcg" and subject in QEMU_SUBJECTS else 60


def link_timeout(ctx, subject):
    """Seconds kvgen waits for its port's link and the server's ARP reply."""
    if subject == "linux-vm":
        return linuxvm.BOOT_TIMEOUT  # a Linux boot (under TCG here) comes first
    return 60 if "tcg" in (ctx.accel, ctx.accel_of[subject]) else 30


def kvgen_argv(ctx, subject, vdev):
    window = ctx.mc_window if subject in MEMCACHED_SUBJECTS else ctx.window
    return ([KVGEN, "-l", "0", f"--file-prefix={GEN_PREFIX}", "--no-pci", "--vdev", vdev] +
            ctx.mem.eal() +
            ["--", "--server", SERVER_IP, "--ip", GEN_IP, "--port", str(PORT),
             "--keys", str(ctx.keys_of[subject]), "--workloads", ",".join(ctx.workloads),
             "--seconds", f"{ctx.seconds:g}", "--warmup", f"{ctx.warmup:g}",
             "--window", str(window), "--link-timeout", str(link_timeout(ctx, subject)),
             "--hold"])


def server_argv(ctx, subject, sock, ns):
    if subject == "kvstore-linuxu":
        return ([ctx.images[("kvstore", "linuxu")], f"nfos.mem={KV_MEM}",
                 f"netdev.dev=vhost-user:{sock}", f"netdev.ip={SERVER_IP}/{PREFIXLEN}",
                 "nfos.stats=1"] + lcores.params(ctx.cpus) + ["--"] + KV_ARGS)
    if subject in ("kvstore-kvm", "kvstore-tcg"):
        cmdline = nfos_cli.guest_cmdline([f"netdev.ip={SERVER_IP}/{PREFIXLEN}", "nfos.stats=1"]
                                         + lcores.params(ctx.cpus), KV_ARGS)
        return nfos_cli.qemu_command(ctx.images[("kvstore", "kvm")], KV_MEM, "microvm,pcie=on",
                                     ctx.accel_of[subject], cmdline,
                                     [{"kind": "vhost-user", "arg": sock}], cpus=ctx.cpus)
    if subject in dpdk.SUBJECTS:
        return dpdk.argv(subject, ctx.images[(dpdk.APP, dpdk.plat(subject))], sock, KV_MEM,
                         f"{SERVER_IP}/{PREFIXLEN}", KV_ARGS, ctx.cpus, ctx.accel)
    if subject == "linux-vm":
        # seconds=0: memcached runs until QEMU is stopped.
        return linuxvm.qemu_command("memcached", sock=sock, mem=LINUX_VM_MEM,
                                    accel=ctx.accel_of[subject], image=ctx.lvm, seconds=0,
                                    ip=f"{SERVER_IP}/{PREFIXLEN}")
    user = ["-u", "root"] if os.geteuid() == 0 else []
    return ns.exec(ns.server) + ["memcached", "-U", str(PORT), "-p", "0", "-t", "1",
                                 "-l", SERVER_IP, "-m", "2048"] + user


def run_once(ctx, subject, run):
    """One run of a subject: every workload's result, and the probes
    around the whole run."""
    sock = os.path.join(ctx.tmp, "kv.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    ctx.mem.scrub()
    procs, ns = [], None
    c2c = [placement.probe_c2c(ctx)]
    try:
        if subject == "memcached":
            ns = Namespaces()
        gen, server, udp0 = start(ctx, subject, sock, ns, procs)
        marks, holds, udp = measure(ctx, subject, gen, server, procs, ns, udp0)
        c2c.append(placement.probe_c2c(ctx))
    finally:
        for p in reversed(procs):
            if p.alive():
                p.signal(signal.SIGTERM if p.name in QEMU_SUBJECTS else signal.SIGINT)
                p.wait(10)
        if ns:
            ns.close()
        if os.path.exists(sock):
            os.unlink(sock)
        keep_logs(ctx, procs, lambda p: f"{subject}-{run}-{p.name}.log")
    r = parse_run(ctx, subject, gen, server, marks, holds, udp)
    if subject.startswith("kvstore") and ctx.cpus > 1:
        r["lcores"] = lcores.per_lcore(text for _, text in server.lines)
    r["c2c_cycles"] = c2c  # around the whole run: said, not part of the clean rule
    r["placed_apart"] = placement.placed_apart(ctx, c2c)
    return r


def start(ctx, subject, sock, ns, procs):
    """Starts kvgen and the server (into procs: kvgen first) and waits
    until kvgen has found the server. Returns (kvgen, server, the UDP
    counters in memcached's namespace as kvgen started, or None)."""
    udp0 = None
    if subject == "memcached":
        server = Proc(subject, server_argv(ctx, subject, sock, ns), SERVER_CORE, ctx.tmp)
        procs.append(server)
        wait_udp_listen(ns, server)
        vdev = (f"net_af_packet0,iface={ns.client_if},qpairs=1,blocksz=4096,framesz=2048,"
                "framecnt=2048,qdisc_bypass=1")
        gen = Proc("kvgen", ns.exec(ns.client) + kvgen_argv(ctx, subject, vdev),
                   GEN_CORE, ctx.tmp, stdin_pipe=True)
        procs.insert(0, gen)
        udp0 = ns.udp_stats()
    else:
        gen = Proc("kvgen", kvgen_argv(ctx, subject, f"net_vhost0,iface={sock},queues=1"),
                   GEN_CORE, ctx.tmp, stdin_pipe=True)
        procs.append(gen)
        wait_socket(sock, gen)
        server = Proc(subject, server_argv(ctx, subject, sock, ns),
                      lcores.cores(ctx.cpus, SERVER_CORE), ctx.tmp)
        procs.append(server)
    gen.wait_for(re.compile(r"^kvgen: server .* is at"), ready_timeout(ctx, subject),
                 [server])
    return gen, server, udp0


def measure(ctx, subject, gen, server, procs, ns, udp0):
    """Follows kvgen through every workload, then stops the server.
    Returns the windows' CPU samples, the holds' probes and the UDP
    counters' change in memcached's namespace (None elsewhere)."""
    per = ctx.warmup + ctx.seconds + 3  # + the drain and the probe at its hold
    end = time.monotonic() + ctx.preload_timeout + len(ctx.workloads) * per + 60
    marks, holds = follow(ctx, gen, procs, end)
    if gen.p.returncode != 0:
        raise RunFailed(f"kvgen ended with status {gen.p.returncode}", gen.tail())
    if subject.startswith("kvstore"):
        last_line_after(server, time.monotonic(), 3.0)  # covers the last window
    udp1 = ns.udp_stats() if ns else {}
    if subject in QEMU_SUBJECTS:
        server.signal(signal.SIGTERM)  # QEMU; the guest has no stop of its own here
        server.wait(15)
    elif server.stop(15) != 0 and subject in LINUXU_SUBJECTS:
        raise RunFailed(f"{subject} ended with status {server.p.returncode} on SIGINT",
                        server.tail())
    udp = {k: udp1.get(k, 0) - udp0.get(k, 0) for k in udp1} if ns else None
    return marks, holds, udp


def build_kvgen():
    r = subprocess.run(["make", "-C", HERE, "--no-print-directory"], capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        last = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()][-1:] or ["?"]
        raise BenchError(f"building kvgen failed: {last[0]}")
