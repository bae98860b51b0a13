"""End to end, the GX gates: the demo publishes with every GX check passing and its results and Data Docs
under ``DIR/audit``; bad landed data that only GX catches blocks the release and leaves the published file
byte-identical.

One extra run of the nightly job: on a copy of the session's published demo, a restated identity inventory
with half its rows (a volume drop) and a LiteLLM export with a negative token count (a range the registry
implies). Both land (the ingest contract has no rule against them), so the landing gates must stop the night
before dbt runs.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_OK, main
from orchestration.datasets import BY_KEY, DATASETS
from orchestration.ingest import engine
from orchestration.ingest.engine import sha256_file
from orchestration.quality import runner, suites
from orchestration.quality.checks import landing_gate_results
from orchestration.quality.marts import MART_GATES
from orchestration.quality.thresholds import share
from orchestration.settings import Paths
from tests.conftest import AS_OF

pytestmark = pytest.mark.slow

LANDING_GX = {(f"landing/{ds.system}/{ds.name}", check) for ds in DATASETS for check in ("gx_contract", "gx_volume")}
MART_GX = {("/".join(g.asset_key), g.check_name) for g in MART_GATES}


def _release(data_dir: Path, status: str) -> dict:
    con = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM audit.releases WHERE status = ? ORDER BY created_at DESC LIMIT 1", [status])
        return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    finally:
        con.close()


def _gx_checks(release: dict) -> dict[tuple[str, str], dict]:
    return {(c["asset"], c["check"]): c for c in json.loads(release["checks"]) if c["check"].startswith("gx_")}


def test_demo_publishes_with_every_gx_gate_passing_and_its_results_stored(published_demo):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    release = _release(data_dir, "published")
    run_id = release["run_id"]
    checks = _gx_checks(release)
    assert set(checks) == LANDING_GX | MART_GX
    assert [k for k, c in checks.items() if not c["passed"]] == []
    assert all(c["blocking"] and c["severity"] == "ERROR" for c in checks.values())

    results = data_dir / "audit" / "gx" / run_id
    stored = sorted(results.rglob("*.json"))
    assert len(stored) == len(DATASETS) + len(MART_GATES)
    assert all(json.loads(p.read_text())["success"] is True for p in stored)
    for c in checks.values():  # each check points at its stored result
        assert Path(c["observed"]["result_path"]) in stored
    index = data_dir / "audit" / "data_docs" / "index.html"
    assert index.exists() and c["observed"]["data_docs"] == str(index)
    html = index.read_text()
    assert run_id in html and all(name in html for name in suites.all_suites())

    build = duckdb.connect(str(data_dir / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        volumes = {
            d: (n, ok)
            for d, n, ok in build.execute(
                "SELECT dataset, row_count, passed FROM audit.gate_volumes WHERE run_id = ?", [run_id]
            ).fetchall()
        }
        for ds in DATASETS:
            landed = build.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]
            assert volumes[ds.key] == (landed, True)
            assert checks[(f"landing/{ds.system}/{ds.name}", "gx_volume")]["observed"]["observed_row_count"] == landed
    finally:
        build.close()
    coverage = checks[("marts/fct_attribution_coverage", "gx_attribution_coverage")]["observed"]
    assert coverage["cost_share"] >= coverage["attribution_coverage_min"] == share("attribution_coverage_min")
    costs = checks[("marts/fct_cost_lines", "gx_cost_separation")]["observed"]
    assert costs["periods_not_reconciled"] == 0 and costs["periods_compared"] > 0
    assert costs["unclassified_ai_spend_share"] <= costs["unclassified_ai_spend_max"]


def _restate_half_of_the_inventory(raw: Path) -> tuple[int, int]:
    """Restate the inventory export at the same path with its first half: it supersedes the landed rows.
    Returns (rows kept, rows before)."""
    path = raw / "iam" / "identity_inventory" / "identity_inventory.csv"
    with open(path, newline="") as fh:
        header, *rows = list(csv.reader(fh))
    kept = rows[: len(rows) // 2]
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([header, *kept])
    return len(kept), len(rows)


def _negative_token_count(raw: Path) -> None:
    """A new LiteLLM export: one request (new id, same times as an existing one) with a negative prompt count."""
    folder = raw / "usage" / "litellm_spend_logs"
    with open(sorted(folder.glob("*.csv"))[0], newline="") as fh:
        header, first = list(csv.reader(fh))[:2]
    first[header.index("request_id")] = "chatcmpl-gx-negative-prompt-tokens"
    first[header.index("prompt_tokens")] = "-5"
    with open(folder / "litellm_spend_logs_zz_restated.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([header, first])


def test_volume_drop_and_negative_count_block_before_dbt(published_demo, tmp_path, capsys):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    published = copy / "published" / "roi.duckdb"
    before = sha256_file(published)
    baseline = _release(copy, "published")["run_id"]
    kept, landed = _restate_half_of_the_inventory(copy / "raw")
    _negative_token_count(copy / "raw")
    capsys.readouterr()

    rc = main(["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat()])
    err = capsys.readouterr().err
    assert rc == EXIT_BLOCKED, err
    assert "landing/iam/identity_inventory::gx_volume" in err and "landing/usage/litellm_spend_logs::gx_contract" in err
    assert sha256_file(published) == before

    release = _release(copy, "blocked")
    failed = {(c["asset"], c["check"]): c for c in json.loads(release["failed_checks"])}
    assert set(failed) == {
        ("landing/iam/identity_inventory", "gx_volume"),
        ("landing/usage/litellm_spend_logs", "gx_contract"),
    }
    drop = failed[("landing/iam/identity_inventory", "gx_volume")]["observed"]
    assert drop["observed_row_count"] == kept and drop["previous_row_count"] == landed
    assert drop["previous_run_id"] == baseline and drop["min_row_count"] > kept
    assert "fewer than the" in drop["reason"]
    contract = failed[("landing/usage/litellm_spend_logs", "gx_contract")]["observed"]
    assert contract["failed_expectations"] == "non_negative:prompt_tokens (1 unexpected)"
    # the gate stopped the night before dbt: no dbt test was evaluated
    assert {c["asset"].split("/")[0] for c in json.loads(release["checks"])} == {"landing"}

    result = json.loads(Path(contract["result_path"]).read_text())
    assert result["success"] is False and Path(contract["result_path"]).is_relative_to(
        copy / "audit" / "gx" / release["run_id"]
    )
    (negative,) = [
        r for r in result["results"] if r["expectation_config"]["meta"]["rule"] == "non_negative:prompt_tokens"
    ]
    assert negative["success"] is False and negative["result"]["unexpected_count"] == 1
    assert negative["result"]["partial_unexpected_list"] == [-5]
    assert release["run_id"] in (copy / "audit" / "data_docs" / "index.html").read_text()

    build = duckdb.connect(str(copy / "warehouse" / "roi.duckdb"), read_only=True)
    try:
        recorded = build.execute(
            "SELECT row_count, passed FROM audit.gate_volumes WHERE run_id = ? AND dataset = 'iam/identity_inventory'",
            [release["run_id"]],
        ).fetchall()
        assert recorded == [(kept, False)]
    finally:
        build.close()


def test_landing_validations_are_reused_while_the_landed_files_stay_the_same(published_demo, tmp_path, monkeypatch):
    """A night that landed nothing new re-validates nothing: each suite's earlier outcome stands (its GX result
    copied into the night's results), also when the volume minimum moved and the same count still reaches it;
    a count that no longer does, or a new file, re-validates its own dataset's suite only."""
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    paths = Paths(copy)
    engine.connect(paths.build_db).close()  # the copy's views read the copy's landing files
    validated: list[list[str]] = []
    real = runner.validate

    def spy(db, todo, *args, **kwargs):
        validated.append(sorted(s["name"] for s in todo))
        return real(db, todo, *args, **kwargs)

    monkeypatch.setattr(runner, "validate", spy)

    def verdicts(results) -> dict:
        return {
            (r.asset_key.to_user_string(), r.check_name): (
                r.passed,
                {k: v for k, v in r.metadata.items() if k not in ("result_path", "data_docs")},
            )
            for r in results
        }

    # The demo's run validated every suite with no volume minimum (no earlier run); this night's minimum follows
    # that run's counts, which the same landed files still reach: every outcome stands, and says so.
    first = landing_gate_results(paths, "reuse-1")
    assert validated == []
    volume = [r for r in first if r.check_name == "gx_volume"]
    assert len(volume) == len(DATASETS) and all(r.passed for r in first)
    for r in volume:
        assert r.metadata["min_row_count"].value > 0
        assert "validated with another volume minimum" in r.metadata["reuse_note"].value
    second = landing_gate_results(paths, "reuse-2")
    assert validated == []
    assert verdicts(second) == verdicts(first) and all(r.passed for r in second)
    for r in second:  # the evidence is the night's own copy
        assert "/gx/reuse-2/" in str(r.metadata["result_path"].value)
        assert Path(r.metadata["result_path"].value).is_file()

    litellm = suites.landing_suite_name(BY_KEY["usage/litellm_spend_logs"])
    con = duckdb.connect(str(paths.build_db))
    try:  # a baseline twice as large: the same count no longer reaches the minimum, so GX validates again
        con.execute(
            "UPDATE audit.gate_volumes SET row_count = row_count * 2 WHERE dataset = "
            "'usage/litellm_spend_logs' AND run_id IN (SELECT run_id FROM audit.releases)"
        )
    finally:
        con.close()
    raised = landing_gate_results(paths, "reuse-2b")
    assert validated == [[litellm]]
    assert [(r.asset_key.to_user_string(), r.check_name) for r in raised if not r.passed] == [
        ("landing/usage/litellm_spend_logs", "gx_volume")
    ]
    con = duckdb.connect(str(paths.build_db))
    try:
        con.execute(
            "UPDATE audit.gate_volumes SET row_count = row_count // 2 WHERE dataset = "
            "'usage/litellm_spend_logs' AND run_id IN (SELECT run_id FROM audit.releases)"
        )
    finally:
        con.close()
    validated.clear()

    _negative_token_count(copy / "raw")
    con = engine.connect(paths.build_db)
    try:
        engine.ingest_dataset(con, copy / "raw", BY_KEY["usage/litellm_spend_logs"])
    finally:
        con.close()
    third = landing_gate_results(paths, "reuse-3")
    assert validated == [[litellm]]
    failed = [(r.asset_key.to_user_string(), r.check_name) for r in third if not r.passed]
    assert failed == [("landing/usage/litellm_spend_logs", "gx_contract")]
    landing_gate_results(paths, "reuse-4")  # a failing outcome is reused as failing
    assert len(validated) == 1
