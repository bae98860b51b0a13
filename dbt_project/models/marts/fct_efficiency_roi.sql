-- Finance ledger, efficiency (docs/METHOD.md section 3): one row per AI system (registered or shadow)
-- and month, from the system's first evidence (adoption, first cost) to the as-of month, in the ledger
-- currency (var finance_currency; cost lines in other currencies are counted, not converted: no FX source).
--   reclaimed_cash = retired_licence_spend + reclaimed_unused_seats
--   capacity_value = toil_hours_saved x var loaded_hourly_rate (capacity, not cash)
--   net_cash = reclaimed_cash - usage_based_cost - recurring_cost - one_time_cost - support_cost
--   net_pnl  = reclaimed_cash + capacity_value - usage_based_cost - recurring_cost - amortised_one_time_cost
--              - support_cost
-- usage_based_cost includes provider_billed_cost: what AI providers billed outside FOCUS for the system (OpenAI
-- costs API, Anthropic cost report, Cursor charges; int_provider_bills__costs counts them only for the months
-- FOCUS holds no line of the provider, so no money is counted twice).
-- Support lines (int_cost_lines__classified.is_support) are reported in support_cost only, never again in
-- their cost class, so no cost is subtracted twice.
-- Lineage: retired_licence_ids and toil_teams name the licences and teams behind the reclaimed run rate and the
-- toil hours (their rows are in intermediate models, which are not published), so `roi-ledger trace` can reach
-- their raw lines.

{%- set currency = var('finance_currency') %}
{%- set rate = var('loaded_hourly_rate') %}

with

cost_lines as (

    select * from {{ ref('fct_cost_lines') }}
    where ai_system_id is not null

),

costs as (

    select
        ai_system_id,
        billing_month as ledger_month,
        count(*) as cost_line_count,
        sum(case when billing_currency <> '{{ currency }}' then 1 else 0 end) as other_currency_cost_line_count,
        sum(case when cost_class = 'usage_based' and not is_support then billed_cost else 0 end) as usage_based_cost,
        sum(case when cost_class = 'recurring' and not is_support then billed_cost else 0 end) as recurring_cost,
        sum(case when cost_class = 'one_time' and not is_support then billed_cost else 0 end) as one_time_cost,
        sum(case when is_support then billed_cost else 0 end) as support_cost
    from (
        select
            ai_system_id,
            billing_month,
            billing_currency,
            cost_class,
            is_support,
            case when billing_currency = '{{ currency }}' then billed_cost else 0 end as billed_cost
        from cost_lines
    ) as in_currency
    group by
        ai_system_id,
        billing_month

),

provider_bills as (

    select
        ai_system_id,
        billing_month as ledger_month,
        sum(bill_record_count) as provider_bill_record_count,
        sum(case when currency = '{{ currency }}' then billed_cost else 0 end) as provider_billed_cost,
        {{ dbt.listagg('billing_scope', "';'", 'order by billing_scope') }} as provider_bill_scopes
    from {{ ref('int_provider_bills__costs') }}
    where ai_system_id is not null
    group by
        ai_system_id,
        billing_month

),

amortised as (

    select
        ai_system_id,
        amortisation_month as ledger_month,
        count(*) as amortising_line_count,
        sum(amortised_cost) as amortised_one_time_cost
    from {{ ref('int_cost_lines__amortised') }}
    where
        ai_system_id is not null
        and not is_support
        and billing_currency = '{{ currency }}'
    group by
        ai_system_id,
        amortisation_month

),

grid as (

    select * from {{ ref('int_efficiency__months') }}

),

retired as (

    select
        grid.ai_system_id,
        grid.ledger_month,
        count(*) as retired_licence_count,
        sum(retired_licences.monthly_run_rate) as retired_licence_spend,
        {{ dbt.listagg('retired_licences.licence_id', "';'", 'order by retired_licences.licence_id') }}
            as retired_licence_ids
    from grid
    inner join {{ ref('int_licences__retired') }} as retired_licences
        on
            grid.ai_system_id = retired_licences.ai_system_id
            and grid.ledger_month > retired_licences.retired_month
    where retired_licences.currency = '{{ currency }}'
    group by
        grid.ai_system_id,
        grid.ledger_month

),

seats as (

    select
        ai_system_id,
        reclaim_month as ledger_month,
        count(*) as seat_licence_period_count,
        sum(unused_seats) as unused_seat_count,
        sum(reclaimable_amount) as reclaimed_unused_seats
    from {{ ref('int_licences__seat_reclaim') }}
    where currency = '{{ currency }}'
    group by
        ai_system_id,
        reclaim_month

),

toil as (

    select
        ai_system_id,
        work_month as ledger_month,
        count(*) as toil_team_count,
        sum(toil_item_count) as toil_work_item_count,
        sum(baseline_item_count) as toil_baseline_work_item_count,
        sum(toil_hours_saved) as toil_hours_saved,
        {{ dbt.listagg('team', "';'", 'order by team') }} as toil_teams
    from {{ ref('int_work_items__toil_saved') }}
    group by
        ai_system_id,
        work_month

),

figures as (

    select
        grid.ai_system_id,
        grid.ledger_month,
        grid.system_type,
        grid.is_sanctioned,
        grid.adoption_date,
        coalesce(retired.retired_licence_spend, 0) as retired_licence_spend,
        coalesce(retired.retired_licence_count, 0) as retired_licence_count,
        coalesce(seats.reclaimed_unused_seats, 0) as reclaimed_unused_seats,
        coalesce(seats.unused_seat_count, 0) as unused_seat_count,
        coalesce(seats.seat_licence_period_count, 0) as seat_licence_period_count,
        coalesce(toil.toil_hours_saved, 0) as toil_hours_saved,
        coalesce(toil.toil_team_count, 0) as toil_team_count,
        coalesce(toil.toil_work_item_count, 0) as toil_work_item_count,
        coalesce(toil.toil_baseline_work_item_count, 0) as toil_baseline_work_item_count,
        coalesce(costs.usage_based_cost, 0) + coalesce(provider_bills.provider_billed_cost, 0) as usage_based_cost,
        coalesce(provider_bills.provider_billed_cost, 0) as provider_billed_cost,
        coalesce(provider_bills.provider_bill_record_count, 0) as provider_bill_record_count,
        coalesce(costs.recurring_cost, 0) as recurring_cost,
        coalesce(costs.one_time_cost, 0) as one_time_cost,
        coalesce(amortised.amortised_one_time_cost, 0) as amortised_one_time_cost,
        coalesce(costs.support_cost, 0) as support_cost,
        coalesce(costs.cost_line_count, 0) as cost_line_count,
        coalesce(costs.other_currency_cost_line_count, 0) as other_currency_cost_line_count,
        coalesce(amortised.amortising_line_count, 0) as amortising_line_count,
        retired.retired_licence_ids,
        provider_bills.provider_bill_scopes,
        toil.toil_teams
    from grid
    left join costs
        on grid.ai_system_id = costs.ai_system_id and grid.ledger_month = costs.ledger_month
    left join provider_bills
        on grid.ai_system_id = provider_bills.ai_system_id and grid.ledger_month = provider_bills.ledger_month
    left join amortised
        on grid.ai_system_id = amortised.ai_system_id and grid.ledger_month = amortised.ledger_month
    left join retired
        on grid.ai_system_id = retired.ai_system_id and grid.ledger_month = retired.ledger_month
    left join seats
        on grid.ai_system_id = seats.ai_system_id and grid.ledger_month = seats.ledger_month
    left join toil
        on grid.ai_system_id = toil.ai_system_id and grid.ledger_month = toil.ledger_month

),

valued as (

    select
        figures.*,
        cast(figures.retired_licence_spend + figures.reclaimed_unused_seats as {{ money_type() }}) as reclaimed_cash,
        cast(figures.toil_hours_saved * {{ rate }} as {{ money_type() }}) as capacity_value
    from figures

)

select
    cast({{ surrogate_key(['ai_system_id', 'ledger_month']) }} as {{ dbt.type_string() }}) as efficiency_key,
    cast(ai_system_id as {{ dbt.type_string() }}) as ai_system_id,
    cast(ledger_month as date) as month,
    cast(system_type as {{ dbt.type_string() }}) as system_type,
    cast(is_sanctioned as boolean) as is_sanctioned,
    cast(adoption_date as date) as adoption_date,
    cast('{{ currency }}' as {{ dbt.type_string() }}) as currency,
    cast(retired_licence_spend as {{ money_type() }}) as retired_licence_spend,
    cast(reclaimed_unused_seats as {{ money_type() }}) as reclaimed_unused_seats,
    cast(reclaimed_cash as {{ money_type() }}) as reclaimed_cash,
    cast(toil_hours_saved as {{ money_type() }}) as toil_hours_saved,
    cast({{ rate }} as {{ money_type() }}) as loaded_hourly_rate,
    cast(capacity_value as {{ money_type() }}) as capacity_value,
    cast(usage_based_cost as {{ money_type() }}) as usage_based_cost,
    cast(provider_billed_cost as {{ money_type() }}) as provider_billed_cost,
    cast(recurring_cost as {{ money_type() }}) as recurring_cost,
    cast(one_time_cost as {{ money_type() }}) as one_time_cost,
    cast(amortised_one_time_cost as {{ money_type() }}) as amortised_one_time_cost,
    cast(support_cost as {{ money_type() }}) as support_cost,
    cast(
        reclaimed_cash - usage_based_cost - recurring_cost - one_time_cost - support_cost as {{ money_type() }}
    ) as net_cash,
    cast(
        reclaimed_cash + capacity_value - usage_based_cost - recurring_cost - amortised_one_time_cost - support_cost
        as {{ money_type() }}
    ) as net_pnl,
    cast(cost_line_count as {{ dbt.type_bigint() }}) as cost_line_count,
    cast(provider_bill_record_count as {{ dbt.type_bigint() }}) as provider_bill_record_count,
    cast(other_currency_cost_line_count as {{ dbt.type_bigint() }}) as other_currency_cost_line_count,
    cast(amortising_line_count as {{ dbt.type_bigint() }}) as amortising_line_count,
    cast(retired_licence_count as {{ dbt.type_bigint() }}) as retired_licence_count,
    cast(seat_licence_period_count as {{ dbt.type_bigint() }}) as seat_licence_period_count,
    cast(unused_seat_count as {{ dbt.type_bigint() }}) as unused_seat_count,
    cast(toil_team_count as {{ dbt.type_bigint() }}) as toil_team_count,
    cast(toil_work_item_count as {{ dbt.type_bigint() }}) as toil_work_item_count,
    cast(toil_baseline_work_item_count as {{ dbt.type_bigint() }}) as toil_baseline_work_item_count,
    cast(retired_licence_ids as {{ dbt.type_string() }}) as retired_licence_ids,
    cast(provider_bill_scopes as {{ dbt.type_string() }}) as provider_bill_scopes,
    cast(toil_teams as {{ dbt.type_string() }}) as toil_teams
from valued
