"""lib/dpdk/pmd: net_nfos, a DPDK ethdev over each nfos port with mbufs that
are netbufs, proved by DPDK's own examples/l2fwd and app/test-pmd
(io forwarding), unmodified, as kvm images
(KVM, or TCG here) on virtio-net-pci: frames sent into one TAP come
out of the other byte for byte (--no-mac-updating), and l2fwd's own port
statistics count each of them once each way. On one lcore it polls both
ports; on two, one port each, so buffers received on one lcore are freed
on the other (the nfos pool's per-lcore caches behind DPDK's).

Skipped only when Debian's DPDK source cannot be fetched (mk/dpdk.sh says
so); any other build failure fails."""

import json
import os
import re

import pytest

import nfvm_switch
from conftest import accel, dpdk_build, nfos_cli, vm_command
from test_packets import PKTIO, PY, Netns, wait_line

FRAMES = 200  # TCG: a few hundred frames prove the path, not the speed
# l2fwd's pool is 8192 mbufs (2.4 KiB each): EAL memory and guest RAM for it.
EAL_MEM_MB, GUEST_MEM = 64, 160 << 20


@pytest.fixture(scope="module")
def l2fwd():
    return dpdk_build("dpdk-l2fwd")


@pytest.fixture(scope="module")
def testpmd():
    return dpdk_build("dpdk-testpmd")


@pytest.fixture
def ns():
    n = Netns(f"nfos-dp{os.getpid()}")
    try:
        yield n
    finally:
        n.remove()


def boot(ns, image, taps, args, cpus):
    # The taps are not multi_queue: one queue pair each (QEMU cannot open
    # them with queues=N).
    nets = [{"kind": "tap", "arg": t, "queues": 1} for t in taps]
    params = nfos_cli.net_params(nets, [], [], "kvm")
    # NFOS_VMM=nfvm: nfvm's, on virtio-mmio (nfvm_switch.mmio).
    cmd = nfos_cli.qemu_command(image, GUEST_MEM, nfvm_switch.mmio("microvm,pcie=on"), accel(),
                                nfos_cli.guest_cmdline(params, list(args)), nets, cpus)
    return ns.popen(*vm_command(cmd))


def roundtrip(ns, proc, ready, seed, done):
    """Once proc prints ready, FRAMES frames tap0 -> tap1 (pktio, seed) must
    all come back unaltered; then proc's lines matching each of done in
    turn. Returns the lines waited for and all of proc's output."""
    try:
        lines = wait_line(proc, ready, timeout=300)
        r = ns.run(PY, PKTIO, "roundtrip", "tap0", "tap1", str(FRAMES), str(seed), timeout=300)
        res = json.loads(r.stdout)
        for pattern in done:
            lines += wait_line(proc, pattern, timeout=120)
    finally:
        proc.kill()
        out, err = proc.communicate()
    text = "".join(lines) + out
    assert res == {"sent": FRAMES, "matched": FRAMES, "missing": 0, "altered_or_dup": 0}, \
        (res, text[-3000:], err)
    return lines, text


@pytest.mark.parametrize("cpus", [1, 2])
def test_l2fwd_forwards_byte_for_byte_kvm(l2fwd, ns, cpus):
    ns.tap("tap0")
    ns.tap("tap1")
    # -q: ports per lcore, so that the lcores share the two ports out.
    proc = boot(ns, l2fwd, ["tap0", "tap1"],
                ["-m", str(EAL_MEM_MB), "--", "-p", "0x3", "-q", str(3 - cpus),
                 "--no-mac-updating", "-T", "1"], cpus)
    # l2fwd prints its port statistics every second: wait for the count.
    lines, text = roundtrip(ns, proc, r"L2FWD: entering main loop", 5,
                            [rf"Total packets received:\s+{FRAMES}\b", r"Total packets dropped:"])
    # Every nfos port is an ethdev, named for its port.
    assert "net_nfos: net_nfos0: nfos port 0" in text and "net_nfos1: nfos port 1" in text, text
    assert f"Lcore {cpus - 1}: RX port 1" in text, text
    # The block read up to its last line, not one the kill cut short.
    waited = "".join(lines)
    stats = waited[waited.rindex("Port statistics"):]
    assert re.search(rf"Total packets sent:\s+{FRAMES}\b", stats), stats
    assert re.search(r"Total packets dropped:\s+0\b", stats), stats


def test_testpmd_io_forwards_byte_for_byte_kvm(testpmd, ns):
    """A main lcore and a forwarding one; --stats-period keeps testpmd off
    the console's stdin; its pool sized for a small guest."""
    ns.tap("tap0")
    ns.tap("tap1")
    proc = boot(ns, testpmd, ["tap0", "tap1"],
                ["-m", str(EAL_MEM_MB), "--", "--auto-start", "--forward-mode=io",
                 "--stats-period", "1", "--no-mlockall", "--total-num-mbufs=8192"], 2)
    _, text = roundtrip(ns, proc, r"NIC statistics for port 1", 6, [rf"TX-packets: {FRAMES}\b"])
    assert "preferred mempool ops selected: nfos" in text, text
    # Port 0's count in a statistics block (any: the kill may cut the last).
    assert re.search(rf"NIC statistics for port 0\s+#+\s+RX-packets: {FRAMES}\s+RX-missed: 0",
                     text), text[-3000:]
