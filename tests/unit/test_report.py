"""The report's pure parts: values written for people and exactly, the trace command of a row, a chart
rendered offline to an accessible SVG, the report setting."""

from __future__ import annotations

import shlex
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from orchestration.report import charts
from orchestration.report.figures import BOOL, DATE, HOURS, INT, MONEY, NUM, PCT, Column, Table
from orchestration.report.render import cell, exact, human, trace_command
from orchestration.settings import report_enabled


def test_values_for_people():
    assert human(Decimal("1234567.891"), MONEY) == "$1,234,568"
    assert human(Decimal("-522.225"), MONEY) == "-$522.23"  # halves up, as an invoice rounds
    assert human(Decimal("0E-18"), MONEY) == "$0.00" and human(999.999, MONEY) == "$1,000.00"
    assert human(0.9534, PCT) == "95.3%" and human(12345, INT) == "12,345" and human(2.25, HOURS) == "2.2 h"
    assert human(1234.5, NUM) == "1,234" and human(3.14159, NUM) == "3.14" and human(0.012345, NUM) == "0.0123"
    assert human(True, BOOL) == "yes" and human(date(2026, 10, 1), DATE) == "2026-10-01" and human(None, MONEY) == "–"


def test_values_exactly_and_in_their_cell():
    assert exact(Decimal("0.123456789012345678")) == "0.123456789012345678"
    assert exact(0.1 + 0.2) == "0.30000000000000004" and exact(False) == "false"
    assert (
        cell({"v": Decimal("-1.50")}, "v", MONEY) == '<td data-column="v" data-value="-1.50" class="n neg">-$1.50</td>'
    )
    assert cell({"v": None}, "v", MONEY) == '<td data-column="v" data-null="true" class="n null">–</td>'
    assert cell({"v": "<b>&"}, "v", "text") == '<td data-column="v" data-value="&lt;b&gt;&amp;">&lt;b&gt;&amp;</td>'


def test_the_trace_command_of_a_row_quotes_what_a_shell_would_split():
    table = Table(
        "t",
        "t",
        [Column("x", "x")],
        [],
        mart="marts.fct_attribution_coverage",
        key=("grain", "source_dataset", "usage_date"),
    )
    command = trace_command(Path("/data dir"), table, {"grain": "overall", "source_dataset": "a b", "usage_date": None})
    assert shlex.split(command) == [
        "roi-ledger", "trace", "--data-dir", "/data dir", "--mart", "fct_attribution_coverage",
        "--key", "grain=overall", "--key", "source_dataset=a b", "--key", "usage_date=",
    ]  # fmt: skip


def test_a_chart_renders_offline_to_an_svg_with_its_description():
    months = [
        {"month": date(2026, m, 1), **dict.fromkeys(("reclaimed_cash", "usage_based_cost", "recurring_cost",
         "one_time_cost", "support_cost", "net_cash"), Decimal(m))}
        for m in (1, 2)
    ]  # fmt: skip
    svg = charts.render_svg(charts.efficiency_view(months, "cash"))
    assert svg.startswith('<svg role="img" aria-label="Efficiency, Cash view: monthly')
    assert "mark-rect" in svg and "mark-line" in svg and "<script" not in svg
    with pytest.raises(ValueError):
        charts.render_svg(charts.spec("broken", {"mark": "no-such-mark"}))


def test_the_report_setting(monkeypatch):
    monkeypatch.delenv("ROI_LEDGER_REPORT", raising=False)
    assert report_enabled()
    monkeypatch.setenv("ROI_LEDGER_REPORT", "OFF")
    assert not report_enabled()
    monkeypatch.setenv("ROI_LEDGER_REPORT", "sometimes")
    with pytest.raises(ValueError, match="ROI_LEDGER_REPORT must be on or off, got 'sometimes'"):
        report_enabled()


def test_a_killed_publish_leaves_report_files_the_next_run_removes(tmp_path):
    from orchestration.settings import Paths

    paths = Paths(tmp_path)
    paths.release_snapshots.mkdir(parents=True)
    paths.published_report.parent.mkdir(parents=True)
    half = [paths.release_snapshots / ".r1.html.tmp", paths.published_report.parent / ".index.html.r1.tmp"]
    for p in [*half, paths.release_snapshots / "r0.html", paths.published_report]:
        p.write_text("x")
    assert paths.interrupted_publish_files() == sorted(half)


def test_a_hostile_name_from_an_export_stays_text_in_a_chart():
    """Shadow AI names come from exports (an OpenAI project's name): Vega escapes them in the SVG it draws."""
    name = '<script>alert(1)</script><img src="http://x/">'
    row = dict.fromkeys(
        (
            "defensive_benefit_usd",
            "efficiency_net_cash_usd",
            "productivity_capacity_value_usd",
            "defensive_risk_exposure_usd",
        ),
        Decimal(1),
    )
    svg = charts.render_svg(charts.portfolio_ledgers([{"ai_system_name": name, **row}]))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "<script" not in svg and "<img" not in svg


def test_a_release_of_older_code_is_refused_by_name(tmp_path):
    """A snapshot published before a column the report reads existed: refused, naming the report kept with it."""
    import duckdb

    from orchestration.report import figures

    path = tmp_path / "r1.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA audit; CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE audit.releases AS SELECT 'r1' AS release_id, 'published' AS status, now() AS created_at, "
        "NULL AS checks, NULL AS input_files, NULL AS row_counts, NULL AS tool_versions"
    )
    con.execute("CREATE TABLE marts.fct_roi_portfolio (quarter_start DATE)")
    con.close()
    with pytest.raises(ValueError, match=r"release r1 lacks what this version's report reads .*releases/r1\.html"):
        figures.load(path)
