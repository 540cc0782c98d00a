"""kvstore-dpdk's own command line (apps/kvstore-dpdk/main.c): the EAL's
arguments, then kvstore's; bad ones of either, and ports it cannot serve,
get one clear line and status 2, never a hang or a fault; on kvm (TCG here)
and as a linuxu process. Its memcached conformance and guard cases are
test_kvstore.py's and test_kvstore_guard.py's, parametrized (kvapps.py).
Skipped only when Debian's DPDK source cannot be fetched."""

import subprocess

import pytest

from conftest import Result, boot
import kvapps


@pytest.fixture(scope="module", params=["kvm", "linuxu"])
def image(request):
    return request.param, kvapps.image(kvapps.DPDK, request.param)


def run(image, args, timeout=180):
    """The image with args (its command line after nfos's): a kvm guest in
    128 MiB, or a linuxu process with kvapps' memory; its Result."""
    plat, path = image
    if plat == "kvm":
        return boot(path, mem="128M", args=args, timeout=timeout)
    r = subprocess.run([path, kvapps.DPDK_LINUXU_MEM, "--", *args], capture_output=True,
                       text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(r.returncode, r.stdout, r.stderr)


@pytest.mark.parametrize("args, message", [
    (["--", "--port", "0"], "bad value '0' for --port"),
    (["--port", "0"], "bad value '0' for --port"),  # no "--": every argument is kvstore's
    (["--bogus", "--"], "kvstore-dpdk: rte_eal_init:"),
    (["--", "--max-reply-dgrams", "0"], "--max-reply-dgrams"),
    (["--vdev", "net_null0", "--"], "port 0 (net_null0) is no net_nfos port"),
    (["--"], "no network port; attach one"),
])
def test_bad_arguments_and_ports_are_refused(image, args, message):
    r = run(image, args)
    assert r.status == 2 and message in r.text, r
    assert "exception" not in r.text.lower() and "fatal signal" not in r.text, r


@pytest.mark.parametrize("epoch", [["--epoch", "1700000000"], []])
def test_epoch_first_goes_to_kvstore(image, epoch):
    """./nfos run prepends --epoch SECONDS: before the EAL's "--" that pair
    is kvstore's (without it, on kvm, kvstore says so; on linuxu the host's
    clock is the default), and the EAL's own arguments still apply (a port
    that kvstore-dpdk then refuses, after its start)."""
    r = run(image, epoch + ["--vdev", "net_null0", "-m", "8", "--", "--time", "1"])
    assert r.status == 2 and "is no net_nfos port" in r.text, r
    assert ("kvstore-dpdk: no --epoch" in r.text) == (not epoch and image[0] == "kvm"), r
