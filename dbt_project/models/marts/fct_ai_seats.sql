{%- set idle_days = var('seat_idle_reclaim_days') -%}
{%- set new_joiner_days = var('seat_new_joiner_days') -%}

with

copilot_seats as (

    select * from {{ ref('stg_ai__github_copilot_seats') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

as_of as (

    select {{ spine_as_of_date() }} as as_of_date

),

-- a seats export is a snapshot: the latest file of each organization lists the seats that stand (a seat in an
-- older file only was removed since)
snapshot_files as (

    select
        organization_login,
        _source_file,
        row_number() over (
            partition by organization_login
            order by max(_ingested_at) desc, _source_file desc
        ) as file_rank
    from copilot_seats
    group by organization_login, _source_file

),

current_seats as (

    select copilot_seats.*
    from copilot_seats
    inner join snapshot_files
        on
            copilot_seats._source_file = snapshot_files._source_file
            and coalesce(copilot_seats.organization_login, '') = coalesce(snapshot_files.organization_login, '')
    where snapshot_files.file_rank = 1

),

measured as (

    select
        current_seats.copilot_seat_id,
        current_seats.organization_login,
        current_seats.github_login,
        current_seats.plan_type,
        current_seats.assigning_team_slug,
        current_seats.seat_created_at,
        current_seats.last_activity_at,
        current_seats.pending_cancellation_date,
        coalesce(identity_keys.identity_id, 'unattributed') as identity_id,
        identity_keys.owner_team,
        {{ dbt.datediff(
            'cast(coalesce(current_seats.last_activity_at, current_seats.seat_created_at) as date)',
            'as_of.as_of_date', 'day') }} as idle_days,
        {{ dbt.datediff(
            'cast(current_seats.seat_created_at as date)',
            'as_of.as_of_date', 'day') }} as seat_age_days,
        current_seats._source_file,
        current_seats._line
    from current_seats
    cross join as_of
    left join identity_keys
        on
            identity_keys.key_type = 'github_login'
            and current_seats.github_login = identity_keys.key_value

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
        cast(idle_days as bigint) as idle_days,
        seat_age_days < {{ new_joiner_days }} as is_new_joiner,
        coalesce(
            idle_days >= {{ idle_days }}
            and seat_age_days >= {{ new_joiner_days }}
            and pending_cancellation_date is null,
            false
        ) as is_reclaimable,
        _source_file,
        _line
    from measured

)

select * from final
