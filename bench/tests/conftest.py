"""Every bench unit test: made-up round trips stay out of the machine's
remembered near one (build/bench/c2c-near.json), and bench all's report
looks for its separate runs (bench boot with nfvm, bench density) in an
empty folder of the test's own, not in bench/results."""

import pytest

from bench.all import issue15
from bench.common import placement


@pytest.fixture(autouse=True)
def own_near_file(tmp_path, monkeypatch):
    """Made-up round trips stay out of the machine's remembered near one."""
    monkeypatch.setattr(placement, "C2C_NEAR_FILE", str(tmp_path / "c2c-near.json"))


@pytest.fixture(autouse=True)
def own_results_dir(tmp_path, monkeypatch):
    """The report's separate runs come from tmp_path/results (empty unless
    a test writes there)."""
    monkeypatch.setattr(issue15, "RESULTS", str(tmp_path / "results"))
