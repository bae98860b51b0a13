"""The gates' verdicts on a small build database, through the real GX SQL path: the volume rule (first night
passes, a drop beyond ``gate_volume_drop_max`` fails, only successful runs are baselines), a contract breach
of the registry suite, and the mart gates on their summaries."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.datasets import BY_KEY
from orchestration.ingest.landing import create_all, landing_root
from orchestration.quality import checks, volume
from orchestration.quality.marts import ATTRIBUTION_COVERAGE, ONE_CLAIM_PER_BENEFIT
from orchestration.quality.thresholds import share
from orchestration.settings import Paths
from tests.conftest import landing_tables

INVENTORY = BY_KEY["iam/identity_inventory"]
DROP_MAX = share("gate_volume_drop_max")


def test_min_row_count():
    assert volume.min_row_count(None, 0.05) == 0  # first night: no baseline
    assert volume.min_row_count(2000, 0.05) == 1900  # exact: never 1899.99...
    assert volume.min_row_count(2010, 0.05) == 1910  # 1909.5 rounds up: 1909 rows would be a drop over 5%
    assert volume.min_row_count(100, 0.0) == 100
    assert volume.min_row_count(100, 1.0) == 0
    with pytest.raises(ValueError):
        volume.min_row_count(100, 1.5)


@pytest.fixture
def paths(tmp_path) -> Paths:
    p = Paths(tmp_path)
    p.ensure()
    con = duckdb.connect(str(p.build_db))
    try:
        create_all(con, landing_root(p.build_db))
        landing_tables(con, INVENTORY.table)
    finally:
        con.close()
    return p


def _set_inventory(paths: Paths, n: int, *, kind: str = "human", duplicate: bool = False) -> None:
    """The landing table holds ``n`` valid inventory records (the last one with ``kind``)."""
    rows = [
        ("identity", f"id-{i}", f"Person {i}", "human" if i < n - 1 else kind, "team-a", "active") for i in range(n)
    ]
    if duplicate:
        rows.append(rows[0])
    con = duckdb.connect(str(paths.build_db))
    try:
        con.execute(f"DELETE FROM {INVENTORY.table}")
        con.executemany(
            f"INSERT INTO {INVENTORY.table} (record_type, record_id, name, identity_kind, owner_team, "
            "status, _extra, _source_file, _file_sha256, _line, _ingested_at) "
            "VALUES (?, ?, ?, ?, ?, ?, '{}', 'iam/identity_inventory/i.csv', 'sha', 1, now())",
            rows,
        )
    finally:
        con.close()


def _release(paths: Paths, run_id: str, status: str) -> None:
    con = duckdb.connect(str(paths.build_db))
    try:
        con.execute(
            "INSERT INTO audit.releases (release_id, run_id, status, input_fingerprint, created_at) "
            "VALUES (?, ?, ?, 'fp', ?)",
            [f"r-{run_id}", run_id, status, datetime(2026, 10, 31)],
        )
    finally:
        con.close()


def _night(paths: Paths, run_id: str) -> dict[str, object]:
    results = {r.check_name: r for r in checks.landing_gate_results(paths, run_id, (INVENTORY,))}
    assert set(results) == {checks.CONTRACT_CHECK, checks.VOLUME_CHECK}
    assert all(r.asset_key.path == ["landing", "iam", "identity_inventory"] for r in results.values())
    return results


def _meta(result) -> dict:
    return {k: getattr(v, "value", v) for k, v in result.metadata.items()}


def test_volume_rule_first_night_drop_and_baseline(paths):
    _set_inventory(paths, 200)
    first = _night(paths, "run-1")
    assert first[checks.VOLUME_CHECK].passed and first[checks.CONTRACT_CHECK].passed
    assert _meta(first[checks.VOLUME_CHECK])["observed_row_count"] == 200
    assert _meta(first[checks.VOLUME_CHECK])["min_row_count"] == 0
    _release(paths, "run-1", "published")

    # a restated inventory lost more than the allowed share of its rows: blocked, with the evidence
    dropped = math.ceil(200 * (1 - DROP_MAX)) - 1
    _set_inventory(paths, dropped)
    second = _night(paths, "run-2")
    meta = _meta(second[checks.VOLUME_CHECK])
    assert not second[checks.VOLUME_CHECK].passed and second[checks.CONTRACT_CHECK].passed
    assert second[checks.VOLUME_CHECK].severity.value == "ERROR"
    assert meta["observed_row_count"] == dropped and meta["previous_row_count"] == 200
    assert meta["previous_run_id"] == "run-1" and meta["min_row_count"] == dropped + 1
    assert meta["gate_volume_drop_max"] == DROP_MAX and "fewer than the 200 of run run-1" in meta["reason"]
    assert Path(meta["result_path"]).is_relative_to(paths.data_dir / "audit" / "gx" / "run-2")
    result = json.loads(Path(meta["result_path"]).read_text())
    assert result["success"] is False
    _release(paths, "run-2", "blocked")

    # the blocked night is no baseline: still compared with run-1; within the share it passes
    _set_inventory(paths, 200 - math.floor(200 * DROP_MAX))
    third = _night(paths, "run-3")
    meta = _meta(third[checks.VOLUME_CHECK])
    assert third[checks.VOLUME_CHECK].passed and meta["previous_run_id"] == "run-1"

    con = duckdb.connect(str(paths.build_db), read_only=True)
    try:
        rows = con.execute(
            "SELECT run_id, row_count, previous_run_id, passed FROM audit.gate_volumes ORDER BY checked_at"
        ).fetchall()
        assert rows == [
            ("run-1", 200, None, True),
            ("run-2", dropped, "run-1", False),
            ("run-3", 200 - math.floor(200 * DROP_MAX), "run-1", True),
        ]
        assert volume.baselines(con) == {"iam/identity_inventory": volume.Baseline("run-1", 200)}
    finally:
        con.close()


def test_baselines_of_a_new_database_are_empty(tmp_path):
    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    try:
        assert volume.baselines(con) == {}
    finally:
        con.close()


def test_contract_breaches_fail_gx_contract_naming_the_rules(paths):
    _set_inventory(paths, 50, kind="robot", duplicate=True)
    results = _night(paths, "run-1")
    contract = results[checks.CONTRACT_CHECK]
    meta = _meta(contract)
    assert not contract.passed
    # a repeated record is no contract breach (staging keeps the latest); the unknown kind is
    assert meta["failed_expectations"] == "allowed:identity_kind (1 unexpected)"
    assert meta["expectations_failed"] == 1 and meta["unexpected_values"] == 1
    assert results[checks.VOLUME_CHECK].passed  # the volume is another check


def _marts(paths: Paths, cost_share: float, conflicts: int) -> None:
    con = duckdb.connect(str(paths.build_db))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS intermediate")
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_attribution_coverage AS SELECT * FROM (VALUES "
            "('overall', 'all', ?, 0.99, 100.0, 100.0 * ?), ('day', 'all', 0.1, 0.1, 1.0, 0.1)) "
            "AS t(grain, source_dataset, cost_share, event_share, cost_usd, attributed_cost_usd)",
            [cost_share, cost_share],
        )
        con.execute(
            "CREATE OR REPLACE TABLE intermediate.int_roi__benefit_claim_conflicts "
            "(conflict_type VARCHAR, failure_reason VARCHAR)"
        )
        for _ in range(conflicts):
            con.execute("INSERT INTO intermediate.int_roi__benefit_claim_conflicts VALUES ('double_claim', 'twice')")
    finally:
        con.close()


def test_mart_gates_on_their_summaries(paths):
    threshold = share("attribution_coverage_min")
    _marts(paths, cost_share=threshold + 0.01, conflicts=0)
    ok = {
        r.check_name: r for r in checks.mart_gate_results(paths, "run-1", (ATTRIBUTION_COVERAGE, ONE_CLAIM_PER_BENEFIT))
    }
    assert all(r.passed for r in ok.values())
    meta = _meta(ok["gx_attribution_coverage"])
    assert meta["cost_share"] == pytest.approx(threshold + 0.01)
    assert meta["attribution_coverage_min"] == threshold and meta["overall_rows"] == 1
    assert ok["gx_attribution_coverage"].asset_key.path == ["marts", "fct_attribution_coverage"]

    _marts(paths, cost_share=threshold - 0.01, conflicts=2)
    bad = {
        r.check_name: r for r in checks.mart_gate_results(paths, "run-2", (ATTRIBUTION_COVERAGE, ONE_CLAIM_PER_BENEFIT))
    }
    coverage, claims = _meta(bad["gx_attribution_coverage"]), _meta(bad["gx_one_claim_per_benefit"])
    assert not bad["gx_attribution_coverage"].passed and not bad["gx_one_claim_per_benefit"].passed
    assert coverage["failed_expectations"].startswith("cost share >= attribution_coverage_min (observed 0.9")
    assert claims["conflicts"] == 2 and claims["double_claims"] == 2 and claims["wrong_ledger_claims"] == 0
    assert bad["gx_one_claim_per_benefit"].asset_key.path == ["intermediate", "int_roi__benefit_claim_conflicts"]
    assert (paths.data_dir / "audit" / "data_docs" / "index.html").exists()


def test_gx_results_keep_the_newest_runs_and_never_the_current_one(tmp_path):
    import os

    from orchestration.quality.runner import prune_results, results_dir

    for i, run in enumerate(("run-a", "run-b", "run-c", "run-d")):
        d = results_dir(tmp_path, run)
        d.mkdir(parents=True)
        (d / "suite.json").write_text("{}")
        os.utime(d, (1_000_000 + i, 1_000_000 + i))
    gone = prune_results(tmp_path, 2, current_run_id="run-a")  # the oldest folder is this run's own: kept
    assert sorted(p.name for p in gone) == ["run-b"]
    assert sorted(p.name for p in (tmp_path / "gx").iterdir()) == ["run-a", "run-c", "run-d"]
    assert prune_results(tmp_path, 0, current_run_id="x") == []  # 0 keeps every run
