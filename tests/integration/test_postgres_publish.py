"""Publishing a release into PostgreSQL (orchestration/publish_postgres.py) on a real server: exact values of
every published type, one transaction (a failure leaves the previous release), the BI role's reach, and a
type the target cannot hold refused by name."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import psycopg2
import pytest

from orchestration import publish_postgres
from orchestration.publish_postgres import PostgresPublishError, release_transaction
from tests.conftest import new_database, pg_rows

MONEY = Decimal("1234.567890123456789012")  # 22 significant digits: DECIMAL(38,18) exactly, no float would do


def _release_file(path: Path, release: str, cost: Decimal = MONEY) -> Path:
    con = duckdb.connect(str(path))
    try:
        for schema in ("staging", "marts", "audit"):
            con.execute(f"CREATE SCHEMA {schema}")
        con.execute(
            "CREATE TABLE marts.fct_money (id VARCHAR, cost DECIMAL(38, 18), share DOUBLE, n BIGINT, k INTEGER, "
            "ok BOOLEAN, day DATE, seen_at TIMESTAMP, note VARCHAR)"
        )
        con.execute(
            "INSERT INTO marts.fct_money VALUES "
            "(?, ?, 0.1, 9007199254740993, -7, true, DATE '2026-10-31', TIMESTAMP '2026-10-31 23:59:59.123456', "
            "'a, \"quoted\"\nline'), "
            "('empty', -0.000000000000000001, 'inf', NULL, NULL, NULL, NULL, NULL, ''), "
            "('nulls', NULL, NULL, NULL, NULL, false, NULL, NULL, NULL)",
            ["r1", cost],
        )
        con.execute("CREATE TABLE staging.stg_x (id VARCHAR, _source_file VARCHAR, _line BIGINT)")
        con.execute("INSERT INTO staging.stg_x VALUES ('a', 'raw/x.csv', 2)")
        con.execute("CREATE TABLE audit.releases (release_id VARCHAR, status VARCHAR, created_at TIMESTAMP)")
        con.execute("INSERT INTO audit.releases VALUES (?, 'published', now()::TIMESTAMP)", [release])
        for table in ("quarantine", "ingested_files", "ingested_money", "redactions"):
            con.execute(f"CREATE TABLE audit.{table} (release_id VARCHAR)")
        con.execute("INSERT INTO audit.quarantine VALUES ('secret row')")
    finally:
        con.close()
    return path


@pytest.fixture
def target(postgres_server, request) -> str:
    return new_database(postgres_server, f"pub_{request.node.name[:40].lower()}")


def test_every_published_type_arrives_exactly(target, tmp_path):
    source = _release_file(tmp_path / "r1.duckdb", "r1")
    with release_transaction(source, target, tmp_path) as counts:
        pass
    assert counts == {
        "audit.ingested_files": 0,
        "audit.ingested_money": 0,
        "audit.quarantine": 1,
        "audit.redactions": 0,
        "audit.releases": 1,
        "marts.fct_money": 3,
        "staging.stg_x": 1,
    }
    rows = pg_rows(target, "SELECT * FROM marts.fct_money ORDER BY id")
    assert rows == [
        ("empty", Decimal("-0.000000000000000001"), float("inf"), None, None, None, None, None, ""),
        ("nulls", None, None, None, None, False, None, None, None),
        (
            "r1",
            MONEY,
            0.1,
            9007199254740993,
            -7,
            True,
            date(2026, 10, 31),
            datetime(2026, 10, 31, 23, 59, 59, 123456),
            'a, "quoted"\nline',
        ),
    ]
    types = dict(
        pg_rows(
            target,
            "SELECT column_name, data_type || coalesce('(' || numeric_precision || ',' || numeric_scale || ')', '') "
            "FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = 'fct_money'",
        )
    )
    assert types["cost"] == "numeric(38,18)" and types["share"].startswith("double precision")
    assert publish_postgres.published_release(target) == "r1"


def test_a_failure_before_the_commit_leaves_the_previous_release(target, tmp_path):
    with release_transaction(_release_file(tmp_path / "r1.duckdb", "r1"), target, tmp_path):
        pass
    second = _release_file(tmp_path / "r2.duckdb", "r2", cost=Decimal("1"))
    with pytest.raises(RuntimeError, match="the swap failed"), release_transaction(second, target, tmp_path):
        raise RuntimeError("the swap failed")
    assert pg_rows(target, "SELECT cost FROM marts.fct_money WHERE id = 'r1'") == [(MONEY,)]
    assert publish_postgres.published_release(target) == "r1"
    # no scratch file of the failed release is left in the warehouse directory
    assert not list(tmp_path.glob(".pg-publish-*"))


def test_the_bi_role_reads_the_marts_and_nothing_else(target, tmp_path):
    with release_transaction(_release_file(tmp_path / "r1.duckdb", "r1"), target, tmp_path):
        pass
    admin = psycopg2.connect(target)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute("DROP ROLE IF EXISTS bi_reader")
        cur.execute("CREATE ROLE bi_reader LOGIN IN ROLE roi_ledger_bi")
    admin.close()
    reader = target.replace("//roi@", "//bi_reader@")
    assert pg_rows(reader, "SELECT count(*) FROM marts.fct_money") == [(3,)]
    assert pg_rows(reader, "SELECT count(*) FROM staging.stg_x") == [(1,)]
    assert pg_rows(reader, "SELECT release_id FROM audit.releases") == [("r1",)]
    for sql in (
        "SELECT * FROM audit.quarantine",
        "SELECT * FROM audit.redactions",
        "INSERT INTO marts.fct_money (id) VALUES ('forged')",
        "DELETE FROM marts.fct_money",
        "CREATE TABLE marts.mine (x int)",
        "DROP TABLE marts.fct_money",
    ):
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            pg_rows(reader, sql)
    assert pg_rows(target, "SELECT count(*) FROM marts.fct_money") == [(3,)]


def test_a_bi_role_another_release_creates_at_that_moment_is_taken(target, postgres_server, tmp_path, monkeypatch):
    """Roles belong to the server: a release published to another database at the same moment may find the BI
    role missing too and create it first; this release's CREATE ROLE then waits for it and is refused, and the
    release goes on with the role the other made."""
    role = f"roi_bi_{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv(publish_postgres.BI_ROLE_ENV, role)
    source = _release_file(tmp_path / "r1.duckdb", "r1")
    other = psycopg2.connect(postgres_server)
    with other.cursor() as cur:
        cur.execute(f"CREATE ROLE {role} NOLOGIN")  # not committed yet: the release cannot see it
    outcome: dict[str, object] = {}

    def publish() -> None:
        try:
            with release_transaction(source, target, tmp_path) as counts:
                pass
            outcome["counts"] = counts
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = exc

    thread = threading.Thread(target=publish)
    thread.start()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'CREATE ROLE%'"
    deadline = time.monotonic() + 60
    while pg_rows(postgres_server, waiting) != [(1,)] and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    other.commit()
    other.close()
    thread.join(60)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["counts"]["marts.fct_money"] == 3
    assert publish_postgres.published_release(target) == "r1"
    granted = f"SELECT has_table_privilege('{role}', 'marts.fct_money', 'SELECT')"
    assert pg_rows(target, granted) == [(True,)]


def test_a_type_postgresql_cannot_hold_is_refused_by_name(target, tmp_path):
    source = _release_file(tmp_path / "r1.duckdb", "r1")
    con = duckdb.connect(str(source))
    con.execute("CREATE TABLE marts.fct_lists (tags VARCHAR[])")
    con.close()
    with (
        pytest.raises(PostgresPublishError, match=r"marts\.fct_lists\.tags: no PostgreSQL type for DuckDB type"),
        release_transaction(source, target, tmp_path),
    ):
        pass
    assert publish_postgres.published_release(target) is None


def test_urls_are_checked_and_passwords_never_shown():
    assert publish_postgres.normalised_url("postgresql+psycopg2://u:p@h/db") == "postgresql://u:p@h/db"
    assert publish_postgres.normalised_url("postgres://u@h/db") == "postgresql://u@h/db"
    assert publish_postgres.redacted("postgresql://bi:s3cret@db.internal:5432/bi") == (
        "postgresql://bi:***@db.internal:5432/bi"
    )
    with pytest.raises(PostgresPublishError, match=r"not a PostgreSQL URL.*mysql://u:\*\*\*@h/db"):
        publish_postgres.normalised_url("mysql://u:pw@h/db")


def test_an_unreachable_server_is_named_without_its_password(tmp_path):
    source = _release_file(tmp_path / "r1.duckdb", "r1")
    url = "postgresql://roi:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(PostgresPublishError) as err, release_transaction(source, url, tmp_path):
        pass
    assert "cannot connect to postgresql://roi:***@127.0.0.1:1/nowhere" in str(err.value)
    assert "hunter2" not in str(err.value)
