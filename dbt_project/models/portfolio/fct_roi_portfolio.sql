-- The ROI portfolio: the three ledgers side by side per AI system x quarter, never summed. What each column
-- means, and the finance views' formulas: _portfolio__models.yml. The per-ledger figures are computed in
-- int_portfolio__{efficiency,productivity,defensive} over the rows of int_portfolio__quarters.

with

quarters as (

    select * from {{ ref('int_portfolio__quarters') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}

),

risk as (

    select * from {{ ref('fct_ai_system_risk') }}

),

efficiency as (

    select * from {{ ref('int_portfolio__efficiency') }}

),

productivity as (

    select * from {{ ref('int_portfolio__productivity') }}

),

defensive as (

    select * from {{ ref('int_portfolio__defensive') }}

),

rollups as (

    select * from {{ ref('fct_roi_scenario_rollups') }}

),

latest_quarter as (

    select
        ai_system_id,
        max(quarter_start) as quarter_start
    from quarters
    group by ai_system_id

),

-- the system's defensive USD scenarios added up per simulated year: on its latest quarter row only (today's
-- assumptions, a year ahead, not a quarter's observation)
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
    inner join rollups
        on
            latest_quarter.ai_system_id = rollups.ai_system_id
            and rollups.rollup_level = 'ai_system'
            and rollups.ledger = 'defensive'
            and rollups.currency = 'USD'

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
        {{ surrogate_key(['quarters.ai_system_id', 'quarters.quarter_start']) }} as portfolio_key,
        quarters.ai_system_id,
        systems.ai_system_name,
        systems.system_type,
        systems.is_sanctioned,
        quarters.quarter_start,
        'security' as defensive_owner,
        'finance' as efficiency_owner,
        'engineering' as productivity_owner,
        -- defensive (security)
        {{ money_from_double('defensive.avoided_loss') }} as defensive_avoided_loss_usd,
        cast(defensive.response_hours_saved as {{ double_type() }}) as defensive_response_hours_saved,
        {{ money_from_double('defensive.benefit_amount') }} as defensive_benefit_usd,
        {{ money_from_double('defensive.risk_exposure') }} as defensive_risk_exposure_usd,
        cast(defensive.counter_entry_count as bigint) as defensive_counter_entry_count,
        defensive.coverage_grade as defensive_coverage_grade,
        -- efficiency (finance)
        cast(efficiency.net_cash as {{ money_type() }}) as efficiency_net_cash_usd,
        cast(efficiency.net_pnl as {{ money_type() }}) as efficiency_net_pnl_usd,
        cast(efficiency.cash_benefit as {{ money_type() }}) as efficiency_reclaimed_cash_usd,
        cast(efficiency.capacity_value as {{ money_type() }}) as efficiency_capacity_value_usd,
        cast(efficiency.cash_cost as {{ money_type() }}) as efficiency_cash_cost_usd,
        efficiency.coverage_grade as efficiency_coverage_grade,
        -- productivity (engineering)
        cast(productivity.did_row_count as bigint) as productivity_did_row_count,
        cast(productivity.improving_row_count as bigint) as productivity_improving_row_count,
        cast(productivity.adopter_team_count as bigint) as productivity_adopter_team_count,
        cast(productivity.non_adopter_team_count as bigint) as productivity_non_adopter_team_count,
        cast(productivity.hours_saved as {{ double_type() }}) as productivity_hours_saved,
        {{ money_from_double('productivity.capacity_value') }} as productivity_capacity_value_usd,
        productivity.coverage_grade as productivity_coverage_grade,
        -- risk flags (fct_ai_system_risk, as of the as-of date)
        coalesce(risk.static_credential_identity_count > 0, false) as has_static_credentials,
        systems.system_type = 'shadow' as is_shadow,
        coalesce(risk.denied_decision_count > 0, false) as has_denied_decisions,
        risk.risk_flags,
        -- finance views
        {{ money_from_double('efficiency.pv_costs') }} as pv_costs_usd,
        {{ money_from_double('efficiency.pv_cash_benefits') }} as pv_cash_benefits_usd,
        {{ money_from_double('efficiency.pv_cash_benefits - efficiency.pv_costs') }} as npv_cash_usd,
        cast(
            (efficiency.pv_cash_benefits - efficiency.pv_costs) / nullif(efficiency.pv_costs, 0)
            as {{ double_type() }}
        ) as roi_cash,
        cast(
            (defensive.pv_defensive_benefits - efficiency.pv_costs) / nullif(efficiency.pv_costs, 0)
            as {{ double_type() }}
        ) as roi_defensive,
        cast(
            (efficiency.pv_efficiency_capacity - efficiency.pv_costs) / nullif(efficiency.pv_costs, 0)
            as {{ double_type() }}
        ) as roi_efficiency_capacity,
        cast(
            (productivity.pv_productivity_capacity - efficiency.pv_costs) / nullif(efficiency.pv_costs, 0)
            as {{ double_type() }}
        ) as roi_productivity_capacity,
        {{ money_from_double('defensive.pv_defensive_benefits') }} as pv_defensive_benefits_usd,
        {{ money_from_double('efficiency.pv_efficiency_capacity') }} as pv_efficiency_capacity_usd,
        {{ money_from_double('productivity.pv_productivity_capacity') }} as pv_productivity_capacity_usd,
        cast(efficiency.horizon_months_observed as bigint) as horizon_months_observed,
        cast(efficiency.payback_month as date) as payback_month,
        {{ money_from_double('efficiency.run_rate_net_cash') }} as run_rate_net_cash_usd,
        cast(efficiency.projected_months as bigint) as projected_months,
        {{ money_from_double('efficiency.pv_cash_benefits - efficiency.pv_costs + efficiency.pv_projected_net_cash') }}
            as npv_horizon_cash_usd,
        cast({{ var('discount_rate') }} as {{ double_type() }}) as discount_rate,
        cast({{ var('horizon_years') }} as bigint) as horizon_years,
        -- defensive scenario intervals (latest quarter row only)
        cast(scenario_intervals.scenario_count as bigint) as defensive_scenario_count,
        {%- for measure in ['avoided_loss', 'net_benefit'] %}
            {%- for stat in ['mean', 'p5', 'p50', 'p95'] %}
                {{ money_from_double('scenario_intervals.scenario_' ~ measure ~ '_' ~ stat, 2) }}
                    as defensive_scenario_{{ measure }}_{{ stat }}_usd,
            {%- endfor %}
        {%- endfor %}
        cast(scenario_intervals.scenario_p_net_negative as {{ double_type() }}) as defensive_scenario_p_net_negative
    from quarters
    inner join systems
        on quarters.ai_system_id = systems.ai_system_id
    left join risk
        on quarters.ai_system_id = risk.ai_system_id
    inner join efficiency
        on
            quarters.ai_system_id = efficiency.ai_system_id
            and quarters.quarter_start = efficiency.quarter_start
    inner join productivity
        on
            quarters.ai_system_id = productivity.ai_system_id
            and quarters.quarter_start = productivity.quarter_start
    inner join defensive
        on
            quarters.ai_system_id = defensive.ai_system_id
            and quarters.quarter_start = defensive.quarter_start
    left join scenario_intervals
        on
            quarters.ai_system_id = scenario_intervals.ai_system_id
            and quarters.quarter_start = scenario_intervals.quarter_start

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
