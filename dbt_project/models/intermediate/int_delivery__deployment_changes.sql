-- One row per change shipped by a production deployment (Four Keys `deployments.changes`), with the lead time
-- for changes: deploy time minus change time, in minutes. Non-positive lead times are kept here (flagged)
-- and ignored by the medians downstream, as Four Keys does. A change shipped by two deployments has two rows.
-- A deployment without changes has no row here (it still counts: int_delivery__deployments).

with

deployments as (

    select * from {{ ref('int_delivery__deployments') }}

),

changes as (

    select * from {{ ref('stg_delivery__changes') }}

),

deployment_items as (

    select
        deployment_id,
        team,
        deployed_at,
        {{ spine_explode_list('change_ids') }} as change_id
    from deployments

),

final as (

    select
        deployment_items.deployment_id,
        deployment_items.team,
        deployment_items.deployed_at,
        deployment_items.change_id,
        changes.created_at as change_created_at,
        cast({{ dbt.datediff('changes.created_at', 'deployment_items.deployed_at', 'second') }} as {{ double_type() }})  -- noqa: LT05
        / 60.0 as lead_time_minutes,
        coalesce({{ dbt.datediff('changes.created_at', 'deployment_items.deployed_at', 'second') }} > 0, false)  -- noqa: LT05
            as is_positive_lead_time
    from deployment_items
    left join changes
        on deployment_items.change_id = changes.change_id

)

select * from final
