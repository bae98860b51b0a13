"""End to end: the CLI over the small demo organisation, twice, blocked, and failed.

Each test runs the real nightly job in process (ingest, dbt, publish) on a copy of the session's demo data.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_FAILED, EXIT_OK, main
from orchestration.datasets import DATASETS
from orchestration.dbt import LAYER_SELECTORS
from orchestration.ingest.engine import sha256_file
from orchestration.settings import Paths
from tests.conftest import run_nightly, tree_hashes

pytestmark = pytest.mark.slow


def _published_content(db: Path) -> dict[str, list]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema = 'staging' ORDER BY 1, 2"
        ).fetchall()
        return {f"{s}.{t}": con.execute(f'SELECT * FROM {s}."{t}" ORDER BY ALL').fetchall() for s, t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def published_once(published_demo):
    """The demo run once and published (session-wide); tests read it, or copy it before running again."""
    return published_demo


def test_demo_run_publishes_every_dataset(published_once, capsys):
    data_dir, rc, raw_before = published_once
    assert rc == EXIT_OK
    published = data_dir / "published" / "roi.duckdb"
    assert published.exists()
    con = duckdb.connect(str(published), read_only=True)
    try:
        for ds in DATASETS:
            n = con.execute(f"SELECT count(*) FROM staging.stg_{ds.system}__{ds.name}").fetchone()[0]
            assert n > 0, ds.key
            cols = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging' "
                    "AND table_name = ?",
                    [f"stg_{ds.system}__{ds.name}"],
                ).fetchall()
            }
            assert {"_source_file", "_file_sha256", "_line", "_ingested_at"} <= cols, ds.key
        files = con.execute("SELECT count(DISTINCT dataset) FROM audit.ingested_files WHERE status = 'landed'")
        assert files.fetchone()[0] == len(DATASETS)
        rel = con.execute("SELECT status, failed_checks, published_sha256 FROM audit.releases").fetchall()
        assert [r[0] for r in rel] == ["published"]
        assert json.loads(rel[0][1]) == []
        assert con.execute("SELECT count(*) FROM audit.quarantine WHERE raw_record IS NOT NULL").fetchone()[0] == 0
    finally:
        con.close()
    # the raw exports are never modified
    assert tree_hashes(data_dir / "raw") == raw_before


def test_dbt_logs_each_node_at_info_level(published_once):
    """dbt's log file holds a line per node, not every statement (``orchestration.dbt.DBT_FILE_LOG_LEVEL``)."""
    data_dir, rc, _ = published_once
    assert rc == EXIT_OK
    for layer in LAYER_SELECTORS:
        records = [
            json.loads(line)
            for line in (Paths(data_dir).dbt_target / layer / "dbt.log").read_text().splitlines()
            if line.startswith("{")
        ]
        levels = {r["info"]["level"] for r in records}
        assert "debug" not in levels and "info" in levels, (layer, levels)
        assert {"LogModelResult", "LogTestResult"} <= {r["info"]["name"] for r in records}, layer


def test_published_file_pseudonymises_personal_identifiers(published_once):
    data_dir, rc, _ = published_once
    assert rc == EXIT_OK
    con = duckdb.connect(str(data_dir / "published" / "roi.duckdb"), read_only=True)
    try:
        emails = con.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'staging' "
            "AND column_name LIKE '%email%'"
        ).fetchone()[0]
        assert emails > 0
        leaked = 0
        for t, c in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'staging' AND data_type = 'VARCHAR'"
        ).fetchall():
            sql = f'SELECT count(*) FROM staging."{t}" WHERE "{c}" LIKE \'%@example.com\''
            leaked += con.execute(sql).fetchone()[0]
        assert leaked == 0
        # pseudonyms are keyed hashes: stable across tables, so BI can still join people across sources
        assert (
            con.execute(
                "SELECT count(*) FROM staging.stg_iam__identity_inventory WHERE email NOT LIKE 'pii_%'"
            ).fetchone()[0]
            == 0
        )
        joined = con.execute(
            "SELECT count(DISTINCT o.actor_login) FROM staging.stg_iam__okta_system_log o "
            "JOIN staging.stg_iam__identity_inventory i ON i.okta_login = o.actor_login"
        ).fetchone()[0]
        assert joined > 0
        # free-form columns (meta publish: false) stay in the build database only
        cols = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'staging'"
            ).fetchall()
        }
        assert not cols & {"extra_columns_json", "targets_json", "_record", "_extra"}
    finally:
        con.close()
    build = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        assert (
            build.execute(
                "SELECT count(*) FROM staging.stg_iam__identity_inventory WHERE email LIKE '%@example.com'"
            ).fetchone()[0]
            > 0
        )
    finally:
        build.close()


def test_rerunning_the_same_night_changes_nothing(published_once, tmp_path, capsys):
    shared, rc, _ = published_once
    assert rc == EXIT_OK
    data_dir = tmp_path / "night"
    shutil.copytree(shared, data_dir)
    published = data_dir / "published" / "roi.duckdb"
    before_sha = sha256_file(published)
    before = _published_content(published)
    dbt_results = {p: p.stat().st_mtime_ns for p in (data_dir / "warehouse" / "dbt_target").glob("*/run_results.json")}
    assert len(dbt_results) == len(LAYER_SELECTORS)  # every dbt layer ran on the first night
    assert run_nightly(data_dir) == EXIT_OK
    assert sha256_file(published) == before_sha  # not even rewritten
    assert _published_content(published) == before
    # The night gate stopped the night before dbt: no layer ran again.
    assert {p: p.stat().st_mtime_ns for p in dbt_results} == dbt_results
    assert main(["releases", "--data-dir", str(data_dir)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "unchanged" in out and "published" in out
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        (first, second) = con.execute(
            "SELECT status, input_fingerprint, published_sha256, row_counts, checks "
            "FROM audit.releases ORDER BY created_at"
        ).fetchall()
    finally:
        con.close()
    assert second[0] == "unchanged" and second[1:4] == first[1:4]
    assert {c["asset"].split("/")[0] for c in json.loads(second[4])} == {"landing"}  # only ingest ran


def _verdict(data_dir: Path):
    from datetime import date

    from orchestration.dbt import dbt_project
    from orchestration.nightgate import scenario_parameters
    from orchestration.publish import night_verdict
    from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED
    from orchestration.scenarios.run import MODEL_VERSION
    from tests.conftest import AS_OF

    def verdict(as_of: date = AS_OF, seed: int = DEFAULT_SEED):
        return night_verdict(
            Paths(data_dir),
            as_of=as_of,
            manifest_path=dbt_project().manifest_path,
            scenario=scenario_parameters(seed, DEFAULT_ITERATIONS, MODEL_VERSION),
        )[0]

    return verdict


def test_the_night_gate_runs_the_night_for_anything_that_changes_a_release(published_once, tmp_path):
    """The gate's verdict on the published demo: equal as it is; a new file, another as-of date, another scenario
    seed, or a published file that is not the one the release wrote each make the night run in full."""
    from datetime import timedelta

    from tests.conftest import AS_OF

    shared, rc, _ = published_once
    assert rc == EXIT_OK
    data_dir = tmp_path / "night"
    shutil.copytree(shared, data_dir)
    verdict = _verdict(data_dir)
    assert verdict().unchanged
    assert not verdict(as_of=AS_OF + timedelta(days=1)).unchanged
    assert not verdict(seed=7).unchanged
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"))
    try:
        con.execute(
            "INSERT INTO audit.ingested_files SELECT * REPLACE ('usage/litellm_spend_logs/new_day.csv' "
            "AS source_file, repeat('a', 64) AS file_sha256) FROM audit.ingested_files "
            "WHERE dataset = 'usage/litellm_spend_logs' AND status = 'landed' LIMIT 1"
        )
    finally:
        con.close()
    new_file = verdict()
    assert not new_file.unchanged
    assert new_file.files_new == ["usage/litellm_spend_logs: usage/litellm_spend_logs/new_day.csv (aaaaaaaaaaaa)"]
    shutil.copytree(shared / "warehouse", data_dir / "warehouse", dirs_exist_ok=True)
    assert verdict().unchanged
    published = data_dir / "published" / "roi.duckdb"
    published.chmod(0o644)
    with open(published, "ab") as fh:
        fh.write(b"\0")
    tampered = verdict()
    assert not tampered.unchanged and "not the one" in tampered.reason
    published.unlink()
    assert "missing" in verdict().reason


def test_blocking_check_leaves_published_file_byte_identical(published_once, tmp_path, capsys):
    shared, rc, _ = published_once
    assert rc == EXIT_OK
    demo_data_dir = tmp_path / "night"
    shutil.copytree(shared, demo_data_dir)
    published = demo_data_dir / "published" / "roi.duckdb"
    before, export_before = sha256_file(published), tree_hashes(demo_data_dir / "published" / "export")
    report_before = tree_hashes(demo_data_dir / "published" / "report")
    assert list(report_before) == ["index.html"]
    # A FOCUS export whose one charge carries more decimal places than DECIMAL(38, 18) holds: the row is quarantined
    # (never rounded), so its money did not land: `money_complete` blocks right after ingest, before dbt runs.
    src = sorted((demo_data_dir / "raw" / "billing" / "focus").glob("*.csv"))[0]
    header, first = src.read_text().splitlines()[:2]
    cells = next(csv.reader([first]))
    cells[next(csv.reader([header])).index("BilledCost")] = "0.1234567890123456789"
    with open(src.parent / "zz_too_precise.csv", "w", newline="") as fh:
        fh.write(header + "\n")
        csv.writer(fh, lineterminator="\n").writerow(cells)
    capsys.readouterr()
    rc = run_nightly(demo_data_dir)
    err = capsys.readouterr().err
    assert rc == EXIT_BLOCKED
    assert "BLOCKED" in err and "landing/billing/focus::money_complete" in err
    assert sha256_file(published) == before
    assert tree_hashes(demo_data_dir / "published" / "export") == export_before  # and its Parquet export
    assert tree_hashes(demo_data_dir / "published" / "report") == report_before  # and its report
    assert main(["releases", "--data-dir", str(demo_data_dir), "--json"]) == EXIT_OK
    releases = json.loads(capsys.readouterr().out)
    assert releases[0]["status"] == "blocked"
    (failed,) = json.loads(releases[0]["failed_checks"])
    assert (failed["asset"], failed["check"]) == ("landing/billing/focus", "money_complete")
    assert (
        "billing/focus/zz_too_precise.csv: 1 row(s) whose billed_cost cannot be read exactly"
        in failed["observed"]["reason"]
    )


def test_missing_source_blocks_before_dbt(tmp_path, demo_raw, capsys):
    """A required source without rows blocks; optional AI tools the organisation does not use (no folder, or an
    empty one) do not: their has_rows and fresh pass as not in use."""
    shutil.copytree(demo_raw, tmp_path / "raw")
    shutil.rmtree(tmp_path / "raw" / "security" / "incidents")
    (tmp_path / "raw" / "security" / "incidents").mkdir()
    (tmp_path / "raw" / "security" / "incidents" / "empty.csv").write_text("")
    shutil.rmtree(tmp_path / "raw" / "ai" / "cursor_usage_events")
    shutil.rmtree(tmp_path / "raw" / "ai" / "bedrock_invocations")
    (tmp_path / "raw" / "ai" / "bedrock_invocations").mkdir()
    rc = run_nightly(tmp_path)
    err = capsys.readouterr().err
    assert rc == EXIT_BLOCKED
    assert "landing/security/incidents::has_rows" in err
    assert "landing/ai/cursor_usage_events::" not in err and "landing/ai/bedrock_invocations::" not in err
    assert not (tmp_path / "published" / "roi.duckdb").exists()


def test_failed_run_exits_1_and_leaves_published_untouched(published_once, tmp_path, capsys):
    data_dir, rc, _ = published_once
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    published = copy / "published" / "roi.duckdb"
    before = sha256_file(published)
    (copy / "warehouse" / "roi.duckdb").write_bytes(b"this is not a duckdb file" * 100)
    rc = run_nightly(copy)
    err = capsys.readouterr().err
    assert rc == EXIT_FAILED
    assert "FAILED" in err
    assert sha256_file(published) == before
