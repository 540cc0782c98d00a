"""A chosen part of the integration suite under NFOS_VMM=nfvm, for real on
a host without /dev/kvm: vmm/tests/nested_suite.py boots the nested-KVM
TCG VM with this host's root file system (9p, read-only, a tmpfs overlay
on top) and runs pytest on SUITE inside it, so every kvm guest run nfvm
can serve goes through nfvm on the VM's nested KVM. Opt-in and slow
(NFOS_NFVM_NESTED=1, as test_nfvm.py's nested runs; 37 minutes here on
two loaded cores, everything TCG-emulated); on a host with /dev/kvm the
same check is `NFOS_VMM=nfvm make integration-tests`, so this skips.

Each test of SUITE must pass, or be skipped with a reason (said in the
report); at least one guest run must have gone through nfvm."""

import os
import re

import pytest

from conftest import build
from tools import nfos_cli

# Small and quick under TCG: boot, selftest, musl's posixtest, Lua, the
# console, pong answering ping on a TAP, and rxsink and l2fwd on nfvm's
# vhost-user front-end against dpdk-testpmd's net_vhost.
SUITE = ["tests/integration/test_boot.py",
         "tests/integration/test_selftest.py",
         "tests/integration/test_musl.py",
         "tests/integration/test_lua.py",
         "tests/integration/test_console_input.py",
         "tests/integration/test_packets.py::test_pong_kvm_tap",
         "tests/integration/test_nfvm_vhost.py::test_rxsink_guest_through_testpmd",
         "tests/integration/test_nfvm_vhost.py::test_l2fwd_guest_sends_back_through_testpmd"]
# What they boot, built here first: the VM's make then finds them up to date.
IMAGES = [(a, "kvm") for a in ("helloworld", "selftest", "posixtest", "lua", "pong", "rxsink",
                               "l2fwd")] + \
    [(a, "linuxu") for a in ("helloworld", "selftest", "posixtest", "lua")]


@pytest.fixture(scope="module")
def suite():
    if nfos_cli.kvm_usable():
        pytest.skip("a KVM host runs the whole suite under nfvm itself: "
                    "NFOS_VMM=nfvm make integration-tests")
    if os.environ.get("NFOS_NFVM_NESTED") != "1":
        pytest.skip("NFOS_NFVM_NESTED=1 runs part of the suite under nfvm in the nested-KVM "
                    "TCG VM (slow)")
    for app, plat in IMAGES:
        build(app, plat)
    from test_nfvm import make_nfvm
    from vmm.tests import nested_suite
    make_nfvm()
    status, console, secs = nested_suite.run(SUITE, timeout=5400)
    start = console.find("@@@ pytest starts")
    print(console[start:] if start >= 0 else console)
    print(f"nested suite: pytest status {status}, {secs:.0f} s")
    return status, console


def test_suite_under_nfvm(suite):
    status, console = suite
    assert "@@@ 9p mount failed" not in console and "@@@ overlay mount failed" not in console, \
        console[-3000:]
    assert status is not None, "pytest did not report; VM console:\n" + console[-3000:]
    from vmm.tests.nested_suite import outcomes
    got = outcomes(console)
    assert got, console[-3000:]
    bad = {t: o for t, o in got.items() if o not in ("PASSED", "SKIPPED")}
    assert not bad and status == 0, f"{bad}\n{console[-5000:]}"
    m = re.search(r"^(\d+) guest runs under nfvm; (\d+) tests skipped as QEMU only$", console,
                  re.M)
    assert m and int(m[1]) > 0, console[-3000:]
