"""The storm of every kind (stormframes.py: truncated Ethernet (runts of
14 to 59 bytes: a packet socket cannot send fewer than 14), VLAN tags,
ARP of every opcode and size, IPv4 with every bad header field, fragments
whole, overlapping, oversized and endless, ICMP of every type, UDP to every
port, memcached datagrams of every malformed shape) into pong and kvstore
through a TAP, linuxu and kvm. Afterwards each still answers right, and
its counters are exactly what the sender's model of it says for the frames
it sent: every parse counter, every reason not to answer, every reply, the
requests and the reassembly counters.

Frames: NFOS_STORM_FRAMES, default 1,000,000 on linuxu and kvm alike. On
this machine (no /dev/kvm, so QEMU TCG; 2 cores shared) the sending took
6-65 s on linuxu and 11-95 s into a TCG guest, by the machine's load, each
kvm test at most about 2.5 minutes; the sender keeps the TAP's queue short, so the app
receives every frame at its own pace. Needs root (skipped otherwise)."""

import json
import os
import re
import subprocess

import pytest

import nfvm_switch
from conftest import accel, assert_pools_balanced, build, nfos_cli, vm_command, vm_status
from test_packets import Netns, stop, wait_line, PY

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

SEND = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stormsend.py")
APP_IP = "10.11.0.2"
KVM_MAC = "02:00:00:00:01:02"
BACKSTOP = 900  # seconds a kvm guest runs at most
SEED = 11


def frames():
    return int(os.environ.get("NFOS_STORM_FRAMES", 1_000_000))


@pytest.fixture
def ns():
    n = Netns(f"nfos-s{os.getpid()}")
    try:
        n.tap("tap0")  # no address: the kernel sends nothing of its own
        n.run("ip", "link", "set", "tap0", "txqueuelen", "1000")
        yield n
    finally:
        n.remove()


def send(ns, app, count, pad, mac=None):
    argv = [PY, SEND, "tap0" if mac is None else "-", app, APP_IP, str(count), str(SEED),
            str(pad)] + ([mac] if mac else [])
    r = subprocess.run(["ip", "netns", "exec", ns.name] + argv if mac is None else argv,
                       capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stdout + r.stderr
    return json.loads(r.stdout)


def report(name, out):
    """The app's exit report as stormframes' keys."""
    n = lambda pat: [int(x) for x in re.search(pat, out).groups()]  # noqa: E731
    got = {}
    got["reply:arp"], got["reply:echo"], got["ignored"] = n(
        rf"{name}: port 0: (\d+) ARP replies, (\d+) echo replies, (\d+) frames not answered")
    line = re.search(rf"{name}: port 0 not answered:(.*)", out)[1]
    got.update({"na:" + k: int(v) for k, v in re.findall(r" (\w+) (\d+)", line)})
    line = re.search(rf"{name}: port 0 parsed:(.*)", out)[1]
    got.update({"kind:" + k: int(v) for k, v in re.findall(r" (\w+) (\d+)", line)})
    got.update({"src:" + k: int(v) for k, v in
                re.findall(rf"{name}: port 0 refused \((\w+)\): (\d+)", out)})
    got.update({"err:" + k: int(v) for k, v in
                re.findall(rf"{name}: port 0 dropped malformed \((\w+)\): (\d+)", out)})
    got["rx"], got["tx"], got["drops"] = n(
        rf"{name}: total rx (\d+) pkts .* tx (\d+) pkts .* drops (\d+)")
    got["dev_rx"], got["dev_rx_errors"], got["dev_rx_drops"] = n(
        rf"{name}: port 0 \S+: rx (\d+) pkts \d+ bytes (\d+) errors (\d+) drops")
    if name == "kvstore":
        kv_report(out, got, n)
    return got


def kv_report(out, got, n):
    (got["kv:requests"], got["kv:get"], got["kv:hits"], got["kv:set"]) = n(
        r"kvstore: requests (\d+) \| get (\d+) \(hits (\d+)\) \| set (\d+)")
    (got["kv:bad_header"], got["kv:multi_datagram"], got["kv:truncated"],
     got["kv:reply_overflow"]) = n(r"kvstore: dropped: bad header (\d+), multi-datagram (\d+), "
                                   r"truncated (\d+), reply overflow (\d+)")
    f = n(r"IP fragments (\d+): (\d+) datagrams reassembled \((\d+) requests\), (\d+) repeats "
          r"ignored, (\d+) bad; datagrams given up: (\d+) overlapping, too long or "
          r"inconsistent, (\d+) timed out, (\d+) evicted, (\d+) over their "
          r"source's share")
    for i, k in enumerate(("fragments", "reassembled", "replies", "duplicates", "bad",
                           "dropped")):
        got["kv:frag_" + k] = f[i]
    got["kv:frag_lost"] = f[6] + f[7] + f[8]


def check(name, sent, out):
    """Every counter of the report against the sender's tally."""
    got = report(name, out)
    exp = sent["expect"]
    want = {k: exp.get(k, 0) for k in got
            if k.split(":")[0] in ("kind", "err", "reply", "kv", "na", "src")}
    want.update({k: exp[k] for k in exp if k.split(":")[0] in ("kind", "err", "reply", "kv",
                                                                "src")})
    # "frames not answered" counts the malformed ones too
    want.update(ignored=sum(v for k, v in exp.items() if k.startswith(("na:", "err:", "src:"))),
                rx=sent["sent"], dev_rx=sent["sent"], tx=exp["tx"], drops=0, dev_rx_errors=0,
                dev_rx_drops=0)
    if name == "kvstore":
        want["kv:reply_overflow"] = 0
    if re.search(r"kicked unasked: \d+ times", out):
        # The device stopped short without asking for a kick (QEMU < 9.0,
        # virtio_net.c vnet_tx_stalled): the ring stood full a millisecond
        # before the driver kicked anyway, and that millisecond's replies
        # are counted drops, not lost ones (seen in CI: 3).
        assert got["drops"] <= 1000, out
        want.update(tx=want["tx"] - got["drops"], drops=got["drops"])
    got = {k: got.get(k, 0) for k in want}
    assert sent["tx_dropped"] == 0 and sent["left_in_queue"] == 0, sent
    assert all(sent["alive"].values()), sent["alive"]
    print(f"{name}: {sent['storm']} frames sent in {sent['seconds']} s")
    assert got == want, out
    assert_pools_balanced(out)
    assert set(sent["kinds"]) >= KINDS, sorted(KINDS - set(sent["kinds"]))


KINDS = {"eth_runt", "eth_type", "vlan_trunc", "vlan_single", "vlan_double", "vlan_qinq",
         "arp_op", "arp_size", "arp_field", "arp_target", "ipv4_version", "ipv4_ihl_small",
         "ipv4_ihl_large", "ipv4_options", "ipv4_len_short", "ipv4_len_long", "ipv4_csum",
         "ipv4_ttl0", "ipv4_proto", "ipv4_trunc", "icmp_type", "icmp_trunc", "icmp_csum",
         "icmp_source", "icmp_dest", "icmp_echo", "udp_port", "udp_len_short", "udp_len_long",
         "udp_csum", "udp_csum_none", "udp_trunc", "udp_dest", "mc_short", "mc_multi",
         "mc_get_hit", "mc_set", "mc_get_miss", "mc_no_line", "mc_error", "frag_whole",
         "frag_dup", "frag_overlap", "frag_end_mismatch", "frag_oversized", "frag_endless",
         "frag_bad", "frag_too_many", "frag_not_ours", "frag_not_request", "frag_bad_csum"}


# The first line after the port is up (the next may sit in a pipe buffer behind it).
READY = {"pong": r"pong: port 0 .* answers for", "kvstore": r"kvstore: port 0 .* serves"}


@pytest.mark.parametrize("app", ["pong", "kvstore"])
def test_storm_linuxu(ns, app):
    proc = ns.popen(build(app, "linuxu"), "netdev.dev=tap:tap0", f"netdev.ip={APP_IP}/24")
    try:
        wait_line(proc, READY[app])
        sent = send(ns, app, frames(), 0)
    finally:
        out, err = stop(proc)
    assert proc.returncode == 0, out + err
    check(app, sent, out)


def qemu(ns, app, count):
    """The app under QEMU on tap0, told to stop after count answers
    (pong) or requests (kvstore): kvm has no stop signal."""
    nets = [{"kind": "tap", "arg": "tap0", "mac": KVM_MAC}]
    params = nfos_cli.net_params(nets, [f"{APP_IP}/24"], [], "kvm")
    args = ["--count", str(count), "--time", str(BACKSTOP)]  # a report even if it never gets there
    if app == "kvstore":
        args += ["--epoch", "1700000000"]
    cmd = nfos_cli.qemu_command(build(app, "kvm"), 128 << 20, nfvm_switch.mmio("microvm,pcie=on"),
                                accel(), nfos_cli.guest_cmdline(params, args), nets)
    # NFOS_VMM=nfvm: nfvm's, with KVM_MAC (nfvm --net ...,mac=), on virtio-mmio.
    return ns.popen(*vm_command(cmd))


@pytest.mark.parametrize("app", ["pong", "kvstore"])
def test_storm_kvm(ns, app):
    n = frames()
    # What the run will count, so that the guest knows when to stop and report.
    dry = send(ns, app, n, 0, KVM_MAC)["expect"]
    proc = qemu(ns, app, dry["tx"] if app == "pong" else dry["kv:requests"])
    try:
        wait_line(proc, READY[app], timeout=180)
        sent = send(ns, app, n, 0)
        out, err = proc.communicate(timeout=BACKSTOP + 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            out, err = proc.communicate()
    assert sent["expect"] == dry, "the dry run's tally differs from the run's"
    assert vm_status(proc.returncode) == 0, out + err
    check(app, sent, out)
