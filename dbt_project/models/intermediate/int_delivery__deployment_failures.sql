-- One row per (deployment, linked incident): the deployments that caused a change failure (Four Keys: an
-- incident links to a deployment when its root-cause change ids were shipped by that deployment).

with

deployment_changes as (

    select * from {{ ref('int_delivery__deployment_changes') }}

),

incidents as (

    select * from {{ ref('stg_delivery__incidents') }}

),

root_causes as (

    select
        incident_id,
        {{ spine_explode_list('root_cause_change_ids') }} as change_id
    from incidents

),

final as (

    select distinct
        deployment_changes.deployment_id,
        root_causes.incident_id
    from root_causes
    inner join deployment_changes
        on root_causes.change_id = deployment_changes.change_id

)

select * from final
