"""drivers/vhost-user and drivers/virtio-net against a buggy backend
(vhost_backend.py): whatever a backend gets wrong, in the handshake or in
the rings, the image survives it: a handshake fault ends the boot with one
line naming the message and status 2 within the reply timeout, never a
hang; garbage in the used rings is counted in the port's errors, the rings
keep working for the entries that are right, and the exit report balances.

nfos trusts a vhost-user backend with its memory (docs/VHOST-USER.md, "Trust
model"): these tests are about a buggy backend, not a malicious one."""

import re
import signal
import subprocess
import time

import pytest

import conftest
from conftest import build, run_linuxu
from vhost_backend import HDR_LEN, TIMEOUT, Backend, deliver, frame, pop_n, rand

REPLY_TIMEOUT = 5  # drivers/vhost-user's VHU_TIMEOUT_S


@pytest.fixture(scope="module")
def rxsink():
    return build("rxsink", "linuxu")


@pytest.fixture(scope="module")
def l2fwd():
    return build("l2fwd", "linuxu")


HANDSHAKE = {
    # case: (fault, the line after "vhost-user: PATH: ")
    "reply size": (("GET_FEATURES", "size"), "GET_FEATURES: malformed reply (request 1, "
                   "flags 0x5, size 4; expected request 1, flags 0x5, size 8)"),
    "reply request": (("GET_PROTOCOL_FEATURES", "request"), "GET_PROTOCOL_FEATURES: malformed "
                      "reply (request 16, flags 0x5, size 8; expected request 15, flags 0x5, "
                      "size 8)"),
    "reply flags": (("SET_VRING_NUM", "flags"), "SET_VRING_NUM: malformed reply (request 8, "
                    "flags 0x1, size 8; expected request 8, flags 0x5, size 8)"),
    "reply huge": (("SET_FEATURES", "huge"), "SET_FEATURES: malformed reply (request 2, flags "
                   "0x5, size 4294967295; expected request 2, flags 0x5, size 8)"),
    "truncated": (("SET_MEM_TABLE", "truncated"),
                  "SET_MEM_TABLE: the backend closed the connection"),
    "disconnect": (("SET_VRING_ADDR", "close"), "SET_VRING_ADDR: the backend closed the "
                   "connection"),
    "silent": (("SET_VRING_KICK", "silent"), f"SET_VRING_KICK: no complete reply within "
               f"{REPLY_TIMEOUT} s"),
    "slow trickle": (("SET_VRING_ENABLE", "slow"), f"SET_VRING_ENABLE: no complete reply "
                     f"within {REPLY_TIMEOUT} s"),
}


@pytest.mark.parametrize("case", list(HANDSHAKE))
def test_handshake_fault(rxsink, tmp_path, case):
    """One reply wrong (or late, or never): one line, status 2, and no
    longer than the reply timeout however the backend stalls."""
    fault, why = HANDSHAKE[case]
    path = str(tmp_path / "be.sock")
    be = Backend(path, fault=fault)
    t0 = time.monotonic()
    try:
        r = run_linuxu(rxsink, params=[f"netdev.dev=vhost-user:{path}"], args=["--time", "0.2"],
                       timeout=TIMEOUT)
    finally:
        be.close()
    took = time.monotonic() - t0
    assert be.error is None, be.error
    assert r.status == 2, r
    lines = r.err.strip().splitlines()
    assert lines[0] == f"vhost-user: {path}: {why}", r
    # At DRIVER_OK (the port's start) the app's start says which port too.
    assert lines[1:] in ([], [f"netdev: port 0 (vnet0): start failed: {lines[-1].split(': ')[-1]}"]), r
    assert took < REPLY_TIMEOUT + 3, f"{took:.1f} s"
    if case in ("silent", "slow trickle"):
        assert took >= REPLY_TIMEOUT - 0.5, f"gave up early: {took:.1f} s"


def test_trickled_replies_are_put_together(rxsink, tmp_path):
    """Every reply one byte at a time, 10 ms apart: slow, but whole within
    the timeout, so the handshake completes and the image runs."""
    path = str(tmp_path / "be.sock")
    be = Backend(path, trickle=True)
    try:
        r = run_linuxu(rxsink, params=[f"netdev.dev=vhost-user:{path}"], args=["--time", "0.2"],
                       timeout=TIMEOUT)
    finally:
        be.close()
    assert be.error is None, be.error
    assert r.status == 0, r
    assert be.log.count("SET_VRING_ENABLE") == 2, be.log


PORT = re.compile(r"^l2fwd: port 0 vnet0: rx (\d+) pkts \d+ bytes (\d+) errors \d+ drops \d+ "
                  r"empty-polls \| tx (\d+) pkts \d+ bytes (\d+) errors (\d+) drops", re.M)
RX_BAD = 7  # what rx_garbage writes wrong: 2 ids out of the ring, 1 repeat, 3 lengths, 1 idx
TX_BAD = 2  # what the first tx completions get wrong: 1 repeat, 1 id out of the ring


def rx_garbage(be, rnd, until):
    """Eight rx chains answered with eleven used entries, six of them wrong,
    garbage flags and event index in both rings, then used.idx 1000 ahead
    for a while. Returns the frames delivered whole (5)."""
    rx = be.rings[0]
    rx.scribble_flags(rnd)
    be.rings[1].scribble_flags(rnd)
    h = pop_n(be, 0, 8, until)
    rx.push([deliver(be, h[0], frame(rnd)),
             (rx.num + 5, 64), (0xffffffff, 64),            # ids out of the ring
             deliver(be, h[1], frame(rnd)), (h[1][0], 72),  # the same chain twice
             (h[2][0], h[2][2] + 1), (h[3][0], 0), (h[4][0], HDR_LEN),  # lengths
             deliver(be, h[5], frame(rnd, garbage=True)),  # bytes: anything
             deliver(be, h[6], frame(rnd)), deliver(be, h[7], frame(rnd))])
    time.sleep(0.2)
    rx.set_idx(rx.used_idx + 1000)
    rx.interrupt()  # as after any publish: an idle image wakes and sees it
    time.sleep(0.3)
    rx.set_idx(rx.used_idx)
    return 5


def tx_completions(be, rnd, first):
    """Completes the tx chains posted; the very first three get a length
    (ignored on tx), a repeat of the first instead of the second, and an id
    out of the ring instead of the third: those two stay the device's."""
    ring, entries = be.rings[1], []
    while (c := ring.pop()):
        entries.append((c[0], rnd.getrandbits(32)))
    if first and len(entries) >= 3:
        entries[1] = (entries[0][0], 0)
        entries[2] = (ring.num + 1, 0)
        first = False
    if entries:
        ring.push(entries)
        be.tx_done += len(entries)
    return first


def traffic(good, disconnect):
    """The device side: rx garbage, then good frames in bursts as the image
    posts buffers, tx completed as it comes; then either hang up (socket
    closed, rings no longer touched) or keep completing tx until told."""
    def run(be):
        rnd, until = rand(), time.monotonic() + TIMEOUT
        be.tx_done = 0
        be.delivered = rx_garbage(be, rnd, until)
        first = True
        while be.delivered < 5 + good:
            batch = pop_n(be, 0, min(32, 5 + good - be.delivered), until)
            be.rings[0].push([deliver(be, c, frame(rnd)) for c in batch])
            be.delivered += len(batch)
            first = tx_completions(be, rnd, first)
        be.sent_all.set()
        if disconnect:
            return
        while not be.stop.wait(0.002):
            first = tx_completions(be, rnd, first)
    return run


def settle(be, still=1.0):
    """Waits until l2fwd has sent nothing new for a second (it has taken
    every frame delivered and forwarded what it could), at most TIMEOUT."""
    end, last, since = time.monotonic() + TIMEOUT, -1, time.monotonic()
    while time.monotonic() < end:
        if be.tx_done != last:
            last, since = be.tx_done, time.monotonic()
        elif time.monotonic() - since >= still:
            return
        time.sleep(0.05)


def run_l2fwd(l2fwd, path, be):
    p = subprocess.Popen([l2fwd, f"netdev.dev=vhost-user:{path}", "--", "--macswap"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert be.sent_all.wait(TIMEOUT), "the backend never got to deliver everything"
        settle(be)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, err


@pytest.mark.parametrize("disconnect", [False, True], ids=["stays", "hangs up"])
def test_garbage_in_the_rings_is_counted_and_survived(l2fwd, tmp_path, disconnect):
    """l2fwd (MAC swap) against a backend that writes garbage into its used
    rings, then 600 good frames; or that hangs up in the middle of traffic.
    Every good frame is received, every wrong entry counted in the port's
    errors, the exit is clean and (with the pool check in the exit report)
    every netbuf is home or in a ring."""
    good = 600
    path = str(tmp_path / "be.sock")
    be = Backend(path, traffic=traffic(good, disconnect))
    try:
        status, out, err = run_l2fwd(l2fwd, path, be)
    finally:
        be.close()
    assert be.error is None, be.error
    assert status == 0, out + err
    m = PORT.search(out)
    assert m, out
    rx, rx_err, tx, tx_err, _ = map(int, m.groups())
    assert (rx, rx_err) == (5 + good, RX_BAD), out
    drops = int(re.search(r"^l2fwd: total .*\| drops (\d+)", out, re.M).group(1))
    assert rx == tx + drops, out
    if not disconnect:
        assert tx_err == TX_BAD, out
    conftest.assert_pools_balanced(out)  # the exit's pool check (lib/nfapp)
    bad = re.search(r"^virtio-net: vnet0: queue 0: device wrote bad used entries: rx (\d+) ids "
                    r"(\d+) lengths (\d+) indices \| tx (\d+) ids", out, re.M)
    assert bad and tuple(map(int, bad.groups())) == (3, 1, 1, TX_BAD), out
