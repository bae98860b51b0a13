-- Four Keys changes, one row per change, with the team resolved (macros/delivery.sql): the row's own team,
-- else the seed repository_teams by repository, else `unassigned`. Approval cycle time and change counts per
-- team read this model.

with

changes as (

    select * from {{ ref('stg_delivery__changes') }}

),

repository_teams as (

    select * from {{ ref('repository_teams') }}

),

final as (

    select
        changes.change_id,
        {{ delivery_team('changes.team', 'repository_teams.team') }} as team,
        {{ delivery_team_source('changes.team', 'repository_teams.team') }} as team_source,
        changes.repo_name,
        changes.created_at,
        changes.approved_at
    from changes
    left join repository_teams
        on changes.repo_name = repository_teams.repo

)

select * from final
