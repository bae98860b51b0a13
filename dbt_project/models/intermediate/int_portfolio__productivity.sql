-- The productivity ledger (engineering) on the portfolio's rows: the quarter's figures and the present value of
-- its capacity to the quarter's end. Description: _portfolio__models.yml.

{%- set rate = var('discount_rate') %}
{%- set horizon_months = (var('horizon_years') | int) * 12 %}

with

quarters as (

    select * from {{ ref('int_portfolio__quarters') }}

),

productivity as (

    select * from {{ ref('fct_productivity_roi') }}

),

productivity_monthly as (

    select
        ai_system_id,
        month_start as month,
        cast({{ dbt.date_trunc('quarter', 'month_start') }} as date) as quarter_start,
        sum(case when did_effect is not null then 1 else 0 end) as did_row_count,
        sum(case when improvement > 0 then 1 else 0 end) as improving_row_count,
        max(case when did_effect is not null then adopter_team_count end) as adopter_team_count,
        max(case when did_effect is not null then non_adopter_team_count end) as non_adopter_team_count,
        min(case when did_effect is not null then least(adopter_team_count, non_adopter_team_count) end)
            as min_group_team_count,
        sum(coalesce(hours_saved, 0)) as hours_saved,
        sum(cast(coalesce(capacity_value_usd, 0) as {{ double_type() }})) as capacity_value,
        count(*) as row_count
    from productivity
    group by ai_system_id, month_start

),

productivity_quarter as (

    select
        ai_system_id,
        quarter_start,
        sum(did_row_count) as did_row_count,
        sum(improving_row_count) as improving_row_count,
        max(adopter_team_count) as adopter_team_count,
        max(non_adopter_team_count) as non_adopter_team_count,
        min(min_group_team_count) as min_group_team_count,
        sum(hours_saved) as hours_saved,
        sum(capacity_value) as capacity_value,
        sum(row_count) as row_count
    from productivity_monthly
    group by ai_system_id, quarter_start

),

-- capacity discounted from the system's first efficiency month (the finance views' start), within the horizon
productivity_to_date as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        sum(
            productivity_monthly.capacity_value
            / {{ compounded(rate, dbt.datediff('quarters.first_efficiency_month', 'productivity_monthly.month', 'month')) }}  -- noqa: LT05
        ) as pv_productivity_capacity
    from quarters
    inner join productivity_monthly
        on
            quarters.ai_system_id = productivity_monthly.ai_system_id
            and quarters.quarter_end_exclusive > productivity_monthly.month
            and quarters.first_efficiency_month <= productivity_monthly.month
            and {{ dbt.datediff('quarters.first_efficiency_month', 'productivity_monthly.month', 'month') }}  -- noqa: LT05
            < {{ horizon_months }}
    group by quarters.ai_system_id, quarters.quarter_start

),

final as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        productivity_quarter.row_count,
        productivity_quarter.did_row_count,
        productivity_quarter.improving_row_count,
        productivity_quarter.adopter_team_count,
        productivity_quarter.non_adopter_team_count,
        productivity_quarter.min_group_team_count,
        productivity_quarter.hours_saved,
        productivity_quarter.capacity_value,
        case
            when productivity_quarter.row_count is null then 'none'
            when productivity_quarter.did_row_count > 0 and productivity_quarter.min_group_team_count >= 3 then 'A'
            when productivity_quarter.did_row_count > 0 then 'B'
            else 'C'
        end as coverage_grade,
        productivity_to_date.pv_productivity_capacity
    from quarters
    left join productivity_quarter
        on
            quarters.ai_system_id = productivity_quarter.ai_system_id
            and quarters.quarter_start = productivity_quarter.quarter_start
    left join productivity_to_date
        on
            quarters.ai_system_id = productivity_to_date.ai_system_id
            and quarters.quarter_start = productivity_to_date.quarter_start

)

select * from final
