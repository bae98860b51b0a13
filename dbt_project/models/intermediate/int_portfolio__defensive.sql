-- The defensive ledger (security) on the portfolio's rows: the quarter's figures and the present value of its
-- benefits to the quarter. Description: _portfolio__models.yml.

{%- set rate = var('discount_rate') %}
{%- set horizon_months = (var('horizon_years') | int) * 12 %}

with

quarters as (

    select * from {{ ref('int_portfolio__quarters') }}

),

defensive as (

    select * from {{ ref('fct_defensive_roi') }}

),

defensive_quarterly as (

    select
        ai_system_id,
        quarter_start,
        -- NULL (not 0) for a quarter without benefit rows: no defensive benefit was measured
        sum(case when row_type = 'benefit' then cast(coalesce(amount_usd, 0) as {{ double_type() }}) end)
            as benefit_amount,
        sum(case
            when row_type = 'benefit' and entry_type = 'avoided_incident_loss'
                then cast(coalesce(amount_usd, 0) as {{ double_type() }})
        end) as avoided_loss,
        sum(case
            when row_type = 'benefit' and entry_type = 'response_hours_saved'
                then coalesce(quantity, 0)
        end) as response_hours_saved,
        sum(
            case
                when row_type = 'risk_counter_entry' then cast(coalesce(amount_usd, 0) as {{ double_type() }}) else 0
            end
        )
            as risk_exposure,
        sum(case when row_type = 'benefit' then 1 else 0 end) as benefit_row_count,
        sum(case when row_type = 'risk_counter_entry' then 1 else 0 end) as counter_entry_count,
        max(case when row_type = 'benefit' then current_incident_count end) as current_incident_count
    from defensive
    group by ai_system_id, quarter_start

),

-- benefits discounted from the system's first efficiency month (the finance views' start), within the horizon
defensive_to_date as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        sum(
            defensive_quarterly.benefit_amount
            / {{ compounded(rate, dbt.datediff('quarters.first_efficiency_month', 'defensive_quarterly.quarter_start', 'month')) }}  -- noqa: LT05
        ) as pv_defensive_benefits
    from quarters
    inner join defensive_quarterly
        on
            quarters.ai_system_id = defensive_quarterly.ai_system_id
            and quarters.quarter_start >= defensive_quarterly.quarter_start
            and defensive_quarterly.quarter_start
            >= cast({{ dbt.date_trunc('quarter', 'quarters.first_efficiency_month') }} as date)
            and {{ dbt.datediff('quarters.first_efficiency_month', 'defensive_quarterly.quarter_start', 'month') }}  -- noqa: LT05
            < {{ horizon_months }}
    group by quarters.ai_system_id, quarters.quarter_start

),

final as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        defensive_quarterly.benefit_amount,
        defensive_quarterly.avoided_loss,
        defensive_quarterly.response_hours_saved,
        defensive_quarterly.risk_exposure,
        defensive_quarterly.benefit_row_count,
        defensive_quarterly.counter_entry_count,
        defensive_quarterly.current_incident_count,
        case
            when defensive_quarterly.ai_system_id is null then 'none'
            when defensive_quarterly.benefit_row_count > 0 and defensive_quarterly.current_incident_count >= 10 then 'A'
            when defensive_quarterly.benefit_row_count > 0 and defensive_quarterly.current_incident_count > 0 then 'B'
            else 'C'
        end as coverage_grade,
        defensive_to_date.pv_defensive_benefits
    from quarters
    left join defensive_quarterly
        on
            quarters.ai_system_id = defensive_quarterly.ai_system_id
            and quarters.quarter_start = defensive_quarterly.quarter_start
    left join defensive_to_date
        on
            quarters.ai_system_id = defensive_to_date.ai_system_id
            and quarters.quarter_start = defensive_to_date.quarter_start

)

select * from final
