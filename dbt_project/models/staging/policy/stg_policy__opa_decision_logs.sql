{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('policy', 'opa_decision_logs') }}",
    post_hook="{{ landing_increment_finish('policy', 'opa_decision_logs') }}"
) }}

{%- set input_paths = ['subject', 'subject_kind', 'ai_system', 'action', 'resource'] -%}
{%- set result_paths = ['allow', ''] -%}

with

source as (

    {{ deduplicated_landing('policy', 'opa_decision_logs') }}

),

-- each JSON text parsed once for all the paths read from it (macros/json_get_text.sql)
parsed as (

    select
        source.*,
        {{ json_get_texts('input', input_paths) }} as _input_texts,
        {{ json_get_texts('result', result_paths) }} as _result_texts
    from source

),

renamed as (

    select
        decision_id,
        path as policy_path,
        decided_at,
        lower(trim({{ json_texts_item('_input_texts', input_paths, 0) }})) as subject_ref,
        {{ json_texts_item('_input_texts', input_paths, 1) }} as subject_kind,
        {{ json_texts_item('_input_texts', input_paths, 2) }} as ai_system_ref,
        {{ json_texts_item('_input_texts', input_paths, 3) }} as action,
        {{ json_texts_item('_input_texts', input_paths, 4) }} as resource,
        -- result is either an object with allow, or the bare decision (true / false)
        coalesce(
            {{ safe_cast(json_texts_item('_result_texts', result_paths, 0), 'boolean') }},
            {{ safe_cast(json_texts_item('_result_texts', result_paths, 1), 'boolean') }}
        ) as is_allowed,
        result as result_json,
        labels as labels_json,
        bundles as bundles_json,
        requested_by,
        req_id as opa_request_id,
        metrics as metrics_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from parsed

)

select * from renamed
