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
import sys
import time

import pytest

from conftest import ROOT, nfos
from test_bench_pps import dpdk_unusable

sys.path.insert(0, os.path.join(ROOT, "bench", "kv"))
import bench_kv  # noqa: E402

SUBJECTS = ("kvstore-linuxu", "kvstore-kvm", "memcached")
KVGEN = bench_kv.KVGEN
TIMEOUT = 120


@pytest.fixture(autouse=True)
def own_near_file(tmp_path, monkeypatch):
    """Made-up round trips stay out of the machine's remembered near one."""
    monkeypatch.setattr(bench_kv.bench_pps, "C2C_NEAR_FILE", str(tmp_path / "c2c-near.json"))


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
    why = kv_unusable()
    if why:
        pytest.skip(why)
    r = nfos("bench", "kv", "--smoke", timeout=600)
    assert r.status == 0, r
    assert "SMOKE" in r.out and "results:" not in r.out, r  # smoke runs keep nothing
    said = dict(re.findall(r"^  (kvstore-\w+|memcached): ((?:unavailable|skipped): .+)$", r.out,
                           re.M))
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
             timeout=bench_kv.linuxvm.BOOT_TIMEOUT + 120)
    m = re.search(r"^  linux-vm: unavailable: (.+)$", r.out, re.M)
    if m:
        pytest.skip(f"the Linux VM peer is unusable here: {m.group(1)}")
    assert r.status == 0, r
    acc = bench_kv.linuxvm.accel()[0]
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


def test_linux_vm_ratios_are_labelled():
    """kvstore over memcached-in-the-VM: "same accelerator" only when both
    ran under the same one, else "best available here"; key counts shown."""
    def res(accel, keys, rps):
        sm = {"rps": {"median": rps, "min": rps, "max": rps}}
        return {"accel": accel, "keys": keys, "summary": {"get90-uniform": sm}}
    results = {"linux-vm": res("tcg", 20000, 1000.0), "kvstore-tcg": res("tcg", 20000, 5000.0),
               "kvstore-kvm": res("kvm", 1000000, 200000.0)}
    r = bench_kv.ratios(results, ["get90-uniform"])[0]
    assert r["kvstore-tcg_over_linux-vm_rps"] == {
        "ratio": 5.0, "accels": "tcg vs tcg", "label": "same accelerator",
        "keys": "20000 vs 20000"}
    assert r["kvstore-kvm_over_linux-vm_rps"]["label"] == "best available here"
    assert r["kvstore-kvm_over_linux-vm_rps"]["ratio"] == 200.0
    del results["linux-vm"]
    assert not any("linux-vm" in k for k in bench_kv.ratios(results, ["get90-uniform"])[0])


@pytest.mark.parametrize("argv", [["--bogus"], ["--workloads", "get90-gauss"],
                                  ["--workloads", "get101-zipf"], ["--subjects", "redis"],
                                  ["--runs", "0"], ["--keys", "1"], ["--window", "0"],
                                  ["--vm-keys", "1"], ["--vm-keys", "lots"]])
def test_bench_kv_bad_options(argv):
    r = nfos("bench", "kv", *argv, timeout=60)
    assert r.status == 2 and "nfos bench kv: error:" in r.err, r


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
    ns = bench_kv.Namespaces()
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
                         ["--server", bench_kv.SERVER_IP, "--ip", bench_kv.GEN_IP] + args,
                         prefix, timeout)

    def popen(args):
        """kvgen with its stdin a pipe; its DPDK files removed at the end."""
        prefix = f"nfos-kvt-{os.getpid()}"
        vdev = f"net_af_packet0,iface={ns.client_if},qpairs=1"
        p = subprocess.Popen(ns.exec(ns.client) + [kvgen] + eal(prefix) + ["--vdev", vdev, "--"]
                             + ["--server", bench_kv.SERVER_IP, "--ip", bench_kv.GEN_IP] + args,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        procs.append(p)
        prefixes.append(prefix)
        return p

    def server_mac():
        out = subprocess.run(["ip", "-n", ns.server, "-o", "link", "show", "dev", ns.server_if],
                             capture_output=True, text=True, timeout=10).stdout
        return re.search(r"link/ether (\S+)", out).group(1)

    yield types_ns(start=start, gen=gen, popen=popen, server_mac=server_mac)
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


def types_ns(**kw):
    import types
    return types.SimpleNamespace(**kw)


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
    assert f"kvgen: server {bench_kv.SERVER_IP} is at {mac.upper()}" in r.stdout, r
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


def proc_state(pid):
    """(state letter, user + system seconds) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0], (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        state0, cpu0 = proc_state(p.pid)
        time.sleep(0.5)
        state1, cpu1 = proc_state(p.pid)
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


class Lines:
    def __init__(self, lines):
        self.lines = lines


def interval(rx, busy, secs=1.0):
    return (f"kvstore: interval rx {rx} pkts 0.100 Mpp/s | tx {rx} pkts 0.100 Mpp/s | drops 0 | "
            f"busy {busy} cycles/pkt | {secs:.2f} s")


def test_busy_cycles_of_a_window():
    """kvstore's interval lines weighted by packets and by the part of each
    inside the window; lines outside it, totals and other text ignored."""
    server = Lines([(10.0, interval(1000, 900.0)),       # covers [9, 10]: outside
                    (11.0, interval(1000, 100.0)),       # [10, 11]: all inside
                    (12.0, interval(3000, 300.0)),       # [11, 12]: half inside
                    (12.5, "kvstore: total rx 5000 pkts 0.1 Mpp/s | tx 5000 pkts 0.1 Mpp/s | "
                           "drops 0 | busy 1.0 cycles/pkt | 3.00 s"),
                    (13.0, "kvstore: something else")])
    # weights: 1000 * 1 and 3000 * 0.5 -> (1000*100 + 1500*300) / 2500
    assert bench_kv.busy_in(server, 10.0, 11.5) == 220.0
    assert bench_kv.busy_in(server, 20.0, 21.0) is None


def test_others_share_of_the_cores():
    a = (100.0, [10.0, 20.0], {0: 50.0, 1: 60.0})
    b = (102.0, [11.9, 21.0], {0: 52.0, 1: 62.0})
    own, others = bench_kv.shares(a, b)
    assert own == [0.95, 0.5]
    assert others == {0: 0.05, 1: 0.5}


# A stand-in for kvgen --hold: holds before each workload and at the end,
# each answered by a line on stdin, with a window between them.
FAKE_KVGEN = r"""
import sys, time
for w in ("get100-uniform", "get50-zipf"):
    print(f"kvgen: hold before {w}", flush=True)
    if sys.stdin.readline() != "\n":
        sys.exit(3)
    print(f"kvgen: {w}: measuring 0.1 s", flush=True)
    time.sleep(0.1)
    print(f"kvgen: {w}: 1000 req/s | hit 1.0000", flush=True)
print("kvgen: hold at end", flush=True)
sys.exit(0 if sys.stdin.readline() == "\n" else 3)
"""


def test_follow_probes_at_each_hold_with_the_server_stopped(tmp_path, monkeypatch):
    """follow() answers each hold of kvgen's after one probe taken while the
    server's process group is stopped; the server goes on afterwards. Each
    workload gets the probe before its warm-up and the next one."""
    server = bench_kv.Proc("server", ["sleep", "30"], bench_kv.SERVER_CORE, str(tmp_path))
    gen = bench_kv.Proc("kvgen", [sys.executable, "-c", FAKE_KVGEN], bench_kv.GEN_CORE,
                        str(tmp_path), stdin_pipe=True)
    states = []

    def probe(ctx):
        states.append(proc_state(server.p.pid)[0])
        return 100.0 * len(states)
    monkeypatch.setattr(bench_kv.bench_pps, "probe_c2c", probe)
    try:
        marks, holds = bench_kv.follow(types_ns(c2c_near=None), gen, [gen, server], time.monotonic() + 30)
        assert gen.p.returncode == 0, gen.text()
        assert states == ["T", "T", "T"], states
        assert proc_state(server.p.pid)[0] in "RS"  # let go
        assert holds == [("get100-uniform", 100.0, 100.0), ("get50-zipf", 200.0, 200.0),
                         (None, 300.0, 300.0)]
        assert {w: len(m) for w, m in marks.items()} == {"get100-uniform": 2, "get50-zipf": 2}
        assert bench_kv.around(holds, "get100-uniform") == [100.0, 200.0]
        assert bench_kv.around(holds, "get50-zipf") == [200.0, 300.0]
        assert bench_kv.around(holds, "get90-zipf") == [None, None]
    finally:
        server.signal(bench_kv.signal.SIGKILL)
        server.wait(5)
        gen.wait(5)


def test_hold_waits_idle_for_the_cores_to_come_back_near(tmp_path, monkeypatch):
    """A hold that finds the cores apart closes the window before with that
    probe, then leaves them idle (server stopped) and probes again until
    they are near, which opens the next window; it gives up after
    SETTLE_S."""
    server = bench_kv.Proc("server", ["sleep", "30"], bench_kv.SERVER_CORE, str(tmp_path))
    seq, states = [900.0, 880.0, 140.0], []

    def probe(ctx):
        states.append(proc_state(server.p.pid)[0])
        return seq.pop(0) if seq else 870.0
    monkeypatch.setattr(bench_kv.bench_pps, "probe_c2c", probe)
    monkeypatch.setattr(bench_kv, "SETTLE_STEP", 0.01)
    ctx = types_ns(c2c="c2c", c2c_near=130.0)
    try:
        assert bench_kv.hold_probe(ctx, server) == (900.0, 140.0)
        assert states == ["T", "T", "T"]  # stopped all along
        assert proc_state(server.p.pid)[0] in "RS"
        monkeypatch.setattr(bench_kv, "SETTLE_S", 0.1)
        t0 = time.monotonic()
        assert bench_kv.hold_probe(ctx, server) == (870.0, 870.0)  # never near: given up
        assert time.monotonic() - t0 < 2
        holds = [("a", 150.0, 150.0), ("b", 900.0, 140.0), (None, 160.0, 160.0)]
        assert bench_kv.around(holds, "a") == [150.0, 900.0]
        assert bench_kv.around(holds, "b") == [140.0, 160.0]
    finally:
        server.signal(bench_kv.signal.SIGKILL)
        server.wait(5)


def test_hold_probe_lets_the_server_go_whatever_happens(tmp_path, monkeypatch):
    server = bench_kv.Proc("server", ["sleep", "30"], bench_kv.SERVER_CORE, str(tmp_path))

    def broken(ctx):
        raise KeyboardInterrupt
    try:
        monkeypatch.setattr(bench_kv.bench_pps, "probe_c2c", broken)
        with pytest.raises(KeyboardInterrupt):
            bench_kv.hold_probe(types_ns(c2c_near=None), server)
        assert proc_state(server.p.pid)[0] in "RS"  # let go
        monkeypatch.setattr(bench_kv.bench_pps, "probe_c2c", lambda ctx: None)
        assert bench_kv.hold_probe(types_ns(c2c_near=None), None) == (None, None)  # no server: the probe
    finally:
        server.signal(bench_kv.signal.SIGKILL)
        server.wait(5)
    assert bench_kv.hold_probe(types_ns(c2c_near=None), server) == (None, None)  # gone: no error


def test_placement_of_a_window():
    ctx = types_ns(c2c="c2c", c2c_near=150.0)
    assert bench_kv.placement(ctx, [150.0, 160.0]) == "near"
    assert bench_kv.placement(ctx, [150.0, 900.0]) == "apart"
    assert bench_kv.placement(ctx, [900.0, None]) == "apart"
    assert bench_kv.placement(ctx, [None, 150.0]) == "unknown"  # a probe failed: not clean
    assert bench_kv.placement(types_ns(c2c=None, c2c_near=None), [None, None]) == "near"


def test_windows_judged_again_when_near_is_revised():
    """A calibration that ran while the host had the cores apart took apart
    for near; once a later probe shows the real near round trip, windows
    judged against the wrong one are judged again."""
    ctx = types_ns(c2c="c2c", c2c_near=850.0)
    early = {"c2c_cycles": [860.0, 900.0], "quiet": True}
    noisy = {"c2c_cycles": [150.0, 140.0], "quiet": False}
    bench_kv.judge(ctx, early)
    assert early["clean"] and not early["placed_apart"]  # nothing better known yet
    late = {"c2c_cycles": [150.0, 140.0], "quiet": True}
    bench_kv.judge(ctx, late)
    assert late["clean"] and ctx.c2c_near == 140.0
    bench_kv.rejudge(ctx, {"kvstore-linuxu": [{"workloads": {"a": early, "b": noisy}}]})
    assert not early["clean"] and early["placed_apart"]
    assert not noisy["clean"] and not noisy["placed_apart"]  # others took the cores


def test_near_round_trip_remembered_since_boot(monkeypatch):
    """A benchmark that starts while the host has the cores apart takes the
    fastest round trip an earlier one saw since boot, not its own apart
    probes, for near; a remembered figure from another boot is ignored."""
    pps = bench_kv.bench_pps
    probes = []
    monkeypatch.setattr(pps, "probe_c2c", lambda ctx: probes.pop(0))
    ctx = types_ns(c2c="c2c")
    probes[:] = [150.0, 140.0, 160.0, 145.0, 155.0]
    pps.calibrate_c2c(ctx)
    assert ctx.c2c_near == 140.0
    probes[:] = [860.0, 870.0, 850.0, 880.0, 900.0]  # a later benchmark, cores apart
    pps.calibrate_c2c(ctx)
    assert ctx.c2c_near == 140.0
    assert pps.placed_apart(ctx, [850.0, 860.0])
    assert not pps.placed_apart(ctx, [130.0, 150.0]) and pps.remembered_near() == 130.0
    monkeypatch.setattr(pps, "boot_id", lambda: "another boot")
    probes[:] = [860.0, 870.0, 850.0, 880.0, 900.0]
    pps.calibrate_c2c(ctx)
    assert ctx.c2c_near == 850.0


def test_clean_results_are_counted_per_workload():
    """A subject is done when every workload has --runs clean results, from
    whichever runs they came."""
    def run(**clean):
        return {"workloads": {w: {"clean": c} for w, c in clean.items()}}
    ws = ["get100-uniform", "get50-zipf"]
    a = run(**{"get100-uniform": True, "get50-zipf": False})
    b = run(**{"get100-uniform": False, "get50-zipf": True})
    assert not bench_kv.enough_clean([a], ws, 1)
    assert bench_kv.enough_clean([a, b], ws, 1)
    assert not bench_kv.enough_clean([a, b, a], ws, 2)
    assert bench_kv.enough_clean([a, b, a, b], ws, 2)
