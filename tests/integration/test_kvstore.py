"""kvstore against Debian's memcached (1.6.18), in network namespaces the
tests create and remove: the same request datagrams go to `memcached -U
11211 -p 0 -t 1` on the namespace's TAP address and to kvstore behind that
TAP (linuxu, and kvm through QEMU), and the replies must be identical byte
for byte, frame headers included: every command, noreply, the error
strings, bad frame headers, truncated frames, oversized keys and values,
multi-datagram replies, and a 100,000-request random workload whose final
state is compared key by key. Also: `./nfos run kvstore` with no arguments
answers nc through QEMU's user network, memcslap (libmemcached-tools) drives
it over UDP, and malformed input leaves it alive. Needs root."""

import json
import os
import re
import struct
import subprocess
import tempfile
import time

import pytest

import nfvm_switch
from conftest import (accel, assert_pools_balanced, boot, build, nfos, nfos_argv,
                      nfos_cli, vm_command)
from test_packets import Netns, stop
import kvapps


def kill_group(proc):
    """SIGKILL to proc's process group (it was started in a session of its
    own), then reap it."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate(timeout=30)


def wait_line(proc, pattern, timeout=120):
    """Reads proc's stdout until a line matches (in a thread: a select on
    the pipe misses lines already in Python's buffer); the lines read."""
    import queue
    import threading
    q, lines = queue.Queue(), []

    def reader():
        for line in iter(proc.stdout.readline, ""):
            q.put(line)
            if re.search(pattern, line):
                return
        q.put(None)
    threading.Thread(target=reader, daemon=True).start()
    end = time.time() + timeout
    while time.time() < end:
        try:
            line = q.get(timeout=max(0.1, end - time.time()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
        if re.search(pattern, line):
            return lines
    if proc.poll() is None:
        proc.kill()
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # a child holds the pipes
        out, err = "", "(output held by a child process)"
    raise AssertionError(f"no line matching {pattern!r}: {''.join(lines)}{out} {err}")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")

PY = "/usr/bin/python3"
KVCLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kvclient.py")
PKTIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pktio.py")
HOST, KV = "10.13.0.1", "10.13.0.2"
NOW = int(time.time())


@pytest.fixture
def ns():
    n = Netns(f"nfos-kv{os.getpid()}")
    try:
        n.tap("tap0", f"{HOST}/24")
        n.run("ip", "link", "set", "tap0", "mtu", "2000")  # 1.9 KB values in one frame
        yield n
    finally:
        n.remove()


def run_cases(ns, cases, host, sockets=1):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(cases, f)
    try:
        r = ns.run(PY, KVCLIENT, "cases", f.name, host, "11211", str(sockets), timeout=300)
    finally:
        os.unlink(f.name)
    return json.loads(r.stdout)


def wait_ready(ns, host):
    """Until a version request is answered (memcached has no ready line)."""
    for _ in range(100):
        if run_cases(ns, [case(b"version\r\n")], host) != [["TIMEOUT"]]:
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing answers on {host}:11211")


def memcached(ns, item_max):
    proc = ns.popen("memcached", "-U", "11211", "-p", "0", "-l", HOST, "-u", "root", "-t", "1",
                    "-m", "64", "-I", str(item_max), "-o", f"slab_chunk_max={item_max // 2}")
    try:
        wait_ready(ns, HOST)
    except BaseException:
        stop(proc)
        raise
    return proc


def kvstore(ns, plat, args=(), cpus=1, lines=None, app="kvstore", queues=1):
    """app (kvstore or kvstore-dpdk) on tap0 (with cpus lcores; on kvm with
    queues queue pairs), ready and answering; lines, when given, gets its
    output up to the ready line."""
    # memcached's replies have no datagram limit: lift kvstore's (issue 11;
    # test_kvstore_guard.py tests it) for the comparison.
    args = ["--mem-limit", "64M", "--max-reply-dgrams", "1100"] + list(args)
    lcores = [f"nfos.cpus={cpus}"] if cpus > 1 else []
    if plat == "linuxu":
        proc = ns.popen(*kvapps.linuxu(app, [*lcores, "netdev.dev=tap:tap0",
                                             f"netdev.ip={KV}/24"], args,
                                         smp=cpus > 1))
    else:
        # A tap0 not made multi_queue has one queue pair (QEMU cannot open
        # it with queues=N); lcore 1 idles and says so.
        nets = [{"kind": "tap", "arg": "tap0", "queues": queues}]
        params = nfos_cli.net_params(nets, [f"{KV}/24"], [], "kvm") + lcores
        line = nfos_cli.guest_cmdline(params, kvapps.args(app, ["--epoch", str(int(time.time()))]
                                                          + args))
        # NFOS_VMM=nfvm: nfvm's, on virtio-mmio (nfvm_switch.mmio).
        cmd = nfos_cli.qemu_command(kvapps.image(app, "kvm", smp=cpus > 1), 256 << 20,
                                    nfvm_switch.mmio("microvm,pcie=on"), accel(), line, nets,
                                    cpus=cpus)
        proc = ns.popen(*vm_command(cmd))
    got = wait_line(proc, rf"{app}: ready", timeout=240)
    if lines is not None:
        lines += got
    try:
        wait_ready(ns, KV)  # the kernel's ARP for it done before the cases start
    except BaseException:
        stop(proc)
        raise
    return proc


def case(payload, mode="sentinel", header=None, stats=False):
    d = (header if header is not None else struct.pack(">HHHH", 0, 0, 1, 0)) + payload
    return {"dgram": d.hex(), "mode": mode, "keep_id": header is not None, "stats": stats}


def show(dgrams):
    return [(d[:16], bytes.fromhex(d[16:])[:120]) if d != "TIMEOUT" else d for d in dgrams]


STATS_EQUAL = ("cmd_get", "cmd_set", "cmd_touch", "get_hits", "get_misses", "delete_misses",
               "delete_hits", "incr_misses", "incr_hits", "decr_misses", "decr_hits",
               "cas_misses", "cas_hits", "cas_badval", "touch_hits", "touch_misses",
               "store_too_large", "curr_items", "total_items", "bytes", "evictions",
               "limit_maxbytes")
STATS_COUNTERS = STATS_EQUAL[:16]  # cmd_get ... touch_misses
# kvstore's own counters, after memcached's names (apps/kvstore/kv.h).
STATS_KVSTORE = {"reply_dgram_limit", "reply_rate_limited", "reply_no_buffer",
                 "reply_loop_drops", "exptime_no_clock"}


def stats_of(dgrams):
    data = b"".join(bytes.fromhex(d)[8:] for d in sorted(
        dgrams, key=lambda d: struct.unpack(">H", bytes.fromhex(d)[2:4])[0]))
    assert data.endswith(b"END\r\n"), data
    return dict(re.findall(r"STAT (\S+) (\S+)\r\n", data.decode()))


def compare(cases, mc, kv):
    assert len(mc) == len(kv) == len(cases)
    bad = []
    for c, a, b in zip(cases, mc, kv):
        req = bytes.fromhex(c["dgram"])[8:]
        if c["stats"]:
            sa, sb = stats_of(a), stats_of(b)
            own = set(sb) - set(sa)
            assert own == STATS_KVSTORE, f"kvstore stats not in memcached's: {own}"
            # After a flush, memcached frees flushed items as its LRU meets
            # them; kvstore when a lookup does: only the counters compare.
            names = STATS_EQUAL if c["stats"] is True else STATS_COUNTERS
            diff = {k: (sa[k], sb.get(k)) for k in names if sa[k] != sb.get(k)}
            if diff:
                bad.append(f"stats differ (memcached, kvstore): {diff}")
        elif a != b:
            bad.append(f"{req[:80]!r}:\n   memcached {show(a)}\n   kvstore   {show(b)}")
    assert not bad, f"{len(bad)} of {len(cases)} differ:\n" + "\n".join(bad[:20])


K251, K250 = b"k" * 251, b"k" * 250
BIG = b"".join(b"%04d" % i for i in range(475))  # 1900 bytes: two reply datagrams


# main_cases()'s commands, one datagram each, in order.
MAIN_LINES = [
    b"version\r\n", b"get a\r\n", b"set a 5 0 3\r\nabc\r\n", b"get a\r\n", b"gets a\r\n",
    b"get a b\r\n", b"get b a\r\n", b"get b c\r\n", b"get a b a\r\n", b"gets a b\r\n",
    b"get  a\r\n", b"get a\n", b"bget a\r\n",
    b"add a 0 0 1\r\nx\r\n", b"add b 7 0 2\r\nbb\r\n", b"replace c 0 0 1\r\nx\r\n",
    b"replace b 9 0 3\r\nbbb\r\n", b"append b 0 0 2\r\n++\r\n", b"prepend b 0 0 2\r\n--\r\n",
    b"append c 0 0 1\r\nx\r\n", b"prepend c 0 0 1\r\nx\r\n", b"gets b\r\n",
    b"cas b 0 0 1 {CAS:b}\r\nB\r\n", b"cas b 0 0 1 {CAS:b}\r\nC\r\n", b"gets b\r\n",
    b"cas b 0 0 1 {CAS:b} noreply\r\nD\r\n", b"get b\r\n", b"cas c 0 0 1 1\r\nx\r\n",
    b"cas b 0 0 1 x\r\nx\r\n", b"cas b 0 0 1\r\nx\r\n",
    b"set n 0 0 1\r\n5\r\n", b"incr n 1\r\n", b"incr n 18446744073709551610\r\n",
    b"get n\r\n", b"decr n 100\r\n", b"get n\r\n", b"incr n 123456789\r\n", b"get n\r\n",
    b"decr n 1 noreply\r\n", b"get n\r\n", b"incr a 1\r\n", b"incr zz 1\r\n",
    b"decr zz 1\r\n", b"incr n -1\r\n", b"incr n x\r\n", b"incr n\r\n", b"incr\r\n",
    b"incr n 18446744073709551616\r\n", b"set n 0 0 3\r\n 12\r\n", b"incr n 1\r\n",
    b"set n 0 0 3\r\n12 \r\n", b"incr n 1\r\n", b"set n 0 0 2\r\n1\x00\r\n",
    b"incr n 1\r\n", b"get n\r\n", b"set n 0 0 0\r\n\r\n", b"incr n 1\r\n",
    b"touch a 100\r\n", b"touch zz 100\r\n", b"touch a x\r\n", b"touch a\r\n",
    b"touch a 100 noreply\r\n", b"gat 100 a\r\n", b"gats 100 a b zz\r\n", b"gat x a\r\n",
    b"gat 10\r\n", b"gat\r\n",
    b"set e1 0 -1 1\r\nx\r\n", b"get e1\r\n", b"set e2 0 1000000000 1\r\nx\r\n",
    b"get e2\r\n", b"set e3 0 %d 1\r\nx\r\n" % (NOW + 365 * 86400), b"get e3\r\n",
    b"set e4 0 100000 1\r\nx\r\n", b"get e4\r\n", b"touch e3 -1\r\n", b"get e3\r\n",
    b"delete a\r\n", b"delete a\r\n", b"delete b 0\r\n", b"delete n noreply\r\n",
    b"get n\r\n", b"set d 0 0 1\r\nx\r\n", b"delete d 0 noreply\r\n", b"get d\r\n",
    b"delete d 5\r\n", b"delete d 0 x\r\n", b"delete\r\n", b"delete a b c d\r\n",
    b"set a 0 0 1 noreply\r\na\r\n", b"add a 0 0 1 noreply\r\nb\r\n",
    b"replace a 0 0 1 noreply\r\nc\r\n", b"append a 0 0 1 noreply\r\nd\r\n",
    b"prepend a 0 0 1 noreply\r\ne\r\n", b"get a\r\n", b"incr a 1 noreply\r\n",
    b"set f 4294967295 0 1\r\nx\r\n", b"get f\r\n", b"set f 4294967296 0 1\r\nx\r\n",
    b"get f\r\n", b"set f +1 0 01\r\nx\r\n", b"get f\r\n", b"set  f  2  0  1\r\nx\r\n",
    b"get f\r\n",
    b"bogus\r\n", b"\r\n", b"\n", b"g\r\n", b"get\r\n", b"gets\r\n", b"SET a 0 0 1\r\n",
    b"set a 0 0\r\n", b"set a 0 0 1 2 3\r\n", b"set a 0 0 1 noreply x\r\n",
    b"set a x 0 1\r\nv\r\n", b"set a -1 0 1\r\nv\r\n", b"set a 0 x 1\r\nv\r\n",
    b"set a 0 0 x\r\nv\r\n", b"set a 0 0 -1\r\nv\r\n", b"set a 0 0 1\r\nvvv\r\n",
    b"set a 0 0 1 noreply\r\nvvv\r\n", b"set a x 0 1 noreply\r\nv\r\n",
    b"shutdown\r\n", b"verbosity 1\r\n", b"verbosity\r\n", b"verbosity x\r\n",
    b"verbosity 1 noreply\r\n", b"verbosity 1 2 3\r\n", b"version foo\r\n",
    b"get a\x00b\r\n", b"flush_all x\r\n", b"flush_all 1 2 3\r\n",
    b"stats detail\r\n", b"stats detail on\r\n", b"stats detail off\r\n",
    b"stats bogus\r\n",
    b"set " + K250 + b" 0 0 1\r\nx\r\n", b"get " + K250 + b"\r\n",
    b"set " + K251 + b" 0 0 1\r\nx\r\n", b"get " + K251 + b"\r\n",
    b"gets a " + K251 + b" a\r\n", b"delete " + K251 + b"\r\n",
    b"incr " + K251 + b" 1\r\n", b"touch " + K251 + b" 1\r\n",
    b"gat 1 " + K251 + b"\r\n", b"get " + b" ".join(b"x%d" % i for i in range(40)) + b" a\r\n",
    b"set big 3 0 %d\r\n" % len(BIG) + BIG + b"\r\n", b"get big\r\n", b"gets big\r\n",
    b"get big big\r\n", b"get big a zz big\r\n", b"append big 0 0 60\r\n" + b"z" * 60 + b"\r\n",
    b"get big\r\n",
    b"get " + b" ".join([b"a", b"zz"] * 100) + b"\r\n",  # 200 reply objects
    b"get a\r\nget a\r\n", b"version\r\nversion\r\n", b"set x 0 0 1\r\nv\r\nset y 0 0 1\r\nw\r\n",
    b"version\r\nget x",
    b"quit\r\n", b"version\r\nquit\r\nversion\r\n", b"get x\r\n",
]


def main_cases():
    """Every command, its noreply form and its errors; bad frame headers;
    oversized keys; multi-datagram replies. One command per datagram, as
    UDP clients send them, plus the continuations memcached itself makes
    after an error (a data line read as a command)."""
    p = []
    for line in MAIN_LINES:
        p.append(case(line))
    p.append(case(b"stats\r\n", stats=True))
    p += [case(b"flush_all\r\n"), case(b"get x\r\n"), case(b"set x 0 0 1\r\nv\r\n"),
          case(b"get x\r\n"), case(b"flush_all 0\r\n"), case(b"flush_all noreply\r\n"),
          case(b"flush_all 0 noreply\r\n"), case(b"flush_all -1\r\n"), case(b"get x y\r\n"),
          case(b"stats reset\r\n"), case(b"set r 0 0 1\r\nv\r\n"), case(b"get r zz\r\n"),
          case(b"incr r 1\r\n"), case(b"stats\r\n", stats="counters")]
    # Frame headers: ids are kept as written here.
    p += [case(b"version\r\n", header=struct.pack(">HHHH", 7, 0, 2, 0)),
          case(b"version\r\n", header=struct.pack(">HHHH", 7, 0, 0, 0)),
          case(b"version\r\n", header=struct.pack(">HHHH", 7, 1, 1, 0)),
          case(b"version\r\n", header=struct.pack(">HHHH", 7, 0, 1, 0x101)),
          case(b"version\r\n", header=struct.pack(">HHHH", 0xffff, 0xffff, 1, 0xffff)),
          case(b"", header=struct.pack(">HHHH", 7, 0, 1, 0)),
          case(b"", header=b"\0\7\0\0\0"),
          case(b"", header=b"\0")]
    # Last: memcached keeps waiting for the rest of a value across datagrams.
    p += [case(b"set t 0 0 5\r\nab", mode="quiet")]
    return p


def size_cases():
    """With a 1 KiB item limit (memcached -I 1k, kvstore --max-item-size 1k):
    values at and past the limit, as memcached counts item sizes."""
    p = []
    for line in [b"set big 0 0 962\r\n" + b"v" * 962 + b"\r\n",
                 b"set big 0 0 963\r\n" + b"v" * 963 + b"\r\n",
                 b"set big 1 0 958\r\n" + b"v" * 958 + b"\r\n",
                 b"set big 1 0 959\r\n" + b"v" * 959 + b"\r\n",
                 b"set big 0 0 1000 noreply\r\n" + b"v" * 1000 + b"\r\n",
                 b"set k 0 0 1\r\nx\r\n", b"set k 0 0 1000\r\n" + b"v" * 1000 + b"\r\n",
                 b"get k\r\n", b"set k 0 0 1\r\nx\r\n",
                 b"add k 0 0 1000\r\n" + b"v" * 1000 + b"\r\n",
                 b"replace k 0 0 1000\r\n" + b"v" * 1000 + b"\r\n",
                 b"cas k 0 0 1000 1\r\n" + b"v" * 1000 + b"\r\n", b"get k\r\n",
                 b"append k 0 0 900\r\n" + b"v" * 900 + b"\r\n",
                 b"append k 0 0 990\r\n" + b"v" * 990 + b"\r\n", b"get k\r\n"]:
        p.append(case(line))
    p.append(case(b"stats\r\n", stats=True))
    # Last: too large and cut short; memcached answers, then swallows what
    # follows (kvstore drops the rest of the datagram only).
    p.append(case(b"set k 0 0 2000\r\n" + b"v" * 10, mode="quiet"))
    return p


def conformance(ns, plat, cases, item_max, cpus=1, sockets=1, app="kvstore", queues=1):
    """cases to memcached and to app: the same replies, then app's exit
    report (a kvm guest ends at its --count) with its pools balanced."""
    mc, kv, lines, out = memcached(ns, item_max), None, [], ""
    args = ["--max-item-size", str(item_max)]
    args += ["--count", str(kvapps.count_for(cases))] if plat == "kvm" else []
    try:
        kv = kvstore(ns, plat, args, cpus=cpus, lines=lines, app=app, queues=queues)
        a = run_cases(ns, cases, HOST, sockets)
        b = run_cases(ns, cases, KV, sockets)
        out, err = stop(kv) if plat == "linuxu" else kvapps.until_exit(ns, kv, KV)
    finally:
        stop(mc)
        if kv and kv.poll() is None:
            kv.kill()
            kv.communicate()
    compare(cases, a, b)
    assert_pools_balanced(out)
    assert re.search(rf"^{app}: requests \d+ \|", out, re.M), out
    return "".join(lines) + out


@pytest.mark.parametrize("app", kvapps.APPS)
def test_conformance_linuxu(ns, app):
    conformance(ns, "linuxu", main_cases(), 2048, app=app)


@pytest.mark.parametrize("app, plat", kvapps.CONFORMANCE)
def test_conformance_sizes(ns, app, plat):
    conformance(ns, plat, size_cases(), 1024, app=app)


@pytest.mark.parametrize("app", kvapps.APPS)
@pytest.mark.parametrize("cpus", [1, 2])
def test_conformance_kvm_tap(ns, app, cpus):
    """cpus 2: two vCPUs (QEMU -smp 2) over virtio-net's queue pairs; with
    one pair offered (QEMU's tap without queues=), lcore 1 idles.
    kvstore-dpdk: the same over net_nfos and DPDK's lcores."""
    out = conformance(ns, "kvm", main_cases(), 2048, cpus, 4 * cpus - 3, app)
    if cpus > 1:
        assert re.search(rf"{app}: port 0 \(\S+\): \d queue pair\(s\) for 2 lcores", out), out


def test_random_workload_100k_linuxu(ns):
    mc, kv = memcached(ns, 2048), None
    try:
        kv = kvstore(ns, "linuxu", ["--max-item-size", "2048"])
        r = ns.run(PY, KVCLIENT, "workload", "5", "100000", HOST, "11211", KV, "11211",
                   timeout=600)
    finally:
        stop(mc)
        out, err = stop(kv) if kv else ("", "")
    res = json.loads(r.stdout)
    assert res["requests"] == 100000 and res["keys"] == 1000, res
    assert not res["diffs"] and not res["final_diffs"], json.dumps(res, indent=1)
    assert res["live_keys"] > 100, res  # the comparison saw real data
    m = re.search(r"kvstore: requests (\d+)", out)
    assert m and int(m[1]) >= 101000, out
    assert_pools_balanced(out)


def frag_cases():
    """Requests longer than the TAP's MTU (2000): the kernel sends them as IP
    fragments; memcached's kernel puts them back together, kvstore must."""
    v1 = b"".join(b"%05d" % i for i in range(1000))  # 5000 bytes
    v2 = bytes(range(256)) * 12                       # 3072 bytes, \r\n among them
    p = [case(b"set a 0 0 5000\r\n" + v1 + b"\r\n"), case(b"get a\r\n"),
         case(b"set b 7 0 3072 noreply\r\n" + v2 + b"\r\n"), case(b"gets b\r\n"),
         case(b"append a 0 0 2500\r\n" + v1[:2500] + b"\r\n"), case(b"get a b\r\n"),
         case(b"get " + b" ".join(b"k%d" % i for i in range(600)) + b"\r\n"),  # 4 KB of keys
         case(b"stats\r\n", stats=True)]
    return p


@pytest.mark.parametrize("app, plat", kvapps.CONFORMANCE)
def test_conformance_ip_fragments(ns, app, plat):
    out = conformance(ns, plat, frag_cases(), 16384, app=app)
    m = re.search(rf"{app}: port 0 IP fragments (\d+): (\d+) datagrams reassembled \((\d+) "
                  r"requests\)", out)
    assert m and int(m[2]) == 4 and int(m[3]) == 4, out  # the four requests over 2000 bytes


def test_memcslap_udp_sets_linuxu(ns):
    """libmemcached's memcslap over UDP: sets (libmemcached does no gets over
    UDP) with noreply. Those larger than a frame come as IP fragments, which
    kvstore puts back together: every set is stored."""
    kv = kvstore(ns, "linuxu")
    try:
        r = ns.run("memcslap", "-U", "-s", f"{KV}:11211", "-t", "set", "-e", "200", timeout=120)
        time.sleep(0.5)
        stats = stats_of(run_cases(ns, [case(b"stats\r\n")], KV)[0])
    finally:
        out, err = stop(kv)
    assert "Time to set" in r.stdout + r.stderr, r.stdout + r.stderr
    reqs = int(re.search(r"kvstore: requests (\d+)", out)[1])
    frags = re.search(r"IP fragments (\d+): (\d+) datagrams reassembled .* given up: (\d+) "
                      r"overlapping, too long or inconsistent, (\d+) timed out, (\d+) evicted",
                      out)
    # memcslap -e 200 runs 200 sets at least; every one is stored (the
    # kernel's fragments included) and nothing was given up
    assert int(stats["cmd_set"]) >= 200, (stats, out)
    assert int(stats["cmd_set"]) == int(stats["curr_items"]), (stats, out)
    assert frags and int(frags[2]) > 0 and frags.group(3, 4, 5) == ("0", "0", "0"), out
    # the other requests are ours (readiness probe, stats and its sentinel)
    assert 3 <= reqs - int(stats["cmd_set"]) <= 5, (stats, out)
    assert_pools_balanced(out)
    print(f"memcslap -U: {stats['cmd_set']} sets stored, {frags[2]} of them reassembled "
          f"from {frags[1]} IP fragments")


def test_malformed_storm_leaves_kvstore_alive_linuxu(ns):
    """Malformed frames (pktio's storm: cut short, header bits flipped,
    lengths lied about, garbage), then random and mutated request datagrams;
    then a plain conversation still works and the drops were counted."""
    kv = kvstore(ns, "linuxu")
    try:
        ns.run(PY, PKTIO, "storm", "tap0", "100000", "11", timeout=600)
        ns.run(PY, "-c", f"""
import random, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
rng = random.Random(3)
seeds = [b"set k 0 0 3\\r\\nabc\\r\\n", b"get k k k\\r\\n", b"incr k 1\\r\\n", b"gat 1 k\\r\\n"]
for i in range(20000):
    d = bytearray(struct.pack(">HHHH", i & 0xffff, 0, 1, 0) + rng.choice(seeds))
    for _ in range(rng.randrange(4)):
        d[rng.randrange(len(d))] = rng.choice([0, 10, 13, 32, 45, 48, 255, rng.randrange(256)])
    if rng.random() < 0.3:
        d = d[:rng.randrange(len(d) + 1)]
    if rng.random() < 0.1:
        d = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 1400)))
    s.sendto(bytes(d), ("{KV}", 11211))
""", timeout=300)
        time.sleep(1)
        got = run_cases(ns, [case(b"set ok 0 0 2\r\nhi\r\n"), case(b"get ok\r\n")], KV)
    finally:
        out, err = stop(kv)
    assert [[bytes.fromhex(d)[8:] for d in g] for g in got] == \
        [[b"STORED\r\n"], [b"VALUE ok 0 2\r\nhi\r\nEND\r\n"]], (got, out, err)
    assert re.search(r"kvstore: requests \d+", out), out
    assert re.search(r"kvstore: port 0 dropped malformed \(ipv4_csum\): [1-9]", out), out
    assert re.search(r"kvstore: dropped: bad header [1-9]\d*, multi-datagram [1-9]", out), out
    assert_pools_balanced(out)


def test_kvstore_refuses_bad_arguments_and_memory_linuxu(ns):
    image = build("kvstore", "linuxu")
    r = ns.run(image, "netdev.dev=tap:tap0", f"netdev.ip={KV}/24", "--", "--port", "0",
               check=False)
    assert r.returncode == 2 and "bad value '0' for --port" in r.stderr, r.stderr
    r = ns.run(image, "netdev.dev=tap:tap0", f"netdev.ip={KV}/24", "--", "--mem-limit", "1K",
               check=False)
    assert r.returncode == 2 and "--mem-limit must be at least 1M" in r.stderr, r.stderr
    r = boot(build("kvstore", "kvm"), mem="32M", args=["--mem-limit", "64M"])
    assert r.status == 2 and "cannot allocate --mem-limit 64 MiB" in r.text, r
    r = ns.run(image, "netdev.dev=tap:tap0", "--", check=False)
    assert r.returncode == 2 and "has no address: give --ip ADDR/PREFIX" in r.stderr, r.stderr


@pytest.mark.parametrize("app", kvapps.APPS)
def test_nfos_run_kvstore_no_arguments_answers_nc(app):
    """The README's first command: kvm (TCG without /dev/kvm) on QEMU's user
    network, 127.0.0.1:11211 forwarded; run in a namespace of its own so the
    port is ours. kvstore-dpdk: ./nfos run's --epoch goes to kvstore, not
    to the EAL."""
    kvapps.image(app, "kvm")
    n = Netns(f"nfos-kvu{os.getpid()}")
    proc = None
    try:
        # A session of its own: ./nfos and the QEMU it starts go together.
        # NFOS_VMM=nfvm: QEMU only (its user network).
        proc = subprocess.Popen(["ip", "netns", "exec", n.name]
                                + nfos_argv("run", app, "--timeout", "300"), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        wait_line(proc, rf"{app}: ready", timeout=240)
        hexed = " | od -An -tx1 | tr -d ' \\n'"  # the bytes as they came
        r = n.run("sh", "-c", r"printf '\0\1\0\0\0\1\0\0set k 0 0 1\r\nv\r\n' | "
                  "nc -u -w1 127.0.0.1 11211" + hexed, timeout=30)
        r2 = n.run("sh", "-c", r"printf '\0\2\0\0\0\1\0\0get k\r\n' | nc -u -w1 127.0.0.1 11211"
                   + hexed, timeout=30)
    finally:
        if proc:
            kill_group(proc)
        n.remove()
    assert bytes.fromhex(r.stdout) == b"\0\1\0\0\0\1\0\0STORED\r\n", r.stdout
    assert bytes.fromhex(r2.stdout) == b"\0\2\0\0\0\1\0\0VALUE k 0 1\r\nv\r\nEND\r\n", r2.stdout


@pytest.mark.parametrize("net, msg", [
    ("user:udp:99999", "--net user:udp:99999: expected user[:udp|tcp:HOSTPORT[-GUESTPORT],...]"),
    ("user:sctp:1", "--net user:sctp:1: expected user[:udp|tcp:HOSTPORT[-GUESTPORT],...]"),
])
def test_nfos_run_refuses_bad_user_net(net, msg):
    r = nfos("run", "kvstore", "--net", net, timeout=120)
    assert r.status == 2 and msg in r.err and len(r.err.strip().splitlines()) == 1, r



FRAG_FLOOD = """
import socket, struct, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind(("tap0", 0))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("{host}", 0))
udp.settimeout(10)
kv = socket.inet_aton("{kv}")


def csum(b):
    b += bytes(len(b) & 1)
    c = sum(struct.unpack(f">{len(b) // 2}H", b))
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    return ~c & 0xffff


ours = bytes.fromhex(open("/sys/class/net/tap0/address").read().strip().replace(":", ""))


def frame(src, ident, off, mf, payload):
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                     (0x2000 if mf else 0) | off // 8, 64, 17, 0, src, kv)
    ip = ip[:10] + struct.pack(">H", csum(ip)) + ip[12:]
    smac = ours if src == me else bytes.fromhex("020000000077")  # replies come back to us
    return mac + smac + b"\\x08\\x00" + ip + payload


me, flooder = socket.inet_aton("{host}"), socket.inet_aton("10.13.0.77")
req = struct.pack(">HHHH", 7, 0, 1, 0) + b"set fl 0 0 3000\\r\\n" + b"f" * 3000 + b"\\r\\n"
port = udp.getsockname()[1]
u = struct.pack(">HHHH", port, 11211, 8 + len(req), 0) + req
u = u[:6] + struct.pack(">H", csum(me + kv + struct.pack(">BBH", 0, 17, len(u)) + u) or 0xffff) + u[8:]
parts = [(o, u[o:o + 1480]) for o in range(0, len(u), 1480)]
raw.send(frame(me, 4242, parts[0][0], True, parts[0][1]))  # our first fragment, then the flood
for i in range(int(sys.argv[2])):
    raw.send(frame(flooder, i & 0xffff, 0, True, bytes(1480)))
for k, (o, p) in enumerate(parts[1:], 1):
    raw.send(frame(me, 4242, o, k < len(parts) - 1, p))
try:
    print(udp.recv(2000)[8:].decode(errors="replace").strip())
except socket.timeout:
    print("TIMEOUT")
"""


def test_fragment_flood_from_one_source_leaves_others_working_linuxu(ns):
    """A request's first fragment, then 20000 first fragments of datagrams
    that never end from another address, then the request's other fragments:
    the request is reassembled and answered; only the flooder's own
    datagrams were given up (0 evicted)."""
    kv = kvstore(ns, "linuxu", ["--max-item-size", "16384"])
    try:
        mac = re.search(r"lladdr (\S+)", ns.run("ip", "neigh", "show", KV, "dev", "tap0").stdout)
        assert mac, "no neighbour entry for kvstore"
        r = ns.run(PY, "-c", FRAG_FLOOD.replace("{kv}", KV).replace("{host}", HOST), mac[1],
                   "20000", timeout=300)
        got = run_cases(ns, [case(b"get fl\r\n")], KV)
    finally:
        out, err = stop(kv)
    assert r.stdout.strip() == "STORED", (r.stdout, r.stderr, out)
    assert bytes.fromhex(got[0][0])[8:].startswith(b"VALUE fl 0 3000\r\nfff"), got
    m = re.search(r"IP fragments (\d+): (\d+) datagrams reassembled .* (\d+) evicted", out)
    assert m and int(m[1]) > 10000 and int(m[2]) == 1 and m[3] == "0", out
    assert_pools_balanced(out)
