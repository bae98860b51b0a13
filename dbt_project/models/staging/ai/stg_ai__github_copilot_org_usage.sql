with

source as (

    {{ deduplicated_landing('ai', 'github_copilot_org_usage') }}

),

renamed as (

    select
        {{ surrogate_key(['usage_date', 'enterprise_id', 'organization_id']) }}
            as copilot_entity_day_id,
        usage_date,
        enterprise_id,
        organization_id,
        daily_active_users,
        weekly_active_users,
        monthly_active_users,
        monthly_active_chat_users,
        monthly_active_agent_users,
        user_initiated_interaction_count,
        code_generation_activity_count,
        code_acceptance_activity_count,
        loc_suggested_to_add_sum as lines_suggested_added,
        loc_suggested_to_delete_sum as lines_suggested_deleted,
        loc_added_sum as lines_added,
        loc_deleted_sum as lines_deleted,
        pull_requests_created,
        pull_requests_reviewed,
        pull_requests_merged,
        pull_requests_created_by_copilot,
        pull_requests_reviewed_by_copilot,
        pull_requests_merged_created_by_copilot,
        pull_requests_merged_reviewed_by_copilot,
        median_minutes_to_merge,
        median_minutes_to_merge_copilot_authored,
        median_minutes_to_merge_copilot_reviewed,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
