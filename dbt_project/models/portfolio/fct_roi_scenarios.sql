-- One row per simulated scenario (docs/METHOD.md section 4): annual baseline, residual and avoided loss
-- and net benefit (avoided loss - annual control cost) in the scenario's currency, each as mean, p5, p10, p50,
-- p90, p95 (the spread across simulated years) and mean_se (the Monte Carlo standard error of the mean: the
-- uncertainty of the mean itself); the inputs echoed with the source of every figure (assumption or observed).
-- Money rounded to the cent; the simulation itself runs in floating point (orchestration/scenarios/model.py).

with

results as (

    select * from {{ source('scenario_model', 'scenario_results') }}

),

final as (

    select
        scenario_id,
        ai_system_id,
        ledger,
        scenario_description,
        input_origin,
        currency,
        cast(iterations as integer) as iterations,
        cast(seed as bigint) as seed,
        model_version,
        {%- for measure in ['baseline_loss', 'residual_loss', 'avoided_loss', 'net_benefit'] %}
            {%- for stat in ['mean', 'p5', 'p10', 'p50', 'p90', 'p95', 'mean_se'] %}
                cast(cast({{ measure }}_{{ stat }} as decimal(38, 2)) as {{ money_type() }})
                    as {{ measure }}_{{ stat }},
            {%- endfor %}
        {%- endfor %}
        cast(p_net_negative as {{ double_type() }}) as p_net_negative,
        cast(p_avoided_exceeds_cost as {{ double_type() }}) as p_avoided_exceeds_cost,
        cast(cast(expected_baseline_loss_closed_form as decimal(38, 2)) as {{ money_type() }})
            as expected_baseline_loss_closed_form,
        frequency_model,
        cast(frequency_low as {{ double_type() }}) as frequency_low,
        cast(frequency_mode as {{ double_type() }}) as frequency_mode,
        cast(frequency_high as {{ double_type() }}) as frequency_high,
        cast(loss_low_90 as {{ money_type() }}) as loss_low_90,
        cast(loss_high_90 as {{ money_type() }}) as loss_high_90,
        cast(control_efficacy as {{ double_type() }}) as control_efficacy,
        cast(loss_reduction as {{ double_type() }}) as loss_reduction,
        cast(annual_control_cost as {{ money_type() }}) as annual_control_cost,
        cast(coalesce(horizon_years, {{ var('horizon_years') }}) as integer) as horizon_years,
        incident_category,
        use_observed,
        frequency_observed,
        loss_observed,
        control_cost_observed,
        frequency_source,
        loss_source,
        control_source,
        control_cost_source,
        _source_file,
        cast(_line as bigint) as _line
    from results

)

select * from final
