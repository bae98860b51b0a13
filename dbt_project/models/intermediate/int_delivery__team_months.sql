-- The delivery ledger's rows: every team with delivery activity (deployments, changes, incidents, resolved work
-- items) x every month from its first activity to the as-of month. Description: _ledgers__models.yml.

with

deployments as (

    select * from {{ ref('int_delivery__deployments') }}

),

changes as (

    select * from {{ ref('int_delivery__changes') }}

),

incidents as (

    select * from {{ ref('int_delivery__incident_links') }}

),

work_items as (

    select
        work_item_key,
        -- work items carry no repository: their own team, else `unassigned`
        {{ delivery_team('team') }} as team,
        resolved_at
    from {{ ref('stg_delivery__work_items') }}

),

activity as (

    select
        team,
        cast({{ dbt.date_trunc('month', 'deployed_at') }} as date) as month_start
    from deployments
    union all
    select
        team,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start
    from changes
    union all
    select
        team,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as month_start
    from incidents
    union all
    select
        team,
        cast({{ dbt.date_trunc('month', 'resolved_at') }} as date) as month_start
    from work_items
    where resolved_at is not null

),

months as (

    select distinct month_start from activity
    where month_start <= {{ spine_as_of_date() }}

),

team_first as (

    select
        team,
        min(month_start) as first_month
    from activity
    group by team

),

team_pipeline as (

    select distinct team from deployments

),

grid as (

    select
        team_first.team,
        months.month_start,
        team_pipeline.team is not null as has_delivery_pipeline,
        least(
            {{ dbt.dateadd('month', 1, 'months.month_start') }},
            {{ dbt.dateadd('day', 1, spine_as_of_date()) }}
        ) as period_end
    from team_first
    inner join months
        on team_first.first_month <= months.month_start
    left join team_pipeline
        on team_first.team = team_pipeline.team

)

select * from grid
