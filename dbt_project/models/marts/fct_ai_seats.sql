-- The seats that stand: the latest seats export of each organization (a seat in an older export only was
-- removed since), judged on the as-of day (the rule: int_ai_seats__snapshots).

with

snapshots as (

    select * from {{ ref('int_ai_seats__snapshots') }}

),

final as (

    select
        seat_id,
        product,
        organization_login,
        github_login,
        identity_id,
        owner_team,
        plan_type,
        assigning_team_slug,
        seat_created_at,
        last_activity_at,
        pending_cancellation_date,
        idle_days,
        is_new_joiner,
        is_on_leave,
        is_reclaimable,
        _source_file,
        _line
    from snapshots
    where is_latest_export

)

select * from final
