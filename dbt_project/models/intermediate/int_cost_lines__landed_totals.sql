-- What was billed, totalled straight from the landed FOCUS rows (landing_billing.focus), independently of the
-- cost separation models: one row per billing currency and billing period, with line count, billed and
-- effective cost. The reconciliation gate (tests/finance/assert_cost_separation_reconciles.sql) holds
-- fct_cost_lines to these totals.

select
    upper(trim(billing_currency)) as billing_currency,
    billing_period_start,
    count(*) as landed_line_count,
    sum(cast(billed_cost as {{ money_type() }})) as landed_billed_cost,
    sum(cast(effective_cost as {{ money_type() }})) as landed_effective_cost
from {{ source('billing', 'focus') }}
group by
    upper(trim(billing_currency)),
    billing_period_start
