-- Scenario rows the model refused (orchestration/scenarios/run.py), one row per problem, with the file and line
-- they came from (seeds/scenario_library.csv for library rows) and the column at fault. The other scenarios ran.

with

quarantine as (

    select * from {{ source('scenario_model', 'scenario_quarantine') }}

),

final as (

    select
        {{ surrogate_key(['scenario_id', 'source_file', 'line', 'column_name', 'reason']) }} as quarantine_key,
        scenario_id,
        ai_system_id,
        input_origin,
        source_file,
        cast(line as bigint) as line,
        column_name,
        reason
    from quarantine

)

select * from final
