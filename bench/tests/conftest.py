"""Every bench unit test: made-up round trips stay out of the machine's
remembered near one (build/bench/c2c-near.json)."""

import pytest

from bench.common import placement


@pytest.fixture(autouse=True)
def own_near_file(tmp_path, monkeypatch):
    """Made-up round trips stay out of the machine's remembered near one."""
    monkeypatch.setattr(placement, "C2C_NEAR_FILE", str(tmp_path / "c2c-near.json"))
