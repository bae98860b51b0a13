"""The build engine's pure parts (orchestration/engines.py): the engine named, dbt's target, the profile's
environment from a URL, the types across the boundary, the engine recorded between nights."""

from __future__ import annotations

import pytest

from orchestration import engines, publish
from orchestration.dbt import dbt_build_args
from orchestration.publish_postgres import PostgresPublishError


def test_the_engine_is_duckdb_unless_named_and_a_bad_name_is_refused(monkeypatch):
    monkeypatch.delenv(engines.ENGINE_ENV, raising=False)
    assert engines.engine() == "duckdb"
    monkeypatch.setenv(engines.ENGINE_ENV, "postgres")
    assert engines.engine() == "postgres"
    monkeypatch.setenv(engines.ENGINE_ENV, "oracle")
    with pytest.raises(ValueError, match="ROI_LEDGER_ENGINE must be one of duckdb, postgres, spark, not 'oracle'"):
        engines.engine()


def test_dbt_gets_the_engine_as_its_target():
    assert engines.dbt_target_args("duckdb") == []
    assert dbt_build_args({}, target="postgres")[-2:] == ["--target", "postgres"]
    assert "--target" not in dbt_build_args({}, full_refresh=True)


def test_the_profile_environment_comes_from_the_url():
    env = engines.profile_env("postgresql+psycopg2://roi%40build:p%2Fw@db.internal:6543/roi_build")
    assert env == {
        "ROI_LEDGER_PG_HOST": "db.internal",
        "ROI_LEDGER_PG_PORT": "6543",
        "ROI_LEDGER_PG_USER": "roi@build",
        "ROI_LEDGER_PG_PASSWORD": "p/w",
        "ROI_LEDGER_PG_DBNAME": "roi_build",
    }
    assert engines.profile_env("postgresql://roi@127.0.0.1/x")["ROI_LEDGER_PG_PORT"] == "5432"
    with pytest.raises(PostgresPublishError, match="not a PostgreSQL URL"):
        engines.profile_env("mysql://roi@h/x")


def test_the_postgres_engine_needs_a_server(monkeypatch):
    monkeypatch.delenv(engines.POSTGRES_URL_ENV, raising=False)
    with pytest.raises(PostgresPublishError, match="set ROI_LEDGER_POSTGRES_URL"):
        engines.postgres_url()


def test_types_cross_back_exactly_and_an_unknown_one_is_refused_by_name():
    assert engines.duckdb_type("numeric", 38, 18, "x") == "DECIMAL(38, 18)"
    assert engines.duckdb_type("numeric", 12, 6, "x") == "DECIMAL(12, 6)"
    assert engines.duckdb_type("numeric", None, None, "x") == "DECIMAL(38, 18)"
    assert engines.duckdb_type("double precision", 53, None, "x") == "DOUBLE"
    assert engines.duckdb_type("timestamp without time zone", None, None, "x") == "TIMESTAMP"
    with pytest.raises(PostgresPublishError, match=r"marts\.t\.c: no DuckDB type for PostgreSQL type jsonb"):
        engines.duckdb_type("jsonb", None, None, "marts.t.c")


def test_a_night_on_another_engine_than_the_last_is_seen(tmp_path):
    assert not engines.engine_changed(tmp_path, "duckdb"), "a build from before engines were recorded is DuckDB's"
    assert engines.engine_changed(tmp_path, "postgres")
    engines.record_engine(tmp_path, "postgres")
    assert not engines.engine_changed(tmp_path, "postgres") and engines.engine_changed(tmp_path, "duckdb")


def test_the_release_fingerprint_names_an_engine_other_than_duckdb():
    from datetime import date

    files = [{"dataset": "a/b", "source_file": "x.csv", "file_sha256": "0" * 64}]
    duck = publish.fingerprint(files, "code", date(2026, 10, 31))
    assert publish.fingerprint(files, "code", date(2026, 10, 31), engine="duckdb") == duck
    assert publish.fingerprint(files, "code", date(2026, 10, 31), engine="postgres") != duck
