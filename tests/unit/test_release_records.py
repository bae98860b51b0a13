"""Release records and gates without a pipeline run: freshness verdicts, observed values, versions, snapshots."""

from __future__ import annotations

import json
import os
import stat
from datetime import date, datetime

import pytest

from orchestration.check_outcomes import observed_values
from orchestration.datasets import BY_KEY
from orchestration.ingest.assets import freshness_verdict, not_in_use
from orchestration.publish import code_version, prune_snapshots, tool_versions
from orchestration.settings import Paths, release_retention

LITELLM = BY_KEY["usage/litellm_spend_logs"]  # event time, warn 48 h, error 7 days
AS_OF = date(2026, 10, 31)


def test_fresh_data_passes():
    ok, severity, meta = freshness_verdict(LITELLM, datetime(2026, 10, 31, 23, 0), AS_OF)
    assert ok and severity == "ERROR" and meta["age_hours"] == 1.0


def test_data_past_the_warning_threshold_warns_without_blocking():
    ok, severity, meta = freshness_verdict(LITELLM, datetime(2026, 10, 28, 0, 0), AS_OF)
    assert not ok and severity == "WARN" and meta["age_hours"] == 96.0


def test_stale_data_blocks_naming_the_dataset_and_the_age():
    ok, severity, meta = freshness_verdict(LITELLM, datetime(2026, 10, 20, 0, 0), AS_OF)
    assert not ok and severity == "ERROR"
    assert meta["age_hours"] == 288.0
    assert "usage/litellm_spend_logs is stale" in meta["reason"] and "288 h" in meta["reason"]


def test_no_data_blocks():
    ok, severity, meta = freshness_verdict(LITELLM, None, AS_OF)
    assert not ok and severity == "ERROR" and "no start_time value" in meta["reason"]


def test_a_daily_report_day_is_data_to_that_days_end():
    copilot = BY_KEY["ai/github_copilot_usage"]  # usage_date is a DATE
    ok, _, meta = freshness_verdict(copilot, date(2026, 10, 30), AS_OF)
    assert ok and meta["age_hours"] == 24.0
    ok, severity, meta = freshness_verdict(copilot, date(2026, 10, 20), AS_OF)
    assert not ok and severity == "ERROR" and meta["age_hours"] == 264.0


def test_an_optional_source_without_files_is_not_in_use_and_a_required_one_blocks():
    cursor = BY_KEY["ai/cursor_usage_events"]
    assert cursor.optional and not LITELLM.optional
    assert not_in_use(cursor, 0, 0) == (
        "ai/cursor_usage_events is not in use: no file under raw/ai/cursor_usage_events/ (an optional source)"
    )
    # a file found (even one refused whole) or rows landed: in use, held to has_rows and fresh
    assert not_in_use(cursor, 1, 0) is None
    assert not_in_use(cursor, 0, 12) is None
    assert not_in_use(LITELLM, 0, 0) is None  # the gateway is not optional: no file blocks


def test_data_newer_than_the_as_of_day_is_fresh():
    ok, _, meta = freshness_verdict(BY_KEY["iam/aws_credential_report"], datetime(2026, 11, 27, 9), AS_OF)
    assert ok and meta["age_hours"] == 0.0


def test_observed_values_keep_numbers_and_text_and_drop_bookkeeping():
    class Meta:  # Dagster metadata values carry `.value`
        def __init__(self, value):
            self.value = value

    obs = observed_values(
        {
            "dagster_dbt/failed_row_count": Meta(3),
            "age_hours": 12.5,
            "reason": "stale",
            "invocation_id": "abc",
            "Execution Duration": 0.2,
            "passed": True,
            "files": [1, 2],
        }
    )
    assert obs == {"dagster_dbt/failed_row_count": 3, "age_hours": 12.5, "reason": "stale", "passed": True}


def test_code_and_tool_versions_are_recorded():
    version = code_version()
    assert len(version.split("+")[0]) == 40  # this test runs in a git checkout
    tools = tool_versions()
    assert tools["dbt-core"].startswith("1.11.") and tools["dagster"].startswith("1.13.")
    assert json.loads(json.dumps(tools)) == tools


def test_code_version_outside_git_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on PATH
    monkeypatch.delenv("ROI_LEDGER_CODE_VERSION", raising=False)
    assert code_version().startswith("unknown")
    monkeypatch.setenv("ROI_LEDGER_CODE_VERSION", "v1.2.3")
    assert code_version() == "v1.2.3"


def _snapshot(paths: Paths, release_id: str) -> None:
    paths.release_snapshots.mkdir(parents=True, exist_ok=True)
    p = paths.release_snapshots / f"{release_id}.duckdb"
    p.write_bytes(b"x")
    os.chmod(p, 0o444)


def test_retention_keeps_the_newest_snapshots(tmp_path):
    paths = Paths(tmp_path)
    for rid in ("r20261101T020000-aaaaaaaa", "r20261102T020000-bbbbbbbb", "r20261103T020000-cccccccc"):
        _snapshot(paths, rid)
    gone = prune_snapshots(paths, 2)
    assert [p.name for p in gone] == ["r20261101T020000-aaaaaaaa.duckdb"]
    left = sorted(p.name for p in paths.release_snapshots.iterdir())
    assert left == ["r20261102T020000-bbbbbbbb.duckdb", "r20261103T020000-cccccccc.duckdb"]
    assert not os.stat(paths.release_snapshots / left[0]).st_mode & stat.S_IWUSR  # still read-only
    assert prune_snapshots(paths, 0) == []  # 0 keeps every one


def test_retention_setting(monkeypatch):
    monkeypatch.delenv("ROI_LEDGER_RELEASE_RETENTION", raising=False)
    assert release_retention() == 30
    monkeypatch.setenv("ROI_LEDGER_RELEASE_RETENTION", "5")
    assert release_retention() == 5
    for bad in ("-1", "many"):
        monkeypatch.setenv("ROI_LEDGER_RELEASE_RETENTION", bad)
        with pytest.raises(ValueError, match="ROI_LEDGER_RELEASE_RETENTION"):
            release_retention()
