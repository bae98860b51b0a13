"""The volume rule: a landing table's row count must not drop by more than ``gate_volume_drop_max`` (dbt var)
against the count recorded by the last *successful* run.

Counts are recorded for every run in ``audit.gate_volumes`` of the build database (so a blocked night keeps
its evidence), but only runs whose release is ``published`` or ``unchanged`` in ``audit.releases`` serve as
the baseline: a night blocked by a drop must not become the next night's normal, and the gate keeps blocking
until the data is back or someone raises the threshold on purpose. The first night (no successful run yet)
has no baseline and passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

import duckdb

GATE_VOLUMES_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.gate_volumes (
    run_id VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,            -- <system>/<dataset>
    landing_table VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    previous_run_id VARCHAR,             -- the baseline: last successful run that recorded this dataset
    previous_row_count BIGINT,
    min_row_count BIGINT NOT NULL,       -- what this run needed to pass
    passed BOOLEAN NOT NULL,
    checked_at TIMESTAMP NOT NULL
);
"""

#: Release statuses whose run is a baseline for the next night.
SUCCESSFUL_RELEASES = ("published", "unchanged")


@dataclass(frozen=True)
class Baseline:
    run_id: str
    row_count: int


@dataclass(frozen=True)
class VolumeRecord:
    run_id: str
    dataset: str
    landing_table: str
    row_count: int
    previous: Baseline | None
    min_row_count: int
    passed: bool


def min_row_count(previous: int | None, drop_max: float) -> int:
    """The fewest rows that pass: ``ceil(previous * (1 - drop_max))``, 0 without a baseline (pure: tested).

    Exact arithmetic on the decimal text of the share, so 0.05 of 2,000 rows is 100 rows, never 99.99...
    """
    if previous is None:
        return 0
    if not 0 <= drop_max <= 1:
        raise ValueError(f"gate_volume_drop_max must be between 0 and 1, got {drop_max}")
    return math.ceil(previous * (1 - Fraction(str(drop_max))))


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return (
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?", [schema, table]
        ).fetchall()[0][0]
        > 0
    )


def baselines(con: duckdb.DuckDBPyConnection) -> dict[str, Baseline]:
    """Per dataset, the count recorded by the latest successful run (read-only connection is enough)."""
    if not (_table_exists(con, "audit", "gate_volumes") and _table_exists(con, "audit", "releases")):
        return {}
    statuses = ", ".join(f"'{s}'" for s in SUCCESSFUL_RELEASES)
    rows = con.execute(f"""
        SELECT dataset, run_id, row_count FROM (
            SELECT dataset, run_id, row_count,
                   row_number() OVER (PARTITION BY dataset ORDER BY checked_at DESC, run_id DESC) AS recency
            FROM audit.gate_volumes
            WHERE run_id IN (SELECT run_id FROM audit.releases WHERE status IN ({statuses}) AND run_id IS NOT NULL)
        ) WHERE recency = 1
    """).fetchall()
    return {dataset: Baseline(run_id, int(count)) for dataset, run_id, count in rows}


def record(con: duckdb.DuckDBPyConnection, records: list[VolumeRecord], now: datetime) -> None:
    """Store this run's counts (read-write connection); one transaction for the whole night."""
    con.execute(GATE_VOLUMES_DDL)
    con.execute("BEGIN TRANSACTION")
    for r in records:
        con.execute(
            "INSERT INTO audit.gate_volumes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.run_id,
                r.dataset,
                r.landing_table,
                r.row_count,
                r.previous.run_id if r.previous else None,
                r.previous.row_count if r.previous else None,
                r.min_row_count,
                r.passed,
                now,
            ],
        )
    con.execute("COMMIT")
