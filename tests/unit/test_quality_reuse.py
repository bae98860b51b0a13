"""An earlier GX outcome stands again only for the same key and while its stored result is there."""

from __future__ import annotations

import json
from pathlib import Path

from orchestration.quality import runner


def _validated(audit: Path, run_id: str, suite: str, *, success: bool) -> runner.SuiteOutcome:
    result = runner.results_dir(audit, run_id) / suite / run_id / "t" / "batch.json"
    result.parent.mkdir(parents=True)
    result.write_text(json.dumps({"success": success}))
    expectation = runner.ExpectationOutcome(
        rule="non_negative:x",
        gate="contract",
        success=success,
        type="expect_column_values_to_be_between",
        column="x",
        observed=3,
        unexpected_count=0 if success else 3,
    )
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


def test_an_outcome_of_another_volume_minimum_stands_only_where_the_caller_accepts_it(tmp_path: Path) -> None:
    first = _validated(tmp_path, "run-1", "s", success=True)
    runner.record_reusable(tmp_path, "run-1", {"s": "k1"}, {"s": first}, loose={"s": "loose"})
    asked = []

    def accept(name: str, outcome: runner.SuiteOutcome) -> str | None:
        asked.append((name, outcome.success))
        return "same count, still above"

    again = runner.reusable(tmp_path, "run-2", {"s": "k2"}, loose={"s": "loose"}, accept=accept)
    assert asked == [("s", True)]
    assert again["s"].reuse_note == "outcome of run run-1 taken again: same count, still above"
    assert again["s"].result_path.parent.parts[-4] == "run-2"  # copied into this run's results
    assert runner.reusable(tmp_path, "run-3", {"s": "k2"}, loose={"s": "other"}, accept=accept) == {}
    assert runner.reusable(tmp_path, "run-3", {"s": "k2"}, loose={"s": "loose"}, accept=lambda n, o: None) == {}
    assert runner.reusable(tmp_path, "run-3", {"s": "k2"}) == {}  # no loose key: exact only
    runner.record_reusable(tmp_path, "run-2", {"s": "k2"}, again)  # the note travels with the outcome
    assert runner.reusable(tmp_path, "run-3", {"s": "k2"})["s"].reuse_note == again["s"].reuse_note


def test_a_volume_verdict_is_carried_over_only_when_it_passed_and_still_passes() -> None:
    from orchestration.quality import suites
    from orchestration.quality.checks import volume_still_passes

    def outcome(success: bool, rows: object) -> runner.SuiteOutcome:
        volume = runner.ExpectationOutcome(
            rule="volume",
            gate=suites.VOLUME_GATE,
            success=success,
            type="expect_table_row_count_to_be_between",
            observed=rows,
        )
        contract = runner.ExpectationOutcome(rule="not_null:x", gate=suites.LANDING_GATE, success=True)
        return runner.SuiteOutcome("s", success, [contract, volume])

    assert "1,000 rows reach this night's minimum of 950" in volume_still_passes(outcome(True, 1000), 950)
    assert volume_still_passes(outcome(True, 1000), 1000) is not None
    assert volume_still_passes(outcome(True, 1000), 1001) is None  # would fail now: GX validates it
    assert volume_still_passes(outcome(False, 1000), 0) is None  # a failing verdict is never carried over
    assert volume_still_passes(outcome(True, None), 0) is None  # no count observed
    assert volume_still_passes(runner.SuiteOutcome("s", True, []), 0) is None  # no volume expectation


def test_a_copied_or_moved_audit_folder_reuses_its_own_results(tmp_path: Path) -> None:
    """Reuse records name results relative to the audit folder; older ones, absolute, are found again under
    the copy (a copied data directory once failed its GX step on the original's paths)."""
    old = tmp_path / "old"
    first = _validated(old, "run-1", "s", success=True)
    runner.record_reusable(old, "run-1", {"s": "k1"}, {"s": first})
    assert json.loads(runner.reuse_file(old, "run-1").read_text())["s"]["outcome"]["result_path"] == (
        "gx/run-1/s/run-1/t/batch.json"
    )
    legacy = _validated(old, "run-0", "t", success=True)
    record = {
        "t": {
            "key": "k0",
            "outcome": {"suite": "t", "success": True, "expectations": [], "result_path": str(legacy.result_path)},
        }
    }
    runner.reuse_file(old, "run-0").write_text(json.dumps(record))
    import shutil

    new = tmp_path / "new"
    shutil.copytree(old, new)
    shutil.rmtree(old)
    again = runner.reusable(new, "run-2", {"s": "k1", "t": "k0"})
    assert again["s"].result_path == new / "gx" / "run-2" / "s" / "run-1" / "t" / "batch.json"
    assert again["t"].result_path == new / "gx" / "run-2" / "t" / "run-0" / "t" / "batch.json"
    assert again["s"].result_path.is_file() and again["t"].result_path.is_file()
