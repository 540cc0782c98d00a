"""lib/dpdk: Debian's DPDK 22.11 over nfos's EAL, proved by DPDK's own
examples/helloworld, unmodified, as a kvm image (KVM, or TCG here): one
"hello from core N" per lcore, lcores being vCPUs; EAL options that cannot
apply in an image get one line, bad ones a clear error and a non-zero exit.
Then DPDK's testpmd and l2fwd, unmodified, forward between two net_null
ports on two lcores.

Skipped only when Debian's DPDK source cannot be fetched (mk/dpdk.sh says
so); any other build failure fails."""

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ROOT, build, dpdk_build, nfos



@pytest.fixture(scope="module")
def dpdk():
    dpdk_build()


@pytest.fixture(scope="module")
def hello(dpdk):
    return build("dpdk-helloworld", "kvm")


def run(*args):
    # The image exists already: `nfos run` only boots it.
    return nfos("run", "dpdk-helloworld", *args)


NULL_PORTS = ["--vdev", "net_null0", "--vdev", "net_null1"]


def hellos(r):
    return sorted(int(n) for n in re.findall(r"^hello from core (\d+)$", r.out, re.M))


def test_hello_from_every_lcore(hello):
    """The issue's command: ./nfos run dpdk-helloworld --cpus 2."""
    r = run("--cpus", "2")
    assert r.status == 0, r.out + r.err
    assert hellos(r) == [0, 1], r.out
    assert "EAL: Detected CPU lcores: 2" in r.out, r.out


def test_one_lcore(hello):
    r = run("--cpus", "1")
    assert r.status == 0 and hellos(r) == [0], r.out + r.err


def test_lcore_list_and_memory(hello):
    """-l picks the lcores, -m sizes the region of 2 MiB pages."""
    r = run("--cpus", "2", "--", "-l", "0", "-m", "8")
    assert r.status == 0 and hellos(r) == [0], r.out + r.err


def test_options_that_cannot_apply(hello):
    """One line each, then the app runs."""
    r = run("--cpus", "2", "--", "--huge-dir", "/mnt/huge", "--no-huge", "--file-prefix", "x")
    assert r.status == 0 and hellos(r) == [0, 1], r.out + r.err
    for opt in ("--huge-dir", "--file-prefix", "--no-huge"):
        assert len([l for l in r.out.splitlines() if l.startswith(f"EAL: {opt}")]) == 1, \
            r.out


@pytest.mark.parametrize("args, message", [
    (["--no-such-option"], "Invalid 'command line' arguments"),
    (["-l", "0-3"], "Invalid 'command line' arguments"),  # 2 vCPUs only
    (["--proc-type", "secondary"], "always the primary process"),
    (["-l", "1", "--main-lcore", "1"], "the main lcore is lcore 0"),
    (["-m", "4096"], "EAL: no memory for -m 4096 MiB"),
])
def test_bad_options(hello, args, message):
    """A clear message and a non-zero exit, never a hang or a fault."""
    r = run("--cpus", "2", "--", *args)
    out = r.out + r.err
    assert r.status != 0 and message in out, out
    assert hellos(r) == [] and "exception" not in out.lower(), out


def test_testpmd_forwards_and_quits(dpdk):
    """testpmd --auto-start forwards (io) between the two ports on lcore 1,
    then reads end of input (no nfos.stdin), stops, shows its statistics
    and quits with 0; in 64 MiB of guest RAM (the EAL's default -m 16)."""
    build("dpdk-testpmd", "kvm")
    r = nfos("run", "dpdk-testpmd", "--cpus", "2", "--mem", "64M", "--", *NULL_PORTS,
             "--", "--auto-start", "--total-num-mbufs", "2048")
    assert r.status == 0 and "Bye..." in r.out, r.text
    assert "io packet forwarding - ports=2 - cores=1" in r.out, r.out
    acc = r.out[r.out.index("Accumulated forward statistics"):]
    rx, tx = (int(re.search(rf"{k}-packets: (\d+)", acc).group(1)) for k in ("RX", "TX"))
    assert rx > 0 and rx == tx, acc


def test_l2fwd_forwards(dpdk):
    """l2fwd forwards for good: its first statistics show packets moved both
    ways, then the guest is stopped."""
    build("dpdk-l2fwd", "kvm")
    cmd = [os.path.join(ROOT, "nfos"), "run", "dpdk-l2fwd", "--cpus", "2", "--mem", "128M",
           "--", *NULL_PORTS, "-m", "32", "--", "-p", "0x3", "-T", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    out, deadline = "", time.monotonic() + 240
    try:
        while time.monotonic() < deadline and out.count("Aggregate statistics") < 2:
            line = p.stdout.readline()
            if not line:
                break
            out += line
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    assert "L2FWD: entering main loop on lcore 1" in out, out
    stats = out[out.rindex("Port statistics"):]
    sent = [int(n) for n in re.findall(r"Packets sent: +(\d+)", stats)]
    assert len(sent) == 2 and min(sent) > 0, stats
