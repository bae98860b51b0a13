"""The report's charts: Vega-Lite specifications rendered to inline SVG by vl-convert (no browser, no network,
no JavaScript in the page), so the report opens from disk anywhere and prints as it shows.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies); each ledger keeps
its colour on every chart. Money axes read as $1.2M; the exact figures are in the tables beside each chart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

#: Okabe-Ito
BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#7f7f7f",
)
LEDGER_COLOURS = {"defensive": BLUE, "efficiency": ORANGE, "productivity": GREEN, "risk": VERMILLION}
MONEY_FORMAT = "$.3~s"
WIDTH = 640

CONFIG: dict[str, Any] = {
    "font": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    "background": "white",
    "view": {"stroke": "#dddddd"},
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "gridColor": "#eeeeee"},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
    "header": {"labelFontSize": 11, "titleFontSize": 11},
    "range": {"category": [BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, GREY]},
}


def plain(value: Any) -> Any:
    """A chart value: Decimal as float, dates as ISO text; the tables keep the exact value."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _data(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    return {"values": [{k: plain(v) for k, v in r.items()} for r in rows]}


def spec(description: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": description,
        "config": CONFIG,
        **body,
    }


def render_svg(vl_spec: dict[str, Any]) -> str:
    """The chart as an SVG element to inline (vl-convert: Vega in an embedded JavaScript runtime, offline)."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(vl_spec)
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(vl_spec["description"])}" ', 1)


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def portfolio_ledgers(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One panel per ledger (and the risk counter-entry), systems down the side: never one blended bar."""
    measures = (
        ("defensive_benefit_usd", "Defensive benefit (security)", "defensive"),
        ("efficiency_net_cash_usd", "Efficiency net cash (finance)", "efficiency"),
        ("productivity_capacity_value_usd", "Productivity capacity (engineering)", "productivity"),
        ("defensive_risk_exposure_usd", "Risk exposure (counter-entry)", "risk"),
    )
    long = [
        {"system": r["ai_system_name"], "measure": label, "ledger": ledger, "value": r[col]}
        for r in rows
        for col, label, ledger in measures
        if r[col] is not None
    ]
    return spec(
        "Each AI system's three ledgers and its risk counter-entry, one panel each, this quarter",
        {
            "data": _data(long),
            "facet": {"column": {"field": "measure", "title": None, "sort": [m[1] for m in measures]}},
            "spec": {
                "width": 150,
                "mark": "bar",
                "encoding": {
                    "y": {"field": "system", "type": "nominal", "title": None, "axis": {"labelLimit": 260}},
                    "x": {"field": "value", "type": "quantitative", "title": "USD", "axis": {"format": MONEY_FORMAT}},
                    "color": _ledger_colour(),
                    "tooltip": [{"field": "system"}, {"field": "value", "format": "$,.2f"}],
                },
            },
            "resolve": {"scale": {"x": "independent"}},
        },
    )


def _ledger_colour() -> dict[str, Any]:
    return {
        "field": "ledger",
        "type": "nominal",
        "scale": {"domain": list(LEDGER_COLOURS), "range": list(LEDGER_COLOURS.values())},
        "legend": None,
    }


def efficiency_view(months: Sequence[Mapping[str, Any]], view: str) -> dict[str, Any]:
    """Monthly benefits up, costs down, the net as a line: the cash view (one-time cost when paid) or the P&L
    view (one-time cost amortised, capacity value counted)."""
    parts = [("reclaimed_cash", "reclaimed cash", 1, GREEN)]
    if view == "pnl":
        parts.append(("capacity_value", "capacity value", 1, SKY))
    parts += [
        ("usage_based_cost", "usage-based cost", -1, ORANGE),
        ("recurring_cost", "recurring cost", -1, YELLOW),
        ("one_time_cost" if view == "cash" else "amortised_one_time_cost", "one-time cost", -1, VERMILLION),
        ("support_cost", "support cost", -1, PURPLE),
    ]
    net = "net_cash" if view == "cash" else "net_pnl"
    long = [
        {"month": plain(m["month"]), "part": label, "amount": sign * plain(m[col] or 0)}
        for m in months
        for col, label, sign, _ in parts
    ]
    nets = [{"month": plain(m["month"]), "net": plain(m[net])} for m in months]
    x = {"field": "month", "type": "ordinal", "timeUnit": "yearmonth", "title": None, "axis": {"format": "%b %Y"}}
    title = "Cash view" if view == "cash" else "P&L view"
    return spec(
        f"Efficiency, {title}: monthly benefits and costs by kind, and the net",
        {
            "width": WIDTH,
            "height": 240,
            "layer": [
                {
                    "data": _data(long),
                    "mark": "bar",
                    "encoding": {
                        "x": x,
                        "y": {
                            "field": "amount",
                            "type": "quantitative",
                            "title": "USD",
                            "axis": {"format": MONEY_FORMAT},
                        },
                        "color": {
                            "field": "part",
                            "type": "nominal",
                            "title": None,
                            "scale": {"domain": [p[1] for p in parts], "range": [p[3] for p in parts]},
                        },
                    },
                },
                {
                    "data": _data(nets),
                    "mark": {"type": "line", "point": True, "color": "#222222"},
                    "encoding": {"x": x, "y": {"field": "net", "type": "quantitative"}},
                },
            ],
        },
    )


def delivery_keys(
    rows: Sequence[Mapping[str, Any]], metrics: Sequence[tuple[str, str]], adoption: Mapping[str, Any]
) -> dict[str, Any]:
    """The keys per team over time for one system's adopters and non-adopters, its first adoption marked."""
    adopters = set((adoption.get("adopter_teams") or "").split(";")) - {""}
    others = set((adoption.get("non_adopter_teams") or "").split(";")) - {""}
    long = [
        {
            "team": r["team"],
            "group": "adopter" if r["team"] in adopters else "non-adopter",
            "month": plain(r["month_start"]),
            "metric": label,
            "value": plain(r[col]),
            "pivot": plain(adoption["pivot_month"]),
        }
        for r in rows
        if r["team"] in adopters | others
        for col, label in metrics
        if r[col] is not None
    ]
    return spec(
        f"Delivery keys per team over time, adopters of {adoption['ai_system_id']} against non-adopters, "
        "first adoption marked",
        {
            "data": _data(long),
            "facet": {"row": {"field": "metric", "title": None, "sort": [m[1] for m in metrics]}},
            "spec": {
                "width": WIDTH - 60,
                "height": 80,
                "layer": [
                    {
                        "mark": {"type": "line", "opacity": 0.8, "strokeWidth": 1.5},
                        "encoding": {
                            "x": {"field": "month", "type": "temporal", "title": None},
                            "y": {"field": "value", "type": "quantitative", "title": None},
                            "detail": {"field": "team"},
                            "color": {
                                "field": "group",
                                "type": "nominal",
                                "title": None,
                                "scale": {"domain": ["adopter", "non-adopter"], "range": [GREEN, GREY]},
                            },
                            "strokeDash": {
                                "field": "group",
                                "type": "nominal",
                                "legend": None,
                                "scale": {"domain": ["adopter", "non-adopter"], "range": [[1, 0], [4, 3]]},
                            },
                        },
                    },
                    {
                        "mark": {"type": "rule", "color": "#222222", "strokeDash": [2, 2]},
                        "encoding": {"x": {"field": "pivot", "type": "temporal", "aggregate": "min"}},
                    },
                ],
            },
            "resolve": {"scale": {"y": "independent"}},
        },
    )


def did_effects(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Before and after, adopters against non-adopters, per system and metric: the two slopes whose difference
    is the effect."""
    long = []
    for r in rows:
        for group, before, after in (
            ("adopters", "adopters_before", "adopters_after"),
            ("non-adopters", "non_adopters_before", "non_adopters_after"),
        ):
            for period, col in (("before", before), ("after", after)):
                long.append(
                    {
                        "system": r["ai_system_id"],
                        "metric": r["metric"],
                        "group": group,
                        "period": period,
                        "value": plain(r[col]),
                    }
                )
    return spec(
        "Difference in differences: adopters' and non-adopters' metric before and after adoption, per system",
        {
            "data": _data(long),
            "facet": {
                "row": {"field": "system", "title": None},
                "column": {"field": "metric", "title": None},
            },
            "spec": {
                "width": 70,
                "height": 70,
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": {"field": "period", "type": "ordinal", "sort": ["before", "after"], "title": None},
                    "y": {"field": "value", "type": "quantitative", "title": None, "scale": {"zero": False}},
                    "color": {
                        "field": "group",
                        "type": "nominal",
                        "title": None,
                        "scale": {"domain": ["adopters", "non-adopters"], "range": [GREEN, GREY]},
                    },
                },
            },
            "resolve": {"scale": {"y": "independent"}},
        },
    )


def scenario_fan(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each scenario's interval fan: p5-p95 light, p10-p90 darker, the median as a tick, zero marked."""
    data = _data(
        {
            "scenario": r["scenario_id"],
            "ledger": r["ledger"],
            **{
                k: r[k]
                for k in ("net_benefit_p5", "net_benefit_p10", "net_benefit_p50", "net_benefit_p90", "net_benefit_p95")
            },
        }
        for r in rows
    )
    y = {
        "field": "scenario",
        "type": "nominal",
        "title": None,
        "sort": [r["scenario_id"] for r in rows],
        "axis": {"labelLimit": 320},
    }
    money = {"type": "quantitative", "title": "annual net benefit (USD)", "axis": {"format": MONEY_FORMAT}}
    return spec(
        "Scenario interval fans: annual net benefit, p5 to p95 with the p10-p90 band and the median",
        {
            "data": data,
            "width": WIDTH - 140,
            "height": {"step": 22},
            "layer": [
                {
                    "mark": {"type": "bar", "opacity": 0.35, "height": 14},
                    "encoding": {
                        "y": y,
                        "x": {"field": "net_benefit_p5", **money},
                        "x2": {"field": "net_benefit_p95"},
                        "color": _ledger_colour(),
                    },
                },
                {
                    "mark": {"type": "bar", "opacity": 0.8, "height": 14},
                    "encoding": {
                        "y": y,
                        "x": {"field": "net_benefit_p10", **money},
                        "x2": {"field": "net_benefit_p90"},
                        "color": _ledger_colour(),
                    },
                },
                {
                    "mark": {"type": "tick", "color": "#111111", "thickness": 2, "size": 18},
                    "encoding": {"y": y, "x": {"field": "net_benefit_p50", **money}},
                },
                {
                    "data": {"values": [{"zero": 0}]},
                    "mark": {"type": "rule", "color": VERMILLION},
                    "encoding": {"x": {"field": "zero", "type": "quantitative"}},
                },
            ],
        },
    )


def tornado(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Each scenario's inputs by swing: the mean net benefit with the input at its low and at its high bound."""
    data = _data(
        {
            "scenario": r["scenario_id"],
            "input": r["input_name"],
            "rank": r["swing_rank"],
            "low": r["net_benefit_mean_at_low"],
            "high": r["net_benefit_mean_at_high"],
            "base": r["net_benefit_mean_base"],
        }
        for r in rows
    )
    return spec(
        "Tornado per scenario: the mean net benefit with each input at its low and high bound, widest swing first",
        {
            "data": data,
            "facet": {
                "row": {
                    "field": "scenario",
                    "title": None,
                    "header": {
                        "labelAngle": 0,
                        "labelOrient": "top",
                        "labelAnchor": "start",
                        "labelFontWeight": "bold",
                    },
                }
            },
            "spec": {
                "width": WIDTH - 260,
                "height": {"step": 14},
                "layer": [
                    {
                        "mark": {"type": "bar", "color": SKY},
                        "encoding": {
                            "y": {"field": "input", "type": "nominal", "title": None, "sort": {"field": "rank"}},
                            "x": {
                                "field": "low",
                                "type": "quantitative",
                                "title": "mean net benefit (USD)",
                                "axis": {"format": MONEY_FORMAT},
                            },
                            "x2": {"field": "high"},
                        },
                    },
                    {
                        "mark": {"type": "rule", "color": "#222222"},
                        "encoding": {"x": {"field": "base", "type": "quantitative", "aggregate": "min"}},
                    },
                ],
            },
            "resolve": {"scale": {"y": "independent", "x": "independent"}},
        },
    )


def defensive_observed(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Observed benefit (avoided loss: right; a negative one when incidents grew) and the risk counter-entries
    (left) per system, all quarters."""
    long = [
        {
            "system": r["ai_system_id"],
            "entry": "avoided loss and benefit" if r["row_type"] == "benefit" else "risk counter-entry",
            "amount": plain(r["amount_usd"]),  # signed by the mart: benefits positive, counter-entries negative
        }
        for r in rows
    ]
    return spec(
        "Observed defensive benefit and risk counter-entries per AI system, whole history",
        {
            "data": _data(long),
            "width": WIDTH - 120,
            "height": {"step": 18},
            "mark": "bar",
            "encoding": {
                "y": {"field": "system", "type": "nominal", "title": None},
                "x": {"field": "amount", "type": "quantitative", "title": "USD", "axis": {"format": MONEY_FORMAT}},
                "color": {
                    "field": "entry",
                    "type": "nominal",
                    "title": None,
                    "scale": {
                        "domain": ["avoided loss and benefit", "risk counter-entry"],
                        "range": [BLUE, VERMILLION],
                    },
                },
            },
        },
    )


def coverage_days(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Daily attributed cost share per dataset against the release gate's minimum."""
    return spec(
        "Attribution coverage of cost per dataset and day, against the release gate's minimum",
        {
            "data": _data(rows),
            "facet": {"field": "source_dataset", "title": None, "columns": 3},
            "spec": {
                "width": 190,
                "height": 90,
                "layer": [
                    {
                        "mark": {"type": "line", "color": BLUE, "strokeWidth": 1},
                        "encoding": {
                            "x": {"field": "usage_date", "type": "temporal", "title": None},
                            "y": {
                                "field": "cost_share",
                                "type": "quantitative",
                                "title": None,
                                "axis": {"format": "%"},
                                "scale": {"domain": [0, 1]},
                            },
                        },
                    },
                    {
                        "mark": {"type": "rule", "color": VERMILLION, "strokeDash": [4, 3]},
                        "encoding": {"y": {"field": "coverage_min", "type": "quantitative", "aggregate": "min"}},
                    },
                ],
            },
        },
    )


def ingest_bars(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows quarantined and files rejected per dataset."""
    long = [
        {"dataset": r["dataset"], "what": what, "count": plain(r[col])}
        for r in rows
        for col, what in (("rows_quarantined", "rows quarantined"), ("files_rejected", "files rejected"))
    ]
    return spec(
        "Rows quarantined and files rejected per dataset, every ingested file",
        {
            "data": _data(long),
            "facet": {"column": {"field": "what", "title": None}},
            "spec": {
                "width": 220,
                "height": {"step": 12},
                "mark": {"type": "bar", "color": VERMILLION},
                "encoding": {
                    "y": {"field": "dataset", "type": "nominal", "title": None},
                    "x": {"field": "count", "type": "quantitative", "title": None, "axis": {"tickMinStep": 1}},
                },
            },
            "resolve": {"scale": {"x": "independent"}},
        },
    )
