-- Release gate (docs/METHOD.md section 2, cost separation): per billing currency, AI spend that could
-- not be attributed to a specific AI system or has no cost class, over all AI spend, must not exceed var
-- unclassified_ai_spend_max (default 0.01). Amounts are taken absolute, so credits cannot hide charges.
-- Fails with the currency, the share, the threshold and the amounts. Error severity: a blocking asset check on
-- fct_cost_lines.
{{ config(severity='error', store_failures=true, meta={'dagster': {'ref': {'name': 'fct_cost_lines'}}}) }}

with

ai_spend as (

    select
        billing_currency,
        sum(abs(billed_cost)) as ai_spend,
        sum(
            case when ai_system_id is null or cost_class is null then abs(billed_cost) else 0 end
        ) as unclassified_ai_spend
    from {{ ref('fct_cost_lines') }}
    where is_ai_spend
    group by billing_currency

),

shares as (

    select
        billing_currency,
        ai_spend,
        unclassified_ai_spend,
        case
            when ai_spend > 0
                then cast(unclassified_ai_spend as {{ double_type() }}) / cast(ai_spend as {{ double_type() }})
            else 0
        end as unclassified_share,
        cast({{ var('unclassified_ai_spend_max') }} as {{ double_type() }}) as unclassified_share_max
    from ai_spend

)

select *
from shares
where unclassified_share > unclassified_share_max
