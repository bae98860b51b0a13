"""An earlier GX outcome stands again only for the same key and while its stored result is there."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.quality import runner


def _validated(audit: Path, run_id: str, suite: str, *, success: bool) -> runner.SuiteOutcome:
    result = runner.results_dir(audit, run_id) / suite / run_id / "t" / "batch.json"
    result.parent.mkdir(parents=True)
    result.write_text(json.dumps({"success": success}))
    expectation = runner.ExpectationOutcome(rule="non_negative:x", gate="contract", success=success,
                                            type="expect_column_values_to_be_between", column="x", observed=3,
                                            unexpected_count=0 if success else 3)
    return runner.SuiteOutcome(suite, success, [expectation], result)


def test_the_same_key_reuses_the_outcome_and_copies_its_evidence(tmp_path: Path) -> None:
    first = _validated(tmp_path, "run-1", "s", success=False)
    runner.record_reusable(tmp_path, "run-1", {"s": "k1"}, {"s": first})
    again = runner.reusable(tmp_path, "run-2", {"s": "k1"})
    assert again["s"].success is False and again["s"].expectations == first.expectations
    assert again["s"].result_path == tmp_path / "gx" / "run-2" / "s" / "run-1" / "t" / "batch.json"
    assert again["s"].result_path.read_text() == first.result_path.read_text()


def test_another_key_or_a_lost_result_validates_again(tmp_path: Path) -> None:
    first = _validated(tmp_path, "run-1", "s", success=True)
    runner.record_reusable(tmp_path, "run-1", {"s": "k1"}, {"s": first})
    assert runner.reusable(tmp_path, "run-2", {"s": "k2"}) == {}
    assert runner.reusable(tmp_path, "run-2", {"other": "k1"}) == {}
    first.result_path.unlink()
    assert runner.reusable(tmp_path, "run-2", {"s": "k1"}) == {}


def test_the_newest_run_wins_and_a_run_never_reuses_itself(tmp_path: Path) -> None:
    import os

    old = _validated(tmp_path, "run-1", "s", success=False)
    runner.record_reusable(tmp_path, "run-1", {"s": "k"}, {"s": old})
    new = _validated(tmp_path, "run-2", "s", success=True)
    runner.record_reusable(tmp_path, "run-2", {"s": "k"}, {"s": new})
    os.utime(runner.results_dir(tmp_path, "run-1"), (1, 1))
    assert runner.reusable(tmp_path, "run-3", {"s": "k"})["s"].success is True
    assert runner.reusable(tmp_path, "run-2", {"s": "k"})["s"].success is False  # its own record is skipped
