"""lib/dpdk: Debian's DPDK 22.11 over nfos's EAL, proved by DPDK's own
examples/helloworld, unmodified, as a kvm image (KVM, or TCG here): one
"hello from core N" per lcore, lcores being vCPUs; EAL options that cannot
apply in an image get one line, bad ones a clear error and a non-zero exit;
an -m that does not fit names the one that does. Then DPDK's testpmd and
l2fwd, unmodified, forward between two net_null ports on two lcores, each
with -m 64 in 128 MiB of guest RAM.

Skipped only when Debian's DPDK source cannot be fetched (mk/dpdk.sh says
so); any other build failure fails."""

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import build, dpdk_build, nfos, nfos_argv



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
])
def test_bad_options(hello, args, message):
    """A clear message and a non-zero exit, never a hang or a fault."""
    r = run("--cpus", "2", "--", *args)
    out = r.out + r.err
    assert r.status != 0 and message in out, out
    assert hellos(r) == [] and "exception" not in out.lower(), out


# What the EAL says when -m does not fit, naming the -m that does.
NO_FIT = re.compile(r"EAL: no memory for -m (\d+) MiB: the largest run of free 2 MiB pages "
                    r"is (\d+) MiB, so -m (\d+) at most")


def test_memory_says_what_fits_and_that_fits(hello):
    """-m larger than the guest's RAM: one line naming the largest -m, a
    non-zero exit; that -m then runs. It is most of the RAM (the region is
    a run of 2 MiB pages from the heap, not an aligned block of it)."""
    r = run("--cpus", "2", "--mem", "128M", "--", "-m", "4096")
    out = r.out + r.err
    m = NO_FIT.search(out)
    assert r.status != 0 and m and m[1] == "4096", out
    assert hellos(r) == [] and "exception" not in out.lower(), out
    fits = int(m[3])
    assert 100 <= fits < 128, out
    r = run("--cpus", "2", "--mem", "128M", "--", "-m", str(fits))
    assert r.status == 0 and hellos(r) == [0, 1], r.out + r.err


def test_testpmd_forwards_and_quits(dpdk):
    """testpmd --auto-start forwards (io) between the two ports on lcore 1,
    then reads end of input (no nfos.stdin), stops, shows its statistics
    and quits with 0; -m 64 in 128 MiB of guest RAM (test_dpdk_prompt runs
    it in 64 MiB with the EAL's default -m 16)."""
    build("dpdk-testpmd", "kvm")
    r = nfos("run", "dpdk-testpmd", "--cpus", "2", "--mem", "128M", "--", *NULL_PORTS,
             "-m", "64", "--", "--auto-start", "--total-num-mbufs", "2048")
    assert r.status == 0 and "Bye..." in r.out, r.text
    assert "io packet forwarding - ports=2 - cores=1" in r.out, r.out
    acc = r.out[r.out.index("Accumulated forward statistics"):]
    rx, tx = (int(re.search(rf"{k}-packets: (\d+)", acc).group(1)) for k in ("RX", "TX"))
    assert rx > 0 and rx == tx, acc


def test_l2fwd_forwards(dpdk):
    """l2fwd forwards for good: its first statistics show packets moved both
    ways, then the guest is stopped. -m 64 in 128 MiB of guest RAM."""
    build("dpdk-l2fwd", "kvm")
    cmd = nfos_argv("run", "dpdk-l2fwd", "--cpus", "2", "--mem", "128M",
                    "--", *NULL_PORTS, "-m", "64", "--", "-p", "0x3", "-T", "1")
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
