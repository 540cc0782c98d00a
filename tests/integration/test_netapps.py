"""The network apps over the null driver (no host networking needed), on
linuxu and kvm, and `nfos run --net` argument checking. Packet tests through
TAP, AF_PACKET and vhost-user live in their own files."""

import os
import re
import socket

import pytest

from conftest import assert_pools_balanced, boot, build, nfos, run_linuxu

TOTAL = re.compile(r"^(\w+): total rx (\d+) pkts [\d.]+ Mpp/s \| tx (\d+) pkts [\d.]+ Mpp/s \| "
                   r"drops (\d+) \| busy ([\d.]+) cycles/pkt", re.M)


def totals(r):
    m = TOTAL.search(r.out)
    assert m, r
    assert_pools_balanced(r)  # every exit report: no netbuf lost
    return {"app": m[1], "rx": int(m[2]), "tx": int(m[3]), "drops": int(m[4]),
            "busy": float(m[5])}


@pytest.fixture(scope="module", params=["rxsink", "txgen", "l2fwd", "pong"])
def app_linuxu(request):
    return request.param, build(request.param, "linuxu")


def test_rxsink_counts_exactly_linuxu():
    r = run_linuxu(build("rxsink", "linuxu"), ["netdev.dev=null"], ["--count", "1M"])
    assert r.status == 0, r
    t = totals(r)
    assert t["rx"] == 1000000 and t["tx"] == 0 and t["drops"] == 0
    assert t["busy"] > 0
    # the port's own counters agree, 64-byte template frames
    assert "rx 1000000 pkts 64000000 bytes 0 errors 0 drops" in r.out


def test_txgen_count_and_size_linuxu():
    r = run_linuxu(build("txgen", "linuxu"), ["netdev.dev=null"],
                   ["--count", "100K", "--size", "1514", "--udp-csum"])
    assert r.status == 0, r
    assert totals(r)["tx"] == 100000
    assert f"tx 100000 pkts {100000 * 1514} bytes" in r.out


def test_txgen_rate_limit_linuxu():
    """A rate limit spaces frames out: 2000 frames at 10K/s take 0.2 s of TSC
    time as the app measures it (checked loosely: behaviour, not speed)."""
    r = run_linuxu(build("txgen", "linuxu"), ["netdev.dev=null"],
                   ["--count", "2000", "--rate", "10K"])
    assert r.status == 0, r
    secs = float(re.search(r"\| ([\d.]+) s$", r.out, re.M)[1])
    assert totals(r)["tx"] == 2000 and secs >= 0.19, r


@pytest.mark.parametrize("ports,expect", [(["netdev.dev=null"], "back to itself, MACs swapped"),
                                          (["netdev.dev=null", "netdev1.dev=null:1000"],
                                           "port 0 (null0) <-> port 1 (null1)")])
def test_l2fwd_linuxu(ports, expect):
    r = run_linuxu(build("l2fwd", "linuxu"), ports, ["--count", "500K"])
    assert r.status == 0, r
    assert expect in r.out
    t = totals(r)
    assert t["tx"] >= 500000 and t["rx"] == t["tx"] + t["drops"]


def test_pong_needs_an_address_linuxu():
    r = run_linuxu(build("pong", "linuxu"), ["netdev.dev=null"])
    assert r.status == 2
    assert "has no address: give --ip ADDR/PREFIX (netdev.ip=)" in r.err


def test_pong_refuses_a_bad_address_linuxu():
    r = run_linuxu(build("pong", "linuxu"), ["netdev.dev=null", "netdev.ip=10.0.0.256/24"])
    assert r.status == 2
    assert "netdev.ip=10.0.0.256/24: expected a unicast ADDR/PREFIX" in r.err


def test_pong_counts_what_it_does_not_answer_linuxu():
    """The null driver's frames are UDP to 10.0.0.2: parsed, counted, not answered."""
    r = run_linuxu(build("pong", "linuxu"), ["netdev.dev=null", "netdev.ip=10.0.0.2/24"],
                   ["--time", "0.2"])
    assert r.status == 0, r
    t = totals(r)
    assert t["rx"] > 0 and t["tx"] == 0
    m = re.search(r"pong: port 0: 0 ARP replies, 0 echo replies, (\d+) frames not answered", r.out)
    assert m and int(m[1]) == t["rx"], r
    assert re.search(rf"pong: port 0 parsed: udp {t['rx']}$", r.out, re.M), r


def test_apps_without_a_port_say_how_to_attach_one(app_linuxu):
    name, image = app_linuxu
    r = run_linuxu(image)
    assert r.status == 2
    assert f"{name}: no network port 0 (0 found); attach one: ./nfos run {name} --net" in r.err


def test_apps_refuse_bad_arguments(app_linuxu):
    name, image = app_linuxu
    r = run_linuxu(image, ["netdev.dev=null", "netdev.ip=10.0.0.2/24"], ["--count", "x"])
    assert r.status == 2 and f"{name}: bad value 'x' for --count" in r.err, r
    r = run_linuxu(image, ["netdev.dev=null"], ["--frobnicate"])
    assert r.status == 2 and f"{name}: unknown argument '--frobnicate'" in r.err, r
    r = run_linuxu(image, [], ["--help"])
    assert r.status == 0 and r.out.startswith(f"usage: {name}"), r


@pytest.mark.parametrize("spec,message", [
    ("netdev.dev=nosuch:x", "vdev: netdev.dev=nosuch:x: no driver for 'nosuch' in this image"),
    ("netdev.dev=null:9", "null: frame size '9': expected 60..9000 bytes"),
    ("netdev.dev=:x", "vdev: netdev.dev=:x: expected KIND[:ARG]"),
])
def test_bad_device_specs_stop_the_boot(spec, message):
    r = run_linuxu(build("rxsink", "linuxu"), [spec])
    assert r.status == 2, r
    assert message in r.err


def test_rxsink_kvm_null():
    r = boot(build("rxsink", "kvm"), params=["netdev.dev=null", "nfos.verbose=1"],
             args=["--count", "200K"])
    assert r.status == 0, r
    assert "bus: vdev vdev0 (null): null" in r.out
    assert totals(r)["rx"] == 200000


@pytest.mark.parametrize("lose,line", [
    ("leak", "1 lost, 0 double frees: NOT balanced"),
    ("double-free", "0 lost, 1 double frees: NOT balanced")])
def test_exit_check_catches_a_lost_netbuf_and_a_double_free_linuxu(lose, line):
    r = run_linuxu(build("nettest", "linuxu"), ["netdev.dev=null"],
                   ["--count", "1000", "--lose", lose])
    assert r.status == 1, r
    assert re.search(rf"^nettest: netbufs: 4096 in 1 pool\(s\), \d+ home, \d+ in port rings, {line}$",
                     r.out, re.M), r
    r = run_linuxu(build("nettest", "linuxu"), ["netdev.dev=null"], ["--count", "1000"])
    assert r.status == 0, r
    assert_pools_balanced(r)


@pytest.mark.parametrize("wrapper,sig", [([], "SIGTERM"), (["timeout", "60"], "SIGINT")])
def test_a_stop_signal_ends_an_app_with_its_report_linuxu(wrapper, sig):
    """SIGTERM, or SIGINT through timeout(1), which forwards it to the app and
    then to its whole process group: the app sees the one request twice and
    still stops cleanly with its report (exit 0, not 128+signal)."""
    import signal
    import subprocess
    import time
    p = subprocess.Popen(wrapper + [build("rxsink", "linuxu"), "netdev.dev=null"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        p.send_signal(getattr(signal, sig))
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert "rxsink: total rx" in out
    assert_pools_balanced(out)


# --- nfos run --net checking ---------------------------------------------------

@pytest.mark.parametrize("args,message", [
    (["--net", "tap:nfos-nosuch0"], "--net tap:nfos-nosuch0: no interface 'nfos-nosuch0' here"),
    (["--net", "tap"], "--net tap: which interface?"),
    (["--net", "ring:x"], "--net ring:x: unknown kind 'ring' on kvm"),
    (["--net", "vhost-user:/nonexistent/x.sock"], "no socket '/nonexistent/x.sock'"),
    (["--plat", "linuxu", "--net", "null", "--ip", "10.1.2.3"], "--ip 10.1.2.3: expected ADDR/PREFIX"),
    (["--plat", "linuxu", "--net", "null", "--ip", "10.1.2.3/33"], "--ip 10.1.2.3/33: expected"),
    (["--plat", "linuxu", "--net", "null", "--mac", "02:00:00:00:00"], "--mac 02:00:00:00:00: expected"),
    (["--ip", "10.0.0.1/24"], "more --ip or --mac than --net"),
])
def test_nfos_run_net_errors(args, message):
    r = nfos("run", "pong", *args)
    assert r.status == 2, r
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], r


def test_nfos_run_vhost_user_socket_nobody_listens(tmp_path):
    path = str(tmp_path / "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # bound, never listening: connect is refused
    try:
        r = nfos("run", "pong", "--net", f"vhost-user:{path}")
    finally:
        s.close()
    assert r.status == 2, r
    assert f"nobody listens on '{path}'" in r.err


def test_nfos_run_linuxu_null_with_address():
    r = nfos("run", "pong", "--plat", "linuxu", "--net", "null", "--ip", "10.9.8.7/24",
             "--", "--time", "0.1")
    assert r.status == 0, r
    assert "pong: port 0 (null0) answers for 10.9.8.7" in r.out
