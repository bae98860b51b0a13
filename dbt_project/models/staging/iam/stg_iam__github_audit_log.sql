{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('iam', 'github_audit_log') }}",
    post_hook="{{ landing_increment_finish('iam', 'github_audit_log') }}"
) }}

with

source as (

    {{ deduplicated_landing('iam', 'github_audit_log') }}

),

renamed as (

    select
        document_id as audit_event_id,
        event_at,
        created_at,
        action,
        lower(trim(actor)) as actor_login,
        actor_id,
        actor_is_bot,
        lower(trim({{ adapter.quote('user') }})) as user_login,
        org as org_name,
        repo as repo_full_name,
        operation_type,
        hashed_token,
        programmatic_access_type,
        token_id,
        token_scopes,
        integration as integration_name,
        country_code,
        user_agent,
        request_id,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
