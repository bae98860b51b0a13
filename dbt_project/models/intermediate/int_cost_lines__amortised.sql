-- P&L view of one-time costs (docs/METHOD.md section 3): every one_time cost line is spread
-- straight-line over var useful_life_months (default 36) months, starting in its billing month. Each month
-- gets the line's billed cost / months rounded to the cent; the last month takes the remainder, so the
-- schedule totals back to the line's billed cost exactly. The full schedule is kept (it runs past the as-of
-- date); the efficiency ledger reads the months up to the as-of month.

{%- set life = var('useful_life_months') | int %}
{%- if life < 1 or life > 999 %}
    {{ exceptions.raise_compiler_error("var useful_life_months must be between 1 and 999, got " ~ life) }}
{%- endif %}

with

one_time as (

    select
        cost_line_id,
        ai_system_id,
        is_ai_spend,
        is_support,
        billing_currency,
        billing_month,
        billed_cost
    from {{ ref('int_cost_lines__attributed') }}
    where cost_class = 'one_time'

),

month_numbers as (

    select series.n + 1 as month_number
    from ({{ integer_series('n') }}) as series
    where series.n < {{ life }}

),

schedule as (

    select
        one_time.cost_line_id,
        one_time.ai_system_id,
        one_time.is_ai_spend,
        one_time.is_support,
        one_time.billing_currency,
        one_time.billing_month,
        one_time.billed_cost,
        month_numbers.month_number,
        cast(round(cast(one_time.billed_cost / {{ life }} as {{ money_type() }}), 2) as {{ money_type() }})
            as monthly_cost
    from one_time
    cross join month_numbers

)

select
    cost_line_id,
    ai_system_id,
    is_ai_spend,
    is_support,
    billing_currency,
    billing_month,
    month_number,
    cast({{ dbt.dateadd('month', 'month_number - 1', 'billing_month') }} as date) as amortisation_month,
    billed_cost,
    cast(
        case
            when month_number = {{ life }} then billed_cost - monthly_cost * {{ life - 1 }}
            else monthly_cost
        end as {{ money_type() }}
    ) as amortised_cost
from schedule
