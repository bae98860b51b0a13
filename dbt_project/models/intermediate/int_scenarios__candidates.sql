-- Candidate scenarios of the Monte Carlo model, one row each: user rows (the latest version of a repeated
-- scenario_id is used, the others say by what they are superseded) and library rows. Description:
-- _scenario_inputs__models.yml.

with

user_rows as (

    select * from {{ ref('stg_assumptions__scenarios') }}

),

library as (

    select * from {{ ref('scenario_library') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}

),

user_ranked as (

    select
        user_rows.*,
        row_number() over (
            partition by user_rows.scenario_id
            order by user_rows._ingested_at desc, user_rows._source_file desc, user_rows._line desc
        ) as version_rank,
        first_value(
            {{ dbt.concat([
                "user_rows._source_file", "' line '", "cast(user_rows._line as " ~ dbt.type_string() ~ ")",
            ]) }}
        ) over (
            partition by user_rows.scenario_id
            order by user_rows._ingested_at desc, user_rows._source_file desc, user_rows._line desc
            rows between unbounded preceding and unbounded following
        ) as latest_version
    from user_rows

),

user_scenarios as (

    select
        scenario_id,
        ai_system_id,
        ledger,
        scenario_description,
        frequency_model,
        cast(frequency_low as {{ double_type() }}) as frequency_low,
        cast(frequency_mode as {{ double_type() }}) as frequency_mode,
        cast(frequency_high as {{ double_type() }}) as frequency_high,
        loss_low_90,
        loss_high_90,
        currency,
        cast(control_efficacy as {{ double_type() }}) as control_efficacy,
        cast(loss_reduction as {{ double_type() }}) as loss_reduction,
        annual_control_cost,
        horizon_years,
        incident_category,
        use_observed,
        'assumptions/scenarios' as input_origin,
        source_citation as frequency_citation,
        source_citation as loss_citation,
        source_citation as control_citation,
        source_citation as control_cost_citation,
        case when version_rank > 1 then latest_version end as superseded_by,
        _source_file,
        _line
    from user_ranked

),

systems_with_user_rows as (

    select distinct ai_system_id from user_rows

),

library_categories as (

    select distinct applies_to_category from library

),

library_targets as (

    select
        systems.ai_system_id,
        coalesce(library_categories.applies_to_category, 'any') as library_category
    from systems
    left join library_categories
        on systems.ai_system_category = library_categories.applies_to_category
    left join systems_with_user_rows
        on systems.ai_system_id = systems_with_user_rows.ai_system_id
    where
        systems.is_sanctioned
        and systems.system_type = 'registered'
        and systems_with_user_rows.ai_system_id is null
        and {{ 'true' if var('scenario_library_enabled') else 'false' }}

),

library_scenarios as (

    select
        {{ dbt.concat(["library.library_id", "':'", "library_targets.ai_system_id"]) }} as scenario_id,
        library_targets.ai_system_id,
        library.ledger,
        library.description as scenario_description,
        library.frequency_model,
        cast(library.frequency_low as {{ double_type() }}) as frequency_low,
        cast(library.frequency_mode as {{ double_type() }}) as frequency_mode,
        cast(library.frequency_high as {{ double_type() }}) as frequency_high,
        cast(library.loss_low_90 as {{ money_type() }}) as loss_low_90,
        cast(library.loss_high_90 as {{ money_type() }}) as loss_high_90,
        library.currency,
        cast(library.control_efficacy as {{ double_type() }}) as control_efficacy,
        cast(library.loss_reduction as {{ double_type() }}) as loss_reduction,
        cast(library.annual_control_cost as {{ money_type() }}) as annual_control_cost,
        library.horizon_years,
        cast(null as {{ dbt.type_string() }}) as incident_category,
        library.use_observed,
        'scenario_library' as input_origin,
        library.frequency_source as frequency_citation,
        library.loss_source as loss_citation,
        library.control_source as control_citation,
        library.control_cost_source as control_cost_citation,
        cast(null as {{ dbt.type_string() }}) as superseded_by,
        'seeds/scenario_library.csv' as _source_file,
        cast(null as {{ dbt.type_bigint() }}) as _line
    from library_targets
    inner join library
        on library_targets.library_category = library.applies_to_category

),

candidates as (

    select * from user_scenarios
    union all
    select * from library_scenarios

)

select * from candidates
