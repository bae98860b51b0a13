"""End to end: the three ledgers and the ROI portfolio (dbt marts) on the small demo.

One module-scoped run publishes the demo; the tests read its published ledgers (productivity by difference in
differences, defensive benefits beside risk counter-entries, the portfolio per AI system and quarter). Then a
copy is blocked by the one-claim-per-benefit gate: the benefit catalogue cannot be overridden from data, but a
benefit can be claimed twice through data. A delivery incident (Four Keys) that is also exported as a security
incident (same id) has its restore claimed by the productivity ledger, whose time to restore then carries
benefit type `time_to_restore_security_incidents`, a defensive benefit: the gate blocks the release.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_BLOCKED, EXIT_OK
from orchestration.ingest.engine import sha256_file
from roi_ledger_demo import ai_inventory
from tests.conftest import AS_OF, run_nightly

pytestmark = pytest.mark.slow

LEDGER_MARTS = ("fct_delivery_performance", "fct_productivity_roi", "fct_defensive_roi", "fct_roi_portfolio")
GATE = "assert_one_claim_per_benefit"


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(path), read_only=True)


@pytest.fixture(scope="module")
def ledgers_published(published_demo):
    """The demo run once and published (session-wide); tests only read it (or copy it)."""
    data_dir, rc, _ = published_demo
    return data_dir, rc


def test_ledgers_are_published_for_every_sanctioned_system(ledgers_published):
    data_dir, rc = ledgers_published
    assert rc == EXIT_OK
    con = _connect(data_dir / "published" / "roi.duckdb")
    try:
        tables = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'"
            ).fetchall()
        }
        assert set(LEDGER_MARTS) <= tables
        for t in LEDGER_MARTS:
            assert con.execute(f"SELECT count(*) FROM marts.{t}").fetchone()[0] > 0, t
        sanctioned = {
            r[0] for r in con.execute("SELECT ai_system_id FROM marts.dim_ai_system WHERE is_sanctioned").fetchall()
        }
        # the world's ten systems, and the two seat products of the AI tool exports (Cursor, Claude Code), whose
        # ledgers the demo does not feed beyond their usage and seat days
        products = {p[0] for p in ai_inventory.PRODUCTS}
        assert len(sanctioned) == 12 and products <= sanctioned
        everywhere = sanctioned - products
        # productivity: a difference in differences with adopters and non-adopters behind it, per system
        did = dict(
            con.execute(
                "SELECT ai_system_id, count(*) FROM marts.fct_productivity_roi WHERE did_effect IS NOT NULL "
                "AND adopter_team_count > 0 AND non_adopter_team_count > 0 GROUP BY 1"
            ).fetchall()
        )
        assert everywhere <= set(did), everywhere - set(did)
        # defensive: benefit or counter-entry rows per system; counter-entries are never positive
        defensive = {r[0] for r in con.execute("SELECT DISTINCT ai_system_id FROM marts.fct_defensive_roi").fetchall()}
        assert everywhere <= defensive, everywhere - defensive
        positive = con.execute(
            "SELECT count(*) FROM marts.fct_defensive_roi WHERE row_type = 'risk_counter_entry' AND amount_usd > 0"
        ).fetchone()[0]
        assert positive == 0
        # the demo's built-in effects are found: coding assistant deploys more often, code review agent
        # approves faster and fails less, the SOC assistant saves response hours
        improvement = dict(
            ((s, m), v)
            for s, m, v in con.execute(
                "SELECT ai_system_id, metric, avg(improvement) FROM marts.fct_productivity_roi "
                "WHERE did_effect IS NOT NULL GROUP BY 1, 2"
            ).fetchall()
        )
        assert improvement[("ais-copilot", "deployment_frequency")] > 0
        assert improvement[("ais-code-review-agent", "approval_cycle_time")] > 0
        assert improvement[("ais-code-review-agent", "change_failure_rate")] > 0
        soc_hours = con.execute(
            "SELECT sum(quantity) FROM marts.fct_defensive_roi WHERE ai_system_id = "
            "'ais-soc-triage' AND entry_type = 'response_hours_saved'"
        ).fetchone()[0]
        assert soc_hours > 0
        # shadow systems carry shadow-usage counter-entries
        shadow = {
            r[0]
            for r in con.execute("SELECT ai_system_id FROM marts.dim_ai_system WHERE system_type = 'shadow'").fetchall()
        }
        shadow_entries = {
            r[0]
            for r in con.execute(
                "SELECT ai_system_id FROM marts.fct_defensive_roi WHERE entry_type = 'shadow_usage'"
            ).fetchall()
        }
        assert shadow and shadow <= shadow_entries
        # portfolio: every sanctioned system, owners side by side, graded, never a blended total
        rows = con.execute(
            "SELECT ai_system_id, defensive_owner, efficiency_owner, productivity_owner, defensive_coverage_grade, "
            "productivity_coverage_grade FROM marts.fct_roi_portfolio WHERE is_sanctioned"
        ).fetchall()
        assert sanctioned <= {r[0] for r in rows}
        assert {(r[1], r[2], r[3]) for r in rows} == {("security", "finance", "engineering")}
        columns = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'marts' "
                "AND table_name = 'fct_roi_portfolio'"
            ).fetchall()
        }
        assert not any("blended" in c or c == "total_benefit_usd" for c in columns)
        # no portfolio_weights given: no blend is published (the ledgers are never summed by default)
        assert (
            con.execute(
                "SELECT count(*) FROM marts.fct_roi_portfolio WHERE user_weighted_total_usd IS NOT NULL "
                "OR user_weighted_total_label IS NOT NULL"
            ).fetchone()[0]
            == 0
        )
        if "fct_efficiency_roi" in tables:
            costed = {
                r[0]
                for r in con.execute(
                    "SELECT DISTINCT ai_system_id FROM marts.fct_roi_portfolio WHERE pv_costs_usd > 0"
                ).fetchall()
            }
            assert everywhere <= costed, everywhere - costed  # the seat products' bills are not FOCUS lines
        # NPV over the horizon: observed months plus the run rate over the rest, discounted monthly
        rows = con.execute(
            "SELECT horizon_years, discount_rate, horizon_months_observed, projected_months, npv_cash_usd, "
            "run_rate_net_cash_usd, npv_horizon_cash_usd FROM marts.fct_roi_portfolio "
            "WHERE is_sanctioned AND horizon_months_observed IS NOT NULL"
        ).fetchall()
        assert rows
        for years, rate, observed, projected, npv, run_rate, npv_horizon in rows:
            assert observed + projected == years * 12 or (projected == 0 and observed <= years * 12)
            expected = float(npv) + sum(float(run_rate) * (1 + rate) ** (-k / 12) for k in range(observed, years * 12))
            assert abs(float(npv_horizon) - expected) < 0.01, (observed, projected, npv, run_rate, npv_horizon)
        # the gate found nothing to block
        assert (
            con.execute(
                "SELECT count(*) FROM marts.fct_productivity_roi "
                "WHERE benefit_type = 'time_to_restore_security_incidents'"
            ).fetchone()[0]
            == 0
        )
    finally:
        con.close()


def _overlapping_security_incident(raw: Path, out: Path) -> str:
    """Export a delivery incident of the as-of month again as a security incident (same id)."""
    with open(raw / "delivery" / "incidents" / "incidents.csv", newline="") as fh:
        incidents = [
            r
            for r in csv.DictReader(fh)
            if r["time_created"].startswith(AS_OF.strftime("%Y-%m")) and r["time_resolved"]
        ]
    assert incidents, "the demo has restored delivery incidents in the as-of month"
    inc = incidents[0]
    header = [
        "finding_uid",
        "title",
        "severity",
        "status",
        "start_time",
        "detected_time",
        "end_time",
        "category",
        "ai_system_id",
        "detected_by",
        "affected_identities",
        "affected_secrets",
        "response_hours",
        "loss_amount",
        "currency",
    ]
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerow(
            [
                inc["incident_id"],
                "Deploy exposed customer records (also a delivery incident)",
                "High",
                "Closed",
                inc["time_created"],
                inc["time_created"],
                inc["time_resolved"],
                "data_exposure",
                "",
                "human",
                2,
                0,
                "6.0",
                "12000.00",
                "USD",
            ]
        )
    return inc["incident_id"]


def test_copilot_authored_pull_requests_appear_beside_the_teams_other_changes(ledgers_published):
    """The demo's coding agent authors about one pull request in 15 of the teams on Copilot (its bot login, seed
    ai_author_logins): every one a deployment shipped is in the comparison, beside the same team's and month's
    changes by people, labelled as descriptive."""
    data_dir, rc = ledgers_published
    assert rc == EXIT_OK
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        shipped = con.execute(
            "SELECT count(*) FROM intermediate.int_delivery__deployment_changes AS d "
            "JOIN staging.stg_delivery__changes AS c USING (change_id) WHERE c.author_login = 'copilot-swe-agent[bot]'"
        ).fetchone()[0]
        rows = con.execute(
            "SELECT authored_by, is_ai_authored, deployed_change_count, people_deployed_change_count, "
            "median_lead_time_minutes, comparison_note FROM marts.fct_ai_authored_delivery"
        ).fetchall()
    finally:
        con.close()
    copilot = [r for r in rows if r[0] == "github_copilot"]
    assert shipped > 0 and sum(r[2] for r in copilot) == shipped
    assert all(r[1] for r in copilot) and not any(r[1] for r in rows if r[0] == "people")
    assert all(r[3] for r in copilot), "each agent group stands beside the people's changes of its team and month"
    assert any(r[4] is not None for r in copilot)
    assert {r[5] for r in rows} == {"descriptive comparison of the same team and month, not a causal estimate"}


def test_changes_with_ai_co_author_trailers_are_credited_to_their_tool(ledgers_published):
    """The demo's Claude Code users and Cursor members commit some changes with their tool's co-author trailer
    (roi_ledger_demo.delivery): every shipped change whose raw commit message carries Claude Code's trailer is
    in the comparison as Claude Code's (`co_author_trailer`)."""
    data_dir, rc = ledgers_published
    assert rc == EXIT_OK
    claude = cursor = 0
    for p in sorted((data_dir / "raw" / "delivery" / "changes").glob("*.csv")):
        with open(p, newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                message = json.loads(r["metadata"]).get("message", "") if r["metadata"] else ""
                claude += "Co-Authored-By: Claude <noreply@anthropic.com>" in message
                cursor += "<cursoragent@cursor.com>" in message
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        credited = dict(
            con.execute(
                "SELECT ai_product, count(*) FROM intermediate.int_delivery__ai_credited_changes "
                "WHERE ai_credit = 'co_author_trailer' GROUP BY ai_product"
            ).fetchall()
        )
        shipped_claude = con.execute(
            "SELECT count(*) FROM intermediate.int_delivery__deployment_changes AS d "
            "JOIN intermediate.int_delivery__ai_credited_changes AS c USING (change_id) "
            "WHERE c.ai_product = 'claude_code'"
        ).fetchone()[0]
        rows = con.execute(
            "SELECT ai_credit, sum(deployed_change_count) FROM marts.fct_ai_authored_delivery "
            "WHERE authored_by = 'claude_code' GROUP BY ai_credit"
        ).fetchall()
    finally:
        con.close()
    assert claude > 0 and cursor > 0 and credited == {"claude_code": claude, "cursor": cursor}
    assert rows == [("co_author_trailer", shipped_claude)] and shipped_claude > 0


def test_double_claimed_benefit_blocks_release(ledgers_published, tmp_path, capsys):
    data_dir, rc = ledgers_published
    assert rc == EXIT_OK
    copy = tmp_path / "copy"
    shutil.copytree(data_dir, copy)
    published = copy / "published" / "roi.duckdb"
    before = sha256_file(published)
    incident_id = _overlapping_security_incident(
        copy / "raw", copy / "raw" / "security" / "incidents" / "zz_overlap_with_delivery.csv"
    )
    capsys.readouterr()
    rc = run_nightly(copy)
    err = capsys.readouterr().err
    assert rc == EXIT_BLOCKED, err
    assert "BLOCKED" in err and GATE in err
    assert sha256_file(published) == before
    con = _connect(copy / "warehouse" / "roi.duckdb")
    try:
        failures = con.execute(
            f"SELECT conflict_type, benefit_type, claimed_ledgers, catalogue_ledger FROM dbt_test__audit.{GATE}"
        ).fetchall()
        flagged = con.execute(
            "SELECT count(*) FROM intermediate.int_delivery__incident_links "
            "WHERE is_security_incident AND incident_id = ?",
            [incident_id],
        ).fetchone()[0]
    finally:
        con.close()
    assert flagged == 1
    assert ("wrong_ledger", "time_to_restore_security_incidents", "productivity", "defensive") in failures


def test_ai_tools_own_pull_request_counts_reach_the_productivity_marts(ledgers_published):
    """Copilot's organization report (pull requests created and reviewed by Copilot) and Claude Code's analytics
    (its pull requests and commits) are in fct_ai_tool_pull_requests, totals unchanged, Claude Code's by team."""
    data_dir, rc = ledgers_published
    assert rc == EXIT_OK
    con = _connect(data_dir / "warehouse" / "roi.duckdb")
    try:
        staged = con.execute(
            "SELECT (SELECT sum(pull_requests_created_by_copilot) FROM staging.stg_ai__github_copilot_org_usage "
            "WHERE organization_id IS NOT NULL), "
            "(SELECT sum(pull_request_count) FROM staging.stg_ai__claude_code_usage)"
        ).fetchone()
        mart = con.execute(
            "SELECT sum(pull_requests_by_ai) FILTER (WHERE scope_type = 'organization'), "
            "sum(pull_requests_by_ai) FILTER (WHERE ai_product = 'claude_code'), "
            "count(DISTINCT scope) FILTER (WHERE ai_product = 'claude_code'), "
            "count(*) FILTER (WHERE scope = 'unassigned') "
            "FROM marts.fct_ai_tool_pull_requests"
        ).fetchone()
    finally:
        con.close()
    assert staged[0] > 0 and staged[1] > 0
    assert mart[:2] == staged
    assert mart[2] >= 2 and mart[3] == 0  # the engineers' teams and the CI key's; every actor resolved
