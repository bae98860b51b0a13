-- Release gate (docs/METHOD.md section 2, cost separation): per billing currency and billing period,
-- the classified cost lines of fct_cost_lines total exactly what was landed from the FOCUS exports
-- (landing_billing.focus, totalled by int_cost_lines__landed_totals), billed and effective cost, with the same
-- number of lines; and every line's class is one of one_time / recurring / usage_based. Exact decimal(38,18)
-- equality, stricter than the cent. Fails with the currency, period, both totals and the differences. Error
-- severity: a blocking asset check on fct_cost_lines.
{{ config(severity='error', store_failures=true, meta={'dagster': {'ref': {'name': 'fct_cost_lines'}}}) }}

with

landed as (

    select * from {{ ref('int_cost_lines__landed_totals') }}

),

classified as (

    select
        billing_currency,
        billing_period_start,
        count(*) as classified_line_count,
        sum(billed_cost) as classified_billed_cost,
        sum(effective_cost) as classified_effective_cost
    from {{ ref('fct_cost_lines') }}
    where cost_class in ('one_time', 'recurring', 'usage_based')
    group by
        billing_currency,
        billing_period_start

),

compared as (

    select
        coalesce(landed.billing_currency, classified.billing_currency) as billing_currency,
        coalesce(landed.billing_period_start, classified.billing_period_start) as billing_period_start,
        coalesce(landed.landed_line_count, 0) as landed_line_count,
        coalesce(classified.classified_line_count, 0) as classified_line_count,
        coalesce(landed.landed_billed_cost, 0) as landed_billed_cost,
        coalesce(classified.classified_billed_cost, 0) as classified_billed_cost,
        coalesce(landed.landed_effective_cost, 0) as landed_effective_cost,
        coalesce(classified.classified_effective_cost, 0) as classified_effective_cost
    from landed
    full outer join classified
        on
            landed.billing_currency = classified.billing_currency
            and landed.billing_period_start = classified.billing_period_start

)

select
    billing_currency,
    billing_period_start,
    landed_line_count,
    classified_line_count,
    landed_billed_cost,
    classified_billed_cost,
    classified_billed_cost - landed_billed_cost as billed_cost_difference,
    classified_effective_cost - landed_effective_cost as effective_cost_difference
from compared
where
    landed_line_count <> classified_line_count
    or landed_billed_cost <> classified_billed_cost
    or landed_effective_cost <> classified_effective_cost
