"""drivers/virtio with VIRTIO_F_IN_ORDER (virtio 1.1, 2.7.9) against a
device that uses it as the spec lets it (vhost_backend.py): one used entry
for a whole batch of tx chains, the others never written. The driver takes
every chain up to the entry's id back (tx reads only the newest entry), so
l2fwd forwards every frame, counts no error, and its pools balance at exit.
DPDK's vhost (the benchmarks' backend) writes an entry per chain, which the
other vhost-user tests run."""

import re
import time

import conftest
from conftest import build
from test_vhost_user_buggy import PORT, run_l2fwd
from vhost_backend import IN_ORDER, TIMEOUT, Backend, deliver, frame, pop_n, rand

GOOD = 600
PACE_S = 0.2


def batched_tx(be, rnd):
    """Completes every tx chain posted with one used entry, the newest's
    id (a random length: tx ignores it); entries before it in the ring are
    garbage that the device never wrote as entries."""
    ring, heads = be.rings[1], []
    while (c := ring.pop()):
        heads.append(c[0])
    if heads:
        ring.push([(heads[-1], rnd.getrandbits(32))])
        be.tx_done += len(heads)
        be.tx_entries += 1


def traffic(be):
    rnd, until = rand(), time.monotonic() + TIMEOUT
    be.tx_done = be.tx_entries = be.delivered = 0
    while be.delivered < GOOD:
        batch = pop_n(be, 0, min(1 + rnd.randrange(32), GOOD - be.delivered), until)
        be.rings[0].push([deliver(be, c, frame(rnd)) for c in batch])
        be.delivered += len(batch)
        # The next batch once this one came back (or after PACE_S): at
        # most a batch in flight, so a correct driver's tx ring never
        # fills, however late this thread runs on a loaded host; a driver
        # that frees only each entry's own chain still fills it.
        pace = time.monotonic() + PACE_S
        batched_tx(be, rnd)
        while be.tx_done < be.delivered and time.monotonic() < pace:
            time.sleep(0.0005)
            batched_tx(be, rnd)
    be.sent_all.set()
    while not be.stop.wait(0.002):
        batched_tx(be, rnd)


def test_one_used_entry_for_a_tx_batch(tmp_path):
    path = str(tmp_path / "be.sock")
    be = Backend(path, traffic=traffic, features=IN_ORDER)
    try:
        status, out, err = run_l2fwd(build("l2fwd", "linuxu"), path, be)
    finally:
        be.close()
    assert be.error is None, be.error
    assert status == 0, out + err
    assert be.acked is not None and be.acked & IN_ORDER, hex(be.acked or 0)
    m = PORT.search(out)
    assert m, out
    rx, rx_err, tx, tx_err, _ = map(int, m.groups())
    assert (rx, rx_err, tx_err) == (GOOD, 0, 0), out
    drops = int(re.search(r"^l2fwd: total .*\| drops (\d+)", out, re.M).group(1))
    # None dropped: a driver that took the entry for its own chain only
    # would leave the rest in flight and find the ring full after 256.
    assert (tx, drops) == (GOOD, 0), out
    # Fewer used entries than chains: the batches really were batches.
    assert be.tx_entries < be.tx_done, (be.tx_entries, be.tx_done)
    assert "device wrote bad used entries" not in out, out
    conftest.assert_pools_balanced(out)
