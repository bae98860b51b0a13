-- One-at-a-time sensitivity of each scenario's mean annual net benefit (a tornado chart): each input at its low
-- and its high bound with every other input at its value, on the scenario's own random streams; swing_rank 1 is
-- the input that moves the result most. bound_basis says where the bounds came from.

with

sensitivity as (

    select * from {{ source('scenario_model', 'scenario_sensitivity') }}

),

final as (

    select
        {{ surrogate_key(['scenario_id', 'input_name']) }} as sensitivity_key,
        scenario_id,
        ai_system_id,
        currency,
        input_name,
        bound_basis,
        cast(input_low as {{ double_type() }}) as input_low,
        cast(input_high as {{ double_type() }}) as input_high,
        cast(cast(net_benefit_mean_base as decimal(38, 2)) as {{ money_type() }}) as net_benefit_mean_base,
        cast(cast(net_benefit_mean_at_low as decimal(38, 2)) as {{ money_type() }}) as net_benefit_mean_at_low,
        cast(cast(net_benefit_mean_at_high as decimal(38, 2)) as {{ money_type() }}) as net_benefit_mean_at_high,
        cast(cast(swing as decimal(38, 2)) as {{ money_type() }}) as swing,
        cast(swing_rank as integer) as swing_rank,
        cast(iterations as integer) as iterations,
        cast(seed as bigint) as seed
    from sensitivity

)

select * from final
