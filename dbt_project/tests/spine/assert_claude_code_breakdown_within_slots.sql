-- Claude Code's usage events read the first claude_code_model_slots() items of a record's model_breakdown
-- (macros/usage_events.sql, portable JSON paths): a record with more models would lose tokens and cost there.
-- Fails with each such record. Error severity: a blocking asset check on stg_ai__claude_code_usage.
{{ config(severity='error', meta={'dagster': {'ref': {'name': 'stg_ai__claude_code_usage'}}}) }}

with

claude_code as (

    select * from {{ ref('stg_ai__claude_code_usage') }}

)

select
    claude_code_row_id,
    activity_date,
    _source_file,
    _line,
    'model_breakdown has more than {{ claude_code_model_slots() }} models' as failure_reason
from claude_code
where {{ json_get_text('model_breakdown_json', claude_code_model_slots() | string) }} is not null
