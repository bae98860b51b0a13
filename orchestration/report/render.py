"""The report as one self-contained HTML page: five sections (portfolio, efficiency, productivity, defensive,
trust), charts inlined as SVG, every table cell with its exact value in ``data-value`` and every mart row with the
``roi-ledger trace`` command that shows its raw lines."""

from __future__ import annotations

import shlex
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from orchestration.report import charts
from orchestration.report.figures import BOOL, DATE, DELIVERY_METRICS, HOURS, INT, MONEY, NUM, PCT, Figures, Table

TEMPLATE = "report.html.j2"


def exact(value: Any) -> str:
    """A value as the published file holds it: Decimal in full, floats by repr, dates ISO, booleans true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value)


def money(value: Decimal | float) -> str:
    """Whole dollars from $1,000, cents below; halves rounded up, as an invoice does (the cell keeps the exact)."""
    sign = "-" if value < 0 else ""
    v = abs(Decimal(str(value)) if isinstance(value, float) else value)
    v = v.quantize(Decimal(1) if v >= 1000 else Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{sign}${v:,}"


def human(value: Any, kind: str) -> str:
    """A value written for people: currency, thousands, percentages."""
    if value is None:
        return "–"
    if kind == MONEY:
        return money(value)
    if kind == INT:
        return f"{int(value):,}"
    if kind == PCT:
        return f"{float(value) * 100:,.1f}%"
    if kind == HOURS:
        return f"{float(value):,.1f} h"
    if kind == NUM:
        v = float(value)
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3g}"
    if kind == BOOL:
        return "yes" if value else "no"
    if kind == DATE:
        return value.isoformat() if isinstance(value, (date, datetime)) else str(value)
    return str(value)


def cell(row: dict[str, Any], column: str, kind: str) -> Markup:
    value = row.get(column)
    numeric = kind in (MONEY, INT, PCT, HOURS, NUM)
    classes = [c for c in ("n" if numeric else "", "null" if value is None else "") if c]
    if numeric and value is not None and value < 0:
        classes.append("neg")
    attrs = f' data-column="{escape(column)}"'
    attrs += ' data-null="true"' if value is None else f' data-value="{escape(exact(value))}"'
    if classes:
        attrs += f' class="{" ".join(classes)}"'
    return Markup(f"<td{attrs}>{escape(human(value, kind))}</td>")


def trace_command(data_dir: Path, table: Table, row: dict[str, Any]) -> str:
    """The ``roi-ledger trace`` command for one mart row (its key is the mart's ``meta.trace_key``)."""
    words = ["roi-ledger", "trace", "--data-dir", str(data_dir), "--mart", str(table.mart_name)]
    for k in table.key:
        words += ["--key", f"{k}={'' if row[k] is None else exact(row[k])}"]
    return shlex.join(words)


def _chart(cid: str, vl_spec: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "chart", "id": cid, "svg": Markup(charts.render_svg(vl_spec)), "caption": vl_spec["description"]}


def _table(t: Table) -> dict[str, Any]:
    return {"kind": "table", "table": t}


def sections(fig: Figures) -> list[dict[str, Any]]:
    t, h = fig.tables, fig.headline
    scenarios = t["scenarios"].rows
    losses = sorted(float(r["p_net_negative"]) for r in scenarios if r["p_net_negative"] is not None)
    coverage = t["coverage"].rows
    gated = next((r for r in coverage if r["source_dataset"] == "all"), None)  # the release gate's row
    ingest = t["ingest"].rows
    portfolio = [_chart("portfolio_ledgers", charts.portfolio_ledgers(t["portfolio"].rows)), _table(t["portfolio"])]
    if "portfolio_blend" in t:
        portfolio.append(_table(t["portfolio_blend"]))
    credited = {a["ai_system_id"] for a in fig.series["adoption"]}
    did = [r for r in t["did"].rows if r["ai_system_id"] in credited]
    productivity: list[dict[str, Any]] = [_chart("did_effects", charts.did_effects(did)), _table(t["did"])]
    for adoption in fig.series["adoption"]:
        productivity.append(
            _chart(
                f"delivery_keys_{adoption['ai_system_id']}",
                charts.delivery_keys(t["delivery"].rows, DELIVERY_METRICS, adoption),
            )
        )
    productivity.append(_table(t["delivery"]))
    return [
        {
            "id": "portfolio",
            "title": "Portfolio",
            "lede": f"Every AI system, quarter starting {h['quarter']}: the three ledgers side by side with their "
            "owners and coverage grades, and the risk counter-entries beside the wins.",
            "cards": [
                ("AI systems", f"{h['systems']:,}"),
                ("with risk flags", f"{h['systems_at_risk']:,}"),
            ],
            "blocks": portfolio,
        },
        {
            "id": "efficiency",
            "title": "Efficiency (finance)",
            "lede": "Reclaimed spend net of usage, recurring, one-time and support costs: the cash view counts "
            "one-time cost when paid, the P&L view amortises it and counts freed capacity. Payback and present "
            "values per system; the provider invoices reconciled with the usage the ledger priced.",
            "cards": [
                ("net cash, whole history", money(h["net_cash"])),
                ("net P&L, whole history", money(h["net_pnl"])),
            ],
            "blocks": [
                _chart("efficiency_cash", charts.efficiency_view(t["efficiency_months"].rows, "cash")),
                _chart("efficiency_pnl", charts.efficiency_view(t["efficiency_months"].rows, "pnl")),
                _table(t["efficiency_months"]),
                _table(t["payback"]),
                {
                    "kind": "text",
                    "text": f"Invoice reconciliation: {h['invoices_outside']} of {len(t['invoices'].rows)} "
                    "provider-month rows are outside tolerance (listed first in the table below).",
                },
                _table(t["invoices"]),
                _table(t["efficiency_rows"]),
            ],
        },
        {
            "id": "productivity",
            "title": "Productivity (engineering)",
            "lede": "The four keys (deployment frequency, lead time, change failure rate, time to restore) and rework "
            "per team over time, adopters against non-adopters with the first adoption marked, and the "
            "difference-in-differences effect with the teams behind it.",
            "cards": [("systems credited with capacity this quarter", f"{len(credited):,}")],
            "blocks": productivity,
        },
        {
            "id": "defensive",
            "title": "Defensive (security)",
            "lede": "Scenario intervals from the Monte Carlo model (p5 to p95 with the median), what moves each "
            "scenario most, the probability of a net loss; the avoided loss observed and the counter-entries "
            "security carries; static credentials and shadow AI.",
            "cards": [
                ("scenarios", f"{len(scenarios):,}"),
                ("median P(net loss)", f"{losses[len(losses) // 2] * 100:.1f}%" if losses else "–"),
            ],
            "blocks": [
                _chart("scenario_fan", charts.scenario_fan(scenarios)),
                _table(t["scenarios"]),
                _chart("tornado", charts.tornado(t["sensitivity"].rows)),
                _table(t["sensitivity"]),
                _chart("defensive_observed", charts.defensive_observed(fig.series["defensive_observed"])),
                _table(t["defensive_rows"]),
                _table(t["risk"]),
            ],
        },
        {
            "id": "trust",
            "title": "Trust",
            "lede": "Why these figures can be believed: attribution coverage against its gate, what ingest refused "
            "and why, every gate of the release with its observed values, the input files with their hashes.",
            "cards": [
                ("cost attributed, all datasets", human(gated["cost_share"] if gated else None, PCT)),
                ("the release gate's minimum", human(gated["coverage_min"] if gated else None, PCT)),
                ("rows quarantined", f"{sum(r['rows_quarantined'] for r in ingest):,}"),
                ("files rejected", f"{sum(r['files_rejected'] for r in ingest):,}"),
                ("input files", f"{len(t['inputs'].rows):,}"),
            ],
            "blocks": [
                _chart("coverage_days", charts.coverage_days(fig.series["coverage_days"])),
                _table(t["coverage"]),
                _chart("ingest", charts.ingest_bars(ingest)),
                _table(t["ingest"]),
                _table(t["quarantine"]),
                _table(t["gates"]),
                _table(t["inputs"]),
            ],
        },
    ]


def render(fig: Figures, data_dir: Path, published_sha256: str | None = None) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(cell=cell, trace=lambda table, row: trace_command(data_dir, table, row))
    return env.get_template(TEMPLATE).render(
        release=fig.release,
        headline=fig.headline,
        sections=sections(fig),
        has_blend="portfolio_blend" in fig.tables,
        published_sha256=published_sha256 or fig.release.get("published_sha256"),
    )
