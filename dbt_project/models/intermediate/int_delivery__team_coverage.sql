-- How the delivery rows got their team, one row per Four Keys dataset (production deployments, changes,
-- incidents): rows, rows with their own team, rows assigned by the seed repository_teams, rows left
-- `unassigned`, and the unassigned share. The warn test assert_delivery_team_assigned reports any unassigned
-- row from here (never blocking: the rows are counted under `unassigned`, nothing is lost).

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

resolved as (

    select
        'deployments' as dataset,
        team_source
    from deployments
    union all
    select
        'changes' as dataset,
        team_source
    from changes
    union all
    select
        'incidents' as dataset,
        team_source
    from incidents

),

counted as (

    select
        dataset,
        count(*) as row_count,
        sum(case when team_source = 'row' then 1 else 0 end) as own_team_count,
        sum(case when team_source = 'repository_map' then 1 else 0 end) as repository_map_count,
        sum(case when team_source = 'unassigned' then 1 else 0 end) as unassigned_count
    from resolved
    group by dataset

),

final as (

    select
        dataset,
        cast(row_count as bigint) as row_count,
        cast(own_team_count as bigint) as own_team_count,
        cast(repository_map_count as bigint) as repository_map_count,
        cast(unassigned_count as bigint) as unassigned_count,
        cast(unassigned_count as {{ double_type() }}) / row_count as unassigned_share
    from counted

)

select * from final
