"""Nights that publish into PostgreSQL too, with the Dagster instance on PostgreSQL, on a real server.

On a copy of the published demo: an unchanged night through Dagster (``--no-preflight``) writes the published
release into a server that did not hold it yet (the catch-up), and its run and checks land in the Dagster
instance's PostgreSQL storage; a night with a new billing file publishes a new release into both the file and
the server; a blocked night leaves both untouched.
"""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_OK, main
from orchestration.ingest.engine import sha256_file
from orchestration.publish_postgres import published_release
from tests.conftest import (
    AS_OF,
    REPO,
    UNKNOWN_AI_CHARGE,
    new_database,
    pg_rows,
    release_records,
    write_focus_line,
)
from tests.tools.compare_builds import rows_close


def _marts(url: str | None, published: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, from the server (``url``) or the published DuckDB file."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        if url is None:
            return {t: sorted(con.execute(f'SELECT * FROM marts."{t}"').fetchall(), key=repr) for t in tables}
    finally:
        con.close()
    return {t: sorted(pg_rows(url, f'SELECT * FROM marts."{t}"'), key=repr) for t in tables}


def _counts(url: str) -> dict[str, int]:
    rows = pg_rows(
        url,
        "SELECT table_schema || '.' || table_name FROM information_schema.tables "
        "WHERE table_schema IN ('staging', 'marts', 'audit') ORDER BY 1",
    )
    return {t: pg_rows(url, f"SELECT count(*) FROM {t}")[0][0] for (t,) in rows}


def _same_values(a: dict[str, list[tuple]], b: dict[str, list[tuple]]) -> None:
    """Equal row for row: money (Decimal) exactly, floats to 1e-9 relative."""
    assert a.keys() == b.keys()
    for table in a:
        assert len(a[table]) == len(b[table]), table
        for ra, rb in zip(a[table], b[table], strict=True):
            assert rows_close(ra, rb, 1e-9), (table, ra, rb)


@pytest.fixture(scope="module")
def nights(published_demo, postgres_server, module_tmp, monkeypatch_module):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = module_tmp("pg_nights") / "data"
    shutil.copytree(data_dir, copy)
    bi = new_database(postgres_server, "roi_bi")
    dagster_db = new_database(postgres_server, "roi_dagster")
    home = copy.parent / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster.postgres.yaml", home / "dagster.yaml")
    monkeypatch_module.setenv("DAGSTER_HOME", str(home))
    monkeypatch_module.setenv(
        "ROI_LEDGER_DAGSTER_POSTGRES_URL", dagster_db.replace("postgresql://", "postgresql+psycopg2://")
    )
    return copy, bi, dagster_db


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _run(copy: Path, bi: str, *extra: str) -> int:
    return main(["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat(), "--publish-to", bi, *extra])


def test_an_unchanged_night_writes_the_published_release_into_a_new_server(nights, capsys):
    copy, bi, dagster_db = nights
    published = copy / "published" / "roi.duckdb"
    before = sha256_file(published)
    assert _run(copy, bi, "--no-preflight") == EXIT_OK
    latest, previous = release_records(copy)[:2]
    assert latest["status"] == "unchanged" and sha256_file(published) == before
    assert json.loads(latest["published_to"]) == [bi]
    # the server holds the published release, table for table and value for value
    counts = json.loads(previous["row_counts"])
    on_server = _counts(bi)
    assert {t: n for t, n in on_server.items() if not t.startswith("audit.")} == counts
    assert published_release(bi) == previous["release_id"]
    _same_values(_marts(bi, published), _marts(None, published))
    money = pg_rows(bi, "SELECT sum(billed_cost) FROM marts.fct_cost_lines")[0][0]
    assert isinstance(money, Decimal) and money.as_tuple().exponent == -18
    # the Dagster instance on PostgreSQL recorded the run and its asset checks
    runs = pg_rows(dagster_db, "SELECT status FROM runs")
    assert ("SUCCESS",) in runs
    assert pg_rows(dagster_db, "SELECT count(*) FROM asset_check_executions")[0][0] > 0
    # a second unchanged night finds the server current and writes nothing
    stamp = pg_rows(bi, "SELECT xmin::text FROM audit.releases LIMIT 1")
    assert _run(copy, bi) == EXIT_OK
    assert pg_rows(bi, "SELECT xmin::text FROM audit.releases LIMIT 1") == stamp


def test_a_new_release_reaches_the_file_and_the_server_and_a_blocked_one_neither(nights, capsys):
    copy, bi, _ = nights
    published = copy / "published" / "roi.duckdb"
    # a night with one more charge: a new release, in the file and on the server
    write_focus_line(copy, "focus_aws_zz_extra.csv", Id="aws-extra-0000001", ChargeDescription="One more line")
    assert _run(copy, bi) == EXIT_OK
    latest = release_records(copy)[0]
    assert latest["status"] == "published" and json.loads(latest["published_to"]) == [bi]
    assert published_release(bi) == latest["release_id"]
    _same_values(_marts(bi, published), _marts(None, published))
    file_before, server_before = sha256_file(published), _marts(bi, published)
    # a blocked night (AI spend no rule can attribute): neither moves
    write_focus_line(copy, "focus_aws_zz_unknown_ai.csv", **UNKNOWN_AI_CHARGE)
    capsys.readouterr()
    assert _run(copy, bi) == EXIT_BLOCKED
    assert release_records(copy)[0]["status"] == "blocked"
    assert sha256_file(published) == file_before
    assert _marts(bi, published) == server_before
    assert published_release(bi) == latest["release_id"]
