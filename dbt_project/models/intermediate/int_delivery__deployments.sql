-- Production deployments (Four Keys `deployments`), one row per deployment, every one of them: with or
-- without the changes it shipped (Four Keys counts a deployment whatever its change list, so an empty, `[]`,
-- null or missing list still counts in deployment frequency and in the change failure rate denominator; it
-- only adds nothing to lead time). The team is resolved (macros/delivery.sql): the row's own team, else the
-- seed repository_teams by repository, else `unassigned`.

with

deployments as (

    select * from {{ ref('stg_delivery__deployments') }}
    -- Four Keys counts production deployments; a source without an environment is taken as production
    where coalesce(environment, 'production') in ('production', 'prod')

),

repository_teams as (

    select * from {{ ref('repository_teams') }}

),

final as (

    select
        deployments.deployment_id,
        {{ delivery_team('deployments.team', 'repository_teams.team') }} as team,
        {{ delivery_team_source('deployments.team', 'repository_teams.team') }} as team_source,
        deployments.repo_name,
        deployments.deployed_at,
        deployments.change_ids,
        deployments.source_system
    from deployments
    left join repository_teams
        on deployments.repo_name = repository_teams.repo

)

select * from final
