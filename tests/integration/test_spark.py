"""The same night built on Spark (``roi-ledger run --engine spark``) publishes the figures the DuckDB build
published: every staging and mart table, row for row, money exactly and floats to 1e-9 relative, in a real
Spark session (``local[*]``); then an unchanged night, and a blocked night on a local multi-process cluster
(``local-cluster[2,1,1024]``: executors in their own JVMs) that leaves the published file and the PostgreSQL
BI schema untouched."""

from __future__ import annotations

import json
import shutil

import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_OK, main
from orchestration.engine_spark import MASTER_ENV, install_java
from orchestration.ingest.engine import sha256_file
from orchestration.publish_postgres import published_release
from tests.conftest import AS_OF, UNKNOWN_AI_CHARGE, new_database, release_records, write_focus_line
from tests.tools.compare_builds import differences


@pytest.fixture(scope="module")
def java_runtime() -> None:
    """Spark's Java runtime: ``.ci/run`` machines may have none (installed here as root, else the test fails
    saying what is missing)."""
    install_java()


def test_a_night_on_spark_publishes_what_the_duckdb_night_published(
    published_demo, java_runtime, postgres_server, module_tmp, monkeypatch
):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = module_tmp("engine_spark") / "data"
    shutil.copytree(data_dir, copy)
    monkeypatch.delenv(MASTER_ENV, raising=False)
    bi = new_database(postgres_server, "roi_spark_bi")
    run = ["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat(), "--engine", "spark", "--publish-to", bi]
    assert main(run) == EXIT_OK
    latest = release_records(copy)[0]
    assert latest["status"] == "published" and latest["engine"] == "spark"
    tools = json.loads(latest["tool_versions"])
    assert tools["pyspark"].startswith("3.5") and tools["dbt-spark"].startswith("1.11")
    assert (copy / "warehouse" / "engine").read_text().strip() == "spark"
    published = copy / "published" / "roi.duckdb"
    assert differences(data_dir / "published" / "roi.duckdb", published, schemas=("staging", "marts")) == {}
    # the next night with nothing new is unchanged, as on DuckDB
    assert main(run) == EXIT_OK
    assert release_records(copy)[0]["status"] == "unchanged"
    # a night whose new file breaks a gate (AI spend no rule can attribute), built on a local cluster of two
    # executor processes, is blocked by the test dbt ran there and leaves both published copies as they were
    monkeypatch.setenv(MASTER_ENV, "local-cluster[2,1,1024]")
    before, on_server = sha256_file(published), published_release(bi)
    write_focus_line(copy, "focus_aws_zz_unknown_ai.csv", **UNKNOWN_AI_CHARGE)
    assert main(run) == EXIT_BLOCKED
    blocked = release_records(copy)[0]
    assert blocked["status"] == "blocked" and blocked["engine"] == "spark"
    failed = {c["check"] for c in json.loads(blocked["failed_checks"])}
    assert "assert_cost_separation_unclassified_ai_spend" in failed
    assert sha256_file(published) == before
    assert published_release(bi) == on_server == latest["release_id"]
