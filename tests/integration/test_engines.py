"""The same night built on PostgreSQL (``roi-ledger run --engine postgres``) publishes the figures the DuckDB
build published: every staging and mart table, row for row, money exactly and floats to 1e-9 relative, on a
real server; then an unchanged night, and a blocked one that leaves the published file untouched."""

from __future__ import annotations

import json
import shutil

from orchestration.cli import EXIT_BLOCKED, EXIT_OK, main
from orchestration.engines import POSTGRES_URL_ENV
from orchestration.ingest.engine import sha256_file
from tests.conftest import AS_OF, UNKNOWN_AI_CHARGE, new_database, release_records, write_focus_line
from tests.tools.compare_builds import differences


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
    latest = release_records(copy)[0]
    # another engine is another release (the fingerprint names it), built whole on the server
    assert latest["status"] == "published" and latest["engine"] == "postgres"
    tools = json.loads(latest["tool_versions"])
    assert tools["postgresql"][:2].isdigit() and tools["dbt-postgres"].startswith("1.11")
    assert (copy / "warehouse" / "engine").read_text().strip() == "postgres"
    published = copy / "published" / "roi.duckdb"
    assert differences(data_dir / "published" / "roi.duckdb", published, schemas=("staging", "marts")) == {}
    # the next night with nothing new is unchanged, as on DuckDB
    assert main(run) == EXIT_OK
    assert release_records(copy)[0]["status"] == "unchanged"
    # a night whose new file breaks a gate (AI spend no rule can attribute) builds incrementally on the server,
    # is blocked by the test dbt ran there, and leaves the published file as it was
    before = sha256_file(published)
    write_focus_line(copy, "focus_aws_zz_unknown_ai.csv", **UNKNOWN_AI_CHARGE)
    assert main(run) == EXIT_BLOCKED
    blocked = release_records(copy)[0]
    assert blocked["status"] == "blocked" and blocked["engine"] == "postgres"
    failed = {c["check"] for c in json.loads(blocked["failed_checks"])}
    assert "assert_cost_separation_unclassified_ai_spend" in failed
    assert sha256_file(published) == before
