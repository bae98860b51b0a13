"""The night gate before the run (``orchestration.preflight``): an empty night is recorded ``unchanged`` without
a Dagster run, and anything the night would land, record or mend makes it run."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import preflight
from orchestration.cli import EXIT_OK
from orchestration.ingest.engine import sha256_file
from orchestration.nightgate import scenario_parameters
from orchestration.nightly import execute_nightly
from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED
from orchestration.scenarios.run import MODEL_VERSION
from orchestration.settings import Paths
from tests.conftest import AS_OF, run_nightly

SCENARIO = scenario_parameters(DEFAULT_SEED, DEFAULT_ITERATIONS, MODEL_VERSION)


@pytest.fixture(scope="module")
def quiet_night(published_demo, module_tmp) -> Path:
    """The published demo copied, then run again through Dagster (the copy's raw files have new inodes, so the
    preflight cannot vouch for them and the in-run gate records ``unchanged`` after hashing them again)."""
    shared, rc, _ = published_demo
    assert rc == EXIT_OK
    data_dir = module_tmp("preflight") / "night"
    shutil.copytree(shared, data_dir)
    time.sleep(preflight_racy_seconds())  # a file changed within the racy window of its hashing is never vouched
    assert run_nightly(data_dir) == EXIT_OK
    return data_dir


def preflight_racy_seconds() -> float:
    from orchestration.ingest.engine import RACY_NS

    return RACY_NS / 1e9 + 0.1


def _releases(data_dir: Path) -> list[tuple]:
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        return con.execute(
            "SELECT release_id, run_id, status, input_fingerprint, published_sha256, checks "
            "FROM audit.releases ORDER BY created_at"
        ).fetchall()
    finally:
        con.close()


def test_the_manifest_path_is_dagster_dbts() -> None:
    from orchestration.dbt import dbt_project

    assert dbt_project().manifest_path == preflight.MANIFEST_PATH


def test_an_empty_night_is_recorded_unchanged_without_a_run(quiet_night: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "night"
    shutil.copytree(quiet_night, data_dir)
    before = _releases(quiet_night)
    assert [r[2] for r in before][:2] == ["published", "unchanged"] and before[1][1] is not None  # a Dagster run
    published = quiet_night / "published" / "roi.duckdb"
    sha = sha256_file(published)
    dbt_target = quiet_night / "warehouse" / "dbt_target"
    dbt_results = {p: p.stat().st_mtime_ns for p in dbt_target.glob("*/run_results.json")}
    run_log = quiet_night / "warehouse" / "logs" / "last_run.log"
    log_mtime = run_log.stat().st_mtime_ns

    outcome = execute_nightly(Paths(quiet_night), AS_OF)

    assert outcome["status"] == "ok" and outcome["run_id"] is None and outcome["checks"] == []
    assert "same inputs, code and settings" in outcome["preflight"]
    after = _releases(quiet_night)
    assert len(after) == len(before) + 1
    release_id, run_id, status, fp, published_sha, checks = after[-1]
    assert release_id.endswith("-preflight") and run_id is None and status == "unchanged"
    assert (fp, published_sha) == before[0][3:5] and json.loads(checks) == []
    assert sha256_file(published) == sha
    assert {p: p.stat().st_mtime_ns for p in dbt_results} == dbt_results  # no dbt layer ran
    assert run_log.stat().st_mtime_ns == log_mtime  # no Dagster run
    # A copy of the directory: the raw files' stats no longer vouch for their hashes, so the night runs.
    why = preflight.check(Paths(data_dir), as_of=AS_OF, scenario=SCENARIO)
    assert not why.unchanged and "changed since it was last hashed" in why.reason


def _sql(db: Path, *statements: str) -> None:
    con = duckdb.connect(str(db))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _check(data_dir: Path, **kw) -> preflight.Preflight:
    return preflight.check(Paths(data_dir), **{"as_of": AS_OF, "scenario": SCENARIO, **kw})


def test_anything_the_night_would_land_record_or_mend_makes_it_run(quiet_night: Path) -> None:
    from datetime import timedelta

    raw = quiet_night / "raw"
    landing = quiet_night / "warehouse" / "landing"
    assert "full refresh" in _check(quiet_night, full_refresh=True).reason
    assert "as-of date" in _check(quiet_night, as_of=AS_OF + timedelta(days=1)).reason
    assert (
        "as-of date" in _check(quiet_night, scenario=scenario_parameters(7, DEFAULT_ITERATIONS, MODEL_VERSION)).reason
    )

    new = raw / "usage" / "litellm_spend_logs" / "zz_new_day.csv"
    new.write_text("request_id\n1\n")
    assert "raw/usage/litellm_spend_logs/zz_new_day.csv: new" in _check(quiet_night).reason
    new.unlink()
    stray = raw / "notes.txt"
    stray.write_text("not an export\n")
    assert "raw/notes.txt: new" in _check(quiet_night).reason
    stray.unlink()
    landed = sorted(landing.rglob("*.parquet"))[0]
    landed.rename(landed.with_suffix(".away"))
    assert "landing file is missing" in _check(quiet_night).reason
    landed.with_suffix(".away").rename(landed)

    build = quiet_night / "warehouse" / "roi.duckdb"
    _sql(
        build,
        "INSERT INTO audit.releases (release_id, run_id, status, input_fingerprint, created_at) "
        "SELECT 'r-blocked', 'x', 'blocked', 'f', max(created_at) + INTERVAL 1 HOUR FROM audit.releases",
    )
    assert "is blocked" in _check(quiet_night).reason
    _sql(
        build,
        "DELETE FROM audit.releases WHERE release_id = 'r-blocked'",
        "INSERT INTO audit.ingested_files SELECT * REPLACE ('rejected' AS status, "
        "'usage/litellm_spend_logs/gone.csv' AS source_file, (SELECT max(created_at) FROM audit.releases) "
        "+ INTERVAL 1 HOUR AS ingested_at) FROM audit.ingested_files "
        "WHERE dataset = 'usage/litellm_spend_logs' LIMIT 1",
    )
    assert "written since release" in _check(quiet_night).reason
    _sql(
        build,
        "UPDATE audit.ingested_files SET ingested_at = (SELECT min(created_at) FROM audit.releases) "
        "- INTERVAL 1 DAY WHERE source_file = 'usage/litellm_spend_logs/gone.csv'",
    )
    assert "a rejected file left raw/" in _check(quiet_night).reason
    _sql(build, "DELETE FROM audit.ingested_files WHERE source_file = 'usage/litellm_spend_logs/gone.csv'")

    unchanged = _check(quiet_night)  # all put back: the night is empty again
    assert unchanged.unchanged and unchanged.release["status"] == "unchanged"
    touched = sorted((raw / "usage" / "litellm_spend_logs").iterdir())[0]
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns))  # same times, new ctime
    assert f"raw/{touched.relative_to(raw).as_posix()}: new, or changed" in _check(quiet_night).reason
