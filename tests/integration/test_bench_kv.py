"""./nfos bench kv in --smoke mode, so that the driver cannot rot, and kvgen
(bench/kv/kvgen.c) against servers that misbehave: a fake memcached in a
network namespace that answers with malformed datagrams, wrong request ids
or not at all. No figure is checked: benchmarks report, tests check
behaviour (replies matched, hits found, bad input counted, clear errors)."""

import json
import os
import re
import shutil
import signal
import subprocess
import time
import types

import pytest

from bench.common.proc import pid_state
from bench.kv import bench_kv
from bench.kv.run import GEN_IP, KVGEN, SERVER_IP, Namespaces
from bench.linuxvm import linuxvm
from conftest import ROOT, bench_smoke, nfos
from test_bench_pps import dpdk_unusable

SUBJECTS = ("kvstore-linuxu", "kvstore-kvm", "memcached")
TIMEOUT = 120


def kv_unusable():
    why = dpdk_unusable()
    if why:
        return why
    if subprocess.run(["pkg-config", "--exists", "libdpdk"]).returncode != 0:
        return "pkg-config finds no libdpdk (./nfos deps: dpdk-dev, pkg-config)"
    return None


@pytest.fixture(scope="module")
def kvgen():
    why = kv_unusable()
    if why:
        pytest.skip(why)
    r = subprocess.run(["make", "-C", os.path.join(ROOT, "bench", "kv")], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return KVGEN


def test_bench_kv_smoke():
    r, said = bench_smoke("kv", kv_unusable(), r"kvstore-\w+|memcached", 600)
    if os.geteuid() == 0 and shutil.which("memcached"):
        assert "memcached" not in said, r
    for w in bench_kv.SMOKE_WORKLOADS:
        for s in SUBJECTS:
            row = re.search(rf"^  {s} +(\w+) +{w} +(.*)$", r.out, re.M)
            assert row, (s, w, r)
            if s in said:
                assert row.group(2).startswith(said[s].split(":")[0]), (row.group(0), r)
                continue
            cells = re.split(r"\s{2,}", row.group(2))
            assert re.fullmatch(r"\d+ \(\d+-\d+\)", cells[0]), (row.group(0), r)
            # Every key was preloaded (and stored: the preload resends), so
            # every get hits.
            assert cells[1].startswith("1.0000 "), (row.group(0), r)
            if s.startswith("kvstore"):
                assert re.fullmatch(r"[\d.]+ \([\d.]+-[\d.]+\)", cells[4]), (row.group(0), r)
    assert re.search(r"^  target: kvstore-linuxu busy cycles per GET <= 500: ", r.out, re.M), r
    # Not named, the slow (TCG) subjects are not run, and say how to get them.
    for s in bench_kv.ON_REQUEST:
        assert re.search(rf"^  {s}: not run: name it in --subjects", r.out, re.M), (s, r)


def test_bench_kv_linux_vm_smoke():
    """The linux-vm subject, on request: memcached inside the Linux VM peer
    (bench/linuxvm) on virtio_net over vhost-user, kvgen on the other end.
    One row per workload with figures, labelled with the VM's accelerator;
    every preloaded key found (a real memcached answered, not a timeout);
    the scaled key count said. Boot (TCG here) plus two 0.7 s workloads:
    well under a minute on an idle host."""
    why = kv_unusable()
    if why:
        pytest.skip(why)
    r = nfos("bench", "kv", "--smoke", "--subjects", "linux-vm", "--vm-keys", "1000",
             timeout=linuxvm.BOOT_TIMEOUT + 120)
    m = re.search(r"^  linux-vm: unavailable: (.+)$", r.out, re.M)
    if m:
        pytest.skip(f"the Linux VM peer is unusable here: {m.group(1)}")
    assert r.status == 0, r
    acc = linuxvm.accel()[0]
    assert re.search(rf"^  linux-vm: {acc} \(.+\), 512 MiB, image \d+ bytes", r.out, re.M), r
    assert re.search(r"^  linux-vm: 1000 keys preloaded \(--vm-keys\), not 10000", r.out,
                     re.M), r
    for w in bench_kv.SMOKE_WORKLOADS:
        row = re.search(rf"^  linux-vm +(\w+) +{w} +(.*)$", r.out, re.M)
        assert row and row.group(1) == acc, (w, r)
        cells = re.split(r"\s{2,}", row.group(2))
        assert re.fullmatch(r"\d+ \(\d+-\d+\)", cells[0]) and int(cells[0].split()[0]) > 0, \
            (row.group(0), r)
        assert cells[1].startswith("1.0000 "), (row.group(0), r)
        assert cells[4] == "n/a", (row.group(0), r)  # no busy cycles from inside the VM


@pytest.mark.parametrize("argv,said", [
    ([], "which server?"),
    (["--server", "10.0.0.300"], "--server: bad value '10.0.0.300'"),
    (["--server", "10.0.0.2", "--keys", "1"], "--keys: bad value '1'"),
    (["--server", "10.0.0.2", "--window", "99999"], "--window: bad value"),
    (["--server", "10.0.0.2", "--workloads", "get90"], "--workloads: bad value"),
    (["--server", "10.0.0.2", "--dst-mac", "02:00"], "--dst-mac: bad value"),
    (["--server", "10.0.0.2", "--seconds"], "--seconds: bad value '(none)'"),
    (["--server", "10.0.0.2", "--frobnicate", "1"], "unknown option '--frobnicate'"),
])
def test_kvgen_bad_command_line(kvgen, argv, said):
    """Refused before DPDK starts: one line, status 2."""
    r = subprocess.run([kvgen, "--no-huge", "--", *argv], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r
    assert said in r.stderr and len(r.stderr.strip().splitlines()) == 1, r


def eal(prefix):
    return ["-l", "0", "--no-pci", "--no-huge", "-m", "64", f"--file-prefix={prefix}"]


def run_kvgen(argv, prefix, timeout=TIMEOUT):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    finally:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)


def test_kvgen_without_a_port(kvgen):
    prefix = f"nfos-kvt-{os.getpid()}"
    r = run_kvgen([kvgen] + eal(prefix) + ["--", "--server", "10.0.0.2"], prefix)
    assert r.returncode == 1, r
    assert "kvgen: 0 ports: give exactly one with --vdev" in r.stderr, r


def test_kvgen_too_little_memory(kvgen):
    prefix = f"nfos-kvt-{os.getpid()}"
    r = run_kvgen([kvgen, "-l", "0", "--no-pci", "--no-huge", "-m", "12",
                   f"--file-prefix={prefix}", "--vdev", "net_null0", "--",
                   "--server", "10.0.0.2"], prefix)
    assert r.returncode == 1, r
    assert "kvgen: out of memory for 8191 packet buffers (give DPDK more: -m)" in r.stderr, r


# A fake memcached: answers gets and sets of kvgen's keys; with "bad" it
# first sends, for every request of the workload, one datagram from a list
# of malformed ones (each kind of kvproto's reasons) and one reply with a
# request id nobody asked for, then the right reply; with "lossy" it
# ignores every third request; with "mute" it never answers. Counts what it sent; stops on SIGTERM and prints its counts.
FAKE = r"""
import json, signal, socket, struct, sys
mode = sys.argv[1]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.99.0.2", 11211))
sent = {"ok": 0, "bad": 0, "foreign": 0}
def done(*_):
    print(json.dumps(sent), flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
print("ready", flush=True)
BAD = [b"\x00", b"\x00\x01\x00\x01\x00\x01\x00\x00STORED\r\n", b"\x00\x01\x00\x00\x00\x01\x00\x00HELLO\r\n",
       b"\x00\x01\x00\x00\x00\x01\x00\x00VALUE k 0 32\r\n", b"\x00\x01\x00\x00\x00\x01\x00\x00VALUE key:000000000001 0 32\r\nshort"]
i = 0
while True:
    data, peer = s.recvfrom(2048)
    if mode == "mute":
        continue
    i += 1
    if mode == "lossy" and i % 3 == 0:
        continue
    rid, body = data[:2], data[8:]
    hdr = rid + b"\x00\x00\x00\x01\x00\x00"
    if body.startswith(b"set "):
        reply = hdr + b"STORED\r\n"
    else:
        key = body[4:20]
        reply = hdr + b"VALUE " + key + b" 0 32\r\nv" + key[4:] + b"-" + b"0" * 18 + b"\r\nEND\r\n"
    if mode == "bad" and body.startswith(b"get "):
        s.sendto(BAD[i % len(BAD)], peer)
        other = struct.pack(">H", (struct.unpack(">H", rid)[0] + 30000) % 65536)
        s.sendto(other + b"\x00\x00\x00\x01\x00\x00STORED\r\n", peer)
        sent["bad"] += 1
        sent["foreign"] += 1
    s.sendto(reply, peer)
    sent["ok"] += 1
"""


@pytest.fixture
def fake_server(kvgen):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    ns = Namespaces()
    procs, prefixes = [], []

    def start(mode):
        p = subprocess.Popen(ns.exec(ns.server) + ["/usr/bin/python3", "-c", FAKE, mode],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             stdin=subprocess.DEVNULL)
        procs.append(p)
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
        return p

    def gen(args, timeout=TIMEOUT):
        prefix = f"nfos-kvt-{os.getpid()}"
        vdev = f"net_af_packet0,iface={ns.client_if},qpairs=1"
        return run_kvgen(ns.exec(ns.client) + [kvgen] + eal(prefix) + ["--vdev", vdev, "--"] +
                         ["--server", SERVER_IP, "--ip", GEN_IP] + args,
                         prefix, timeout)

    def popen(args):
        """kvgen with its stdin a pipe; its DPDK files removed at the end."""
        prefix = f"nfos-kvt-{os.getpid()}"
        vdev = f"net_af_packet0,iface={ns.client_if},qpairs=1"
        p = subprocess.Popen(ns.exec(ns.client) + [kvgen] + eal(prefix) + ["--vdev", vdev, "--"]
                             + ["--server", SERVER_IP, "--ip", GEN_IP] + args,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        procs.append(p)
        prefixes.append(prefix)
        return p

    def server_mac():
        out = subprocess.run(["ip", "-n", ns.server, "-o", "link", "show", "dev", ns.server_if],
                             capture_output=True, text=True, timeout=10).stdout
        return re.search(r"link/ether (\S+)", out).group(1)

    yield types.SimpleNamespace(start=start, gen=gen, popen=popen, server_mac=server_mac)
    for p in procs:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
    for prefix in prefixes:
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    ns.close()


def results(out):
    return {r["workload"]: r for r in
            (json.loads(m) for m in re.findall(r"^KVGEN (\{.*\})$", out, re.M))}


def test_kvgen_against_a_fake_server(fake_server):
    fake = fake_server.start("ok")
    r = fake_server.gen(["--keys", "2000", "--workloads", "get90-uniform,get50-zipf",
                         "--seconds", "0.5", "--warmup", "0.1", "--window", "16"])
    assert r.returncode == 0, r
    assert "kvgen: preload: 2000 keys stored" in r.stdout, r
    res = results(r.stdout)
    assert set(res) == {"get90-uniform", "get50-zipf"}, r
    for w in res.values():
        assert w["requests"] > 0 and w["hit_ratio"] == 1.0, w
        assert w["malformed"] == w["unmatched"] == w["bad_value"] == w["errors"] == 0, w
        assert w["hits"] + w["stored"] == w["requests"], w
    fake.terminate()
    assert json.loads(fake.communicate(timeout=10)[0])["ok"] >= 2000


def test_kvgen_counts_malformed_replies(fake_server):
    fake = fake_server.start("bad")
    r = fake_server.gen(["--keys", "500", "--workloads", "get100-uniform", "--seconds", "0.5",
                         "--warmup", "0", "--window", "8"])
    assert r.returncode == 0, r  # counted, not fatal
    w = results(r.stdout)["get100-uniform"]
    assert w["requests"] > 0 and w["hit_ratio"] == 1.0, w
    assert w["malformed"] > 0 and w["unmatched"] > 0, w
    drops = re.search(r"^kvgen: last window's drops: malformed (.*?) \|", r.stdout, re.M)
    assert drops, r
    counts = dict(re.findall(r"([\w-]+) (\d+)", drops.group(1)))
    for reason in ("short", "frame-header", "reply-line", "value-header", "value-data"):
        assert int(counts[reason]) > 0, (reason, drops.group(0))
    fake.terminate()
    sent = json.loads(fake.communicate(timeout=10)[0])
    assert w["malformed"] <= sent["bad"], (w, sent)


def test_kvgen_dst_mac_and_answers_arp(fake_server):
    """With --dst-mac kvgen asks nobody; the server's kernel has to ask ARP
    for kvgen's address before it can reply, and kvgen answers it."""
    fake_server.start("ok")
    mac = fake_server.server_mac()
    r = fake_server.gen(["--dst-mac", mac, "--keys", "100", "--workloads", "get90-uniform",
                         "--preload-timeout", "10",
                         "--seconds", "0.3", "--warmup", "0"])
    assert r.returncode == 0, r
    assert f"kvgen: server {SERVER_IP} is at {mac.upper()}" in r.stdout, r
    assert results(r.stdout)["get90-uniform"]["requests"] > 0, r


def test_kvgen_preload_resends_what_is_lost(fake_server):
    """A server that drops a third of the requests: the preload resends
    until every key is stored (so every get hits), the workload counts the
    lost ones."""
    fake = fake_server.start("lossy")
    r = fake_server.gen(["--keys", "300", "--workloads", "get100-uniform", "--seconds", "0.5",
                         "--warmup", "0", "--window", "16", "--timeout-ms", "5"])
    assert r.returncode == 0, r
    m = re.search(r"^kvgen: preload: 300 keys stored in .*, resent (\d+) \(lost (\d+),", r.stdout,
                  re.M)
    assert m and int(m.group(1)) >= 100 and m.group(1) == m.group(2), r
    w = results(r.stdout)["get100-uniform"]
    assert w["hit_ratio"] == 1.0 and w["lost"] > 0 and w["requests"] > 0, w
    fake.terminate()
    fake.communicate(timeout=10)


def test_kvgen_hold_waits_idle_for_a_line(fake_server):
    """--hold: before each workload's warm-up and after the last, with
    nothing outstanding, kvgen says so and sleeps in read() (no polling)
    until a line comes on stdin."""
    fake = fake_server.start("ok")
    p = fake_server.popen(["--keys", "500", "--workloads", "get90-uniform,get50-zipf",
                           "--seconds", "0.3", "--warmup", "0.1", "--window", "16", "--hold"])
    out = []
    for where in ("before get90-uniform", "before get50-zipf", "at end"):
        for line in p.stdout:
            out.append(line)
            if line.startswith("kvgen: hold"):
                break
        assert out and out[-1] == f"kvgen: hold {where}\n", out
        time.sleep(0.1)  # into its read()
        state0, cpu0 = pid_state(p.pid)
        time.sleep(0.5)
        state1, cpu1 = pid_state(p.pid)
        assert state0 == state1 == "S" and cpu1 - cpu0 < 0.05, (where, state1, cpu1 - cpu0)
        if where != "before get90-uniform":  # the window before it came to its report
            assert list(results("".join(out)).values())[-1]["requests"] > 0, out
        p.stdin.write("\n")
        p.stdin.flush()
    rest, _ = p.communicate(timeout=TIMEOUT)
    out.append(rest)
    assert p.returncode == 0, out
    res = results("".join(out))
    assert set(res) == {"get90-uniform", "get50-zipf"}, out
    assert "".join(out).count("kvgen: hold") == 3, out
    fake.terminate()
    fake.communicate(timeout=10)


def test_kvgen_stops_in_a_hold(fake_server):
    """SIGINT ends the hold's read at once (no SA_RESTART): status 130."""
    fake_server.start("ok")
    p = fake_server.popen(["--keys", "100", "--workloads", "get90-uniform", "--hold"])
    for line in p.stdout:
        if line.startswith("kvgen: hold"):
            break
    time.sleep(0.1)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=10)
    assert p.returncode == 130 and "kvgen: stopped by a signal" in out, out
    assert "warm-up" not in out, out


def test_kvgen_hold_goes_on_at_end_of_file(fake_server):
    """stdin at its end (/dev/null): every hold goes on at once."""
    fake_server.start("ok")
    r = fake_server.gen(["--keys", "200", "--workloads", "get90-uniform,get50-uniform",
                         "--seconds", "0.2", "--warmup", "0", "--hold"], timeout=60)
    assert r.returncode == 0, r
    assert re.findall(r"^kvgen: hold .*$", r.stdout, re.M) == [
        "kvgen: hold before get90-uniform", "kvgen: hold before get50-uniform",
        "kvgen: hold at end"], r
    assert set(results(r.stdout)) == {"get90-uniform", "get50-uniform"}, r


def test_kvgen_silent_server_is_one_line(fake_server):
    fake_server.start("mute")
    r = fake_server.gen(["--keys", "100", "--preload-timeout", "1", "--timeout-ms", "10"])
    assert r.returncode == 1, r
    assert re.search(r"^kvgen: preload: only 0 of 100 keys stored after 1 s", r.stdout, re.M), r


def test_kvgen_no_arp_reply_is_one_line(fake_server):
    r = fake_server.gen(["--server", "10.99.0.77", "--link-timeout", "1"])
    assert r.returncode == 1, r
    assert "kvgen: no ARP reply from 10.99.0.77 in 1 s" in r.stdout, r
