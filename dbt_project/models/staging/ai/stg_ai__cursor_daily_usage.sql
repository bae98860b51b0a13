{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'cursor_daily_usage') }}",
    post_hook="{{ landing_increment_finish('ai', 'cursor_daily_usage') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'cursor_daily_usage') }}

),

renamed as (

    select
        {{ surrogate_key(['usage_date', 'email']) }}
            as cursor_user_day_id,
        cast(usage_date as date) as usage_date,
        lower(trim(email)) as email,
        user_id as cursor_user_id,
        coalesce(is_active, false) as is_active,
        total_lines_added,
        total_lines_deleted,
        accepted_lines_added,
        accepted_lines_deleted,
        total_applies,
        total_accepts,
        total_rejects,
        total_tabs_shown,
        total_tabs_accepted,
        composer_requests,
        chat_requests,
        agent_requests,
        cmdk_usages,
        subscription_included_requests,
        api_key_requests,
        usage_based_requests,
        bugbot_usages,
        most_used_model,
        client_version,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
