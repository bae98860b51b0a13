-- The efficiency ledger (finance) on the portfolio's rows: the quarter's figures and the finance views to the
-- quarter's end (present values, payback, run rate and its projection). Description: _portfolio__models.yml.

{%- set rate = var('discount_rate') %}
{%- set horizon_months = (var('horizon_years') | int) * 12 %}

with

quarters as (

    select * from {{ ref('int_portfolio__quarters') }}

),

efficiency as (

    select * from {{ ref('fct_efficiency_roi') }}

),

efficiency_start as (

    select distinct
        ai_system_id,
        first_efficiency_month as first_month
    from quarters
    where first_efficiency_month is not null

),

efficiency_flows as (

    select
        efficiency.ai_system_id,
        efficiency.month,
        cast({{ dbt.date_trunc('quarter', 'efficiency.month') }} as date) as quarter_start,
        {{ dbt.datediff('efficiency_start.first_month', 'efficiency.month', 'month') }} as month_index,  -- noqa: LT05
        -- money stays exact decimal (the quarter's sums are published as they are); only the discounting and
        -- the run rate's projection are done in floating point, below
        cast(
            efficiency.usage_based_cost + efficiency.recurring_cost + efficiency.one_time_cost
            + efficiency.support_cost as {{ money_type() }}
        ) as cash_cost,
        cast(efficiency.reclaimed_cash as {{ money_type() }}) as cash_benefit,
        cast(efficiency.one_time_cost as {{ money_type() }}) as one_time_cost,
        cast(efficiency.capacity_value as {{ money_type() }}) as capacity_value,
        cast(efficiency.net_cash as {{ money_type() }}) as net_cash,
        cast(efficiency.net_pnl as {{ money_type() }}) as net_pnl,
        efficiency.cost_line_count
    from efficiency
    inner join efficiency_start
        on efficiency.ai_system_id = efficiency_start.ai_system_id

),

efficiency_discounted as (

    select
        *,
        1.0 / {{ compounded(rate, 'month_index') }} as discount_factor,
        sum(net_cash) over (
            partition by ai_system_id order by month rows between unbounded preceding and current row
        ) as cumulative_net_cash
    from efficiency_flows

),

efficiency_quarter as (

    select
        ai_system_id,
        quarter_start,
        sum(cash_cost) as cash_cost,
        sum(cash_benefit) as cash_benefit,
        sum(capacity_value) as capacity_value,
        sum(net_cash) as net_cash,
        sum(net_pnl) as net_pnl,
        sum(cost_line_count) as cost_line_count,
        sum(case when cash_benefit <> 0 or capacity_value <> 0 then 1 else 0 end) as benefit_month_count,
        count(*) as month_count
    from efficiency_flows
    group by ai_system_id, quarter_start

),

-- present values to the end of each row's quarter (cumulative), within the horizon
efficiency_to_date as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        sum(cast(flows.cash_cost as {{ double_type() }}) * flows.discount_factor) as pv_costs,
        sum(cast(flows.cash_benefit as {{ double_type() }}) * flows.discount_factor) as pv_cash_benefits,
        sum(cast(flows.capacity_value as {{ double_type() }}) * flows.discount_factor) as pv_efficiency_capacity,
        count(*) as horizon_months_observed,
        min(case when flows.cumulative_net_cash >= 0 then flows.month end) as payback_month
    from quarters
    inner join efficiency_discounted as flows
        on
            quarters.ai_system_id = flows.ai_system_id
            and quarters.quarter_end_exclusive > flows.month
            and flows.month_index < {{ horizon_months }}
    group by quarters.ai_system_id, quarters.quarter_start

),

-- run rate at the end of each row's quarter: mean monthly net cash without one-time costs over its last 3 months
efficiency_run_rate as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        avg(cast(flows.cash_benefit - (flows.cash_cost - flows.one_time_cost) as {{ double_type() }}))
            as run_rate_net_cash,
        max(flows.month_index) as last_month_index
    from quarters
    inner join efficiency_discounted as flows
        on
            quarters.ai_system_id = flows.ai_system_id
            and quarters.quarter_end_exclusive > flows.month
            and {{ dbt.dateadd('month', -3, 'quarters.quarter_end_exclusive') }} <= flows.month
    group by quarters.ai_system_id, quarters.quarter_start

),

-- present value of the run rate over the horizon months after the last observed one: a geometric series,
-- sum of q^k for k = first..last with q = (1 + rate)^(-1/12)
efficiency_projected as (

    select
        ai_system_id,
        quarter_start,
        run_rate_net_cash,
        greatest({{ horizon_months }} - 1 - last_month_index, 0) as projected_months,
        case
            when {{ horizon_months }} - 1 - last_month_index <= 0 then 0.0
            else
                run_rate_net_cash
                * {{ compounded(rate, '-(last_month_index + 1)') }}
                * (1.0 - {{ compounded(rate, '-(' ~ horizon_months ~ ' - 1 - last_month_index)') }})
                / (1.0 - {{ compounded(rate, -1) }})
        end as pv_projected_net_cash
    from efficiency_run_rate

),

final as (

    select
        quarters.ai_system_id,
        quarters.quarter_start,
        efficiency_quarter.month_count,
        efficiency_quarter.cash_cost,
        efficiency_quarter.cash_benefit,
        efficiency_quarter.capacity_value,
        efficiency_quarter.net_cash,
        efficiency_quarter.net_pnl,
        efficiency_quarter.cost_line_count,
        efficiency_quarter.benefit_month_count,
        case
            when efficiency_quarter.month_count is null then 'none'
            when efficiency_quarter.cost_line_count > 0 and efficiency_quarter.benefit_month_count > 0 then 'A'
            when efficiency_quarter.cost_line_count > 0 or efficiency_quarter.benefit_month_count > 0 then 'B'
            else 'C'
        end as coverage_grade,
        efficiency_to_date.pv_costs,
        efficiency_to_date.pv_cash_benefits,
        efficiency_to_date.pv_efficiency_capacity,
        efficiency_to_date.horizon_months_observed,
        efficiency_to_date.payback_month,
        efficiency_projected.run_rate_net_cash,
        efficiency_projected.projected_months,
        efficiency_projected.pv_projected_net_cash
    from quarters
    left join efficiency_quarter
        on
            quarters.ai_system_id = efficiency_quarter.ai_system_id
            and quarters.quarter_start = efficiency_quarter.quarter_start
    left join efficiency_to_date
        on
            quarters.ai_system_id = efficiency_to_date.ai_system_id
            and quarters.quarter_start = efficiency_to_date.quarter_start
    left join efficiency_projected
        on
            quarters.ai_system_id = efficiency_projected.ai_system_id
            and quarters.quarter_start = efficiency_projected.quarter_start

)

select * from final
