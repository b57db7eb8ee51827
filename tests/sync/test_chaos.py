"""kill -9 of the syncing process, 50 times, while 2,000 punches drain (benchmarks.chaos)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.chaos import run_chaos


@pytest.mark.slow
def test_kill_9_while_draining_loses_nothing_and_stores_nothing_twice(tmp_path: Path) -> None:
    result = run_chaos(tmp_path, kills=50, punches=2000, seed=3)
    assert result["kills"] == 50
    assert result["sent"] == 2000 and result["local_gap_free"]
    assert result["pending_left"] == 0
    assert (result["lost"], result["duplicates"], result["gaps"], result["unexpected"]) == \
        (0, 0, 0, 0)
    assert result["stored"] == 2000
    assert result["kills_mid_batch"] > 0, "some kills must land while a batch is in flight"
