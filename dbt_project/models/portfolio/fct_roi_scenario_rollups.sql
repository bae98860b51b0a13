-- Scenario draws added up per simulated year: per AI system x ledger x currency (rollup_level ai_system) and per
-- ledger x currency over every system (rollup_level portfolio). Scenarios are independent (each has its own
-- random stream), so these intervals are the intervals of the sum, never a sum of percentiles.

with

rollups as (

    select * from {{ source('scenario_model', 'scenario_rollups') }}

),

final as (

    select
        {{ surrogate_key(['rollup_level', 'ai_system_id', 'ledger', 'currency']) }} as rollup_key,
        rollup_level,
        ai_system_id,
        ledger,
        currency,
        cast(scenario_count as integer) as scenario_count,
        scenario_ids,
        cast(cast(annual_control_cost as decimal(38, 2)) as {{ money_type() }}) as annual_control_cost,
        cast(iterations as integer) as iterations,
        cast(seed as bigint) as seed,
        cast(cast(avoided_loss_mean as decimal(38, 2)) as {{ money_type() }}) as avoided_loss_mean,
        cast(cast(avoided_loss_p5 as decimal(38, 2)) as {{ money_type() }}) as avoided_loss_p5,
        cast(cast(avoided_loss_p50 as decimal(38, 2)) as {{ money_type() }}) as avoided_loss_p50,
        cast(cast(avoided_loss_p95 as decimal(38, 2)) as {{ money_type() }}) as avoided_loss_p95,
        cast(cast(net_benefit_mean as decimal(38, 2)) as {{ money_type() }}) as net_benefit_mean,
        cast(cast(net_benefit_p5 as decimal(38, 2)) as {{ money_type() }}) as net_benefit_p5,
        cast(cast(net_benefit_p50 as decimal(38, 2)) as {{ money_type() }}) as net_benefit_p50,
        cast(cast(net_benefit_p95 as decimal(38, 2)) as {{ money_type() }}) as net_benefit_p95,
        cast(p_net_negative as {{ double_type() }}) as p_net_negative
    from rollups

)

select * from final
