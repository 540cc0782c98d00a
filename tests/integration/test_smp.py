"""SMP: tests/apps/smptest (lcore launch/wait/barrier, per-lcore variables,
idle lcores that sleep, malloc and printf from every lcore at once, the
per-lcore pool caches balancing after a storm)
on 2-vCPU kvm images (KVM or TCG) and 2-thread linuxu processes, the same
tests with one lcore, the refusals of a bad CPU count; l2fwd with two
lcores forwarding a ping between two namespaces, one direction each (ports
with one queue pair; test_mq.py has lcores on queue pairs)."""

import os
import re
import select
import signal
import subprocess
import time
import uuid

import pytest

import nfvm_switch
from conftest import accel, boot, build, image_fixture, nfos, run_linuxu, vm_command
from test_debug import build_debug
from tools import nfos_cli

smptest_kvm = image_fixture("smptest", "kvm")
smptest_linuxu = image_fixture("smptest", "linuxu")


def check_tap(r, lcores):
    assert r.status == 0, r
    plan = re.search(r"^1\.\.(\d+)$", r.out, re.M)
    assert plan and int(plan.group(1)) >= 20, r
    assert not re.search(r"^not ok", r.out, re.M), r
    assert len(re.findall(r"^ok \d+ ", r.out, re.M)) == int(plan.group(1)), r
    assert f"ok 1 - {lcores} lcores, {lcores} expected" in r.out, r
    caches = "(caches)" if lcores > 1 else "(none)"
    assert f"per-lcore caches exactly when lcores > 1 {caches}" in r.out, r
    check_lines(r, lcores)


def check_lines(r, lcores):
    """Every lcore printed its 20 lines while all of them malloc'ed: no
    line is torn or mixed with another's (kvm: three printf calls a line,
    nolibc keeps lines whole; linuxu: one call, glibc keeps calls whole)."""
    lines = [l for l in r.out.splitlines() if "# lcore " in l and " line " in l]
    whole = re.compile(r"^# lcore (\d+) line (\d+): abcdefghijklmnopqrstuvwxyz0123456789ABCD end$")
    assert all(whole.match(l) for l in lines), r
    seen = {(int(m.group(1)), int(m.group(2))) for m in map(whole.match, lines)}
    assert seen == {(c, j) for c in range(lcores) for j in range(20)}, r


def test_smp_kvm_2cpus(smptest_kvm):
    r = boot(smptest_kvm, params=["nfos.boottrace=1"], args=["2"], extra=["-smp", "2"])
    check_tap(r, 2)
    assert "storm of 20000 rounds on 2 lcores: 0 errors" in r.out, r
    # The boot trace shows the AP: asked to start, real mode, CPL3. Under
    # nfvm the AP starts at CPL3 itself (no real mode, no CPL0 step): its
    # cpl3 step is +0 ns (README, "SMP: nfvm vs QEMU").
    m = re.search(r"^boottrace: cpu1 start (\d+) ns, entry \+(\d+) ns, cpl3 \+(\d+) ns", r.out,
                  re.M)
    assert m and int(m[1]) > 0 and int(m[2]) > 0, r
    assert int(m[3]) == 0 if nfvm_switch.wanted() else int(m[3]) > 0, r


def test_smp_kvm_1cpu(smptest_kvm):
    r = boot(smptest_kvm, args=["1"])
    check_tap(r, 1)
    assert "boottrace: cpu" not in r.out


def test_smp_kvm_cpus_param_limits(smptest_kvm):
    r = boot(smptest_kvm, params=["nfos.cpus=1"], args=["1"], extra=["-smp", "2"])
    check_tap(r, 1)
    r = boot(smptest_kvm, params=["nfos.cpus=3"], extra=["-smp", "2"])
    assert r.status == 2 and "nfos.cpus=3: expected 1 to 2" in r.text, r


def test_smp_kvm_fault_on_an_ap_is_reported(smptest_kvm):
    r = boot(smptest_kvm, args=["fault"], extra=["-smp", "2"])
    assert r.status == 126, r
    assert "fatal exception 0x000000000000000e (#PF page fault) on cpu 1" in r.out, r
    assert "cr2 0x00007f0000000000" in r.out and "the fault did not happen" not in r.out, r


def test_smp_linuxu_fault_on_a_thread_is_reported(smptest_linuxu):
    r = run_linuxu(smptest_linuxu, params=["nfos.cpus=2"], args=["fault"])
    assert r.status == 126, r
    assert re.search(r"fatal signal 11 \(Segmentation fault\): address 0x7f0000000000", r.err), r


def test_smp_linuxu_2threads(smptest_linuxu):
    pin = "0,1" if (os.cpu_count() or 1) >= 2 else "0,0"
    check_tap(run_linuxu(smptest_linuxu, params=["nfos.cpus=2", f"nfos.cpu_pin={pin}"],
                         args=["2"]), 2)


def test_smp_linuxu_debug_build():
    """CONFIG_LIBPOOL_DEBUG's per-object checks hold with the caches too."""
    check_tap(run_linuxu(build_debug("smptest", "linuxu"), params=["nfos.cpus=2"], args=["2"]), 2)


def test_smp_linuxu_1thread(smptest_linuxu):
    check_tap(run_linuxu(smptest_linuxu, args=["1"]), 1)


@pytest.mark.parametrize("params, says", [
    (["nfos.cpus=0"], "nfos.cpus=0: expected 1 to"),
    (["nfos.cpus=x"], "bad value 'x' for nfos.cpus"),
    (["nfos.cpus=2", "nfos.cpu_pin=0,x"], "nfos.cpu_pin=0,x: expected host CPU numbers"),
])
def test_smp_linuxu_bad_params(smptest_linuxu, params, says):
    r = run_linuxu(smptest_linuxu, params=params)
    assert r.status == 2 and says in r.err, r


def test_cpus_without_lcores_is_refused():
    r = nfos("run", "helloworld", "--plat", "linuxu", "--cpus", "2")
    assert r.status == 2 and "nfos.cpus=2: this app runs on one CPU" in r.err, r


NFVM_STATUS_SETUP = 202  # vmm/nfvm.h: a bad image, or one nfvm cannot start as asked
SINGLE_CPU = "nfos.cpus=2: this image runs one CPU (built without CONFIG_LIBLCORE_SMP"


def test_cpus_of_a_single_cpu_image_is_refused():
    """l2fwd as apps build by default (no CONFIG_LIBLCORE_SMP) asked for two
    lcores: a clear error at boot, never a hang (`nfos run --cpus 2` builds
    the SMP variant instead: test_mq.py)."""
    r = run_linuxu(build("l2fwd", "linuxu"), params=["nfos.cpus=2"])
    assert r.status == 2 and SINGLE_CPU in r.err, r
    r = boot(build("l2fwd", "kvm"), params=["nfos.cpus=2"], extra=["-smp", "2"])
    if nfvm_switch.wanted():  # nfvm refuses the second vCPU itself: no AP entry in the image
        assert r.status == NFVM_STATUS_SETUP, r
        assert "--cpus 2: the image starts no other CPU (no AP entry)" in r.err, r
    else:
        assert r.status == 2 and SINGLE_CPU in r.text, r


def symbols(image):
    r = subprocess.run(["nm", image + ".dbg"],
                       capture_output=True, text=True, check=True)
    return {l.split()[-1] for l in r.stdout.splitlines()}


def test_single_cpu_image_has_no_smp_code():
    """The SMP code is linked into SMP variants only: the AP bring-up (kvm),
    the threads (linuxu), the launch protocol and the pool caches."""
    smp_only = {"kvm": {"plat_smp_start", "kvm_ap_start", "kvm_nfvm_ap_start64",
                        "lcore_loop", "pool_cache_enable"},
                "linuxu": {"plat_smp_start", "lcore_loop", "pool_cache_enable"}}
    for plat, syms in smp_only.items():
        one, smp = build("l2fwd", plat), build("l2fwd", plat, smp=True)
        assert one != smp
        assert not syms & symbols(one), (plat, syms & symbols(one))
        assert syms <= symbols(smp), (plat, syms - symbols(smp))


def test_nfos_run_cpus(smptest_linuxu):
    r = nfos("run", "smptest", "--plat", "linuxu", "--cpus", "2", "--", "2")
    check_tap(r, 2)
    r = nfos("run", "smptest", "--cpus", "0")
    assert r.status != 0 and "--cpus 0: expected 1 or more" in r.err, r
    r = nfos("run", "smptest", "--cpus", "2", "--pin", "0,1")
    assert r.status != 0 and "--pin: linuxu only" in r.err, r


# --- l2fwd with two lcores: a ping goes through, each lcore one direction ---

def sh(*argv):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, f"{' '.join(argv)}: {r.stderr}"
    return r.stdout


@pytest.fixture
def three_netns():
    """Namespaces app, a and b (unique names, removed whatever happens); the
    caller links them."""
    names = [f"nfos-smp-{w}-{uuid.uuid4().hex[:6]}" for w in ("app", "a", "b")]
    try:
        for n in names:
            sh("ip", "netns", "add", n)
            sh("ip", "netns", "exec", n, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
               "net.ipv6.conf.default.disable_ipv6=1")
        yield names
    finally:
        for n in names:
            subprocess.run(["ip", "netns", "del", n], capture_output=True, timeout=30)


def ping_through(proc, ns_a, out_so_far="", stop=True):
    """Waits for l2fwd's forwarding line, pings b from a, stops l2fwd (or,
    stop=False, waits for its --time to end); returns the ping's result and
    l2fwd's whole output."""
    deadline = time.monotonic() + 120
    out = out_so_far
    while "forwarding port 0" not in out:
        assert time.monotonic() < deadline and proc.poll() is None, out
        if select.select([proc.stdout], [], [], 1)[0]:
            out += os.read(proc.stdout.fileno(), 4096).decode()
    ping = subprocess.run(["ip", "netns", "exec", ns_a, "ping", "-c", "3", "-W", "10", PEER_B],
                          capture_output=True, text=True, timeout=120)
    if stop:
        proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=120)
    return ping, out + rest.decode() + err.decode()


def lcore_rx(out, lcore):
    m = re.search(rf"^l2fwd: lcore {lcore} rx (\d+) pkts tx (\d+) pkts", out, re.M)
    assert m, out
    return int(m.group(1))


PEER_A, PEER_B = "10.213.0.1", "10.213.0.2"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")
def test_l2fwd_two_lcores_ping_linuxu(three_netns):
    app, a, b = three_netns
    for side, ns, ip in (("a", a, PEER_A), ("b", b, PEER_B)):
        sh("ip", "link", "add", f"s{side}0", "netns", app, "type", "veth", "peer", "name",
           f"s{side}1", "netns", ns)
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", f"s{side}1")
        sh("ip", "-n", ns, "link", "set", f"s{side}1", "up")
        sh("ip", "-n", app, "link", "set", f"s{side}0", "up")
    image = build("l2fwd", "linuxu", smp=True)
    proc = subprocess.Popen(["ip", "netns", "exec", app, image, "netdev.dev=packet:sa0",
                             "netdev1.dev=packet:sb0", "nfos.cpus=2"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        ping, out = ping_through(proc, a)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, (ping.stdout, out)
    # Requests (and a's ARP) cross on lcore 0, replies (and b's) on lcore 1.
    assert lcore_rx(out, 0) >= 3 and lcore_rx(out, 1) >= 3, out


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")
def test_l2fwd_two_vcpus_ping_kvm(three_netns):
    """The kvm image on two vCPUs between two TAPs: QEMU opens them in the
    app namespace, then each moves to its peer's namespace (the open TAP
    follows)."""
    app, a, b = three_netns
    for side in ("a", "b"):
        sh("ip", "-n", app, "tuntap", "add", "dev", f"k{side}0", "mode", "tap")
    image = build("l2fwd", "kvm", smp=True)
    # In app, not here; one queue pair each (tests/integration/test_mq.py has two).
    nets = [{"kind": "tap", "arg": f"k{side}0", "queues": 1} for side in ("a", "b")]
    # QEMU ends at a signal without the guest's report: l2fwd stops itself.
    # NFOS_VMM=nfvm: nfvm's, on virtio-mmio (nfvm_switch.mmio).
    cmd = nfos_cli.qemu_command(image, 64 << 20, nfvm_switch.mmio("microvm,pcie=on"), accel(),
                                "-- --time 20", nets, cpus=2)
    proc = subprocess.Popen(["ip", "netns", "exec", app] + vm_command(cmd),
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = ""
        deadline = time.monotonic() + 120
        while "forwarding port 0" not in out:
            assert time.monotonic() < deadline and proc.poll() is None, out
            if select.select([proc.stdout], [], [], 1)[0]:
                out += os.read(proc.stdout.fileno(), 4096).decode()
        for side, ns, ip in (("a", a, PEER_A), ("b", b, PEER_B)):
            sh("ip", "-n", app, "link", "set", f"k{side}0", "netns", ns)
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", f"k{side}0")
            sh("ip", "-n", ns, "link", "set", f"k{side}0", "up")
        ping, out = ping_through(proc, a, out, stop=False)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, (ping.stdout, out)
    assert lcore_rx(out, 0) >= 3 and lcore_rx(out, 1) >= 3, out
    assert "l2fwd: the ports offer 1 queue pair for 2 lcores (no multiqueue)" in out, out
