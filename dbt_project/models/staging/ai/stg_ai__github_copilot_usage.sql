{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'github_copilot_usage') }}",
    post_hook="{{ landing_increment_finish('ai', 'github_copilot_usage') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'github_copilot_usage') }}

),

renamed as (

    select
        {{ surrogate_key(['usage_date', 'enterprise_id', 'organization_id', 'user_id']) }}
            as copilot_user_day_id,
        usage_date,
        user_id as github_user_id,
        lower(trim(user_login)) as github_login,
        enterprise_id,
        organization_id,
        user_initiated_interaction_count,
        code_generation_activity_count,
        code_acceptance_activity_count,
        loc_suggested_to_add_sum as lines_suggested_added,
        loc_suggested_to_delete_sum as lines_suggested_deleted,
        loc_added_sum as lines_added,
        loc_deleted_sum as lines_deleted,
        coalesce(used_agent, false) as used_agent,
        coalesce(used_chat, false) as used_chat,
        coalesce(used_cli, false) as used_cli,
        coalesce(used_copilot_coding_agent, false) as used_coding_agent,
        used_copilot_code_review_active as used_code_review,
        ai_credits_used,
        totals_by_feature as totals_by_feature_json,
        totals_by_ide as totals_by_ide_json,
        totals_by_model_feature as totals_by_model_feature_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
