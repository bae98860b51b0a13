{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('iam', 'okta_system_log') }}",
    post_hook="{{ landing_increment_finish('iam', 'okta_system_log') }}"
) }}

with

source as (

    {{ deduplicated_landing('iam', 'okta_system_log') }}

),

renamed as (

    select
        uuid as okta_event_id,
        published as event_at,
        event_type,
        severity,
        display_message,
        actor_id,
        actor_type,
        lower(trim(actor_alternate_id)) as actor_login,
        actor_display_name,
        client_id,
        client_ip_address,
        outcome_result,
        outcome_reason,
        target as targets_json,
        credential_type,
        credential_provider,
        transaction_id,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
