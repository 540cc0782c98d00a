"""bench/linuxvm, the Linux VM peer: its initramfs builds from Debian
packages, the VM boots (TCG here: Debian's kernel does not boot on PVM-based
KVM) and testpmd inside moves packets against a host testpmd backend, stops
and powers the VM off with its status; its own errors are one line and a
status. No figure is checked: benchmarks report, tests check behaviour.

A TCG boot of Debian's kernel to testpmd ready takes 12-25 s here (more on a
loaded host): each test that boots has a timeout and stops everything it
started (the linuxvm module kills QEMU and the backend in a finally)."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from bench.linuxvm import linuxvm
from conftest import ROOT

TIMEOUT = linuxvm.BOOT_TIMEOUT + 120  # boot, 1 s of packets, power-off; never hang


def cli(*argv, timeout=TIMEOUT):
    return subprocess.run([sys.executable, "-m", "bench.linuxvm.linuxvm"] + list(argv),
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=ROOT)


def dpdk_unusable():
    """Why the host backend (dpdk-testpmd, --no-huge) cannot run here, or None."""
    if not shutil.which("dpdk-testpmd"):
        return "dpdk-testpmd is missing (./nfos deps, or apt-get install dpdk-dev)"
    if (os.cpu_count() or 1) < 2:
        return "needs two cores (backend on 0, VM on 1)"
    prefix = f"nfos-linuxvm-probe-{os.getpid()}"
    r = subprocess.run(["dpdk-testpmd", "--no-huge", "-m", "64", "--no-pci", "-l", "0",
                        f"--file-prefix={prefix}", "--", "--help"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    if "Cannot init EAL" in r.stdout + r.stderr:
        return "DPDK's EAL does not start with --no-huge (a shared memfd) here"
    return None


@pytest.fixture(scope="module")
def image():
    r = cli("build", timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    for role in ("testpmd", "memcached"):
        m = re.search(rf"^{role}: \S+; image (\d+) bytes \(kernel (\d+) \+ initramfs (\d+)\)$",
                      r.stdout, re.M)
        assert m and int(m.group(1)) == int(m.group(2)) + int(m.group(3)), r.stdout
    return linuxvm.build()


def test_build_is_cached(image):
    """A second build finds the cache (no download, same files)."""
    again = linuxvm.build()
    assert again["cached"] and again["kernel"] == image["kernel"], again
    for r in image["roles"].values():
        assert os.path.getsize(r["initramfs"]) == r["initramfs_bytes"]
    assert image["image_bytes"] == image["roles"]["testpmd"]["image_bytes"]


def test_smoke():
    """Boots once (rxonly, 1 s) against a host txonly backend: testpmd is
    ready, receives, reports busy cycles, and the guest ends with status 0."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    r = cli("smoke")
    out = r.stdout
    assert r.returncode == 0, out + r.stderr
    assert re.search(r"^linuxvm: (tcg|kvm) \(.+\); image \d+ bytes", out, re.M), out
    m = re.search(r"^linuxvm: testpmd rxonly \[(tcg|kvm)\]: ready ([\d.]+) s after exec, "
                  r"rx (\d+) tx 0 pkts, ([\d.]+) Mpp/s .*, busy ([\d.]+) cycles/pkt "
                  r"\(rxonly packets, \d+ MHz\), status 0$", out, re.M)
    assert m and int(m.group(3)) > 0, out


def test_too_little_ram_for_hugepages():
    """More hugepages asked than the guest's RAM holds: one line, status 2
    (not a hang, not a crash)."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    r = linuxvm.run("rxonly", mem=256 << 20, seconds=1, params=["linuxvm.hugepages=200"])
    assert r["status"] == 2, r["lines"][-5:]
    assert any(re.fullmatch(r"linuxvm: only \d+ of 200 hugepages: too little guest RAM", l)
               for l in r["lines"]), r["lines"][-5:]
    assert r["ready_s"] is None


def test_kernel_out_of_memory_ends_the_vm():
    """With too little RAM for the kernel and initramfs, Linux panics or
    faults before init; the VM then ends (reboot=t, -no-reboot) with no
    status instead of hanging, and the summary says so."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    r = linuxvm.run("rxonly", mem=64 << 20, seconds=1)
    assert r["status"] == 125 and r["ready_s"] is None, r["lines"][-5:]
    assert "ended without a status (" in linuxvm.summary(r), linuxvm.summary(r)


@pytest.mark.parametrize("argv,said", [
    (["run", "nope"], "invalid choice"),
    (["--mem", "12Q", "smoke"], "bad size"),
    (["--accel", "xen", "build"], "invalid choice"),
    (["run", "memcached"], "memcached needs --tap IF and --ip ADDR/PREFIX"),
    (["run", "rxonly", "--seconds", "0"], "--seconds must be more than 0"),
])
def test_bad_command_lines(argv, said):
    r = cli(*argv, timeout=60)
    assert r.returncode == 2 and said in r.stderr, r


def test_qemu_command_refuses_bad_modes(image):
    with pytest.raises(linuxvm.Error, match="unknown mode 'bogus'"):
        linuxvm.qemu_command("bogus", sock="/nonexistent", image=image)
    with pytest.raises(linuxvm.Error, match="one of a vhost-user socket and a TAP"):
        linuxvm.qemu_command("rxonly", image=image)


CLIENT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
for i, body in enumerate((b"set k 0 0 1\r\nv\r\n", b"get k\r\n")):
    s.sendto(struct.pack(">HHHH", i, 0, 1, 0) + body, (sys.argv[1], 11211))
    sys.stdout.write(repr(s.recv(2048)) + "\n")
"""


def test_memcached_over_tap(image):
    """memcached mode: the kernel's virtio_net on an interrupt-driven NIC
    (vectors=0, INTx), the address from the kernel command line; a set and a
    get over UDP from a network namespace the test makes and removes."""
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        pytest.skip("needs root, /dev/net/tun and ip to make a TAP in a network namespace")
    ns, tap = f"nfoslvm{os.getpid()}", "lvm0"
    ip = lambda *a: subprocess.run(["ip", "netns", "exec", ns, "ip"] + list(a),  # noqa: E731
                                   check=True, capture_output=True, timeout=30)
    subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True, timeout=30)
    vm = None
    try:
        ip("tuntap", "add", "dev", tap, "mode", "tap")
        ip("link", "set", tap, "up")
        ip("addr", "add", "10.77.0.1/24", "dev", tap)
        cmd = linuxvm.qemu_command("memcached", tap=tap, ip="10.77.0.2/24", seconds=0,
                                   image=image)
        vm = linuxvm.Proc(["ip", "netns", "exec", ns] + cmd, linuxvm.VM_CORE)
        assert vm.wait_for(linuxvm.READY, linuxvm.BOOT_TIMEOUT) is not None, vm.tail()
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-c", CLIENT,
                            "10.77.0.2"], capture_output=True, text=True, timeout=60)
        assert r.stdout.splitlines() == [
            repr(b"\x00\x00\x00\x00\x00\x01\x00\x00STORED\r\n"),
            repr(b"\x00\x01\x00\x00\x00\x01\x00\x00VALUE k 0 1\r\nv\r\nEND\r\n")], r
    finally:
        if vm:
            vm.stop()
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def test_bench_pps_linux_vm_subject():
    """./nfos bench pps runs the linux-vm subject on request: one rx row with
    figures, labelled with the VM's accelerator, and its counts agree with
    the backend's."""
    why = dpdk_unusable()
    if why:
        pytest.skip(why)
    r = subprocess.run([os.path.join(ROOT, "nfos"), "bench", "pps", "--smoke", "--subjects",
                        "linux-vm", "--cases", "rx"], capture_output=True, text=True,
                       timeout=TIMEOUT + 120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    acc = linuxvm.accel()[0]
    assert re.search(rf"^  linux-vm: {acc} \(.+\), 512 MiB, image \d+ bytes", r.stdout, re.M), r
    figure = r"[\d.]+ \([\d.]+-[\d.]+\)"  # median (min-max)
    row = re.search(rf"^  rx +64 +linux-vm +(\w+) +{figure} +{figure} +\d/1 +(.*)$", r.stdout,
                    re.M)
    # The counts must agree with the backend's. Not checked: bytes per packet,
    # which bench pps takes from a periodic statistics line that a 1-vCPU
    # guest may print torn (its forwarding lcore preempted between the packet
    # and byte counters).
    assert row and row.group(1) == acc, r.stdout
    assert not re.search(r"sent|no \S+ counts", row.group(2)), row.group(0)


def test_modules_load_after_their_dependencies(image, tmp_path):
    """Each role's initramfs holds the modules its modes need and a list
    that puts every module after what its .modinfo says it depends on."""
    busybox = shutil.which("busybox")
    if not busybox:
        pytest.skip("busybox is missing (./nfos deps installs busybox-static)")
    for role, needed in (("testpmd", {"uio_pci_generic"}),
                         ("memcached", {"virtio_pci", "virtio_net"})):
        d = tmp_path / role
        d.mkdir()
        with open(image["roles"][role]["initramfs"], "rb") as f:
            r = subprocess.run(f"gzip -dc | {busybox} cpio -id 'etc/linuxvm/*' 'usr/lib/modules/*'",
                               shell=True, stdin=f, cwd=d, capture_output=True, timeout=60)
        assert r.returncode == 0, r
        order = [os.path.basename(l)[:-3] for l in
                 (d / "etc/linuxvm/modules").read_text().split()]
        assert needed <= set(order) and len(order) == len(set(order)), order
        for i, name in enumerate(order):
            ko = next(d.glob(f"usr/lib/modules/*/{name}.ko")).read_bytes()
            deps = linuxvm._build.modinfo_depends(ko)
            assert set(deps) <= set(order[:i]), (role, name, deps, order)
    with open(image["kernel"], "rb") as f:
        assert f.read(0x206)[0x202:0x206] == b"HdrS"  # a bzImage, as QEMU's -kernel wants


def test_cpio_archive_reads_back(tmp_path):
    """The newc writer: busybox cpio lists and extracts what was written,
    including a device node made without root, with the modes given."""
    busybox = shutil.which("busybox")
    if not busybox:
        pytest.skip("busybox is missing (./nfos deps installs busybox-static)")
    c = linuxvm._build.Cpio()
    c.file("/usr/bin/hello", b"#!/bin/sh\necho hi\n", 0o755)
    c.symlink("/bin/hi", "/usr/bin/hello")
    c.chardev("/dev/console", 5, 1)
    c.dir("/tmp")
    data = c.bytes()
    assert len(data) % 512 == 0
    r = subprocess.run([busybox, "cpio", "-tv"], input=data, capture_output=True, timeout=30)
    assert r.returncode == 0, r
    listing = r.stdout.decode()
    for mode, name in (("-rwxr-xr-x", "usr/bin/hello"), ("lrwxrwxrwx", "bin/hi -> /usr/bin/hello"),
                       ("crw-------", "dev/console"), ("drwxr-xr-x", "tmp")):
        assert re.search(rf"^{re.escape(mode)} .* {re.escape(name)}$", listing, re.M), listing
    r = subprocess.run([busybox, "cpio", "-id", "usr/bin/hello"], input=data, cwd=tmp_path,
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r
    assert (tmp_path / "usr/bin/hello").read_bytes() == b"#!/bin/sh\necho hi\n"


def test_parse_testpmd():
    """Totals from the accumulated statistics and --record-core-cycles, rates
    from the periodic lines (text as DPDK 22.11's testpmd prints it)."""
    lines = """\
  Rx-pps:            0          Rx-bps:            0
  Rx-pps:      1412469          Rx-bps:    677985352
  +++++++++++++++ Accumulated forward statistics for all ports+++++++++++++++
  RX-packets: 2264704        RX-dropped: 0             RX-total: 2264704
  TX-packets: 0              TX-dropped: 0             TX-total: 0
  ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++
  CPU cycles/packet=2175.31 (total cycles=4926427764 / total rxonly packets=2264704) \
at 2650 MHz Clock
""".splitlines()
    r = linuxvm.parse_testpmd(lines)
    assert r == {"rx_pps": [0, 1412469], "tx_pps": [], "rx": 2264704, "tx": 0, "drops": 0,
                 "busy": 2175.31, "busy_per": "rxonly packets", "tsc_mhz": 2650}, r
    assert linuxvm.parse_testpmd(["EAL: Error - exiting"]) == {"rx_pps": [], "tx_pps": []}
