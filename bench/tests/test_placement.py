"""The placement probe's rules without the probe: the near round trip
calibrated and remembered since boot, and a window judged apart, near or
unknown from its two probes."""

from types import SimpleNamespace

from bench.common import placement


def test_near_round_trip_remembered_since_boot(monkeypatch):
    """A benchmark that starts while the host has the cores apart takes the
    fastest round trip an earlier one saw since boot, not its own apart
    probes, for near; a remembered figure from another boot is ignored."""
    probes = []
    monkeypatch.setattr(placement, "probe_c2c", lambda ctx: probes.pop(0))
    ctx = SimpleNamespace(c2c="c2c")
    probes[:] = [150.0, 140.0, 160.0, 145.0, 155.0]
    placement.calibrate_c2c(ctx)
    assert ctx.c2c_near == 140.0
    probes[:] = [860.0, 870.0, 850.0, 880.0, 900.0]  # a later benchmark, cores apart
    placement.calibrate_c2c(ctx)
    assert ctx.c2c_near == 140.0
    assert placement.placed_apart(ctx, [850.0, 860.0])
    assert not placement.placed_apart(ctx, [130.0, 150.0]) and placement.remembered_near() == 130.0
    monkeypatch.setattr(placement, "boot_id", lambda: "another boot")
    probes[:] = [860.0, 870.0, 850.0, 880.0, 900.0]
    placement.calibrate_c2c(ctx)
    assert ctx.c2c_near == 850.0


def test_placement_of_a_window():
    ctx = SimpleNamespace(c2c="c2c", c2c_near=150.0)
    assert placement.placement(ctx, [150.0, 160.0]) == "near"
    assert placement.placement(ctx, [150.0, 900.0]) == "apart"
    assert placement.placement(ctx, [900.0, None]) == "apart"
    assert placement.placement(ctx, [None, 150.0]) == "unknown"  # a probe failed: not clean
    assert placement.placement(SimpleNamespace(c2c=None, c2c_near=None), [None, None]) == "near"
