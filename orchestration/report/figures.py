"""What the report shows, read from one published release file (opened read-only): plain rows and tables, exact.

Every table is either rows of one mart as they are published (``Table.mart`` set: the report's equality test looks
each row up by its key and compares every cell) or a sum of such rows, named in its note. Money stays
``Decimal`` here; only the charts turn it into floats.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration.settings import connect_duckdb

#: Column kinds: how a value is written for people (orchestration/report/render.py).
MONEY, INT, PCT, NUM, HOURS, TEXT, DATE, BOOL = "money", "int", "pct", "num", "hours", "text", "date", "bool"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    kind: str = TEXT


@dataclass
class Table:
    """A table of the report. ``mart`` (``schema.table``) and ``key``: each row is that mart's row with that key."""

    id: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    mart: str | None = None
    key: tuple[str, ...] = ()
    note: str = ""
    collapsed: bool = False

    @property
    def mart_name(self) -> str | None:
        return self.mart.split(".", 1)[1] if self.mart else None


@dataclass
class Figures:
    release: dict[str, Any]
    headline: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    series: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: Table) -> Table:
        self.tables[table.id] = table
        return table


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _mart_table(
    con: duckdb.DuckDBPyConnection,
    tid: str,
    title: str,
    mart: str,
    key: tuple[str, ...],
    columns: list[Column],
    where: str = "true",
    order: str | None = None,
    **kw: Any,
) -> Table:
    """Rows of one mart: the key columns and the shown ones, exactly as published."""
    names = list(dict.fromkeys([*key, *(c.name for c in columns)]))
    sql = f"SELECT {', '.join(names)} FROM {mart} WHERE {where} ORDER BY {order or ', '.join(key)}"
    return Table(tid, title, columns, _rows(con, sql), mart=mart, key=key, **kw)


def release_record(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The release the file holds (its own record: the newest in ``audit.releases``)."""
    rows = _rows(con, "SELECT * FROM audit.releases WHERE status = 'published' ORDER BY created_at DESC LIMIT 1")
    if not rows:
        raise duckdb.InvalidInputException("it holds no published release record in audit.releases")
    rec = rows[0]
    for k in ("checks", "input_files", "row_counts", "tool_versions"):
        rec[k] = json.loads(rec[k]) if rec.get(k) else ([] if k in ("checks", "input_files") else {})
    return rec


def load(published_file: Path) -> Figures:
    """Everything the report shows, from the release file alone."""

    def refused(exc: duckdb.Error) -> ValueError:
        return ValueError(f"{published_file}: not a published release file ({str(exc).splitlines()[0]})")

    try:
        con = connect_duckdb(published_file, read_only=True)
    except duckdb.Error as exc:
        raise refused(exc) from None
    try:
        try:
            release = release_record(con)
        except duckdb.Error as exc:
            raise refused(exc) from None
        fig = Figures(release=release)
        try:
            for section in (_portfolio, _efficiency, _productivity, _defensive, _trust):
                section(con, fig)
        except duckdb.Error as exc:  # a release published by older code: its kept report is the one to read
            raise ValueError(
                f"{published_file}: release {release['release_id']} lacks what this version's report reads "
                f"({str(exc).splitlines()[0]}); the report kept with it is "
                f"published/releases/{release['release_id']}.html"
            ) from None
        return fig
    finally:
        con.close()


def _portfolio(con: duckdb.DuckDBPyConnection, fig: Figures) -> None:
    quarter = con.execute("SELECT max(quarter_start) FROM marts.fct_roi_portfolio").fetchone()[0]
    fig.headline["quarter"] = quarter
    t = fig.add(
        _mart_table(
            con,
            "portfolio",
            "Every AI system's three ledgers, side by side",
            "marts.fct_roi_portfolio",
            ("ai_system_id", "quarter_start"),
            [
                Column("ai_system_name", "AI system"),
                Column("system_type", "type"),
                Column("is_sanctioned", "sanctioned", BOOL),
                Column("defensive_benefit_usd", "defensive benefit", MONEY),
                Column("defensive_owner", "owner"),
                Column("defensive_coverage_grade", "grade"),
                Column("efficiency_net_cash_usd", "efficiency net cash", MONEY),
                Column("efficiency_owner", "owner"),
                Column("efficiency_coverage_grade", "grade"),
                Column("productivity_capacity_value_usd", "productivity capacity", MONEY),
                Column("productivity_owner", "owner"),
                Column("productivity_coverage_grade", "grade"),
                Column("defensive_risk_exposure_usd", "risk exposure (counter-entry)", MONEY),
                Column("defensive_counter_entry_count", "counter-entries", INT),
                Column("risk_flags", "risk flags"),
                Column("npv_cash_usd", "NPV cash", MONEY),
                Column("payback_month", "payback", DATE),
            ],
            where=f"quarter_start = DATE '{quarter}'" if quarter else "false",
            order="ai_system_name, ai_system_id",
            note=(
                "The quarter to date of each system; each ledger in its owner's currency of value, never added up. "
                "Risk exposure is carried beside the wins as a counter-entry, not netted against them."
            ),
        )
    )
    blended = _rows(
        con,
        "SELECT ai_system_id, quarter_start, ai_system_name, user_weighted_total_usd, user_weighted_total_label "
        "FROM marts.fct_roi_portfolio WHERE user_weighted_total_usd IS NOT NULL AND quarter_start = ? "
        "ORDER BY ai_system_name",
        [quarter],
    )
    if blended:
        fig.add(
            Table(
                "portfolio_blend",
                "User-weighted blend (configured)",
                [
                    Column("ai_system_name", "AI system"),
                    Column("user_weighted_total_usd", "weighted total", MONEY),
                    Column("user_weighted_total_label", "weights"),
                ],
                blended,
                mart="marts.fct_roi_portfolio",
                key=("ai_system_id", "quarter_start"),
                note="Shown only because weights are configured: the label says which.",
            )
        )
    fig.headline["systems"] = len(t.rows)
    fig.headline["systems_at_risk"] = sum(1 for r in t.rows if r["risk_flags"])


EFFICIENCY_SUM = (
    "SELECT month, sum(reclaimed_cash) AS reclaimed_cash, sum(capacity_value) AS capacity_value, "
    "sum(usage_based_cost) AS usage_based_cost, sum(recurring_cost) AS recurring_cost, "
    "sum(one_time_cost) AS one_time_cost, sum(amortised_one_time_cost) AS amortised_one_time_cost, "
    "sum(support_cost) AS support_cost, sum(net_cash) AS net_cash, sum(net_pnl) AS net_pnl "
    "FROM marts.fct_efficiency_roi WHERE currency = 'USD' GROUP BY month ORDER BY month"
)
EFFICIENCY_COLUMNS = [
    Column("reclaimed_cash", "reclaimed cash", MONEY),
    Column("capacity_value", "capacity value", MONEY),
    Column("usage_based_cost", "usage-based cost", MONEY),
    Column("recurring_cost", "recurring cost", MONEY),
    Column("one_time_cost", "one-time cost (cash)", MONEY),
    Column("amortised_one_time_cost", "one-time cost (amortised)", MONEY),
    Column("support_cost", "support cost", MONEY),
    Column("net_cash", "net cash", MONEY),
    Column("net_pnl", "net P&L", MONEY),
]


def _efficiency(con: duckdb.DuckDBPyConnection, fig: Figures) -> None:
    months = fig.add(
        Table(
            "efficiency_months",
            "Every month, all systems (USD)",
            [Column("month", "month", DATE), *EFFICIENCY_COLUMNS],
            _rows(con, EFFICIENCY_SUM),
            note="Sums of the system-month rows below (fct_efficiency_roi, USD rows).",
        )
    )
    fig.headline["net_cash"] = sum((r["net_cash"] for r in months.rows), start=0)
    fig.headline["net_pnl"] = sum((r["net_pnl"] for r in months.rows), start=0)
    fig.add(
        _mart_table(
            con,
            "efficiency_rows",
            "Each system, each month",
            "marts.fct_efficiency_roi",
            ("ai_system_id", "month"),
            [Column("currency", "currency"), *EFFICIENCY_COLUMNS],
            collapsed=True,
        )
    )
    fig.add(
        _mart_table(
            con,
            "payback",
            "Payback and present values",
            "marts.fct_roi_portfolio",
            ("ai_system_id", "quarter_start"),
            [
                Column("ai_system_name", "AI system"),
                Column("pv_costs_usd", "PV of costs", MONEY),
                Column("pv_cash_benefits_usd", "PV of cash benefits", MONEY),
                Column("npv_cash_usd", "NPV cash", MONEY),
                Column("roi_cash", "cash ROI", PCT),
                Column("payback_month", "payback month", DATE),
                Column("run_rate_net_cash_usd", "run-rate net cash / month", MONEY),
            ],
            where=f"quarter_start = DATE '{fig.headline['quarter']}' AND pv_costs_usd <> 0",
            order="ai_system_name, ai_system_id",
        )
    )
    fig.add(
        _mart_table(
            con,
            "invoices",
            "Invoice reconciliation: usage priced by the ledger against what the provider billed",
            "marts.fct_invoice_reconciliation",
            ("provider", "billing_month", "billing_scope", "currency"),
            [
                Column("scope_type", "scope type"),
                Column("estimated_cost", "estimated", MONEY),
                Column("billed_cost", "billed", MONEY),
                Column("variance", "variance", MONEY),
                Column("variance_share", "variance share", PCT),
                Column("is_within_tolerance", "within tolerance", BOOL),
            ],
            order="is_within_tolerance, abs(variance_share) DESC NULLS LAST, provider, billing_month, billing_scope",
            note="Rows outside tolerance first.",
            collapsed=True,
        )
    )
    fig.headline["invoices_outside"] = sum(1 for r in fig.tables["invoices"].rows if r["is_within_tolerance"] is False)


DELIVERY_METRICS = (
    ("deployments_per_week", "deployments / week"),
    ("median_lead_time_minutes", "lead time (min)"),
    ("change_failure_rate", "change failure rate"),
    ("median_time_to_restore_hours", "time to restore (h)"),
    ("deployment_rework_rate", "rework rate"),
)


def _productivity(con: duckdb.DuckDBPyConnection, fig: Figures) -> None:
    fig.add(
        _mart_table(
            con,
            "did",
            "Difference in differences: adopters against non-adopters, latest month",
            "marts.fct_productivity_roi",
            ("ai_system_id", "month_start", "metric"),
            [
                Column("pivot_month", "adoption (pivot)", DATE),
                Column("adopters_before", "adopters before", NUM),
                Column("adopters_after", "adopters after", NUM),
                Column("non_adopters_before", "non-adopters before", NUM),
                Column("non_adopters_after", "non-adopters after", NUM),
                Column("did_effect", "effect", NUM),
                Column("improvement", "improvement", NUM),
                Column("hours_saved", "hours saved", HOURS),
                Column("capacity_value_usd", "capacity value", MONEY),
                Column("adopter_teams", "adopter teams"),
                Column("non_adopter_teams", "non-adopter teams"),
            ],
            # each system's latest month with an effect
            where="did_effect IS NOT NULL AND month_start = (SELECT max(l.month_start) "
            "FROM marts.fct_productivity_roi l WHERE l.ai_system_id = fct_productivity_roi.ai_system_id "
            "AND l.did_effect IS NOT NULL)",
        )
    )
    fig.add(
        _mart_table(
            con,
            "delivery",
            "The four keys (and rework) per team and month",
            "marts.fct_delivery_performance",
            ("team", "month_start"),
            [Column(c, label, PCT if c.endswith("rate") else NUM) for c, label in DELIVERY_METRICS],
            where="has_delivery_pipeline",
            collapsed=True,
        )
    )
    # the per-team charts: the systems the engineering ledger credits with capacity this quarter
    fig.series["adoption"] = _rows(
        con,
        "SELECT p.ai_system_id, p.pivot_month, p.adopter_teams, p.non_adopter_teams FROM marts.fct_productivity_roi p "
        "WHERE p.did_effect IS NOT NULL AND p.ai_system_id IN (SELECT ai_system_id FROM marts.fct_roi_portfolio "
        "WHERE quarter_start = ? AND productivity_capacity_value_usd > 0) "
        "QUALIFY row_number() OVER (PARTITION BY p.ai_system_id ORDER BY p.month_start DESC, p.metric) = 1 "
        "ORDER BY p.ai_system_id",
        [fig.headline["quarter"]],
    )


SCENARIO_COLUMNS = [
    Column("ai_system_id", "AI system"),
    Column("ledger", "ledger"),
    Column("net_benefit_p5", "net benefit p5", MONEY),
    Column("net_benefit_p10", "p10", MONEY),
    Column("net_benefit_p50", "p50", MONEY),
    Column("net_benefit_p90", "p90", MONEY),
    Column("net_benefit_p95", "p95", MONEY),
    Column("net_benefit_mean", "mean", MONEY),
    Column("p_net_negative", "P(net loss)", PCT),
    Column("iterations", "iterations", INT),
]


def _defensive(con: duckdb.DuckDBPyConnection, fig: Figures) -> None:
    fig.add(
        _mart_table(
            con,
            "scenarios",
            "Scenario intervals (Monte Carlo, annual net benefit)",
            "marts.fct_roi_scenarios",
            ("scenario_id",),
            SCENARIO_COLUMNS,
            order="ledger, ai_system_id, scenario_id",
            note="Intervals, not one figure: p5 to p95 of the simulated annual net benefit, with its median.",
        )
    )
    fig.add(
        _mart_table(
            con,
            "sensitivity",
            "What moves each scenario most (tornado)",
            "marts.fct_roi_scenario_sensitivity",
            ("scenario_id", "input_name"),
            [
                Column("swing_rank", "rank", INT),
                Column("input_low", "input low", NUM),
                Column("input_high", "input high", NUM),
                Column("net_benefit_mean_base", "mean net benefit", MONEY),
                Column("net_benefit_mean_at_low", "at low", MONEY),
                Column("net_benefit_mean_at_high", "at high", MONEY),
                Column("swing", "swing", MONEY),
            ],
            order="scenario_id, swing_rank",
            collapsed=True,
        )
    )
    fig.add(
        _mart_table(
            con,
            "defensive_rows",
            "Observed avoided loss and risk counter-entries, by quarter",
            "marts.fct_defensive_roi",
            ("ai_system_id", "quarter_start", "row_type", "entry_type"),
            [
                Column("quantity", "quantity", NUM),
                Column("quantity_unit", "unit"),
                Column("amount_usd", "amount", MONEY),
            ],
            collapsed=True,
        )
    )
    fig.add(
        _mart_table(
            con,
            "risk",
            "Static credentials, shadow AI and denied decisions",
            "marts.fct_ai_system_risk",
            ("ai_system_id",),
            [
                Column("ai_system_name", "AI system"),
                Column("is_sanctioned", "sanctioned", BOOL),
                Column("runtime_identity_count", "runtime identities", INT),
                Column("static_credential_identity_count", "with static credentials", INT),
                Column("shadow_usage_request_count", "shadow requests", INT),
                Column("shadow_usage_spend_usd", "shadow spend", MONEY),
                Column("denied_decision_count", "denied decisions", INT),
                Column("secrets_past_rotation_count", "secrets past rotation", INT),
                Column("risk_flags", "risk flags"),
            ],
            where="has_risk",
            order="ai_system_name, ai_system_id",
        )
    )
    fig.series["defensive_observed"] = _rows(
        con,
        "SELECT ai_system_id, row_type, sum(amount_usd) AS amount_usd FROM marts.fct_defensive_roi "
        "WHERE amount_usd IS NOT NULL GROUP BY ai_system_id, row_type ORDER BY ai_system_id, row_type",
    )


def _trust(con: duckdb.DuckDBPyConnection, fig: Figures) -> None:
    fig.add(
        _mart_table(
            con,
            "coverage",
            "Attribution coverage, whole history, against its gate",
            "marts.fct_attribution_coverage",
            ("grain", "source_dataset", "usage_date"),
            [
                Column("event_count", "events", INT),
                Column("event_share", "events attributed", PCT),
                Column("cost_usd", "cost", MONEY),
                Column("cost_share", "cost attributed", PCT),
                Column("coverage_min", "gate minimum", PCT),
            ],
            where="grain = 'overall'",
            order="source_dataset",
        )
    )
    fig.series["coverage_days"] = _rows(
        con,
        "SELECT source_dataset, usage_date, cost_share, coverage_min FROM marts.fct_attribution_coverage "
        "WHERE grain = 'day' AND cost_share IS NOT NULL ORDER BY source_dataset, usage_date",
    )
    fig.add(
        Table(
            "ingest",
            "Files and rows by dataset: landed, rejected, quarantined",
            [
                Column("dataset", "dataset"),
                Column("files_landed", "files landed", INT),
                Column("files_rejected", "files rejected", INT),
                Column("files_set_aside", "set aside (duplicate, superseded, withdrawn, unclaimed)", INT),
                Column("rows_accepted", "rows accepted", INT),
                Column("rows_quarantined", "rows quarantined", INT),
            ],
            _rows(
                con,
                "SELECT dataset, count(*) FILTER (WHERE status = 'landed') AS files_landed, "
                "count(*) FILTER (WHERE status = 'rejected') AS files_rejected, "
                "count(*) FILTER (WHERE status NOT IN ('landed', 'rejected')) AS files_set_aside, "
                "coalesce(sum(rows_accepted), 0) AS rows_accepted, "
                "coalesce(sum(rows_quarantined), 0) AS rows_quarantined "
                "FROM audit.ingested_files GROUP BY dataset ORDER BY dataset",
            ),
            note="Sums of audit.ingested_files; each quarantined row is in audit.quarantine with its line and reason.",
        )
    )
    fig.add(
        Table(
            "quarantine",
            "Quarantined rows by dataset and column",
            [Column("dataset", "dataset"), Column("column_name", "column"), Column("rows", "rows", INT)],
            _rows(
                con,
                "SELECT dataset, column_name, count(*) AS rows FROM audit.quarantine GROUP BY ALL "
                "ORDER BY dataset, rows DESC, column_name",
            ),
            note="Counts only: each row's reason quotes the value it refused, so reasons and raw lines stay in "
            "audit.quarantine (and roi-ledger trace), out of a page meant to be passed around.",
        )
    )
    checks = fig.release["checks"]
    fig.headline["checks"] = len(checks)
    fig.headline["checks_failed"] = sum(1 for c in checks if not c.get("passed"))
    fig.add(
        Table(
            "gates",
            "The release's gates",
            [
                Column("asset", "asset"),
                Column("check", "check"),
                Column("status", "status"),
                Column("blocking", "blocking", BOOL),
                Column("observed", "observed values"),
            ],
            [
                {
                    "asset": c.get("asset"),
                    "check": c.get("check"),
                    "status": "passed" if c.get("passed") else ("blocked" if c.get("blocking") else "warned"),
                    "blocking": bool(c.get("blocking")),
                    "observed": json.dumps(c.get("observed") or {}, sort_keys=True, default=str),
                }
                for c in sorted(
                    checks, key=lambda c: (bool(c.get("passed")), c.get("asset") or "", c.get("check") or "")
                )
            ],
            note="From audit.releases: every check the release passed, warned or was held by; not passed first.",
            collapsed=True,
        )
    )
    fig.add(
        Table(
            "inputs",
            "Input files and their SHA-256",
            [Column("dataset", "dataset"), Column("source_file", "file"), Column("file_sha256", "SHA-256")],
            sorted(fig.release["input_files"], key=lambda f: (f.get("dataset", ""), f.get("source_file", ""))),
            collapsed=True,
        )
    )
