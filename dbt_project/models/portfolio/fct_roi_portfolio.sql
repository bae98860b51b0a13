-- The ROI portfolio (docs/METHOD.md sections 1-3), one row per AI system (registered or shadow) x
-- quarter: the three ledgers side by side with their owners (defensive: security, efficiency: finance,
-- productivity: engineering), never summed into one total (no seed portfolio_weights exists, so no blended
-- figure is published), a data coverage grade per ledger, the system's risk flags, and the finance views.
-- Finance views, over the system's months from its first efficiency-ledger month to the end of the row's
-- quarter, limited to the first var horizon_years x 12 months, discounted monthly at var discount_rate a year
-- (factor 1 / (1 + rate) ^ (months since first month / 12)); observed flows, except npv_horizon_cash:
--   pv_costs            usage-based + recurring + one-time (cash, when billed) + support cost (efficiency)
--   pv_cash_benefits    reclaimed cash (retired licences + reclaimed unused seats; efficiency)
--   npv_cash            pv_cash_benefits - pv_costs;  roi_cash = npv_cash / pv_costs
--   payback_month       first month whose cumulative net cash (efficiency net_cash) is >= 0; NULL if none yet
--   npv_horizon_cash    npv_cash plus the rest of the horizon projected at the run rate: the mean monthly net cash
--                       without one-time costs over the quarter's last 3 observed months, discounted the same way
--                       (one-time costs are not repeated); projected_months says how many months are projected
--   roi_defensive, roi_productivity_capacity, roi_efficiency_capacity: each other ledger's benefits against the
--                       same pv_costs, shown apart (avoided loss and capacity are not cash)
-- Defensive scenario intervals (fct_roi_scenario_rollups, the Monte Carlo model): the system's defensive USD
-- scenarios added up per simulated year, p5 / p50 / p95 and mean of the annual avoided loss and net benefit, on
-- the system's latest quarter row only (they are today's assumptions, a year ahead, not a quarter's observation).

{%- set rate = var('discount_rate', 0.10) %}
{%- set horizon_months = (var('horizon_years', 3) | int) * 12 %}

with

systems as (

    select * from {{ ref('dim_ai_system') }}
    where system_type in ('registered', 'shadow')

),

risk as (

    select * from {{ ref('fct_ai_system_risk') }}

),

efficiency as (

    select * from {{ ref('fct_efficiency_roi') }}

),

productivity as (

    select * from {{ ref('fct_productivity_roi') }}

),

defensive as (

    select * from {{ ref('fct_defensive_roi') }}

),

efficiency_start as (

    select
        ai_system_id,
        min(month) as first_month
    from efficiency
    group by ai_system_id

),

efficiency_flows as (

    select
        efficiency.ai_system_id,
        efficiency.month,
        cast({{ dbt.date_trunc('quarter', 'efficiency.month') }} as date) as quarter_start,
        {{ dbt.datediff('efficiency_start.first_month', 'efficiency.month', 'month') }} as month_index,  -- noqa: LT05
        cast(
            efficiency.usage_based_cost + efficiency.recurring_cost + efficiency.one_time_cost
            + efficiency.support_cost as {{ double_type() }}
        ) as cash_cost,
        cast(efficiency.reclaimed_cash as {{ double_type() }}) as cash_benefit,
        cast(efficiency.one_time_cost as {{ double_type() }}) as one_time_cost,
        cast(efficiency.capacity_value as {{ double_type() }}) as capacity_value,
        cast(efficiency.net_cash as {{ double_type() }}) as net_cash,
        cast(efficiency.net_pnl as {{ double_type() }}) as net_pnl,
        efficiency.cost_line_count,
        efficiency.toil_work_item_count
    from efficiency
    inner join efficiency_start
        on efficiency.ai_system_id = efficiency_start.ai_system_id

),

efficiency_discounted as (

    select
        *,
        1.0 / power(1.0 + {{ rate }}, month_index / 12.0) as discount_factor,
        sum(net_cash) over (
            partition by ai_system_id order by month rows between unbounded preceding and current row
        ) as cumulative_net_cash
    from efficiency_flows

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

periods as (

    select distinct
        ai_system_id,
        quarter_start
    from efficiency_flows
    union
    select distinct
        ai_system_id,
        quarter_start
    from productivity_monthly
    union
    select distinct
        ai_system_id,
        quarter_start
    from defensive_quarterly

),

rows_in_scope as (

    select
        periods.ai_system_id,
        periods.quarter_start,
        cast({{ dbt.dateadd('month', 3, 'periods.quarter_start') }} as date) as quarter_end_exclusive
    from periods
    inner join systems
        on periods.ai_system_id = systems.ai_system_id

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

-- present values to the end of each row's quarter (cumulative), within the horizon
efficiency_to_date as (

    select
        rows_in_scope.ai_system_id,
        rows_in_scope.quarter_start,
        sum(flows.cash_cost * flows.discount_factor) as pv_costs,
        sum(flows.cash_benefit * flows.discount_factor) as pv_cash_benefits,
        sum(flows.capacity_value * flows.discount_factor) as pv_efficiency_capacity,
        count(*) as horizon_months_observed,
        min(case when flows.cumulative_net_cash >= 0 then flows.month end) as payback_month
    from rows_in_scope
    inner join efficiency_discounted as flows
        on
            rows_in_scope.ai_system_id = flows.ai_system_id
            and rows_in_scope.quarter_end_exclusive > flows.month
            and flows.month_index < {{ horizon_months }}
    group by rows_in_scope.ai_system_id, rows_in_scope.quarter_start

),

-- run rate at the end of each row's quarter: mean monthly net cash without one-time costs over its last 3 months
efficiency_run_rate as (

    select
        rows_in_scope.ai_system_id,
        rows_in_scope.quarter_start,
        avg(flows.cash_benefit - (flows.cash_cost - flows.one_time_cost)) as run_rate_net_cash,
        max(flows.month_index) as last_month_index
    from rows_in_scope
    inner join efficiency_discounted as flows
        on
            rows_in_scope.ai_system_id = flows.ai_system_id
            and rows_in_scope.quarter_end_exclusive > flows.month
            and {{ dbt.dateadd('month', -3, 'rows_in_scope.quarter_end_exclusive') }} <= flows.month
    group by rows_in_scope.ai_system_id, rows_in_scope.quarter_start

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
                * power(1.0 + {{ rate }}, -(last_month_index + 1) / 12.0)
                * (1.0 - power(1.0 + {{ rate }}, -({{ horizon_months }} - 1 - last_month_index) / 12.0))
                / (1.0 - power(1.0 + {{ rate }}, -1.0 / 12.0))
        end as pv_projected_net_cash
    from efficiency_run_rate

),

productivity_to_date as (

    select
        rows_in_scope.ai_system_id,
        rows_in_scope.quarter_start,
        sum(
            productivity_monthly.capacity_value
            / power(1.0 + {{ rate }}, {{ dbt.datediff('efficiency_start.first_month', 'productivity_monthly.month', 'month') }} / 12.0)  -- noqa: LT05
        ) as pv_productivity_capacity
    from rows_in_scope
    inner join efficiency_start
        on rows_in_scope.ai_system_id = efficiency_start.ai_system_id
    inner join productivity_monthly
        on
            rows_in_scope.ai_system_id = productivity_monthly.ai_system_id
            and rows_in_scope.quarter_end_exclusive > productivity_monthly.month
            and efficiency_start.first_month <= productivity_monthly.month
            and {{ dbt.datediff('efficiency_start.first_month', 'productivity_monthly.month', 'month') }}  -- noqa: LT05
            < {{ horizon_months }}
    group by rows_in_scope.ai_system_id, rows_in_scope.quarter_start

),

defensive_to_date as (

    select
        rows_in_scope.ai_system_id,
        rows_in_scope.quarter_start,
        sum(
            defensive_quarterly.benefit_amount
            / power(1.0 + {{ rate }}, {{ dbt.datediff('efficiency_start.first_month', 'defensive_quarterly.quarter_start', 'month') }} / 12.0)  -- noqa: LT05
        ) as pv_defensive_benefits
    from rows_in_scope
    inner join efficiency_start
        on rows_in_scope.ai_system_id = efficiency_start.ai_system_id
    inner join defensive_quarterly
        on
            rows_in_scope.ai_system_id = defensive_quarterly.ai_system_id
            and rows_in_scope.quarter_start >= defensive_quarterly.quarter_start
            and defensive_quarterly.quarter_start
            >= cast({{ dbt.date_trunc('quarter', 'efficiency_start.first_month') }} as date)
            and {{ dbt.datediff('efficiency_start.first_month', 'defensive_quarterly.quarter_start', 'month') }}  -- noqa: LT05
            < {{ horizon_months }}
    group by rows_in_scope.ai_system_id, rows_in_scope.quarter_start

),

latest_quarter as (

    select
        ai_system_id,
        max(quarter_start) as quarter_start
    from rows_in_scope
    group by ai_system_id

),

scenario_intervals as (

    select
        latest_quarter.ai_system_id,
        latest_quarter.quarter_start,
        rollups.scenario_count,
        rollups.avoided_loss_mean as scenario_avoided_loss_mean,
        rollups.avoided_loss_p5 as scenario_avoided_loss_p5,
        rollups.avoided_loss_p50 as scenario_avoided_loss_p50,
        rollups.avoided_loss_p95 as scenario_avoided_loss_p95,
        rollups.net_benefit_mean as scenario_net_benefit_mean,
        rollups.net_benefit_p5 as scenario_net_benefit_p5,
        rollups.net_benefit_p50 as scenario_net_benefit_p50,
        rollups.net_benefit_p95 as scenario_net_benefit_p95,
        rollups.p_net_negative as scenario_p_net_negative
    from latest_quarter
    inner join {{ ref('fct_roi_scenario_rollups') }} as rollups
        on
            latest_quarter.ai_system_id = rollups.ai_system_id
            and rollups.rollup_level = 'ai_system'
            and rollups.ledger = 'defensive'
            and rollups.currency = 'USD'

),

joined as (

    select
        rows_in_scope.ai_system_id,
        systems.ai_system_name,
        systems.system_type,
        systems.is_sanctioned,
        rows_in_scope.quarter_start,
        -- efficiency (finance)
        efficiency_quarter.net_cash as efficiency_net_cash,
        efficiency_quarter.net_pnl as efficiency_net_pnl,
        efficiency_quarter.cash_benefit as efficiency_reclaimed_cash,
        efficiency_quarter.capacity_value as efficiency_capacity_value,
        efficiency_quarter.cash_cost as efficiency_cash_cost,
        case
            when efficiency_quarter.month_count is null then 'none'
            when efficiency_quarter.cost_line_count > 0 and efficiency_quarter.benefit_month_count > 0 then 'A'
            when efficiency_quarter.cost_line_count > 0 or efficiency_quarter.benefit_month_count > 0 then 'B'
            else 'C'
        end as efficiency_coverage_grade,
        -- productivity (engineering)
        productivity_quarter.did_row_count as productivity_did_row_count,
        productivity_quarter.improving_row_count as productivity_improving_row_count,
        productivity_quarter.adopter_team_count as productivity_adopter_team_count,
        productivity_quarter.non_adopter_team_count as productivity_non_adopter_team_count,
        productivity_quarter.hours_saved as productivity_hours_saved,
        productivity_quarter.capacity_value as productivity_capacity_value,
        case
            when productivity_quarter.row_count is null then 'none'
            when productivity_quarter.did_row_count > 0 and productivity_quarter.min_group_team_count >= 3 then 'A'
            when productivity_quarter.did_row_count > 0 then 'B'
            else 'C'
        end as productivity_coverage_grade,
        -- defensive (security)
        defensive_quarterly.avoided_loss as defensive_avoided_loss,
        defensive_quarterly.response_hours_saved as defensive_response_hours_saved,
        defensive_quarterly.benefit_amount as defensive_benefit_amount,
        defensive_quarterly.risk_exposure as defensive_risk_exposure,
        defensive_quarterly.counter_entry_count as defensive_counter_entry_count,
        case
            when defensive_quarterly.ai_system_id is null then 'none'
            when defensive_quarterly.benefit_row_count > 0 and defensive_quarterly.current_incident_count >= 10 then 'A'
            when defensive_quarterly.benefit_row_count > 0 and defensive_quarterly.current_incident_count > 0 then 'B'
            else 'C'
        end as defensive_coverage_grade,
        -- risk flags (fct_ai_system_risk, as of the as-of date)
        coalesce(risk.static_credential_identity_count > 0, false) as has_static_credentials,
        systems.system_type = 'shadow' as is_shadow,
        coalesce(risk.denied_decision_count > 0, false) as has_denied_decisions,
        risk.risk_flags,
        -- finance views
        efficiency_to_date.pv_costs,
        efficiency_to_date.pv_cash_benefits,
        efficiency_to_date.pv_efficiency_capacity,
        productivity_to_date.pv_productivity_capacity,
        defensive_to_date.pv_defensive_benefits,
        efficiency_to_date.horizon_months_observed,
        efficiency_to_date.payback_month,
        efficiency_projected.run_rate_net_cash,
        efficiency_projected.projected_months,
        efficiency_projected.pv_projected_net_cash,
        -- defensive scenario intervals (latest quarter row only)
        scenario_intervals.scenario_count as defensive_scenario_count,
        scenario_intervals.scenario_avoided_loss_mean,
        scenario_intervals.scenario_avoided_loss_p5,
        scenario_intervals.scenario_avoided_loss_p50,
        scenario_intervals.scenario_avoided_loss_p95,
        scenario_intervals.scenario_net_benefit_mean,
        scenario_intervals.scenario_net_benefit_p5,
        scenario_intervals.scenario_net_benefit_p50,
        scenario_intervals.scenario_net_benefit_p95,
        scenario_intervals.scenario_p_net_negative
    from rows_in_scope
    inner join systems
        on rows_in_scope.ai_system_id = systems.ai_system_id
    left join risk
        on rows_in_scope.ai_system_id = risk.ai_system_id
    left join efficiency_quarter
        on
            rows_in_scope.ai_system_id = efficiency_quarter.ai_system_id
            and rows_in_scope.quarter_start = efficiency_quarter.quarter_start
    left join productivity_quarter
        on
            rows_in_scope.ai_system_id = productivity_quarter.ai_system_id
            and rows_in_scope.quarter_start = productivity_quarter.quarter_start
    left join defensive_quarterly
        on
            rows_in_scope.ai_system_id = defensive_quarterly.ai_system_id
            and rows_in_scope.quarter_start = defensive_quarterly.quarter_start
    left join efficiency_to_date
        on
            rows_in_scope.ai_system_id = efficiency_to_date.ai_system_id
            and rows_in_scope.quarter_start = efficiency_to_date.quarter_start
    left join efficiency_projected
        on
            rows_in_scope.ai_system_id = efficiency_projected.ai_system_id
            and rows_in_scope.quarter_start = efficiency_projected.quarter_start
    left join productivity_to_date
        on
            rows_in_scope.ai_system_id = productivity_to_date.ai_system_id
            and rows_in_scope.quarter_start = productivity_to_date.quarter_start
    left join defensive_to_date
        on
            rows_in_scope.ai_system_id = defensive_to_date.ai_system_id
            and rows_in_scope.quarter_start = defensive_to_date.quarter_start
    left join scenario_intervals
        on
            rows_in_scope.ai_system_id = scenario_intervals.ai_system_id
            and rows_in_scope.quarter_start = scenario_intervals.quarter_start

),

-- optional user weights (seed portfolio_weights, empty by default): a blend only when all three are given
weights as (

    select
        max(case when ledger = 'defensive' then weight end) as defensive_weight,
        max(case when ledger = 'efficiency' then weight end) as efficiency_weight,
        max(case when ledger = 'productivity' then weight end) as productivity_weight,
        max(label) as weights_label
    from {{ ref('portfolio_weights') }}

),

final as (

    select
        {{ surrogate_key(['ai_system_id', 'quarter_start']) }} as portfolio_key,
        ai_system_id,
        ai_system_name,
        system_type,
        is_sanctioned,
        quarter_start,
        'security' as defensive_owner,
        'finance' as efficiency_owner,
        'engineering' as productivity_owner,
        cast(cast(defensive_avoided_loss as decimal(38, 6)) as {{ money_type() }}) as defensive_avoided_loss_usd,
        cast(defensive_response_hours_saved as {{ double_type() }}) as defensive_response_hours_saved,
        cast(cast(defensive_benefit_amount as decimal(38, 6)) as {{ money_type() }}) as defensive_benefit_usd,
        cast(cast(defensive_risk_exposure as decimal(38, 6)) as {{ money_type() }}) as defensive_risk_exposure_usd,
        cast(defensive_counter_entry_count as bigint) as defensive_counter_entry_count,
        defensive_coverage_grade,
        cast(cast(efficiency_net_cash as decimal(38, 6)) as {{ money_type() }}) as efficiency_net_cash_usd,
        cast(cast(efficiency_net_pnl as decimal(38, 6)) as {{ money_type() }}) as efficiency_net_pnl_usd,
        cast(cast(efficiency_reclaimed_cash as decimal(38, 6)) as {{ money_type() }}) as efficiency_reclaimed_cash_usd,
        cast(cast(efficiency_capacity_value as decimal(38, 6)) as {{ money_type() }}) as efficiency_capacity_value_usd,
        cast(cast(efficiency_cash_cost as decimal(38, 6)) as {{ money_type() }}) as efficiency_cash_cost_usd,
        efficiency_coverage_grade,
        cast(productivity_did_row_count as bigint) as productivity_did_row_count,
        cast(productivity_improving_row_count as bigint) as productivity_improving_row_count,
        cast(productivity_adopter_team_count as bigint) as productivity_adopter_team_count,
        cast(productivity_non_adopter_team_count as bigint) as productivity_non_adopter_team_count,
        cast(productivity_hours_saved as {{ double_type() }}) as productivity_hours_saved,
        cast(cast(productivity_capacity_value as decimal(38, 6)) as {{ money_type() }})
            as productivity_capacity_value_usd,
        productivity_coverage_grade,
        has_static_credentials,
        is_shadow,
        has_denied_decisions,
        risk_flags,
        cast(cast(pv_costs as decimal(38, 6)) as {{ money_type() }}) as pv_costs_usd,
        cast(cast(pv_cash_benefits as decimal(38, 6)) as {{ money_type() }}) as pv_cash_benefits_usd,
        cast(cast(pv_cash_benefits - pv_costs as decimal(38, 6)) as {{ money_type() }}) as npv_cash_usd,
        cast((pv_cash_benefits - pv_costs) / nullif(pv_costs, 0) as {{ double_type() }}) as roi_cash,
        cast((pv_defensive_benefits - pv_costs) / nullif(pv_costs, 0) as {{ double_type() }}) as roi_defensive,
        cast((pv_efficiency_capacity - pv_costs) / nullif(pv_costs, 0) as {{ double_type() }})
            as roi_efficiency_capacity,
        cast((pv_productivity_capacity - pv_costs) / nullif(pv_costs, 0) as {{ double_type() }})
            as roi_productivity_capacity,
        cast(cast(pv_defensive_benefits as decimal(38, 6)) as {{ money_type() }}) as pv_defensive_benefits_usd,
        cast(cast(pv_efficiency_capacity as decimal(38, 6)) as {{ money_type() }}) as pv_efficiency_capacity_usd,
        cast(cast(pv_productivity_capacity as decimal(38, 6)) as {{ money_type() }}) as pv_productivity_capacity_usd,
        cast(horizon_months_observed as bigint) as horizon_months_observed,
        cast(payback_month as date) as payback_month,
        cast(cast(run_rate_net_cash as decimal(38, 6)) as {{ money_type() }}) as run_rate_net_cash_usd,
        cast(projected_months as bigint) as projected_months,
        cast(cast(pv_cash_benefits - pv_costs + pv_projected_net_cash as decimal(38, 6)) as {{ money_type() }})
            as npv_horizon_cash_usd,
        cast({{ var('discount_rate', 0.10) }} as {{ double_type() }}) as discount_rate,
        cast({{ var('horizon_years', 3) }} as bigint) as horizon_years,
        cast(defensive_scenario_count as bigint) as defensive_scenario_count,
        {%- for measure in ['avoided_loss', 'net_benefit'] %}
            {%- for stat in ['mean', 'p5', 'p50', 'p95'] %}
                cast(cast(scenario_{{ measure }}_{{ stat }} as decimal(38, 2)) as {{ money_type() }})
                    as defensive_scenario_{{ measure }}_{{ stat }}_usd,
            {%- endfor %}
        {%- endfor %}
        cast(scenario_p_net_negative as {{ double_type() }}) as defensive_scenario_p_net_negative
    from joined

),

blended as (

    select
        final.*,
        case
            when
                weights.defensive_weight is not null
                and weights.efficiency_weight is not null
                and weights.productivity_weight is not null
                then cast(
                    weights.defensive_weight * coalesce(final.defensive_benefit_usd, 0)
                    + weights.efficiency_weight * coalesce(final.efficiency_net_cash_usd, 0)
                    + weights.productivity_weight * coalesce(final.productivity_capacity_value_usd, 0)
                    as {{ money_type() }}
                )
        end as user_weighted_total_usd,
        case
            when
                weights.defensive_weight is not null
                and weights.efficiency_weight is not null
                and weights.productivity_weight is not null
                then 'user-weighted blend (seed portfolio_weights), not a measured figure: ' || weights.weights_label
        end as user_weighted_total_label
    from final
    cross join weights

)

select * from blended
