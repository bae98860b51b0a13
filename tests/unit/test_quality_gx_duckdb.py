"""GX 1.x validation in SQL on DuckDB, through the real path the gates take (duckdb-engine, a query asset,
GX's SQL execution engine): a known-good batch passes, a known-bad batch fails with the right counts.

This pins the private persisted-connection setting (orchestration/quality/gx_duckdb.py): a GX upgrade that
moves it makes these tests fail instead of making every gate silently fail (or pass).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.quality import gx_duckdb, runner

N_GOOD = 6


def _exp(type_: str, rule: str, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": {"gate": "contract", "rule": rule}}


def _suite(table: str) -> dict:
    """Every expectation type the generated suites use, on a small landing-like table."""
    return {
        "name": f"test__{table}",
        "meta": {"batch_query": f"SELECT * FROM landing_test.{table}"},
        "expectations": [
            _exp(
                "expect_table_columns_to_match_set",
                "columns",
                column_set=["id", "part", "kind", "tokens", "started", "ended"],
                exact_match=True,
            ),
            _exp("expect_column_values_to_not_be_null", "not_null:id", column="id"),
            # a field required for some values of another (registry `required_when`): GX's structured row condition
            _exp(
                "expect_column_values_to_not_be_null",
                "not_null:tokens when kind",
                column="tokens",
                row_condition={
                    "type": "comparison",
                    "column": {"name": "kind"},
                    "operator": "IN",
                    "parameter": ["agent"],
                },
            ),
            _exp("expect_column_values_to_be_in_set", "allowed:kind", column="kind", value_set=["human", "agent"]),
            _exp("expect_column_values_to_be_between", "non_negative:tokens", column="tokens", min_value=0),
            _exp(
                "expect_column_pair_values_a_to_be_greater_than_b",
                "ordered:started<=ended",
                column_A="ended",
                column_B="started",
                or_equal=True,
                ignore_row_if="either_value_is_missing",
            ),
            _exp(
                "unexpected_rows_expectation",
                "unique:id,part",
                unexpected_rows_query='SELECT "id", "part", count(*) AS copies FROM {batch} '
                'GROUP BY "id", "part" HAVING count(*) > 1',
            ),
            _exp("expect_column_max_to_be_between", "tokens max", column="tokens", max_value=1000),
            {
                "type": "expect_table_row_count_to_be_between",
                "kwargs": {"min_value": {"$PARAMETER": "min_row_count"}},
                "meta": {"gate": "volume", "rule": "volume"},
            },
        ],
    }


GOOD_ROWS = [
    ("a", None, "human", 10, "2026-01-01 00:00", "2026-01-01 00:05"),
    ("b", None, "agent", 0, "2026-01-01 00:00", "2026-01-01 00:00"),
    ("b", "x", "agent", 7, "2026-01-01 00:00", None),
    ("c", "x", None, None, None, None),
    ("d", "y", "human", 1000, "2026-01-02 00:00", "2026-01-03 00:00"),
    ("e", "y", "human", 3, "2026-01-02 00:00", "2026-01-02 00:01"),
]
BAD_ROWS = [
    (None, None, "human", 10, "2026-01-01 00:00", "2026-01-01 00:05"),  # missing required id
    ("b", None, "robot", 1, "2026-01-01 00:00", "2026-01-01 00:01"),  # value not allowed
    ("c", None, "agent", -5, "2026-01-01 00:00", "2026-01-01 00:01"),  # negative count
    ("d", None, "agent", 2, "2026-01-02 00:00", "2026-01-01 00:00"),  # ends before it starts
    ("e", None, "agent", 2, "2026-01-01 00:00", "2026-01-01 00:01"),  # key (e, NULL) twice: NULL-safe unique
    ("e", None, "agent", 5000, "2026-01-01 00:00", "2026-01-01 00:01"),  # and over the max
    ("f", None, "agent", None, "2026-01-01 00:00", "2026-01-01 00:01"),  # an agent's row without its tokens
]


@pytest.fixture(scope="module")
def build_db(module_tmp) -> Path:
    db = module_tmp("gx_duckdb") / "roi.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute("CREATE SCHEMA landing_test")
        for table, rows in (("good", GOOD_ROWS), ("bad", BAD_ROWS)):
            con.execute(
                f"CREATE TABLE landing_test.{table} (id VARCHAR, part VARCHAR, kind VARCHAR, tokens BIGINT, "
                "started TIMESTAMP, ended TIMESTAMP)"
            )
            con.executemany(f"INSERT INTO landing_test.{table} VALUES (?, ?, ?, ?, ?, ?)", rows)
    finally:
        con.close()
    return db


def _validate(db: Path, tmp_path: Path, table: str, min_rows: int):
    suite = _suite(table)
    outcomes, index = runner.validate(
        db, [suite], {suite["name"]: {"min_row_count": min_rows}}, run_id="run-1", audit_dir=tmp_path / "audit"
    )
    return outcomes[suite["name"]], index


def test_known_good_batch_passes_through_the_sql_path(build_db, tmp_path):
    outcome, index = _validate(build_db, tmp_path, "good", min_rows=N_GOOD)
    assert [e.describe() for e in outcome.failed()] == []
    assert outcome.success and len(outcome.expectations) == 9
    assert all(e.error is None for e in outcome.expectations)
    # the figures were really read from DuckDB, not defaulted
    assert outcome.observed("volume") == N_GOOD
    assert outcome.observed("tokens max") == 1000
    assert outcome.observed("not_null:id") == 0 and outcome.observed("unique:id,part") == 0
    # a row of no kind without tokens is outside the condition
    assert outcome.observed("not_null:tokens when kind") == 0
    # the result is stored per run, and rendered
    assert outcome.result_path is not None
    assert outcome.result_path.is_relative_to(tmp_path / "audit" / "gx" / "run-1" / "test__good")
    assert json.loads(outcome.result_path.read_text())["success"] is True
    assert index == tmp_path / "audit" / "data_docs" / "index.html" and "test__good" in index.read_text()


def test_known_bad_batch_fails_each_expectation_with_its_count(build_db, tmp_path):
    outcome, _ = _validate(build_db, tmp_path, "bad", min_rows=len(BAD_ROWS) + 1)
    assert not outcome.success
    failed = {e.rule: e for e in outcome.failed()}
    assert set(failed) == {
        "not_null:id",
        "not_null:tokens when kind",
        "allowed:kind",
        "non_negative:tokens",
        "ordered:started<=ended",
        "unique:id,part",
        "tokens max",
        "volume",
    }
    assert all(e.error is None for e in failed.values()), [e.error for e in failed.values()]
    for rule in (
        "not_null:id",
        "not_null:tokens when kind",
        "allowed:kind",
        "non_negative:tokens",
        "ordered:started<=ended",
    ):
        assert failed[rule].unexpected_count == 1, rule
    assert failed["unique:id,part"].observed == 1  # one key group with copies
    assert failed["tokens max"].observed == 5000
    assert failed["volume"].observed == len(BAD_ROWS)
    assert failed["allowed:kind"].describe() == "allowed:kind (1 unexpected)"
    assert json.loads(outcome.result_path.read_text())["success"] is False
    # the column set matched: only the rules above failed
    assert [e.success for e in outcome.expectations if e.rule == "columns"] == [True]


def test_a_missing_table_fails_with_the_database_error(build_db, tmp_path):
    suite = {**_suite("good"), "name": "test__missing", "meta": {"batch_query": "SELECT * FROM landing_test.nope"}}
    outcomes, _ = runner.validate(
        build_db, [suite], {"test__missing": {"min_row_count": 0}}, run_id="run-2", audit_dir=tmp_path / "audit"
    )
    outcome = outcomes["test__missing"]
    assert not outcome.success and outcome.failed()
    assert any("nope" in (e.error or "") for e in outcome.failed())


def test_connections_are_closed_and_read_only(build_db, tmp_path):
    assert gx_duckdb.engine_kwargs()["connect_args"]["read_only"] is True
    _validate(build_db, tmp_path, "good", min_rows=0)
    # DuckDB refuses a read-write connection in this process while a read-only one is open
    con = duckdb.connect(str(build_db))
    try:
        assert con.execute("SELECT count(*) FROM landing_test.good").fetchall() == [(N_GOOD,)]
    finally:
        con.close()


def test_without_the_persisted_connection_a_good_batch_fails(build_db, tmp_path, monkeypatch):
    """The trap the setting avoids: GX closes DuckDB's connection before reading results. When a GX upgrade
    fixes that itself this test fails, and the private setting in gx_duckdb.py can go."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

    without = tuple(d for d in engine_module._PERSISTED_CONNECTION_DIALECTS if d != "duckdb")
    monkeypatch.setattr(engine_module, "_PERSISTED_CONNECTION_DIALECTS", without)
    monkeypatch.setattr(gx_duckdb, "enable_persisted_connection", lambda: None)
    outcome, _ = _validate(build_db, tmp_path, "good", min_rows=0)
    assert not outcome.success


def test_the_setting_is_idempotent_and_names_duckdb():
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine_module

    gx_duckdb.enable_persisted_connection()
    gx_duckdb.enable_persisted_connection()
    duck = [d for d in engine_module._PERSISTED_CONNECTION_DIALECTS if d == "duckdb"]
    assert len(duck) == 1 and duck[0].value == "duckdb"
    assert engine_module._dialect_requires_persisted_connection(connection_string="duckdb:///x.duckdb")


def test_great_expectations_is_the_version_the_setting_was_verified_on():
    import great_expectations

    pins = dict(
        line.strip().split("==", 1)
        for line in (Path(__file__).resolve().parents[2] / "constraints.txt").read_text().splitlines()
        if "==" in line
    )
    assert pins["great_expectations"] == great_expectations.__version__ == gx_duckdb.VERIFIED_GX_VERSION
    assert pins["duckdb_engine"] == "0.17.0"
