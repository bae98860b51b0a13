-- Rework deployments (DORA's fifth software delivery metric, deployment rework rate): one row per production
-- deployment made while at least one incident of the same (resolved) team was open, i.e. created before the
-- deployment and not resolved before it (an incident still open counts as open). DORA defines the metric as
-- "the ratio of deployments that are unplanned but happen as a result of an incident in production"
-- (https://dora.dev/guides/dora-metrics/, added in the 2024 Accelerate State of DevOps report). Four Keys data
-- says neither "unplanned" nor "because of the incident", so this model takes the observable proxy: a team that
-- deploys while one of its production incidents is open is remediating (hotfix, rollback, configuration fix).
-- Chosen over "ships a change created during the incident" because a rollback ships no new change and would be
-- missed. A deployment at the incident's resolution time counts (the fix that resolved it); one at its
-- creation time does not: Four Keys dates an incident from the earlier of the issue and the deployment of its
-- root-cause change (its queries/incidents.sql), so the deployment that caused it sits exactly there. See the
-- YAML for the known over- and under-counts.

with

deployments as (

    select * from {{ ref('int_delivery__deployments') }}

),

incidents as (

    select * from {{ ref('int_delivery__incident_links') }}

),

open_at_deployment as (

    select
        deployments.deployment_id,
        deployments.team,
        deployments.deployed_at,
        incidents.incident_id
    from deployments
    inner join incidents
        on
            deployments.team = incidents.team
            and deployments.deployed_at > incidents.created_at
            and (incidents.resolved_at is null or deployments.deployed_at <= incidents.resolved_at)

),

final as (

    select
        deployment_id,
        team,
        deployed_at,
        count(*) as open_incident_count,
        {{ dbt.listagg('incident_id', "';'", 'order by incident_id') }} as open_incident_ids
    from open_at_deployment
    group by deployment_id, team, deployed_at

)

select * from final
