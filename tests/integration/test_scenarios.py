"""End to end: the scenario model publishes every sanctioned AI system with intervals and sensitivities, the
defensive intervals reach the portfolio, and impossible scenario rows are quarantined without stopping the rest."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from orchestration.cli import EXIT_OK, main
from orchestration.ingest.engine import sha256_file
from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED
from tests.conftest import AS_OF


@pytest.fixture(scope="module")
def published(published_demo):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    con = duckdb.connect(str(data_dir / "published" / "roi.duckdb"), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def test_every_sanctioned_system_has_scenarios_with_intervals(published):
    sanctioned = {
        r[0] for r in published.execute("SELECT ai_system_id FROM marts.dim_ai_system WHERE is_sanctioned").fetchall()
    }
    assert len(sanctioned) == 12  # ten systems and the two seat products (Cursor, Claude Code)
    rows = _rows(published, "SELECT * FROM marts.fct_roi_scenarios")
    assert {r["ai_system_id"] for r in rows} == sanctioned
    for r in rows:
        assert (r["iterations"], r["seed"]) == (DEFAULT_ITERATIONS, DEFAULT_SEED)
        for m in ("baseline_loss", "residual_loss", "avoided_loss", "net_benefit"):
            p = [r[f"{m}_p{q}"] for q in (5, 10, 50, 90, 95)]
            assert p == sorted(p), (r["scenario_id"], m)
            assert r[f"{m}_mean_se"] >= 0
        assert r["avoided_loss_p5"] >= 0 and 0 <= r["p_net_negative"] <= 1
        assert all(r[c] for c in ("frequency_source", "loss_source", "control_source", "control_cost_source"))
        # the mean against the closed form: within 4 standard errors (cents rounding aside)
        assert (
            abs(r["baseline_loss_mean"] - r["expected_baseline_loss_closed_form"]) <= 4 * r["baseline_loss_mean_se"] + 1
        ), r["scenario_id"]
    sens = _rows(
        published,
        "SELECT scenario_id, count(*) AS n, min(swing_rank) AS lo, max(swing_rank) AS hi "
        "FROM marts.fct_roi_scenario_sensitivity GROUP BY scenario_id",
    )
    assert {s["scenario_id"] for s in sens} == {r["scenario_id"] for r in rows}
    assert all((s["n"], s["lo"], s["hi"]) == (5, 1, 5) for s in sens)


def test_library_fills_systems_without_rows_and_observed_figures_say_so(published):
    by = {r["scenario_id"]: r for r in _rows(published, "SELECT * FROM marts.fct_roi_scenarios")}
    lib = by["lib-coding-change-failure:ais-copilot"]
    assert lib["input_origin"] == "scenario_library" and lib["_source_file"] == "seeds/scenario_library.csv"
    assert "DORA 2024" in lib["control_source"]
    assert by["lib-any-shadow-ai:ais-incident-summariser"]["input_origin"] == "scenario_library"
    auto = by["scn-auto-remediation-containment"]
    assert auto["frequency_observed"] and auto["loss_observed"] and auto["control_cost_observed"]
    assert auto["frequency_model"] == "poisson"
    assert auto["frequency_source"].startswith("observed: ") and "misconfiguration" in auto["frequency_source"]
    assert auto["control_cost_source"].startswith("observed: cost lines of ais-auto-remediation")
    assert not by["scn-chat-assistant-shadow-ai"]["control_cost_observed"]
    assert "IBM Cost of a Data Breach 2025" in by["scn-chat-assistant-shadow-ai"]["loss_source"]


def test_portfolio_carries_defensive_intervals(published):
    rollups = {
        r["ai_system_id"]: r
        for r in _rows(
            published,
            "SELECT * FROM marts.fct_roi_scenario_rollups WHERE rollup_level = 'ai_system' "
            "AND ledger = 'defensive' AND currency = 'USD'",
        )
    }
    port = _rows(published, "SELECT * FROM marts.fct_roi_portfolio WHERE defensive_scenario_count IS NOT NULL")
    assert {p["ai_system_id"] for p in port} == set(rollups)
    for p in port:
        r = rollups[p["ai_system_id"]]
        assert p["defensive_scenario_net_benefit_p5_usd"] == r["net_benefit_p5"]
        assert p["defensive_scenario_net_benefit_p95_usd"] == r["net_benefit_p95"]
        assert (
            p["defensive_scenario_net_benefit_p5_usd"]
            <= p["defensive_scenario_net_benefit_p50_usd"]
            <= p["defensive_scenario_net_benefit_p95_usd"]
        )
        latest = published.execute(
            "SELECT max(quarter_start) FROM marts.fct_roi_portfolio WHERE ai_system_id = ?", [p["ai_system_id"]]
        ).fetchall()[0][0]
        assert p["quarter_start"] == latest


BAD_ROWS = """scenario_id,ai_system_id,ledger,description,frequency_model,frequency_low,frequency_mode,\
frequency_high,loss_low_90,loss_high_90,currency,control_efficacy,loss_reduction,annual_control_cost,horizon_years,\
incident_category,use_observed,source
scn-range-backwards,ais-soc-triage,defensive,low above high,poisson,,0.2,,900000,100000,USD,0.3,0.1,1000,3,,,test
scn-efficacy-too-high,ais-soc-triage,defensive,efficacy 1.4,poisson,,0.2,,1000,100000,USD,1.4,0.1,1000,3,,,test
scn-ghost-system,ais-does-not-exist,defensive,unknown system,poisson,,0.2,,1000,100000,USD,0.3,0.1,1000,3,,,test
scn-weibull,ais-soc-triage,defensive,unknown distribution,weibull,,0.2,,1000,100000,USD,0.3,0.1,1000,3,,,test
scn-negative-loss,ais-soc-triage,defensive,negative loss,poisson,,0.2,,-5,100000,USD,0.3,0.1,1000,3,,,test
scn-extra-good,ais-soc-triage,defensive,a valid extra scenario,poisson,,0.2,,1000,100000,USD,0.3,0.1,1000,3,,,test
"""


def test_impossible_scenarios_are_quarantined_and_the_others_still_publish(published_demo, tmp_path, capsys):
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    bad = copy / "raw" / "assumptions" / "scenarios" / "zz_bad_scenarios.csv"
    bad.write_text(BAD_ROWS)
    before = sha256_file(bad)
    capsys.readouterr()
    assert (
        main(["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat(), "--scenario-iterations", "10000"])
        == EXIT_OK
    )
    out = capsys.readouterr().out
    assert "release" in out and "published" in out
    assert "warn    scenario_model/scenario_results :: no_scenario_quarantined" in out
    assert sha256_file(bad) == before  # raw files are never modified
    con = duckdb.connect(str(copy / "published" / "roi.duckdb"), read_only=True)
    try:
        quarantined = {
            (r["scenario_id"], r["line"], r["column_name"])
            for r in _rows(con, "SELECT * FROM marts.fct_roi_scenario_quarantine")
        }
        assert quarantined == {
            ("scn-range-backwards", 2, "loss_high_90"),
            ("scn-efficacy-too-high", 3, "control_efficacy"),
            ("scn-ghost-system", 4, "ai_system_id"),
            ("scn-negative-loss", 6, "loss_low_90"),
        }
        reasons = {
            r[0]: r[1]
            for r in con.execute("SELECT scenario_id, reason FROM marts.fct_roi_scenario_quarantine").fetchall()
        }
        assert "ais-does-not-exist" in reasons["scn-ghost-system"]
        assert all(
            r[0].endswith("zz_bad_scenarios.csv")
            for r in con.execute("SELECT source_file FROM marts.fct_roi_scenario_quarantine").fetchall()
        )
        # the unknown distribution never got past the ingest contract: quarantined there, with file, line, column
        (ingest_q,) = con.execute(
            "SELECT line, column_name, reason FROM audit.quarantine WHERE dataset = 'assumptions/scenarios'"
        ).fetchall()
        assert ingest_q[:2] == (5, "frequency_model") and "weibull" in ingest_q[2]
        ids = {r[0] for r in con.execute("SELECT scenario_id FROM marts.fct_roi_scenarios").fetchall()}
        # the two seat products are coding assistants: the default library's coding scenario covers them
        assert "scn-extra-good" in ids and "scn-soc-triage-breach" in ids and len(ids) == 14
        assert con.execute("SELECT DISTINCT iterations FROM marts.fct_roi_scenarios").fetchall() == [(10_000,)]
        release = json.loads(
            json.dumps(con.execute("SELECT status FROM audit.releases ORDER BY created_at DESC LIMIT 1").fetchall())
        )
        assert release == [["published"]]
    finally:
        con.close()


def test_a_newer_impossible_row_replaces_the_old_one_and_its_system_is_reported_uncovered(
    published_demo, tmp_path, capsys
):
    """A scenario id given again in a newer file: the newer row is the one used (here impossible, so quarantined),
    the older row is reported as superseded, and the system left without any scenario makes
    `every_sanctioned_system_simulated` warn (the library does not step in for a system with rows of its own)."""
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    folder = copy / "raw" / "assumptions" / "scenarios"
    header = BAD_ROWS.splitlines()[0]
    (folder / "zz_restated.csv").write_text(
        header + "\nscn-data-analyst-exposure,ais-data-analyst,defensive,restated,poisson,,0.03,,900000,100000,USD,"
        "0.25,0.1,30000,3,,,test\n"
    )
    original_line = next(
        i
        for i, line in enumerate((folder / "scenarios.csv").read_text().splitlines(), start=1)
        if line.startswith("scn-data-analyst-exposure,")
    )
    capsys.readouterr()
    assert (
        main(["run", "--data-dir", str(copy), "--as-of", AS_OF.isoformat(), "--scenario-iterations", "10000"])
        == EXIT_OK
    )
    out = capsys.readouterr().out
    assert "warn    scenario_model/scenario_results :: every_sanctioned_system_simulated" in out
    assert "systems=ais-data-analyst" in out
    con = duckdb.connect(str(copy / "published" / "roi.duckdb"), read_only=True)
    try:
        quarantined = {
            (r["source_file"].rsplit("/", 1)[-1], r["line"], r["column_name"]): r["reason"]
            for r in _rows(con, "SELECT * FROM marts.fct_roi_scenario_quarantine")
        }
        assert set(quarantined) == {
            ("zz_restated.csv", 2, "loss_high_90"),
            ("scenarios.csv", original_line, "scenario_id"),
        }
        assert "zz_restated.csv line 2" in quarantined[("scenarios.csv", original_line, "scenario_id")]
        systems = {r[0] for r in con.execute("SELECT ai_system_id FROM marts.fct_roi_scenarios").fetchall()}
        assert "ais-data-analyst" not in systems and len(systems) == 11  # with the two seat products
    finally:
        con.close()
