{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'claude_code_usage') }}",
    post_hook="{{ landing_increment_finish('ai', 'claude_code_usage') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'claude_code_usage') }}

),

renamed as (

    select
        {{ surrogate_key([
            'activity_date',
            'actor_type',
            'actor_email',
            'actor_api_key_name',
            'terminal_type',
            'is_remote'
        ]) }}
            as claude_code_row_id,
        cast(activity_date as date) as activity_date,
        actor_type,
        lower(trim(actor_email)) as actor_email,
        actor_api_key_name,
        organization_id as anthropic_organization_id,
        customer_type,
        subscription_type,
        terminal_type,
        coalesce(is_remote, false) as is_remote,
        coalesce(num_sessions, 0) as session_count,
        coalesce(lines_added, 0) as lines_added,
        coalesce(lines_removed, 0) as lines_removed,
        coalesce(commits, 0) as commit_count,
        coalesce(pull_requests, 0) as pull_request_count,
        tool_actions as tool_actions_json,
        model_breakdown as model_breakdown_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
