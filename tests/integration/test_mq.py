"""Multiqueue virtio-net (VIRTIO_NET_F_MQ, pairs set through the control
queue) on 2-vCPU kvm images: l2fwd with lcore i on queue pair i of both
ports forwarding between two namespaces, both lcores counting; pong
answering pings on both queue pairs; what `nfos run --cpus N` gives QEMU;
ports without multiqueue (one pair, said) and an app asking more pairs
than the device offers (refused, said). Which queue a frame arrives on is
the backend's choice: QEMU's multi_queue TAP puts a flow on the queue of
its hash (then on the one the guest answers it from), so the tests send
many flows."""

import os
import re
import select
import socket
import struct
import subprocess
import time
import uuid

import pytest

import nfvm_switch
from conftest import accel, build, nfos, nfos_argv, vm_command
from test_smp import PEER_A, PEER_B, lcore_rx, ping_through, sh, three_netns  # noqa: F401
from tools import nfos_cli

root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


def read_until(proc, text, out="", timeout=150):
    deadline = time.monotonic() + timeout
    while text not in out:
        assert time.monotonic() < deadline and proc.poll() is None, out
        if select.select([proc.stdout], [], [], 1)[0]:
            out += os.read(proc.stdout.fileno(), 4096).decode()
    return out


def udp_flows(ns, dst, ports=range(32), src=None):
    """One UDP datagram to dst:9 from each of ports, source ports of src
    (None: ports chosen by the kernel, one per datagram), in ns: a flow each."""
    bind = f"s.bind(('{src}', p)); " if src else ""
    code = ("import socket\n"
            f"for p in {list(ports)}:\n"
            "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            f"    {bind}s.sendto(b'x' * 32, ('{dst}', 9)); s.close()\n")
    r = subprocess.run(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, timeout=120)  # a loaded host: slow
    assert r.returncode == 0, r.stderr


def test_qemu_gets_one_queue_pair_per_vcpu():
    nets = [{"kind": "tap", "arg": "t0"}, {"kind": "user", "arg": "", "fwd": []},
            {"kind": "vhost-user", "arg": "/tmp/s"}]
    one = " ".join(nfos_cli.qemu_command("img", 64 << 20, "microvm,pcie=on", "tcg", "", nets))
    assert "queues=" not in one and "mq=on" not in one, one  # single-queue images unchanged
    two = nfos_cli.qemu_command("img", 64 << 20, "microvm,pcie=on", "tcg", "", nets, cpus=2)
    netdevs = [two[i + 1] for i, a in enumerate(two) if a == "-netdev"]
    devices = [two[i + 1] for i, a in enumerate(two) if a == "-device" and "virtio-net" in two[i + 1]]
    assert netdevs[0].endswith(",queues=2") and netdevs[2].endswith(",queues=2"), netdevs
    assert "queues" not in netdevs[1], netdevs  # QEMU's user network has one queue
    assert ["mq=on" in d for d in devices] == [True, False, True], devices
    mmio = nfos_cli.qemu_command("img", 64 << 20, "microvm", "tcg", "", nets[:1], cpus=2)
    assert "virtio-net-device,netdev=n0,mq=on" in mmio, mmio
    kept = nfos_cli.qemu_command("img", 64 << 20, "microvm", "tcg", "",
                                 [dict(nets[0], queues=1)], cpus=2)
    assert "queues=" not in " ".join(kept) and "mq=on" not in " ".join(kept), kept
    rss = [dict(nets[0], rss=True)]
    assert "virtio-net-device,netdev=n0,mq=on,rss=on" in nfos_cli.qemu_command(
        "img", 64 << 20, "microvm", "tcg", "", rss, cpus=2)
    assert "rss=on" not in " ".join(nfos_cli.qemu_command("img", 64 << 20, "microvm", "tcg", "",
                                                          rss, cpus=1)), "no pairs to spread"


@pytest.mark.parametrize("text, plat, error", [
    ("tap:nfos-no0,rss", "kvm", "--net tap:nfos-no0,rss: no interface 'nfos-no0' here"),
    ("tap:t0,rss", "linuxu", "--net tap:t0,rss: ',rss' is the kvm virtio-net's (QEMU's, nfvm's)")])
def test_net_rss_option_parsed_and_refused_where_it_means_nothing(text, plat, error):
    """',rss' ends a kvm tap's name (the rest is the TAP's, commas and all:
    test_run_signals.py); linuxu has no RSS to ask for."""
    with pytest.raises(nfos_cli.UsageError) as e:
        nfos_cli.parse_net(text, plat)
    assert str(e.value).startswith(error), e.value


def test_more_queue_pairs_than_offered_is_refused():
    """QEMU's user network has one queue: --queues 2 cannot be met."""
    r = nfos("run", "l2fwd", "--cpus", "2", "--net", "user", "--net", "user", "--",
             "--queues", "2")
    assert r.status == 2, r
    assert "netdev: port 0 (vnet0): 2 queue pairs asked, virtio-net offers 1" in r.text, r
    r = nfos("run", "l2fwd", "--plat", "linuxu", "--cpus", "2", "--net", "null", "--",
             "--queues", "3")
    assert r.status == 2 and "l2fwd: --queues 3: one lcore per queue pair, and there are 2" \
        in r.text, r


@root
@pytest.mark.parametrize("machine", ["microvm,pcie=on", "microvm"], ids=["pci", "mmio"])
def test_l2fwd_two_queue_pairs_kvm(three_netns, machine):
    """Both ports with two queue pairs (multi_queue TAPs, QEMU queues=2,
    mq=on; virtio-pci or virtio-mmio), lcore i forwarding pair i both ways;
    ping and many UDP flows from a to b: both lcores forward."""
    app, a, b = three_netns
    for side in ("a", "b"):
        sh("ip", "-n", app, "tuntap", "add", "dev", f"q{side}0", "mode", "tap", "multi_queue")
    nets = [{"kind": "tap", "arg": f"q{side}0"} for side in ("a", "b")]
    cmd = nfos_cli.qemu_command(build("l2fwd", "kvm", smp=True), 64 << 20, machine, accel(),
                                "nfos.verbose=1 -- --time 30", nets, cpus=2)
    # NFOS_VMM=nfvm: nfvm's (two vCPUs, queues=2 on virtio-mmio), PCIe skipped.
    proc = subprocess.Popen(["ip", "netns", "exec", app] + vm_command(cmd),
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out = read_until(proc, "lcore i on queue pair i")
        for side, ns, ip in (("a", a, PEER_A), ("b", b, PEER_B)):
            sh("ip", "-n", app, "link", "set", f"q{side}0", "netns", ns)
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", f"q{side}0")
            sh("ip", "-n", ns, "link", "set", f"q{side}0", "up")
        ping = subprocess.run(["ip", "netns", "exec", a, "ping", "-c", "3", "-W", "10", PEER_B],
                              capture_output=True, text=True, timeout=120)
        udp_flows(a, PEER_B)
        rest, err = proc.communicate(timeout=150)
        out += rest.decode() + err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert ping.returncode == 0 and " 0% packet loss" in ping.stdout, (ping.stdout, out)
    for port in ("vnet0", "vnet1"):
        assert f"virtio-net: {port}: 2 queue pairs" in out, out
    assert lcore_rx(out, 0) >= 1 and lcore_rx(out, 1) >= 1, out
    assert lcore_rx(out, 0) + lcore_rx(out, 1) >= 6 + 32, out
    # The driver's own per-queue counters: each pair received on some port.
    queues = {(int(p), int(q)): int(rx) for p, q, rx in re.findall(
        r"^l2fwd: port (\d) queue pair (\d): rx (\d+) pkts", out, re.M)}
    assert len(queues) == 4 and all(queues[0, q] + queues[1, q] for q in (0, 1)), out
    assert sum(queues.values()) == lcore_rx(out, 0) + lcore_rx(out, 1), out
    assert re.search(r"^l2fwd: lcore 1 rx \d+ pkts .* \| queue pair 1$", out, re.M), out
    assert "balanced" in out and "NOT balanced" not in out, out


@pytest.fixture
def netns():
    name = f"nfos-mq-{uuid.uuid4().hex[:6]}"
    sh("ip", "netns", "add", name)
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=30)


SOURCES = 16  # host addresses that ping pong: flows on both queues (1 in 2^15 they are not)
FLOWS = 32  # UDP source ports (flows) from one of them
PONG_IP = "10.214.0.100"
# The sources' last bytes and the flows' ports: not runs in a row. Toeplitz
# is linear (XOR), so addresses or ports in a row split exactly in half
# over two queues whatever the key or the table's order, and the RSS
# count check below could not tell a wrong steering from the right one.
HOSTS = [1 + 7 * i * i % 97 for i in range(SOURCES)]
PORTS = [40000 + 7 * i * i for i in range(FLOWS)]
# The Toeplitz key nfos's virtio-net programs (drivers/virtio-net: Microsoft's
# RSS example key; toeplitz() below checks itself against Microsoft's vectors).
RSS_KEY = bytes.fromhex("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c"
                        "6a42b873beac01fa")


def toeplitz(data, key=RSS_KEY):
    """The RSS (Toeplitz) hash of data: for each set bit i of data, the key's
    32 bits from bit i, XORed."""
    k, bits, h = int.from_bytes(key, "big"), len(key) * 8, 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (bits - 32 - i)) & 0xffffffff
    return h


def rss_queue(src, dst, ports=None):
    """The queue pair of a frame under nfos's RSS over 2 pairs: the table's
    entry hash % 128 holds (hash % 128) % 2, so the hash's low bit. ICMP is
    hashed on the addresses (IPv4), UDP on addresses and ports (UDPv4)."""
    data = socket.inet_aton(src) + socket.inet_aton(dst)
    if ports:
        data += struct.pack(">HH", *ports)
    return toeplitz(data) & 1


def test_toeplitz_matches_microsofts_vectors():
    src, dst = socket.inet_aton("66.9.149.187"), socket.inet_aton("161.142.100.80")
    assert toeplitz(src + dst) == 0x323e8fc2
    assert toeplitz(src + dst + struct.pack(">HH", 2794, 1766)) == 0x51ccc178


def pong_cmd(ns, rss):
    """pong on two vCPUs with a multi_queue TAP through `nfos run`, with
    (rss) the virtio-net device asked for RSS: --net tap:IF,rss (QEMU's
    rss=on, which steers in software here, without its eBPF program; under
    NFOS_VMM=nfvm, nfvm's tap:IF,rss)."""
    run = ["run", "pong", "--cpus", "2", "--net", "tap:mq0" + (",rss" if rss else ""), "--ip",
           f"{PONG_IP}/24", "--param", "nfos.verbose=1", "--", "--time", "20"]
    if nfvm_switch.wanted():  # --vmm nfvm, as conftest.nfos() gives it
        run = nfvm_switch.served_or_skip(nfvm_switch.nfos_run_argv, run)
    return ["ip", "netns", "exec", ns, os.path.join(nfos_cli.ROOT, "nfos")] + run


@root
@pytest.mark.parametrize("rss", [False, True], ids=["tap steering", "rss"])
def test_pong_two_queue_pairs_kvm(netns, rss):
    """pong --cpus 2 on a multi_queue TAP: both lcores answer pings from
    many sources and receive many UDP flows, the TAP steering flows, or
    the device's RSS as nfos programmed it: then each lcore's rx count is
    exactly what the Toeplitz hash predicts (non-IPv4 frames, ARP and the
    host's IPv6, go to pair 0 unhashed)."""
    sh("ip", "-n", netns, "tuntap", "add", "dev", "mq0", "mode", "tap", "multi_queue")
    for i in HOSTS:
        sh("ip", "-n", netns, "addr", "add", f"10.214.0.{i}/24", "dev", "mq0")
    sh("ip", "-n", netns, "link", "set", "mq0", "up")
    proc = subprocess.Popen(pong_cmd(netns, rss), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ports = PORTS
    try:
        out = read_until(proc, "lcore i on queue pair i")
        # All sources at once: one after the other they took longer than
        # pong's --time in the nested VM (its last five unanswered).
        pings = [subprocess.Popen(["ip", "netns", "exec", netns, "ping", "-c", "1", "-W", "10",
                                   "-I", f"10.214.0.{i}", PONG_IP], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for i in HOSTS]
        lost = [i for i, p in enumerate(pings, 1) if p.wait(timeout=60)]
        udp_flows(netns, PONG_IP, ports, src=f"10.214.0.{HOSTS[0]}")
        # Not a signal: QEMU would end without the guest's report.
        rest, err = proc.communicate(timeout=150)
        out += rest.decode() + err.decode()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not lost, (lost, out)
    steering = "RSS" if rss else "the backend picks each frame's queue (no RSS)"
    assert f"virtio-net: vnet0: 2 queue pairs, {steering}\n" in out, out
    lcores = {int(l): (int(rx), int(tx)) for l, rx, tx in re.findall(
        r"^pong: lcore (\d) rx (\d+) pkts tx (\d+) pkts \| queue pair \1$", out, re.M)}
    assert len(lcores) == 2 and all(tx for _, tx in lcores.values()), out
    assert sum(tx for _, tx in lcores.values()) >= SOURCES, out
    assert f"{SOURCES} echo replies" in out, out
    assert all(rx for rx, _ in lcores.values()), out  # the UDP flows too: on both queues
    if rss:
        on_1 = sum(rss_queue(f"10.214.0.{i}", PONG_IP) for i in HOSTS)
        on_1 += sum(rss_queue(f"10.214.0.{HOSTS[0]}", PONG_IP, (p, 9)) for p in ports)
        assert on_1 == 28  # of 48: a table in the other order would give 20
        assert lcores[1][0] == on_1, (on_1, out)
        assert lcores[0][0] >= SOURCES + FLOWS - on_1, (on_1, out)


@root
def test_nfos_run_tap_not_multi_queue(netns):
    """A TAP made without multi_queue: nfos run says so, QEMU gets one
    queue, and l2fwd on two lcores says the ports have no multiqueue."""
    sh("ip", "-n", netns, "tuntap", "add", "dev", "sq0", "mode", "tap")
    r = subprocess.run(["ip", "netns", "exec", netns] + nfos_argv(
        "run", "l2fwd", "--cpus", "2", "--net", "tap:sq0", "--", "--time", "1"),
        capture_output=True, text=True, timeout=150, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r
    # nfvm opens the TAP itself and says so in its words (vmm/vnet.c).
    said = ("nfvm: --net tap:sq0 is not multi_queue: one queue pair for 2 (" if
            nfvm_switch.wanted() else
            "nfos: --net tap:sq0 is not multi_queue: one queue pair for 2 vCPUs")
    assert said in r.stderr, r
    assert "l2fwd: the ports offer 1 queue pair for 2 lcores (no multiqueue)" in r.stdout, r
