"""The same night built on PostgreSQL (``roi-ledger run --engine postgres``) publishes the figures the DuckDB
build published: every staging and mart table, row for row, money exactly and floats to 1e-9 relative, on a
real server."""

from __future__ import annotations

import json
import shutil

import duckdb

from orchestration.cli import EXIT_OK, main
from orchestration.engines import POSTGRES_URL_ENV
from tests.conftest import AS_OF, new_database
from tests.tools.compare_builds import differences


def _releases(data_dir) -> list[dict]:
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM audit.releases ORDER BY created_at DESC")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def test_a_night_on_postgres_publishes_what_the_duckdb_night_published(
    published_demo, postgres_server, module_tmp, monkeypatch
):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = module_tmp("engine_postgres") / "data"
    shutil.copytree(data_dir, copy)
    monkeypatch.setenv(POSTGRES_URL_ENV, new_database(postgres_server, "roi_engine"))
    run = ["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat(), "--engine", "postgres"]
    assert main(run) == EXIT_OK
    latest = _releases(copy)[0]
    # another engine is another release (the fingerprint names it), built whole on the server
    assert latest["status"] == "published" and latest["engine"] == "postgres"
    tools = json.loads(latest["tool_versions"])
    assert tools["postgresql"][:2].isdigit() and tools["dbt-postgres"].startswith("1.11")
    assert (copy / "warehouse" / "engine").read_text().strip() == "postgres"
    published = copy / "published" / "roi.duckdb"
    assert differences(data_dir / "published" / "roi.duckdb", published, schemas=("staging", "marts")) == {}
    # the next night with nothing new is unchanged, as on DuckDB
    assert main(run) == EXIT_OK
    assert _releases(copy)[0]["status"] == "unchanged"
