{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('policy', 'opa_decision_logs') }}",
    post_hook="{{ landing_increment_finish('policy', 'opa_decision_logs') }}"
) }}

with

source as (

    {{ deduplicated_landing('policy', 'opa_decision_logs') }}

),

renamed as (

    select
        decision_id,
        path as policy_path,
        decided_at,
        lower(trim({{ json_get_text('input', 'subject') }})) as subject_ref,
        {{ json_get_text('input', 'subject_kind') }} as subject_kind,
        {{ json_get_text('input', 'ai_system') }} as ai_system_ref,
        {{ json_get_text('input', 'action') }} as action,
        {{ json_get_text('input', 'resource') }} as resource,
        -- result is either an object with allow, or the bare decision (true / false)
        coalesce(
            {{ safe_cast(json_get_text('result', 'allow'), 'boolean') }},
            {{ safe_cast(json_get_text('result', ''), 'boolean') }}
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

    from source

)

select * from renamed
