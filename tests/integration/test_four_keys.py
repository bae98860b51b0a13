"""End to end: Four Keys exports as Four Keys itself writes them, landed next to the demo.

Four Keys' own tables carry no team and no repository (``queries/deployments.sql`` selects source, deploy_id,
time_created, main_commit, changes), and a deployment's change list may be empty in every way a file can say
it: a JSON ``[]``, a JSON null, a missing key, an empty CSV cell, a CSV cell of separators only. Hand-written
files with those quirks (``.jsonl`` and ``.csv``) are added to a copy of the published demo and the night runs
again. Every production deployment must count, under the explicit team ``unassigned``, with the change failure
rate over all of them (2 failed of 8 = 0.25; counting only deployments with changes gave 2 of 2), the lead time
from the two changes shipped, DORA's deployment rework rate, a warning (never a block) giving the unassigned
share, no other team's figures nor the productivity ledger moved, and `roi-ledger trace` of the unassigned
row reaching exactly the hand-written lines.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_OK
from tests.conftest import run_nightly

pytestmark = pytest.mark.slow

WARN_CHECK = "assert_delivery_team_assigned"
MONTH = "2026-10-01"

#: deploy_id -> (time_created, changes as written, file): 8 production deployments, 6 without a change
DEPLOYMENTS_JSONL = [
    {
        "source": "github",
        "deploy_id": "fk-d1",
        "time_created": "2026-10-05T10:00:00Z",
        "main_commit": "fk-c1",
        "changes": ["fk-c1"],
    },
    {
        "source": "github",
        "deploy_id": "fk-d2",
        "time_created": "2026-10-05T12:00:00Z",
        "main_commit": "fk-c0",
        "changes": [],
    },  # a rollback during incident fk-i1: rework
    {"source": "github", "deploy_id": "fk-d3", "time_created": "2026-10-06T10:00:00Z", "changes": None},
    {"source": "github", "deploy_id": "fk-d4", "time_created": "2026-10-07T10:00:00Z"},  # no `changes` key
]
DEPLOYMENTS_CSV = [
    ["source", "deploy_id", "time_created", "main_commit", "changes"],
    ["tekton", "fk-d5", "2026-10-12T10:00:00Z", "fk-c2", "fk-c2"],
    ["tekton", "fk-d6", "2026-10-13T10:00:00Z", "", ""],
    ["tekton", "fk-d7", "2026-10-14T10:00:00Z", "", ";"],
    ["tekton", "fk-d8", "2026-10-15T10:00:00Z", "", "[]"],
]
CHANGES_JSONL = [
    {"source": "github", "event_type": "push", "change_id": "fk-c1", "time_created": "2026-10-05T08:00:00Z"},
    {"source": "github", "event_type": "push", "change_id": "fk-c2", "time_created": "2026-10-12T07:00:00Z"},
]
INCIDENTS_CSV = [
    ["source", "incident_id", "time_created", "time_resolved", "changes"],
    ["pagerduty", "fk-i1", "2026-10-05T11:00:00Z", "2026-10-05T15:00:00Z", "fk-c1"],
    ["pagerduty", "fk-i2", "2026-10-12T11:00:00Z", "2026-10-12T13:00:00Z", "fk-c2"],
]


def _write_four_keys(raw: Path) -> None:
    delivery = raw / "delivery"
    with open(delivery / "deployments" / "fourkeys_deployments.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in DEPLOYMENTS_JSONL)
    with open(delivery / "deployments" / "fourkeys_deployments.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(DEPLOYMENTS_CSV)
    with open(delivery / "changes" / "fourkeys_changes.jsonl", "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in CHANGES_JSONL)
    with open(delivery / "incidents" / "fourkeys_incidents.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(INCIDENTS_CSV)


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def four_keys_run(published_demo, module_tmp):
    """A copy of the published demo with the Four Keys files added, run again: (copy, demo data dir, exit code)."""
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = module_tmp("four_keys") / "data"
    shutil.copytree(data_dir, copy)
    _write_four_keys(copy / "raw")
    return copy, data_dir, run_nightly(copy)


def test_every_four_keys_deployment_counts_under_team_unassigned(four_keys_run):
    copy, _, rc = four_keys_run
    assert rc == EXIT_OK  # rows without a team warn, they never block
    con = duckdb.connect(str(copy / "published" / "roi.duckdb"), read_only=True)
    try:
        staged = dict(
            con.execute(
                "SELECT deployment_id, change_ids FROM staging.stg_delivery__deployments "
                "WHERE deployment_id LIKE 'fk-%'"
            ).fetchall()
        )
        rows = _rows(con, "SELECT * FROM marts.fct_delivery_performance WHERE team = 'unassigned'")
    finally:
        con.close()
    # every way of saying "no changes" stages as NULL; the two with a change keep it
    assert staged == {
        "fk-d1": "fk-c1",
        "fk-d2": None,
        "fk-d3": None,
        "fk-d4": None,
        "fk-d5": "fk-c2",
        "fk-d6": None,
        "fk-d7": None,
        "fk-d8": None,
    }
    by_month = {str(r["month_start"]): r for r in rows}
    assert set(by_month) == {MONTH}, "team unassigned starts with its first activity, October"
    row = by_month[MONTH]
    expected = {
        "has_delivery_pipeline": True,
        "days_covered": 31,
        "deployment_count": 8,
        "deployment_day_count": 7,
        "deployed_change_count": 2,
        "lead_time_change_count": 2,
        "median_lead_time_minutes": 150.0,
        "failed_deployment_count": 2,
        "change_failure_rate": 0.25,
        "incident_count": 2,
        "restored_incident_count": 2,
        "median_time_to_restore_hours": 3.0,
        "change_count": 2,
        "work_items_resolved_count": 0,
        "rework_deployment_count": 1,
        "deployment_rework_rate": 0.125,
    }
    assert {k: row[k] for k in expected} == expected
    assert math.isclose(row["deployments_per_week"], 8 * 7 / 31)


def test_other_teams_and_the_productivity_ledger_are_unchanged(four_keys_run):
    copy, demo, _ = four_keys_run
    con = duckdb.connect(str(copy / "published" / "roi.duckdb"), read_only=True)
    try:
        con.execute(f"ATTACH '{demo / 'published' / 'roi.duckdb'}' AS demo (READ_ONLY)")
        assert (
            con.execute(
                "SELECT count(*) FROM demo.marts.fct_delivery_performance WHERE team = 'unassigned'"
            ).fetchone()[0]
            == 0
        )
        for a, b in (("marts", "demo.marts"), ("demo.marts", "marts")):
            extra = con.execute(
                f"SELECT count(*) FROM (SELECT * FROM {a}.fct_delivery_performance "
                f"WHERE team <> 'unassigned' EXCEPT ALL "
                f"SELECT * FROM {b}.fct_delivery_performance)"
            ).fetchone()[0]
            assert extra == 0, (a, b)
        # `unassigned` is neither adopter nor non-adopter: same rows, same team counts, same effects (averages
        # of doubles are compared to 1e-9, their summation order is not fixed)
        now, before = (
            {r["productivity_roi_key"]: r for r in _rows(con, f"SELECT * FROM {s}.fct_productivity_roi")}
            for s in ("marts", "demo.marts")
        )
    finally:
        con.close()
    assert now.keys() == before.keys() and now
    for key, row in now.items():
        for column, value in row.items():
            old = before[key][column]
            if isinstance(value, float) and old is not None:
                assert math.isclose(value, old, rel_tol=1e-9, abs_tol=1e-9), (key, column)
            else:
                assert value == old, (key, column)


def test_unassigned_share_warns_and_is_recorded(four_keys_run):
    copy, _, _ = four_keys_run
    con = duckdb.connect(str(copy / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        checks = json.loads(
            con.execute(
                "SELECT checks FROM audit.releases WHERE status = 'published' ORDER BY created_at DESC LIMIT 1"
            ).fetchone()[0]
        )
        warned = {r["dataset"]: r for r in _rows(con, f"SELECT * FROM dbt_test__audit.{WARN_CHECK}")}
        totals = dict(
            con.execute(
                "SELECT 'deployments', count(*) FROM staging.stg_delivery__deployments "
                "UNION ALL SELECT 'incidents', count(*) FROM staging.stg_delivery__incidents "
                "UNION ALL SELECT 'changes', count(*) FROM staging.stg_delivery__changes"
            ).fetchall()
        )
    finally:
        con.close()
    check = next(c for c in checks if c["check"] == WARN_CHECK)
    assert (check["passed"], check["severity"]) == (False, "WARN")
    assert check["observed"]["dagster_dbt/failed_row_count"] == 3
    assert {d: (r["unassigned_count"], r["row_count"]) for d, r in warned.items()} == {
        "deployments": (8, totals["deployments"]),
        "incidents": (2, totals["incidents"]),
        "changes": (2, totals["changes"]),
    }
    share = warned["deployments"]["unassigned_share"]
    assert math.isclose(share, 8 / totals["deployments"])
    assert f"8 of {totals['deployments']} deployments" in warned["deployments"]["failure_reason"]


def test_unassigned_row_traces_to_the_four_keys_lines(four_keys_run):
    from orchestration.lineage.trace.walker import trace_row
    from orchestration.settings import Paths

    copy, _, _ = four_keys_run
    result = trace_row(
        Paths(copy), "fct_delivery_performance", {"team": "unassigned", "month_start": MONTH}, limit=1000
    )
    found = {(Path(rl.file).name, rl.line) for rl in result.lines}
    assert result.total_lines == len(found)
    assert found == {
        *(("fourkeys_deployments.jsonl", n) for n in range(1, 5)),
        *(("fourkeys_deployments.csv", n) for n in range(2, 6)),
        *(("fourkeys_changes.jsonl", n) for n in range(1, 3)),
        *(("fourkeys_incidents.csv", n) for n in range(2, 4)),
    }
