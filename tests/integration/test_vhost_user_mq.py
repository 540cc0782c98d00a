"""Queue pairs over drivers/vhost-user on linuxu: the backend says how many
it has (the MQ protocol feature, GET_QUEUE_NUM), the transport offers MQ
and plays the control queue, whose VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET enables
the other pairs' rings; l2fwd (MAC swap) on two lcores answers on the
queue pair each frame came in on. Against the test backend (every ring
checked) and against dpdk-testpmd's net_vhost with queues=2, the real peer."""

import re
import signal
import subprocess
import time

import pytest

from conftest import assert_pools_balanced, build
from test_vhost_user import RING, needs_testpmd, port_line, started, vhost  # noqa: F401
from vhost_backend import HDR_LEN, TIMEOUT, Backend, deliver, frame, pop_n, rand

FRAMES = 40  # per queue pair


def lcore_rx(out, lcore):
    m = re.search(rf"^l2fwd: lcore {lcore} rx (\d+) pkts tx (\d+) pkts .*\| queue pair {lcore}$",
                  out, re.M)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def two_pairs(be):
    """FRAMES frames into each rx ring (0 and 2); what comes back on each tx
    ring (1 and 3), completed as it comes."""
    rnd, until = rand(), time.monotonic() + TIMEOUT
    be.back = {1: [], 3: []}
    for rx in (0, 2):
        be.rings[rx].push([deliver(be, c, frame(rnd)) for c in pop_n(be, rx, FRAMES, until)])
    while sum(map(len, be.back.values())) < 2 * FRAMES:
        assert time.monotonic() < until, {q: len(v) for q, v in be.back.items()}
        for tx in (1, 3):
            c = be.rings[tx].pop()
            if c:
                head, off, length = c
                be.back[tx].append(bytes(be.mem.buf[off + HDR_LEN:off + length]))
                be.rings[tx].push([(head, 0)])
        time.sleep(0.001)
    be.sent_all.set()
    be.stop.wait(TIMEOUT)


def test_two_queue_pairs_test_backend(tmp_path):
    path = str(tmp_path / "be.sock")
    be = Backend(path, traffic=two_pairs, queues=2)
    p = subprocess.Popen([build("l2fwd", "linuxu", smp=True), f"netdev.dev=vhost-user:{path}",
                          "nfos.cpus=2", "nfos.verbose=1", "--", "--macswap"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert be.sent_all.wait(TIMEOUT), "the frames never all came back"
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        be.close()
    assert be.error is None, be.error
    assert p.returncode == 0, out + err
    assert "GET_QUEUE_NUM" in be.log and be.enabled == {0, 1, 2, 3}, be.log
    assert re.search(r"vhost-user: \S+: 2 queue pairs enabled", out), out
    assert "l2fwd: 2 lcores, lcore i on queue pair i of every port" in out, out
    # Each pair's frames went back on the same pair, MACs swapped.
    for q in (1, 3):
        assert len(be.back[q]) == FRAMES, out
        assert all(f[:12] == bytes.fromhex("020000000001" "020000007600") for f in be.back[q])
    assert lcore_rx(out, 0) == (FRAMES, FRAMES) and lcore_rx(out, 1) == (FRAMES, FRAMES), out
    for q in (0, 1):
        assert f"l2fwd: port 0 queue pair {q}: rx {FRAMES} pkts tx {FRAMES} pkts" in out, out
    assert_pools_balanced(out)


@pytest.mark.parametrize("queues, args, says", [
    (1, ["nfos.cpus=2", "--", "--queues", "2"],
     "netdev: port 0 (vnet0): 2 queue pairs asked, virtio-net offers 1"),
    (2, ["nfos.cpus=3", "--", "--queues", "3"],
     "netdev: port 0 (vnet0): 3 queue pairs asked, virtio-net offers 2"),
])
def test_more_pairs_than_the_backend_has(tmp_path, queues, args, says):
    path = str(tmp_path / "be.sock")
    be = Backend(path, queues=queues)
    try:
        r = subprocess.run([build("l2fwd", "linuxu", smp=True), f"netdev.dev=vhost-user:{path}"] + args,
                           capture_output=True, text=True, timeout=TIMEOUT)
    finally:
        be.close()
    assert r.returncode == 2 and says in r.stderr, r
    assert ("GET_QUEUE_NUM" in be.log) == (queues > 1), be.log


@needs_testpmd
def test_two_queue_pairs_testpmd(vhost):
    """testpmd (net_vhost, queues=2, rxonly) sends 8 bursts of 32 on each
    queue; l2fwd on two lcores swaps and sends every one back on its pair."""
    tp = vhost.backend("rxonly", queues=2)
    app = vhost.image("l2fwd", "--macswap", params=["nfos.cpus=2"])
    started(tp, app, "l2fwd")
    app.wait_for(r"lcore i on queue pair i")
    tp.send("start tx_first 8")
    end = time.monotonic() + TIMEOUT
    while tp.port_stats()["RX-packets"] < 2 * RING:
        assert time.monotonic() < end, (tp.text[-3000:], app.text[-3000:])
        time.sleep(0.1)
    tp.stop()
    st = tp.port_stats()
    assert st["TX-packets"] == st["RX-packets"] == 2 * RING, st
    app.p.send_signal(2)
    status, out = app.finish()
    assert status == 0, out
    assert lcore_rx(out, 0) == (RING, RING) and lcore_rx(out, 1) == (RING, RING), out
    c = port_line(out, "l2fwd")
    assert (c["rx"], c["tx"], c["rx_errors"], c["tx_errors"]) == (2 * RING, 2 * RING, 0, 0), c
