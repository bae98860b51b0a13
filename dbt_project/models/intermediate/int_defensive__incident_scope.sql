-- The defensive scope of each sanctioned AI system: the security incident categories it detected
-- (`detected_by = 'ai'` with its `ai_system_id`), the baseline before its adoption date (dim_ai_system) over
-- those categories, org-wide: incidents per month (history start to adoption), mean loss, response hours,
-- restore hours (start to end) and blast radius (identities, secrets per incident).

with

incidents as (

    select * from {{ ref('stg_security__incidents') }}

),

systems as (

    select * from {{ ref('dim_ai_system') }}
    where is_sanctioned and adoption_date is not null

),

history as (

    select cast({{ dbt.date_trunc('month', 'min(started_at)') }} as date) as history_start
    from incidents

),

detections as (

    select distinct
        incidents.ai_system_id,
        incidents.incident_category
    from incidents
    inner join systems
        on incidents.ai_system_id = systems.ai_system_id
    where incidents.detected_by = 'ai'

),

scope_lists as (

    select
        ai_system_id,
        {{ dbt.listagg('incident_category', "';'", 'order by incident_category') }} as scope_categories
    from detections
    group by ai_system_id

),

baseline as (

    select
        detections.ai_system_id,
        count(*) as baseline_incident_count,
        avg(cast(incidents.loss_amount as {{ double_type() }})) as baseline_mean_loss_usd,
        avg(cast(incidents.response_hours as {{ double_type() }})) as baseline_mean_response_hours,
        avg(
            {{ elapsed_hours('incidents.started_at', 'incidents.ended_at') }}
        ) as baseline_mean_restore_hours,
        avg(cast(incidents.affected_identity_count as {{ double_type() }})) as baseline_mean_affected_identities,
        avg(cast(incidents.affected_secret_count as {{ double_type() }})) as baseline_mean_affected_secrets
    from detections
    inner join systems
        on detections.ai_system_id = systems.ai_system_id
    inner join incidents
        on
            detections.incident_category = incidents.incident_category
            and systems.adoption_date > incidents.started_at
    group by detections.ai_system_id

),

final as (

    select
        systems.ai_system_id,
        systems.adoption_date,
        scope_lists.scope_categories,
        history.history_start,
        cast({{ dbt.datediff('history.history_start', 'systems.adoption_date', 'day') }} as {{ double_type() }})  -- noqa: LT05
        / 30.4375 as baseline_months,
        cast(coalesce(baseline.baseline_incident_count, 0) as bigint) as baseline_incident_count,
        baseline.baseline_mean_loss_usd,
        baseline.baseline_mean_response_hours,
        baseline.baseline_mean_restore_hours,
        baseline.baseline_mean_affected_identities,
        baseline.baseline_mean_affected_secrets
    from systems
    inner join scope_lists
        on systems.ai_system_id = scope_lists.ai_system_id
    cross join history
    left join baseline
        on systems.ai_system_id = baseline.ai_system_id

)

select * from final
