"""The alternate-and-retry loop and the summaries, with made-up runs."""

from bench.common.proc import RunFailed, Unavailable
from bench.common.rounds import alternate
from bench.common.stats import fmt, paired, summary, table


def loop(outcomes, subjects=("a", "b"), rounds=4, want=2, rejudge=None):
    """Runs alternate() with run results taken from outcomes[subject] in
    order (a dict is a result, an exception is raised); returns what it
    returned, the order it ran them in, the lines it showed and the status."""
    order, shown = [], []
    status = {s: "available" for s in subjects}

    def run(subject, i):
        order.append((subject, i))
        x = outcomes[subject].pop(0)
        if isinstance(x, Exception):
            raise x
        return dict(x)
    pending, failed = alternate(list(subjects), status, rounds,
                                lambda runs: sum(r["clean"] for r in runs) >= want, run,
                                lambda s, i, r: shown.append((s, i)),
                                lambda s, i: f"{s} run {i}", rejudge)
    return pending, failed, order, shown, status


def test_subjects_alternate_and_disturbed_runs_are_tried_again():
    ok, bad = {"clean": True}, {"clean": False}
    pending, failed, order, _, _ = loop({"a": [ok, bad, ok], "b": [ok, ok]})
    assert order == [("a", 1), ("b", 1), ("b", 2), ("a", 2), ("a", 3)]
    assert [r["round"] for r in pending["a"]] == [1, 2, 3]
    assert [r["clean"] for r in pending["a"]] == [True, False, True]
    assert len(pending["b"]) == 2 and failed == {}


def test_rounds_run_out():
    bad = {"clean": False}
    pending, _, order, _, _ = loop({"a": [bad] * 3}, subjects=("a",), rounds=3)
    assert len(order) == 3 and len(pending["a"]) == 3


def test_unavailable_and_failed_subjects_are_left_out(capsys):
    ok = {"clean": True}
    pending, failed, order, shown, status = loop(
        {"a": [Unavailable("no driver")], "b": [ok, RunFailed("broke", ["last line"])]})
    assert status["a"] == "unavailable: no driver" and pending["a"] == []
    assert "b" not in pending and str(failed["b"]) == "broke"
    assert order == [("a", 1), ("b", 1), ("b", 2)] and shown == [("b", 1)]
    out = capsys.readouterr()
    assert "  a: unavailable: no driver" in out.out
    assert "b run 2: broke\n    | last line" in out.err


def test_rejudge_before_each_round_and_at_the_end():
    calls = []
    loop({"a": [{"clean": True}] * 2}, subjects=("a",),
         rejudge=lambda pending: calls.append(len(pending["a"])))
    assert calls == [0, 1, 2, 2]


def test_summaries_and_tables():
    assert summary([]) is None
    assert summary([3, 1, 2]) == {"median": 2, "min": 1, "max": 3, "n": 3}
    assert summary([1.0], count="runs")["runs"] == 1
    assert fmt(summary([1.0, 2.0, 4.0]), 1) == "2.0 (1.0-4.0)" and fmt(None, 1) == "-"
    assert table([("a", "bb", "c"), ("ccc", "d", "e"), ("x", "a long last cell")]) == [
        "  a    bb  c", "  ccc  d   e", "  x    a long last cell"]
    a = [{"round": 1, "busy": 100.0, "clean": True}, {"round": 2, "busy": 90.0, "clean": False}]
    b = [{"round": 1, "busy": 50.0, "clean": True}, {"round": 2, "busy": 30.0, "clean": True}]
    assert paired(a, b)["median"] == 2.0  # round 2 was disturbed on one side
