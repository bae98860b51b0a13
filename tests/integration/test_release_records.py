"""End to end: the release record an auditor reads, the immutable snapshot, and the freshness gate."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_OK, main
from orchestration.ingest.engine import sha256_file
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def release(published_demo) -> tuple[Path, dict]:
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM audit.releases WHERE status = 'published' ORDER BY created_at DESC LIMIT 1")
        rec = dict(zip([d[0] for d in cur.description], cur.fetchall()[0], strict=True))
    finally:
        con.close()
    return data_dir, rec


def test_release_record_lists_every_check_of_the_run_with_observed_values(release):
    from orchestration.definitions import defs

    _, rec = release
    checks = json.loads(rec["checks"])
    recorded = {(c["asset"], c["check"]) for c in checks}
    defined = {(k.asset_key.to_user_string(), k.name) for k in defs.get_repository_def().asset_graph.asset_check_keys}
    assert recorded == defined
    by = {(c["asset"], c["check"]): c for c in checks}
    fresh = by[("landing/usage/litellm_spend_logs", "fresh")]
    assert fresh["passed"] and fresh["observed"]["freshness_field"] == "start_time"
    assert fresh["observed"]["age_hours"] >= 0
    coverage = by[("marts/fct_attribution_coverage", "assert_attribution_coverage_min")]
    assert coverage["observed"]["dagster_dbt/failed_row_count"] == 0


def test_release_record_carries_versions_inputs_counts_and_hash(release):
    data_dir, rec = release
    assert len(rec["code_version"].split("+")[0]) == 40
    tools = json.loads(rec["tool_versions"])
    assert {"dagster", "dagster-dbt", "dbt-core", "dbt-duckdb", "duckdb", "python"} <= set(tools)
    files = json.loads(rec["input_files"])
    assert len(files) > 100 and all(len(f["file_sha256"]) == 64 for f in files)
    counts = json.loads(rec["row_counts"])
    assert counts["marts.fct_roi_portfolio"] > 0 and counts["marts.fct_roi_scenarios"] > 0
    assert rec["published_sha256"] == sha256_file(data_dir / "published" / "roi.duckdb")


def test_published_release_is_kept_as_an_immutable_snapshot(release):
    data_dir, rec = release
    snapshot = data_dir / rec["snapshot_path"]
    assert rec["snapshot_path"] == f"published/releases/{rec['release_id']}.duckdb"
    assert sha256_file(snapshot) == rec["published_sha256"]
    assert not os.stat(snapshot).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    # the snapshot is the published file under a second name: no copy, the same bytes, read-only for all
    assert os.path.samefile(snapshot, data_dir / "published" / "roi.duckdb")
    con = duckdb.connect(str(snapshot), read_only=True)
    try:  # finance reproduces the board report "as published" from the snapshot alone
        assert (
            con.execute("SELECT count(*) FROM marts.fct_roi_portfolio").fetchall()[0][0]
            == json.loads(rec["row_counts"])["marts.fct_roi_portfolio"]
        )
    finally:
        con.close()


def test_releases_show_prints_one_release_in_full(release, capsys):
    data_dir, rec = release
    capsys.readouterr()
    assert main(["releases", "--data-dir", str(data_dir), "--show", rec["release_id"]]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"release        {rec['release_id']}" in out
    assert rec["code_version"] in out and "dbt-core 1.11." in out and "(present)" in out
    n_checks = len(json.loads(rec["checks"]))
    # the demo's one warning: the invoice reconciliation names the OpenAI project-month it over-bills on purpose
    assert f"checks ({n_checks}: {n_checks - 1} passed, 1 warnings, 0 blocking failures)" in out
    (warn_line,) = [ln for ln in out.splitlines() if ln.lstrip().startswith("warn")]
    assert "assert_invoice_reconciliation_within_tolerance" in warn_line and "failed_row_count=1" in warn_line
    (fresh_line,) = [ln for ln in out.splitlines() if "landing/usage/litellm_spend_logs :: fresh" in ln]
    assert fresh_line.lstrip().startswith("pass") and "freshness_field=start_time" in fresh_line
    assert main(["releases", "--data-dir", str(data_dir), "--show", "r-nope"]) == 2
    assert "no release 'r-nope'" in capsys.readouterr().err
    assert main(["releases", "--data-dir", str(data_dir)]) == EXIT_OK
    assert rec["code_version"][:12] in capsys.readouterr().out


def test_a_stale_source_blocks_the_release_naming_dataset_and_age(published_demo, tmp_path, capsys):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    published = copy / "published" / "roi.duckdb"
    before = sha256_file(published)
    snapshots = sorted(p.name for p in (copy / "published" / "releases").iterdir())
    capsys.readouterr()
    # ten days later, nothing new arrived: the daily event sources (7-day limit) are stale
    assert main(["run", "--data-dir", str(copy), "--as-of", "2026-11-10"]) == EXIT_BLOCKED
    captured = capsys.readouterr()
    err = captured.out + captured.err
    assert "BLOCKED landing/usage/litellm_spend_logs :: fresh" in err
    assert "usage/litellm_spend_logs is stale" in err and "h old at the end of 2026-11-10" in err
    assert "landing/billing/focus :: fresh" not in err  # monthly billing: 65-day limit
    assert sha256_file(published) == before
    assert sorted(p.name for p in (copy / "published" / "releases").iterdir()) == snapshots
    assert AS_OF.isoformat() == "2026-10-31"
