"""The mart gates as GX suites over one-row SQL summaries.

dbt singular tests (``dbt_project/tests/**``) already gate these; the GX suites are a second, independent
evaluation of the same rules on a small summary each, computed in DuckDB SQL (never a table pulled into
pandas), so the release record and Data Docs carry the observed figures (the share, the differences, the
counts) even when the gate passes. Each expectation reads one summary column through
``expect_column_min/max_to_be_between``, whose result holds the ``observed_value``.

Thresholds are suite parameters named after the dbt vars (``{"$PARAMETER": "attribution_coverage_min"}``),
filled from ``dbt_project/dbt_project.yml`` when the suite runs (:mod:`orchestration.quality.thresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MartGate:
    """One mart gate: the asset its blocking check sits on, the summary query and its expectations."""

    check_name: str
    asset_key: tuple[str, ...]
    description: str
    summary_sql: str
    expectations: tuple[dict[str, Any], ...]
    parameters: tuple[str, ...] = ()
    """dbt vars the expectations read as ``$PARAMETER``."""

    @property
    def suite_name(self) -> str:
        return "__".join(self.asset_key)


def _between(
    column: str, rule: str, *, stat: str = "max", min_value: Any = None, max_value: Any = None, **extra: Any
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"column": column}
    if min_value is not None:
        kwargs["min_value"] = min_value
    if max_value is not None:
        kwargs["max_value"] = max_value
    kwargs.update(extra)
    return {"type": f"expect_column_{stat}_to_be_between", "kwargs": kwargs, "meta": {"rule": rule}}


def _param(name: str) -> dict[str, str]:
    return {"$PARAMETER": name}


ATTRIBUTION_COVERAGE = MartGate(
    check_name="gx_attribution_coverage",
    asset_key=("marts", "fct_attribution_coverage"),
    description="GX: the overall share of AI usage cost attributed to a known identity, an AI system and an owner "
    "team is at least dbt var attribution_coverage_min (the gate of "
    "assert_attribution_coverage_min).",
    summary_sql="""
SELECT
    count(*) AS overall_rows,
    max(cost_share) AS cost_share,
    max(event_share) AS event_share,
    max(cost_usd) AS cost_usd,
    max(attributed_cost_usd) AS attributed_cost_usd
FROM marts.fct_attribution_coverage
WHERE grain = 'overall' AND source_dataset = 'all'
""".strip(),
    expectations=(
        _between("overall_rows", "one overall row", min_value=1, max_value=1),
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "cost_share"},
            "meta": {"rule": "cost share computed"},
        },
        _between(
            "cost_share",
            "cost share >= attribution_coverage_min",
            stat="min",
            min_value=_param("attribution_coverage_min"),
            max_value=1,
        ),
    ),
    parameters=("attribution_coverage_min",),
)

# Landed totals straight from landing_billing.focus (the currency normalised as staging does), compared per
# billing currency and period with the classified lines of fct_cost_lines: the same rule as
# assert_cost_separation_reconciles, computed without its intermediate model.
COST_SEPARATION = MartGate(
    check_name="gx_cost_separation",
    asset_key=("marts", "fct_cost_lines"),
    description="GX: classified cost lines reconcile exactly to the landed FOCUS totals per billing currency and "
    "period (line count, billed and effective cost), every line has a class, and unclassified AI "
    "spend is at most dbt var unclassified_ai_spend_max per currency.",
    summary_sql="""
SELECT * FROM (
    WITH landed AS (
        SELECT upper(trim(billing_currency)) AS billing_currency, billing_period_start,
               count(*) AS line_count, sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost
        FROM landing_billing.focus
        GROUP BY ALL
    ),
    classified AS (
        SELECT billing_currency, billing_period_start,
               count(*) AS line_count, sum(billed_cost) AS billed_cost, sum(effective_cost) AS effective_cost
        FROM marts.fct_cost_lines
        WHERE cost_class IN ('one_time', 'recurring', 'usage_based')
        GROUP BY ALL
    ),
    compared AS (
        SELECT coalesce(l.line_count, 0) AS landed_lines, coalesce(c.line_count, 0) AS classified_lines,
               coalesce(l.billed_cost, 0) AS landed_billed, coalesce(c.billed_cost, 0) AS classified_billed,
               coalesce(l.effective_cost, 0) AS landed_effective,
               coalesce(c.effective_cost, 0) AS classified_effective
        FROM landed AS l
        FULL OUTER JOIN classified AS c
            ON l.billing_currency = c.billing_currency AND l.billing_period_start = c.billing_period_start
    ),
    ai_spend AS (
        SELECT billing_currency, sum(abs(billed_cost)) AS ai_spend,
               sum(CASE WHEN ai_system_id IS NULL OR cost_class IS NULL THEN abs(billed_cost) ELSE 0 END)
                   AS unclassified_ai_spend
        FROM marts.fct_cost_lines
        WHERE is_ai_spend
        GROUP BY ALL
    )
    SELECT
        (SELECT count(*) FROM compared) AS periods_compared,
        (SELECT count(*) FROM compared
         WHERE landed_lines <> classified_lines OR landed_billed <> classified_billed
            OR landed_effective <> classified_effective) AS periods_not_reconciled,
        (SELECT sum(classified_billed) - sum(landed_billed) FROM compared) AS billed_cost_difference,
        (SELECT sum(classified_effective) - sum(landed_effective) FROM compared) AS effective_cost_difference,
        (SELECT count(*) FROM marts.fct_cost_lines
         WHERE cost_class IS NULL OR cost_class NOT IN ('one_time', 'recurring', 'usage_based'))
            AS lines_without_class,
        (SELECT coalesce(max(CAST(unclassified_ai_spend AS DOUBLE) / CAST(ai_spend AS DOUBLE)), 0)
         FROM ai_spend WHERE ai_spend > 0) AS unclassified_ai_spend_share
)
""".strip(),
    expectations=(
        _between("periods_compared", "billing periods present", min_value=1),
        _between("periods_not_reconciled", "every currency and period reconciles", min_value=0, max_value=0),
        _between("billed_cost_difference", "billed cost reconciles exactly", min_value=0, max_value=0),
        _between("effective_cost_difference", "effective cost reconciles exactly", min_value=0, max_value=0),
        _between("lines_without_class", "every line classified", min_value=0, max_value=0),
        _between(
            "unclassified_ai_spend_share",
            "unclassified AI spend <= unclassified_ai_spend_max",
            min_value=0,
            max_value=_param("unclassified_ai_spend_max"),
        ),
    ),
    parameters=("unclassified_ai_spend_max",),
)

#: The usage datasets fct_ai_usage holds, each record of its staging model once (macros/usage_events.sql).
USAGE_DATASETS = (
    "usage/litellm_spend_logs",
    "usage/openai_usage",
    "ai/anthropic_usage",
    "ai/claude_code_usage",
    "ai/bedrock_invocations",
    "ai/cursor_usage_events",
    "ai/cursor_daily_usage",
    "ai/github_copilot_usage",
)
_STAGED_USAGE = "\n        UNION ALL\n".join(
    f"        SELECT '{name}' AS source_dataset, count(*) AS staged_records\n"
    f"        FROM staging.stg_{name.replace('/', '__')}"
    for name in USAGE_DATASETS
)

# Record counts from the staging models themselves; expected cost from int_usage__costs_totalled (totalled from
# the staged records: LiteLLM spend, OpenAI tokens x seed model_prices, the AI tools as usage_events.sql prices
# them), as assert_usage_cost_reconciles; the tolerance is that test's half cent.
USAGE_COST = MartGate(
    check_name="gx_usage_cost_reconciles",
    asset_key=("marts", "fct_ai_usage"),
    description="GX: per usage dataset, fct_ai_usage holds every staged record once and its cost equals the "
    "cost totalled from the staged records to the half cent; no record is unpriced.",
    summary_sql="""
SELECT * FROM (
    WITH staged AS (
{staged}
    ),
    observed AS (
        SELECT source_dataset, sum(usage_record_count) AS observed_records, sum(cost_amount) AS observed_cost
        FROM marts.fct_ai_usage
        GROUP BY source_dataset
    ),
    compared AS (
        SELECT coalesce(s.source_dataset, o.source_dataset) AS source_dataset,
               coalesce(s.staged_records, 0) AS staged_records,
               coalesce(o.observed_records, 0) AS observed_records,
               coalesce(o.observed_cost, 0) AS observed_cost
        FROM staged AS s
        FULL OUTER JOIN observed AS o ON s.source_dataset = o.source_dataset
    )
    SELECT
        (SELECT count(*) FROM compared WHERE staged_records > 0) AS sources_compared,
        (SELECT count(*) FROM compared WHERE staged_records <> observed_records) AS sources_with_record_mismatch,
        (SELECT coalesce(sum(unpriced_record_count), 0) FROM intermediate.int_usage__costs_totalled)
            AS unpriced_records,
        (SELECT max(abs(c.observed_cost - coalesce(e.expected_cost_usd, 0)))
         FROM compared AS c
         LEFT JOIN intermediate.int_usage__costs_totalled AS e ON c.source_dataset = e.source_dataset)
            AS max_abs_cost_difference_usd,
        (SELECT sum(observed_cost) FROM compared) AS observed_cost_usd
)
""".strip().replace("{staged}", _STAGED_USAGE),
    expectations=(
        _between("sources_compared", "usage datasets present", min_value=1),
        _between("sources_with_record_mismatch", "every staged record in fct_ai_usage once", min_value=0, max_value=0),
        _between("unpriced_records", "every record priced", min_value=0, max_value=0),
        _between(
            "max_abs_cost_difference_usd",
            "cost reconciles to the half cent",
            min_value=0,
            max_value=0.005,
            strict_max=True,
        ),
    ),
)

ONE_CLAIM_PER_BENEFIT = MartGate(
    check_name="gx_one_claim_per_benefit",
    asset_key=("intermediate", "int_roi__benefit_claim_conflicts"),
    description="GX: no benefit of an AI system and quarter is claimed in a ledger other than its "
    "benefit_catalogue ledger, nor in two ledgers (int_roi__benefit_claim_conflicts is empty).",
    summary_sql="""
SELECT
    count(*) AS conflicts,
    count(*) FILTER (WHERE conflict_type = 'wrong_ledger') AS wrong_ledger_claims,
    count(*) FILTER (WHERE conflict_type = 'double_claim') AS double_claims
FROM intermediate.int_roi__benefit_claim_conflicts
""".strip(),
    expectations=(
        _between("conflicts", "no claim conflict", min_value=0, max_value=0),
        _between("wrong_ledger_claims", "no claim in the wrong ledger", min_value=0, max_value=0),
        _between("double_claims", "no benefit claimed twice", min_value=0, max_value=0),
    ),
)

MART_GATES: tuple[MartGate, ...] = (ATTRIBUTION_COVERAGE, COST_SEPARATION, USAGE_COST, ONE_CLAIM_PER_BENEFIT)
