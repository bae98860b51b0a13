-- The GitHub Copilot seats of every seats export, each export judged on its own day. An export is a snapshot,
-- dated by the newest activity, authentication, update or assignment it holds (the API gives no export time);
-- staging keeps every export whole. The latest export of each organization holds the seats that stand, judged
-- on the as-of day; an older one says what stood (and what was idle) on its own day. A seat's latest copy
-- (`is_seat_latest_copy`) ends its holding: in the latest export it still stands, in an older one it was
-- removed after that export's day. Per seat and export: the holder (dim_identity by GitHub login, else
-- `unattributed`) and their owner team, idle days (from the last activity, else the assignment) and seat age on
-- the day judged, whether the holder is a new joiner (seat assigned fewer than var seat_new_joiner_days
-- before) or on leave (the inventory's `on_leave_until` on or after that day), and whether the seat is
-- reclaimable: idle var seat_idle_reclaim_days or more, not pending cancellation, not a new joiner's, not on
-- leave.

{%- set idle_days = var('seat_idle_reclaim_days') -%}
{%- set new_joiner_days = var('seat_new_joiner_days') %}

with

copilot_seats as (

    select * from {{ ref('stg_ai__github_copilot_seats') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

inventory as (

    select * from {{ ref('int_inventory__latest') }}
    where record_type = 'identity'

),

exports as (

    select
        organization_login,
        _source_file,
        -- greatest skips NULLs on DuckDB, PostgreSQL and Spark alike
        cast(max(greatest(last_activity_at, last_authenticated_at, seat_updated_at, seat_created_at)) as date)
            as snapshot_date,
        max(_ingested_at) as ingested_at
    from copilot_seats
    group by organization_login, _source_file

),

exports_ranked as (

    select
        *,
        row_number() over (
            partition by organization_login
            order by snapshot_date desc, ingested_at desc, _source_file desc
        ) = 1 as is_latest_export
    from exports

),

judged_exports as (

    select
        exports_ranked.*,
        case
            when exports_ranked.is_latest_export then {{ spine_as_of_date() }}
            else exports_ranked.snapshot_date
        end as judged_on
    from exports_ranked

),

measured as (

    select
        copilot_seats.copilot_seat_id,
        copilot_seats.organization_login,
        copilot_seats.github_login,
        copilot_seats.plan_type,
        copilot_seats.assigning_team_slug,
        copilot_seats.seat_created_at,
        copilot_seats.last_activity_at,
        copilot_seats.pending_cancellation_date,
        judged_exports.snapshot_date,
        judged_exports.is_latest_export,
        judged_exports.judged_on,
        judged_exports.ingested_at,
        coalesce(identity_keys.identity_id, 'unattributed') as identity_id,
        identity_keys.owner_team,
        coalesce(inventory.on_leave_until >= judged_exports.judged_on, false) as is_on_leave,
        {{ dbt.datediff(
            'cast(coalesce(copilot_seats.last_activity_at, copilot_seats.seat_created_at) as date)',
            'judged_exports.judged_on', 'day') }} as idle_days,
        {{ dbt.datediff('cast(copilot_seats.seat_created_at as date)', 'judged_exports.judged_on', 'day') }}
            as seat_age_days,
        copilot_seats._source_file,
        copilot_seats._line
    from copilot_seats
    inner join judged_exports
        on
            copilot_seats._source_file = judged_exports._source_file
            and coalesce(copilot_seats.organization_login, '') = coalesce(judged_exports.organization_login, '')
    left join identity_keys
        on
            identity_keys.key_type = 'github_login'
            and copilot_seats.github_login = identity_keys.key_value
    left join inventory
        on identity_keys.identity_id = inventory.record_id

),

final as (

    select
        copilot_seat_id as seat_id,
        'github_copilot' as product,
        organization_login,
        github_login,
        identity_id,
        owner_team,
        plan_type,
        assigning_team_slug,
        seat_created_at,
        last_activity_at,
        pending_cancellation_date,
        snapshot_date,
        is_latest_export,
        row_number() over (
            partition by copilot_seat_id
            order by snapshot_date desc, ingested_at desc, _source_file desc
        ) = 1 as is_seat_latest_copy,
        judged_on,
        cast(idle_days as bigint) as idle_days,
        seat_age_days < {{ new_joiner_days }} as is_new_joiner,
        is_on_leave,
        coalesce(
            idle_days >= {{ idle_days }}
            and seat_age_days >= {{ new_joiner_days }}
            and pending_cancellation_date is null
            and not is_on_leave,
            false
        ) as is_reclaimable,
        _source_file,
        _line
    from measured

)

select * from final
