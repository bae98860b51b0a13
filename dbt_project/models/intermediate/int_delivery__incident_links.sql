-- Delivery incidents (Four Keys `incidents`), one row per incident, with the deployments they are linked to:
-- an incident links to a deployment when one of its root-cause change ids was shipped by that deployment
-- (Four Keys change failure rate). `linked_deployment_ids` lists them (`;`-separated, sorted); NULL for an
-- incident without a root cause or whose root-cause changes no deployment shipped. `is_security_incident`
-- marks an incident that is also in the security incident export (same id): its restore belongs to the
-- defensive ledger (benefit `time_to_restore_security_incidents`), see fct_productivity_roi. The team is
-- resolved (macros/delivery.sql): the incident's own team, else the seed repository_teams by repository,
-- else `unassigned`.

with

incidents as (

    select * from {{ ref('stg_delivery__incidents') }}

),

deployment_failures as (

    select * from {{ ref('int_delivery__deployment_failures') }}

),

repository_teams as (

    select * from {{ ref('repository_teams') }}

),

security_incidents as (

    select distinct finding_uid from {{ ref('stg_security__incidents') }}

),

link_lists as (

    select
        incident_id,
        count(*) as linked_deployment_count,
        {{ dbt.listagg('deployment_id', "';'", 'order by deployment_id') }} as linked_deployment_ids
    from deployment_failures
    group by incident_id

),

final as (

    select
        incidents.incident_id,
        {{ delivery_team('incidents.team', 'repository_teams.team') }} as team,
        {{ delivery_team_source('incidents.team', 'repository_teams.team') }} as team_source,
        incidents.created_at,
        incidents.resolved_at,
        {{ elapsed_hours('incidents.created_at', 'incidents.resolved_at') }} as time_to_restore_hours,
        incidents.root_cause_change_ids,
        cast(coalesce(link_lists.linked_deployment_count, 0) as bigint) as linked_deployment_count,
        link_lists.linked_deployment_ids,
        security_incidents.finding_uid is not null as is_security_incident
    from incidents
    left join link_lists
        on incidents.incident_id = link_lists.incident_id
    left join security_incidents
        on incidents.incident_id = security_incidents.finding_uid
    left join repository_teams
        on incidents.repo_name = repository_teams.repo

)

select * from final
