"""DPDK's testpmd and l2fwd, unmodified, as kvm images forwarding through
vhost-user against host dpdk-testpmd (net_vhost), the way a user runs them:
`./nfos run dpdk-testpmd --net vhost-user:SOCK`. The image's port is
net_nfos over nfos's virtio-net (PCI under QEMU microvm,pcie=on). Host
testpmd sends bursts (txonly's frames, verbose) and counts what comes back:
testpmd io returns every frame as it came, macswap with its addresses
swapped, l2fwd (one port, paired with itself) with the destination it
writes (02:00:00:00:00:00 for port 0) and the port's own MAC as source.
Under KVM where /dev/kvm is usable, else under TCG (slow, same behaviour);
the nested VM runs them under KVM on a host without it (vmm/tests/
nested_suite.py --vmm qemu)."""

import re
import subprocess
import time
import uuid

import pytest

from conftest import dpdk_build, nfos_argv
from test_dpdk_linuxu import BURSTS, TIMEOUT, dumped
from test_vhost_user import Backend, Proc, needs_testpmd

# testpmd's pool: 2048 mbufs fit the EAL's -m 64 with room to spare.
POOL = ["--total-num-mbufs", "2048"]
L2FWD_DST = "02:00:00:00:00:00"  # l2fwd's destination MAC for port 0


def image(app, sock, app_args):
    """`./nfos run APP` on kvm, two vCPUs, 128 MiB, the vhost-user port;
    stdin is the serial console (testpmd's "Press enter to exit")."""
    return Proc(nfos_argv("run", app, "--timeout", str(6 * TIMEOUT), "--cpus", "2", "--mem",
                          "128M", "--net", f"vhost-user:{sock}", "--", "-m", "64", "--",
                          *app_args), stdin=True)


def exchange(tp, n):
    """Host testpmd sends n frames (txonly's, tx_first bursts) and waits for
    n back; returns its dump of what it sent and received."""
    tp.wait_for(r"Port 0: link state change event")
    mark = len(tp.text)
    tp.send(f"start tx_first {BURSTS}")
    end = time.monotonic() + 2 * TIMEOUT
    while len(dumped(tp.text[mark:])["received"]) < n:
        assert time.monotonic() < end, {k: len(v) for k, v in dumped(tp.text[mark:]).items()}
        time.sleep(0.05)
    tp.stop()
    st = tp.port_stats()
    assert st["TX-packets"] == n and st["RX-packets"] == n, st
    return dumped(tp.text[mark:])


@pytest.fixture(scope="module")
def images():
    return {app: dpdk_build(app, "kvm") for app in ("dpdk-testpmd", "dpdk-l2fwd")}


@needs_testpmd
@pytest.mark.parametrize("mode", ["io", "macswap"])
def test_testpmd_kvm_over_vhost_user(images, vhost_kvm, mode):
    tp, sock = vhost_kvm("rxonly")
    img = vhost_kvm.add(image("dpdk-testpmd", sock, ["--auto-start", f"--forward-mode={mode}",
                                                     *POOL]))
    img.wait_for(r"Press enter to exit", timeout=4 * TIMEOUT)
    n = BURSTS * 32
    d = exchange(tp, n)
    sent = set(d["sent"]) if mode == "io" else {(dst, src) for src, dst in d["sent"]}
    assert len(d["received"]) == n and set(d["received"]) == sent, (d["sent"][:2],
                                                                    d["received"][:2])
    img.send("")  # the newline testpmd waits for: it stops and prints its totals
    status, out = img.finish(timeout=2 * TIMEOUT)
    assert status == 0 and "Bye..." in out, out[-3000:]
    acc = out[out.rindex("Accumulated forward statistics"):]
    assert re.search(rf"RX-packets: {n}\s+RX-dropped: 0\s+RX-total: {n}", acc), acc
    assert re.search(rf"TX-packets: {n}\s+TX-dropped: 0\s+TX-total: {n}", acc), acc


@needs_testpmd
def test_l2fwd_kvm_over_vhost_user(images, vhost_kvm):
    tp, sock = vhost_kvm("rxonly")
    img = vhost_kvm.add(image("dpdk-l2fwd", sock, ["-p", "0x1", "-T", "1"]))
    m = img.wait_for(r"Port 0, MAC address: (\S{17})", timeout=4 * TIMEOUT)
    mac = m[1].upper()
    n = BURSTS * 32
    d = exchange(tp, n)
    assert {(s.upper(), t.upper()) for s, t in d["received"]} == {(mac, L2FWD_DST.upper())}, \
        d["received"][:2]
    # l2fwd has no stop of its own but a signal, which QEMU cannot pass to
    # the guest: its periodic statistics say what it forwarded.
    img.wait_for(rf"Total packets received:\s+{n}\b.*?Total packets sent:\s+{n}\b",
                 timeout=2 * TIMEOUT)


@pytest.fixture
def vhost_kvm(tmp_path):
    """vhost_kvm(mode): host testpmd (net_vhost, verbose) and its socket;
    vhost_kvm.add(proc): an image to stop with the test. Images get SIGTERM
    (`nfos run` stops its guest), the backend SIGKILL, whatever happens."""
    prefix, sock = f"nfos-dvk-{uuid.uuid4().hex[:8]}", str(tmp_path / "vhost.sock")
    procs = []

    def start(mode):
        tp = Backend(sock, prefix, mode)
        procs.append(tp)
        tp.send("set verbose 3")  # dumps what it sends and receives
        return tp, sock

    def add(proc):
        procs.append(proc)
        return proc
    start.add = add
    yield start
    for p in reversed(procs):
        if p.p.poll() is None and not isinstance(p, Backend):
            p.p.terminate()
            try:
                p.p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        p.kill()
    subprocess.run(["rm", "-rf", f"/var/run/dpdk/{prefix}"], check=False)
