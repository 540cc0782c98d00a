"""kvstore with two lcores (issue 13) against Debian's memcached, as
test_kvstore.py does it: the same cases, byte for byte, to memcached and to
kvstore --cpus 2 (nfos.cpus=2) on linuxu, over a TAP made multi_queue (one
queue pair per lcore, drivers/tap) and over a plain one (lcore 1 has no
queue and idles); and clients that set and get the same keys at once
through both lcores never get a torn value (the shared table's lock-free
reads, lib/kvtable); under QEMU (kvm; TCG here) over a virtio-net with
two queue pairs, for kvstore and kvstore-dpdk. test_kvstore.py's kvm test
runs 2 vCPUs too. Needs root."""

import json
import os
import re

import pytest

from test_kvstore import (KV, KVCLIENT, PY, HOST, assert_pools_balanced, conformance, kvstore,
                          main_cases, ns, size_cases)  # noqa: F401 (ns: a fixture)
from test_packets import Netns, stop
import kvapps

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


@pytest.fixture
def ns_mq():
    """As test_kvstore's ns, with the TAP made multi_queue."""
    n = Netns(f"nfos-kvmq{os.getpid()}")
    try:
        n.run("ip", "tuntap", "add", "dev", "tap0", "mode", "tap", "multi_queue")
        n.run("ip", "link", "set", "tap0", "up")
        n.run("ip", "addr", "add", f"{HOST}/24", "dev", "tap0")
        n.run("ip", "link", "set", "tap0", "mtu", "2000")
        yield n
    finally:
        n.remove()


@pytest.mark.parametrize("app", kvapps.APPS)
def test_conformance_two_lcores_linuxu(ns_mq, app):
    """--cpus 2 on a multiqueue TAP: the cases go out from 16 sockets,
    which the kernel's flow hash spreads over both queues (all on one: 2 in
    65536); both lcores answer, from one shared table (kvstore-dpdk: DPDK's
    lcores over net_nfos's two queue pairs, with the shorter size cases:
    its one-lcore run had the main ones)."""
    cases, item_max = (main_cases(), 2048) if app == "kvstore" else (size_cases(), 1024)
    out = conformance(ns_mq, "linuxu", cases, item_max, cpus=2, sockets=16, app=app)
    assert re.search(rf"{app}: port 0 \(\S+\): 2 queue pair\(s\) for 2 lcores", out), out
    served = re.findall(rf"{app}: lcore (\d) queue \d: requests (\d+)", out)
    assert len(served) == 2 and all(int(n) > 0 for _, n in served), out


@pytest.mark.parametrize("app", kvapps.APPS)
def test_conformance_two_lcores_two_queues_kvm(ns_mq, app):
    """--cpus 2 under QEMU on the multi_queue TAP opened with queues=2: each
    vCPU polls its own virtio-net queue pair (kvstore-dpdk: DPDK's lcores,
    launched by rte_eal_remote_launch, over net_nfos); both answer, from
    one table, and the pools balance at the end."""
    out = conformance(ns_mq, "kvm", size_cases(), 1024, cpus=2, sockets=16, app=app, queues=2)
    assert re.search(rf"{app}: port 0 \(\S+\): 2 queue pair\(s\) for 2 lcores", out), out
    served = re.findall(rf"{app}: lcore (\d) queue \d: requests (\d+)", out)
    assert len(served) == 2 and all(int(n) > 0 for _, n in served), out


def test_two_lcores_one_queue_linuxu(ns):
    """--cpus 2 on a TAP with one queue pair: lcore 1 has none, idles, and
    the report says so; lcore 0 answers everything."""
    out = conformance(ns, "linuxu", size_cases(), 1024, cpus=2, sockets=4)
    assert "kvstore: port 0 (tap0): 1 queue pair(s) for 2 lcores (tap offers 1)" in out, out
    assert "kvstore: lcore 1 idle: no queue for it" in out, out


def test_concurrent_sets_and_gets_never_torn_linuxu(ns_mq):
    """8 client threads, each its own socket, set and get the same 8 keys
    at once (values of 1..999 bytes, one letter repeated, length and
    letter in the flags): both lcores serve them from one table, and no
    get returns a value that is not one whole set's."""
    lines = []
    kv = kvstore(ns_mq, "linuxu", cpus=2, lines=lines)
    try:
        r = json.loads(ns_mq.run(PY, KVCLIENT, "hammer", KV, "11211", "8", "1500",
                                 timeout=600).stdout)
    finally:
        out, _ = stop(kv)
    out = "".join(lines) + out
    assert r["requests"] == 8 * 1500, r
    assert not r["torn"], r["torn"][:5]
    assert r["hits"] > 1000 and r["timeouts"] <= r["requests"] // 100, r
    served = re.findall(r"kvstore: lcore (\d) queue \d: requests (\d+)", out)
    assert len(served) == 2 and all(int(n) > 0 for _, n in served), out
    assert_pools_balanced(out)
