{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('delivery', 'changes') }}",
    post_hook="{{ landing_increment_finish('delivery', 'changes') }}"
) }}

with

source as (

    {{ deduplicated_landing('delivery', 'changes') }}

),

renamed as (

    select
        change_id,
        source as source_system,
        event_type,
        time_created as created_at,
        approved_at,
        repo as repo_name,
        team,
        lower(trim(author)) as author_login,
        coalesce(
            {{ json_get_text('metadata', 'message') }},
            {{ json_get_text('metadata', 'commit.message') }}
        ) as commit_message,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
