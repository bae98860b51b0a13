with

source as (

    {{ deduplicated_landing('ai', 'github_copilot_seats') }}

),

renamed as (

    select
        {{ surrogate_key(['organization_login', 'assignee_type', 'assignee_login', 'assignee_id', 'seat_created_at',
                          '_file_sha256']) }} as seat_export_row_id,
        {{ surrogate_key(['organization_login', 'assignee_type', 'assignee_login', 'assignee_id', 'seat_created_at']) }}
            as copilot_seat_id,
        assignee_id as github_user_id,
        lower(trim(assignee_login)) as github_login,
        assignee_type,
        organization_login,
        plan_type,
        seat_created_at,
        seat_updated_at,
        pending_cancellation_date,
        last_activity_at,
        last_activity_editor,
        last_authenticated_at,
        assigning_team_slug,
        assigning_team_name,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
