"""Device discovery end to end: the pci bus (ECAM, bridges, BARs), the
virtio-pci and virtio-mmio transports and the virtio-net driver, on
microvm with PCIe, plain microvm (mmio) and q35. Each boot runs devtest,
which starts every port it finds and asks QEMU's user network for its
gateway by ARP, so frames go both ways without root or a TAP. Every boot
has a timeout (conftest.BOOT_TIMEOUT)."""

import re

import pytest

import nfvm_switch
from conftest import assert_pools_balanced, boot, build

# Modern-only virtio-net-pci without option ROM or MSI-X vectors, as
# `./nfos run --net` starts it; and QEMU's user network behind it.
PCI_NET = "virtio-net-pci,netdev=n{i},disable-legacy=on,romfile=,vectors=0"
MMIO_NET = "virtio-net-device,netdev=n{i}"
MODERN_MMIO = ["-global", "virtio-mmio.force-legacy=false"]
VERBOSE = ["nfos.verbose=1"]


@pytest.fixture(scope="module")
def devtest():
    return build("devtest", "kvm")


def user_nets(n):
    out = []
    for i in range(n):
        out += ["-netdev", f"user,id=n{i}"]
    return out


def check_port(r, port, transport, bdf_or_base=None):
    """Feature negotiation logged, the port registered and its ARP answered."""
    name = rf"virtio-{transport} {re.escape(bdf_or_base)}" if transport == "pci" else \
        rf"virtio-mmio@{re.escape(bdf_or_base)}"
    accepted = re.search(rf"^virtio: {name}: features accepted: (.*)$", r.out, re.M)
    assert accepted and "VERSION_1" in accepted.group(1), r
    assert re.search(rf"^virtio: {name}: bound to virtio-net$", r.out, re.M), r
    assert re.search(rf"^netdev: port {port}: vnet{port}, mac ", r.out, re.M), r
    assert re.search(rf"^devtest: port {port}: ARP reply from 10\.0\.2\.2 at 52:55:0a:00:02:02",
                     r.out, re.M), r
    assert_pools_balanced(r)  # every rx buffer in a ring or home, none lost


# --- pci --------------------------------------------------------------------

def test_pci_microvm(devtest):
    """qboot assigns no BAR on microvm,pcie=on and there is no MCFG: nfos
    finds QEMU's GPEX at its fixed ECAM and assigns the BARs itself."""
    r = boot(devtest, machine="microvm,pcie=on", params=VERBOSE,
             extra=user_nets(1) + ["-device", PCI_NET.format(i=0)])
    assert r.status == 0, r
    assert "pci: config space: ECAM at 0xe0000000 (QEMU microvm's fixed address" in r.out, r
    assert "pci: BARs assigned by nfos in 0xc0000000-0xdfffffff" in r.out, r
    assert "bus: pci 0000:00:00.0 1b36:0008: no driver" in r.out, r
    assert "bus: pci 0000:00:01.0 1af4:1041: virtio-pci" in r.out, r
    check_port(r, 0, "pci", "0000:00:01.0")


def test_pci_bridges_and_transitional(devtest):
    """Behind a PCIe root port and a PCI-PCI bridge, which nobody numbered:
    nfos numbers the buses, opens the bridge windows and finds both
    devices; the second is a transitional 1af4:1000, used through its
    modern capabilities. BARs listed with nfos.verbose=2."""
    r = boot(devtest, machine="microvm,pcie=on", params=["nfos.verbose=2"],
             extra=user_nets(2) + [
                 "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=1,addr=2",
                 "-device", PCI_NET.format(i=0) + ",bus=rp1,mac=02:00:00:00:00:01",
                 "-device", "pci-bridge,id=pb,bus=pcie.0,chassis_nr=2,addr=3",
                 "-device", "virtio-net-pci,netdev=n1,romfile=,bus=pb,addr=5,"
                            "mac=02:00:00:00:00:02"])
    assert r.status == 0, r
    assert "bus: pci 0000:01:00.0 1af4:1041: virtio-pci" in r.out, r
    assert "bus: pci 0000:02:05.0 1af4:1000: virtio-pci" in r.out, r
    assert re.search(r"^pci: 0000:02:05\.0 1af4:1000 class 02\.00\.00 BAR0 io 0x0\+0x20 "
                     r"BAR1 mem32 0xc0\w+\+0x1000 BAR4 mem64-pref 0xc0\w+\+0x4000$", r.out, re.M), r
    check_port(r, 0, "pci", "0000:01:00.0")
    check_port(r, 1, "pci", "0000:02:05.0")
    assert re.search(r"^devtest: port 1 vnet1 driver virtio-net mac 02:00:00:00:00:02$",
                     r.out, re.M), r


def test_pci_legacy_only_is_refused(devtest):
    r = boot(devtest, machine="microvm,pcie=on", params=VERBOSE,
             extra=user_nets(1) + ["-device", "virtio-net-pci,netdev=n0,romfile=,disable-modern=on"])
    assert r.status == 2, r  # devtest: no port
    assert "virtio-pci: 0000:00:01.0 1af4:1000: legacy-only (no usable virtio 1.x " \
           "capabilities), not used" in r.out, r
    assert "devtest: 0 network port(s)" in r.out, r


def test_pci_q35(devtest):
    """q35 (SeaBIOS, slow at CPL0: sparingly): ECAM from MCFG at 0xb0000000,
    outside the boot map (with 4 GiB of RAM, q35 ends low RAM at 2 GiB, so
    nothing maps 2..3 GiB but nfos's own directory), and the firmware's BARs
    kept."""
    r = boot(devtest, machine="q35", mem="4G", params=VERBOSE,
             extra=user_nets(1) + ["-device", PCI_NET.format(i=0)])
    assert r.status == 0, r
    assert "pci: config space: ECAM at 0xb0000000 (ACPI MCFG, buses 0-255)" in r.out, r
    assert "pci: BARs as the firmware assigned them" in r.out, r
    assert "bus: pci 0000:00:00.0 8086:29c0: no driver" in r.out, r
    check_port(r, 0, "pci", "0000:00:01.0")


def test_pci_q35_bars_above_4g(devtest):
    """A 1 GiB BAR makes SeaBIOS put every 64-bit BAR above 4 GiB, where the
    boot map does not reach: nfos assigns them again below 4 GiB (the 1 GiB
    one does not fit in q35's window and is reported) and virtio-net works."""
    r = boot(devtest, machine="q35", params=["nfos.verbose=2"],
             extra=["-object", "memory-backend-ram,id=hm,size=1G",
                    "-device", "ivshmem-plain,memdev=hm,addr=2"] + user_nets(1) +
                   ["-device", PCI_NET.format(i=0) + ",addr=3"])
    assert r.status == 0, r
    assert re.search(r"^pci: 0000:00:03\.0 1af4:1041 BAR4 \(0x4000 bytes\): at 0x1\w{8}, "
                     r"above 4 GiB$", r.out, re.M), r
    assert "pci: window 0xc0000000-0xfebfffff too small: some BARs left unassigned" in r.out, r
    assert re.search(r"^pci: 0000:00:03\.0 1af4:1041 .*BAR4 mem64-pref 0x[c-f]\w{7}\+0x4000$",
                     r.out, re.M), r
    check_port(r, 0, "pci", "0000:00:03.0")


# --- mmio -------------------------------------------------------------------

def test_mmio_microvm(devtest):
    """With ACPI (QEMU's default) QEMU names no device on the command line:
    nfos probes microvm's 24 transports, highest first, so that ports come
    in the order of the -device options."""
    r = boot(devtest, machine="microvm", params=VERBOSE,
             extra=user_nets(2) + MODERN_MMIO + [
                 "-device", MMIO_NET.format(i=0) + ",mac=02:00:00:00:00:01",
                 "-device", MMIO_NET.format(i=1) + ",mac=02:00:00:00:00:02"])
    assert r.status == 0, r
    assert "virtio-mmio: 2 device(s) (QEMU microvm layout)" in r.out, r
    check_port(r, 0, "mmio", "0xfeb02e00")
    check_port(r, 1, "mmio", "0xfeb02c00")
    assert "devtest: port 0 vnet0 driver virtio-net mac 02:00:00:00:00:01" in r.out, r
    assert "devtest: port 1 vnet1 driver virtio-net mac 02:00:00:00:00:02" in r.out, r


def test_mmio_acpi_off(devtest):
    """acpi=off: QEMU appends virtio_mmio.device=512@0xfeb00e00:12 and
    512@0xfeb00c00:11; nfos sees the last key only, which is enough to know
    the layout and probe it."""
    r = boot(devtest, machine="microvm,acpi=off", params=VERBOSE,
             extra=user_nets(2) + MODERN_MMIO + [
                 "-device", MMIO_NET.format(i=0), "-device", MMIO_NET.format(i=1)])
    assert r.status == 0, r
    assert "virtio-mmio: 2 device(s) (command line, QEMU microvm layout)" in r.out, r
    check_port(r, 0, "mmio", "0xfeb00e00")
    check_port(r, 1, "mmio", "0xfeb00c00")


def test_mmio_named_on_the_command_line(devtest):
    r = boot(devtest, machine="microvm,acpi=off,auto-kernel-cmdline=off",
             params=VERBOSE + ["virtio_mmio.device=512@0xfeb00e00:12"],
             extra=user_nets(1) + MODERN_MMIO + ["-device", MMIO_NET.format(i=0)])
    assert r.status == 0, r
    check_port(r, 0, "mmio", "0xfeb00e00")


@pytest.mark.parametrize("param,message", [
    ("virtio_mmio.device=512@zz:1",
     "virtio-mmio: virtio_mmio.device=512@zz:1: expected SIZE@BASE:IRQ"),
    ("virtio_mmio.device1=4K@0xfeb01000:6",
     "virtio-mmio: virtio_mmio.device1=4K@0xfeb01000:6: empty transport (device id 0)"),
    ("virtio_mmio.device=4K@0xd0000000:5",
     "virtio-mmio: virtio_mmio.device=4K@0xd0000000:5: no virtio-mmio device at 0xd0000000"),
], ids=["malformed", "empty-transport", "nothing-there"])
def test_mmio_named_device_must_exist(devtest, param, message):
    if "empty transport" in message:  # nfvm has a transport per --net only: nothing there
        nfvm_switch.qemu_only("microvm's empty virtio-mmio transports")
    r = boot(devtest, machine="microvm", params=[param])
    assert r.status == 2 and message in r.text, r


def test_mmio_legacy_is_refused(devtest):
    """QEMU's virtio-mmio is legacy (version 1) unless told otherwise."""
    r = boot(devtest, machine="microvm", params=VERBOSE,
             extra=user_nets(1) + ["-device", MMIO_NET.format(i=0)])
    assert r.status == 2, r
    assert "virtio-mmio: virtio-mmio@0xfeb02e00: legacy (version 1) device id 1, not used; " \
           "QEMU needs -global virtio-mmio.force-legacy=false" in r.out, r


def test_no_devices(devtest):
    r = boot(devtest, machine="microvm", params=VERBOSE)
    assert r.status == 2, r
    assert "pci: no PCI host" in r.out, r
    assert "devtest: 0 network port(s)" in r.out, r
