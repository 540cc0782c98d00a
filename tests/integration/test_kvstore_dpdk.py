"""kvstore-dpdk's own command line (apps/kvstore-dpdk/main.c): the EAL's
arguments, then kvstore's; bad ones of either, and ports it cannot serve,
get one clear line and status 2, never a hang or a fault. Its memcached
conformance and guard cases are test_kvstore.py's and
test_kvstore_guard.py's, parametrized. A kvm image (TCG here); skipped only
when Debian's DPDK source cannot be fetched."""

import pytest

from conftest import boot
import kvapps


@pytest.fixture(scope="module")
def image():
    return kvapps.image(kvapps.DPDK, "kvm")


@pytest.mark.parametrize("args, message", [
    (["--", "--port", "0"], "bad value '0' for --port"),
    (["--port", "0"], "bad value '0' for --port"),  # no "--": every argument is kvstore's
    (["--bogus", "--"], "kvstore-dpdk: rte_eal_init:"),
    (["--", "--max-reply-dgrams", "0"], "--max-reply-dgrams"),
    (["--vdev", "net_null0", "--"], "port 0 (net_null0) is no net_nfos port"),
    (["--"], "no network port; attach one"),
])
def test_bad_arguments_and_ports_are_refused(image, args, message):
    r = boot(image, mem="128M", args=args, timeout=180)
    assert r.status == 2 and message in r.text, r
    assert "exception" not in r.text.lower(), r


@pytest.mark.parametrize("epoch", [["--epoch", "1700000000"], []])
def test_epoch_first_goes_to_kvstore(image, epoch):
    """./nfos run prepends --epoch SECONDS: before the EAL's "--" that pair
    is kvstore's (without it kvstore says so), and the EAL's own arguments
    still apply (a port that kvstore-dpdk then refuses, after its start)."""
    r = boot(image, mem="128M", args=epoch + ["--vdev", "net_null0", "-m", "8", "--", "--time", "1"],
             timeout=180)
    assert r.status == 2 and "is no net_nfos port" in r.text, r
    assert ("kvstore-dpdk: no --epoch" in r.text) == (not epoch), r
