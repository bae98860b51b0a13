-- The candidate scenarios with the figures the spine observed for them (frequency, loss, control cost) and
-- whether the row asks for them. Description: _scenario_inputs__models.yml.

{%- set min_days = var('scenario_observed_min_days') %}
{%- set min_incidents = var('scenario_observed_min_incidents') %}
{%- set life = var('useful_life_months') %}

with

candidates as (

    select * from {{ ref('int_scenarios__candidates') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}

),

incidents as (

    select * from {{ ref('stg_security__incidents') }}

),

cost_lines as (

    select * from {{ ref('fct_cost_lines') }}
    where ai_system_id is not null

),

history as (

    select min(started_at) as history_start from incidents

),

observed_frequency as (

    select
        candidates.scenario_id,
        max(systems.adoption_date) as adoption_date,
        max({{ dbt.datediff('history.history_start', 'systems.adoption_date', 'day') }}) as history_days,
        count(incidents.finding_uid) as incident_count
    from candidates
    inner join systems
        on candidates.ai_system_id = systems.ai_system_id
    cross join history
    left join incidents
        on
            candidates.incident_category = incidents.incident_category
            and systems.adoption_date > incidents.started_at
    where candidates.incident_category is not null and systems.adoption_date is not null
    group by candidates.scenario_id

),

incident_losses as (

    select
        incident_category,
        currency,
        cast(loss_amount as {{ double_type() }})
        + coalesce(cast(response_hours as {{ double_type() }}), 0) * {{ var('security_hourly_rate') }} as loss
    from incidents
    where loss_amount is not null

),

observed_loss_by_category as (

    select
        incident_category,
        currency,
        count(*) as incident_count,
        cast(percentile_cont(0.05) within group (order by loss) as {{ double_type() }}) as loss_p5,
        cast(percentile_cont(0.95) within group (order by loss) as {{ double_type() }}) as loss_p95
    from incident_losses
    group by incident_category, currency

),

cost_window as (

    select
        ai_system_id,
        billing_currency,
        effective_cost,
        billing_month,
        cost_class
    from cost_lines
    where billing_month <= {{ spine_as_of_date() }}

),

observed_cost as (

    select
        ai_system_id,
        billing_currency,
        sum(case
            when cost_class <> 'one_time' and billing_month > {{ dbt.dateadd('month', -12, spine_as_of_date()) }}
                then effective_cost
            else 0
        end) as running_cost_12m,
        count(distinct case
            when cost_class <> 'one_time' and billing_month > {{ dbt.dateadd('month', -12, spine_as_of_date()) }}
                then billing_month
        end) as months_billed,
        sum(case when cost_class = 'one_time' then effective_cost else 0 end) as one_time_cost
    from cost_window
    group by ai_system_id, billing_currency

),

observed_cost_annual as (

    select
        ai_system_id,
        billing_currency,
        months_billed,
        one_time_cost,
        cast(
            case when months_billed > 0 then {{ money_divide('running_cost_12m * 12', 'months_billed') }} else 0 end
            + {{ money_divide('one_time_cost * 12', life) }}
            as {{ money_type() }}
        ) as annual_cost
    from observed_cost

),

flags as (

    select
        candidates.*,
        systems.ai_system_id is not null as ai_system_known,
        coalesce(systems.is_sanctioned, false) as ai_system_sanctioned,
        candidates.use_observed is not null
        and {{ dbt.position("'frequency'", 'candidates.use_observed') }} > 0 as wants_observed_frequency,
        candidates.use_observed is not null
        and {{ dbt.position("'loss'", 'candidates.use_observed') }} > 0 as wants_observed_loss,
        candidates.use_observed is not null
        and {{ dbt.position("'control_cost'", 'candidates.use_observed') }} > 0 as wants_observed_control_cost,
        observed_frequency.incident_count as observed_incident_count,
        observed_frequency.history_days as observed_history_days,
        observed_frequency.adoption_date as observed_adoption_date,
        case
            when observed_frequency.history_days >= {{ min_days }} and observed_frequency.incident_count > 0
                then
                    cast(observed_frequency.incident_count as {{ double_type() }}) * 365.25
                    / observed_frequency.history_days
        end as observed_rate,
        observed_loss_by_category.incident_count as observed_loss_count,
        case
            when
                observed_loss_by_category.incident_count >= {{ min_incidents }}
                and observed_loss_by_category.loss_p5 > 0
                and observed_loss_by_category.loss_p95 > observed_loss_by_category.loss_p5
                then observed_loss_by_category.loss_p5
        end as observed_loss_low,
        observed_loss_by_category.loss_p95 as observed_loss_high,
        observed_cost_annual.annual_cost as observed_annual_cost,
        observed_cost_annual.months_billed as observed_cost_months,
        observed_cost_annual.one_time_cost as observed_one_time_cost
    from candidates
    left join systems
        on candidates.ai_system_id = systems.ai_system_id
    left join observed_frequency
        on candidates.scenario_id = observed_frequency.scenario_id
    left join observed_loss_by_category
        on
            candidates.incident_category = observed_loss_by_category.incident_category
            and candidates.currency = observed_loss_by_category.currency
    left join observed_cost_annual
        on
            candidates.ai_system_id = observed_cost_annual.ai_system_id
            and candidates.currency = observed_cost_annual.billing_currency

)

select * from flags
