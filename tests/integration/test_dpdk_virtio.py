"""lib/dpdk/bus_pci: DPDK's own net_virtio PMD drives the virtio-net PCI
devices of a kvm image (KVM, or TCG here) through DPDK's bus/pci over
nfos's PCI layer, with no nfos driver in between: dpdk-testpmd-virtio
(dpdk-testpmd, unmodified, in an image that hands DPDK every virtio-net
PCI function: LIBDPDK_BUS_PCI_OWN="all") io-forwards frames sent into one
TAP out of the other byte for byte, and its ports are net_virtio's, not
net_nfos's. Bad cases fail the EAL's bus scan or the
device's probe with one clear line (DPDK goes on without that device, as
on Linux): -a naming no function or one left to nfos's drivers, a dpdk.pci
word that is no address or names no function, a BAR that cannot be mapped
(a 512 MiB BAR fills the PCI window first).

Skipped only when Debian's DPDK source cannot be fetched (mk/dpdk.sh says
so); any other build failure fails."""

import os
import re
import subprocess

import pytest

from conftest import accel, dpdk_build, nfos_cli, vm_command
from tools import console
from test_dpdk_pmd import EAL_MEM_MB, FRAMES, GUEST_MEM, roundtrip
from test_packets import Netns

# microvm,pcie=on: the host bridge is 00:00.0, the --net devices follow.
PORTS = ("0000:00:01.0", "0000:00:02.0")
MACHINE = "microvm,pcie=on"
TESTPMD_ARGS = ["--", "--auto-start", "--forward-mode=io", "--stats-period", "1",
                "--no-mlockall", "--total-num-mbufs=8192"]
# No --stats-period: without ports testpmd then reads its console to its end
# (^D) and quits.
BAD_ARGS = ["--", "--auto-start", "--no-mlockall", "--total-num-mbufs=2048"]
BAD_TIMEOUT = 300


@pytest.fixture(scope="module")
def testpmd():
    return dpdk_build("dpdk-testpmd-virtio")


@pytest.fixture
def ns():
    n = Netns(f"nfos-dv{os.getpid()}")
    try:
        yield n
    finally:
        n.remove()


def command(image, nets, params, args, cpus=2, extra_devices=()):
    """QEMU's command line as `nfos run` makes it, with extra_devices (QEMU
    words) ahead of the --net devices, so that they take the first slots."""
    params = nfos_cli.net_params(nets, [], [], "kvm") + list(params)
    cmd = nfos_cli.qemu_command(image, GUEST_MEM, MACHINE, accel(),
                                nfos_cli.guest_cmdline(params, list(args)), nets, cpus)
    at = cmd.index("-netdev") if "-netdev" in cmd else cmd.index("-kernel")
    # NFOS_VMM=nfvm: QEMU only (DPDK's net_virtio drives PCI functions).
    return vm_command(cmd[:at] + list(extra_devices) + cmd[at:])


def test_testpmd_net_virtio_forwards_byte_for_byte(testpmd, ns):
    """The issue's command: ./nfos run dpdk-testpmd-virtio --net tap:tap0
    --net tap:tap1 -- -a ... -a ... -- --auto-start --forward-mode=io."""
    ns.tap("tap0")
    ns.tap("tap1")
    nets = [{"kind": "tap", "arg": t, "queues": 1} for t in ("tap0", "tap1")]
    args = ["-a", PORTS[0], "-a", PORTS[1], "-m", str(EAL_MEM_MB)] + TESTPMD_ARGS
    proc = ns.popen(*command(testpmd, nets, ["nfos.verbose=1"], args))
    _, text = roundtrip(ns, proc, r"NIC statistics for port 1", 8, [rf"TX-packets: {FRAMES}\b"])
    # nfos's bus hands both functions to DPDK, whose net_virtio takes them.
    for port in PORTS:
        assert re.search(rf"bus: pci {port} 1af4:1041: dpdk\b", text), text
        assert f"Probe PCI driver: net_virtio (1af4:1041) device: {port}" in text, text
    assert "nfos port 0" not in text, text  # net_nfos made no port
    # Port 0's count in a statistics block (any: the kill may cut the last).
    assert re.search(rf"NIC statistics for port 0\s+#+\s+RX-packets: {FRAMES}\s+RX-missed: 0",
                     text), text[-3000:]


def run_bad(image, params, args, extra_devices=()):
    nets = [{"kind": "user", "arg": "", "fwd": []}]
    # The serial console's input is ^D alone: testpmd reads end of input
    # and quits (QEMU's stdio on /dev/null would leave its read waiting).
    r = subprocess.run(command(image, nets, params, args + BAD_ARGS, 2, extra_devices),
                       capture_output=True, text=True, timeout=BAD_TIMEOUT,
                       input=console.EOF_MARK.decode())
    out = r.stdout + r.stderr
    assert "exception" not in out.lower() and "panic" not in out, out
    return r.returncode, out


@pytest.mark.parametrize("params, args, message", [
    ([], ["-a", "0000:00:09.0"],
     "-a 0000:00:09.0: no such PCI function (there are: 0000:00:00.0 1b36:0008, "
     "0000:00:01.0 1af4:1041)"),
    (["dpdk.pci=none"], ["-a", PORTS[0]],
     f"-a {PORTS[0]} 1af4:1041: left to nfos's drivers: hand it to DPDK with "
     f"dpdk.pci={PORTS[0]} (or dpdk.pci=all)"),
    (["dpdk.pci=00:01"], [], "dpdk.pci: '00:01' is not a PCI address"),
    (["dpdk.pci=0000:00:07.0"], [], "dpdk.pci 0000:00:07.0: no such PCI function"),
])
def test_bad_device_fails_the_scan(testpmd, params, args, message):
    """The pci bus scan fails with the reason (DPDK's EAL then goes on with
    the devices it has, as on Linux); no net_virtio port comes up."""
    _, out = run_bad(testpmd, params, args)
    assert message in out, out
    assert "Scan for (pci) bus failed." in out and "Probe PCI driver" not in out, out
    assert "Bye..." in out, out


def test_unmappable_bar_is_a_clear_probe_error(testpmd):
    """An ivshmem device with a 512 MiB BAR on slot 1 takes the whole PCI
    window nfos assigns in, so the virtio-net device (slot 2) keeps its
    BARs unassigned: net_virtio's probe fails on the map with the reason,
    and testpmd has no port."""
    ivshmem = ["-object", "memory-backend-memfd,id=ivm,size=512M,share=on",
               "-device", "ivshmem-plain,memdev=ivm,addr=0x1"]
    status, out = run_bad(testpmd, [], [], ivshmem)
    assert re.search(r"0000:00:02\.0: BAR\d \(mem64, 0x\w+ bytes\) cannot be mapped: "
                     r"unassigned \(no room in the PCI window", out), out
    assert "No probed ethernet devices" in out, out
