"""Debug builds (make DEBUG=1, CONFIG_NFOS_DEBUG): the NFOS_ASSERT checks on
the burst calls catch an app's misuse with FILE:LINE and the expression and
end the image with the crash status; a release build compiles them out and
refuses nettest's --misuse. The debug image lives in its own folder."""

import os
import subprocess

import pytest

from conftest import ROOT, boot, build, run_linuxu
from tools import nfos_cli

CRASH = 126  # PLAT_EXIT_CRASH


def build_debug(app, plat):
    r = subprocess.run(["make", "-C", ROOT, f"-j{os.cpu_count()}", f"APP={app}", f"PLAT={plat}",
                        "DEBUG=1"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = f"{app}_{plat}-{nfos_cli.ARCH}-debug"
    with open(os.path.join(ROOT, "build", folder, ".config")) as f:
        config = f.read()
    assert "CONFIG_NFOS_DEBUG=y" in config and "CONFIG_LIBPOOL_DEBUG=y" in config
    return os.path.join(ROOT, "build", folder, f"{app}_{plat}-{nfos_cli.ARCH}")


@pytest.fixture(scope="module")
def nettest_debug():
    return build_debug("nettest", "linuxu")


@pytest.mark.parametrize("kind, expr", [
    ("rx-queue", "q < dev->conf.nb_rx_queues"),
    ("tx-queue", "q < dev->conf.nb_tx_queues"),
    ("stopped", "dev->state == NETDEV_STARTED"),
])
def test_debug_build_catches_a_burst_misuse_linuxu(nettest_debug, kind, expr):
    r = run_linuxu(nettest_debug, ["netdev.dev=null"], ["--misuse", kind], timeout=30)
    assert r.status == CRASH, r
    assert f"nettest: misuse {kind}" in r.out, r
    assert f"nfos: panic: lib/netdev/include/nfos/netdev.h:" in r.err, r
    assert f": assertion failed: {expr}" in r.err, r
    assert "was not caught" not in r.err, r


def test_debug_build_runs_a_correct_app_linuxu(nettest_debug):
    r = run_linuxu(nettest_debug, ["netdev.dev=null"], ["--count", "100K"], timeout=60)
    assert r.status == 0, r
    assert "assertion failed" not in r.err, r


def test_release_build_has_no_checks_and_refuses_misuse_linuxu():
    image = build("nettest", "linuxu")
    with open(os.path.join(os.path.dirname(image), ".config")) as f:
        assert "# CONFIG_NFOS_DEBUG is not set" in f.read()
    r = run_linuxu(image, ["netdev.dev=null"], ["--misuse", "rx-queue"], timeout=30)
    assert r.status == 2 and "--misuse needs a debug build (make DEBUG=1)" in r.err, r
    syms = subprocess.run(["nm", image + ".dbg"], capture_output=True, text=True).stdout
    assert "nfos_assert_fail" not in syms


def test_debug_build_catches_a_burst_misuse_kvm():
    image = build_debug("nettest", "kvm")
    r = boot(image, params=["netdev.dev=null"], args=["--misuse", "rx-queue"])
    assert r.status == CRASH, r
    assert "assertion failed: q < dev->conf.nb_rx_queues" in r.text, r
