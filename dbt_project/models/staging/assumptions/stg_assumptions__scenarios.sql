with

source as (

    {{ deduplicated_landing('assumptions', 'scenarios') }}

),

renamed as (

    select
        scenario_id,
        ai_system_id,
        ledger,
        description as scenario_description,
        frequency_model,
        frequency_low,
        frequency_mode,
        frequency_high,
        cast(loss_low_90 as {{ money_type() }}) as loss_low_90,
        cast(loss_high_90 as {{ money_type() }}) as loss_high_90,
        upper(trim(currency)) as currency,
        control_efficacy,
        loss_reduction,
        cast(annual_control_cost as {{ money_type() }}) as annual_control_cost,
        horizon_years,
        incident_category,
        nullif(lower(replace(trim(use_observed), ' ', '')), '') as use_observed,
        source as source_citation,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
