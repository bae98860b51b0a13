-- The defensive ledger (docs/METHOD.md sections 2-3): per AI system x quarter, benefit rows and risk
-- counter-entry rows (`row_type`), never netted into one figure.
-- Benefits (sanctioned systems that detected security incidents, quarters from their adoption, scope =
-- the incident categories they detected, baseline = those categories before adoption: int_defensive__incident_scope):
--   avoided_incident_loss     (baseline incidents/month - current incidents/month) x months covered
--                             x baseline mean loss per incident (negative when incidents rose)
--   response_hours_saved      (baseline - current mean response hours) x current incidents, valued at var
--                             security_hourly_rate
--   time_to_restore_security_incidents  baseline - current mean hours from start to end (not monetised:
--                             the response hours already carry the effort)
--   blast_radius_reduction    baseline - current mean identities per incident (secrets beside it; not monetised)
-- Risk counter-entries (negative amounts):
--   incidents_caused          security incidents naming the system that it did not detect (e.g. prompt
--                             injection through it): minus their loss, per quarter
--   compliance_exposure       denied policy decisions about the system in the quarter; minus unblocked ones
--                             (enforcement `monitor`) x var compliance_cost_per_unblocked_violation_usd
--   static_credentials, shadow_usage, denied_decisions, secrets_past_rotation: fct_ai_system_risk (a snapshot
--                             at the as-of date), in the as-of quarter: minus count x a per-unit exposure var,
--                             minus the ungoverned spend for shadow usage; denied_decisions is a count only
--                             (compliance_exposure prices the denials per quarter).

with

incidents as (

    select
        *,
        cast({{ dbt.date_trunc('quarter', 'started_at') }} as date) as quarter_start
    from {{ ref('stg_security__incidents') }}

),

scope as (

    select * from {{ ref('int_defensive__incident_scope') }}

),

risk as (

    select * from {{ ref('fct_ai_system_risk') }}
    where system_type <> 'unattributed'

),

decisions as (

    select * from {{ ref('fct_policy_decisions') }}
    where ai_system_id <> 'ais-unattributed'

),

quarters as (

    select distinct quarter_start from incidents
    where started_at < {{ dbt.dateadd('day', 1, spine_as_of_date()) }}

),

system_quarter_bounds as (

    select
        scope.*,
        quarters.quarter_start,
        greatest(quarters.quarter_start, scope.adoption_date) as covered_from,
        least(
            {{ dbt.dateadd('month', 3, 'quarters.quarter_start') }},
            {{ dbt.dateadd('day', 1, spine_as_of_date()) }}
        ) as covered_to
    from scope
    inner join quarters
        on quarters.quarter_start >= cast({{ dbt.date_trunc('quarter', 'scope.adoption_date') }} as date)

),

system_quarters as (

    select
        system_quarter_bounds.*,
        cast({{ dbt.datediff('covered_from', 'covered_to', 'day') }} as {{ double_type() }}) / 30.4375 as months_covered  -- noqa: LT05
    from system_quarter_bounds

),

scope_categories as (

    select
        ai_system_id,
        {{ spine_explode_list('scope_categories') }} as incident_category
    from scope

),

current_incidents as (

    select
        system_quarters.ai_system_id,
        system_quarters.quarter_start,
        count(incidents.finding_uid) as current_incident_count,
        avg(cast(incidents.response_hours as {{ double_type() }})) as current_mean_response_hours,
        avg(
            {{ elapsed_hours('incidents.started_at', 'incidents.ended_at') }}
        ) as current_mean_restore_hours,
        avg(cast(incidents.affected_identity_count as {{ double_type() }})) as current_mean_affected_identities,
        avg(cast(incidents.affected_secret_count as {{ double_type() }})) as current_mean_affected_secrets
    from system_quarters
    inner join scope_categories
        on system_quarters.ai_system_id = scope_categories.ai_system_id
    left join incidents
        on
            scope_categories.incident_category = incidents.incident_category
            and system_quarters.quarter_start = incidents.quarter_start
            and system_quarters.adoption_date <= incidents.started_at
    group by system_quarters.ai_system_id, system_quarters.quarter_start

),

measured as (

    select
        system_quarters.ai_system_id,
        system_quarters.quarter_start,
        system_quarters.scope_categories,
        system_quarters.months_covered,
        cast(system_quarters.baseline_incident_count as {{ double_type() }})
        / nullif(system_quarters.baseline_months, 0) as baseline_incidents_per_month,
        cast(current_incidents.current_incident_count as {{ double_type() }})
        / nullif(system_quarters.months_covered, 0) as current_incidents_per_month,
        current_incidents.current_incident_count,
        system_quarters.baseline_mean_loss_usd,
        system_quarters.baseline_mean_response_hours,
        current_incidents.current_mean_response_hours,
        system_quarters.baseline_mean_restore_hours,
        current_incidents.current_mean_restore_hours,
        system_quarters.baseline_mean_affected_identities,
        current_incidents.current_mean_affected_identities,
        system_quarters.baseline_mean_affected_secrets,
        current_incidents.current_mean_affected_secrets
    from system_quarters
    inner join current_incidents
        on
            system_quarters.ai_system_id = current_incidents.ai_system_id
            and system_quarters.quarter_start = current_incidents.quarter_start
    where system_quarters.months_covered > 0

),

benefit_rows as (

    select
        measured.*,
        'avoided_incident_loss' as entry_type,
        (measured.baseline_incidents_per_month - measured.current_incidents_per_month)
        * measured.months_covered as quantity,
        'incidents' as quantity_unit,
        (measured.baseline_incidents_per_month - measured.current_incidents_per_month)
        * measured.months_covered
        * measured.baseline_mean_loss_usd as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'response_hours_saved' as entry_type,
        (measured.baseline_mean_response_hours - measured.current_mean_response_hours)
        * measured.current_incident_count as quantity,
        'hours' as quantity_unit,
        (measured.baseline_mean_response_hours - measured.current_mean_response_hours) * measured.current_incident_count
        * {{ var('security_hourly_rate', 120) }} as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'time_to_restore_security_incidents' as entry_type,
        measured.baseline_mean_restore_hours - measured.current_mean_restore_hours as quantity,
        'hours_per_incident' as quantity_unit,
        cast(null as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

    union all

    select
        measured.*,
        'blast_radius_reduction' as entry_type,
        measured.baseline_mean_affected_identities - measured.current_mean_affected_identities as quantity,
        'identities_per_incident' as quantity_unit,
        cast(null as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd
    from measured

),

caused as (

    select
        ai_system_id,
        quarter_start,
        count(*) as incident_count,
        sum(cast(coalesce(loss_amount, 0) as {{ double_type() }})) as loss_usd
    from incidents
    where
        ai_system_id is not null
        and coalesce(detected_by, 'human') <> 'ai'
        and started_at < {{ dbt.dateadd('day', 1, spine_as_of_date()) }}
    group by ai_system_id, quarter_start

),

compliance as (

    select
        ai_system_id,
        cast({{ dbt.date_trunc('quarter', 'decided_at') }} as date) as quarter_start,
        sum(case when is_denied then 1 else 0 end) as denied_count,
        sum(case when is_denied and enforcement_mode = 'monitor' then 1 else 0 end) as unblocked_count
    from decisions
    where decided_at < {{ dbt.dateadd('day', 1, spine_as_of_date()) }}
    group by ai_system_id, cast({{ dbt.date_trunc('quarter', 'decided_at') }} as date)

),

as_of_quarter as (

    select cast({{ dbt.date_trunc('quarter', spine_as_of_date()) }} as date) as quarter_start

),

counter_rows as (

    select
        ai_system_id,
        quarter_start,
        'incidents_caused' as entry_type,
        cast(incident_count as {{ double_type() }}) as quantity,
        'incidents' as quantity_unit,
        -loss_usd as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from caused

    union all

    select
        ai_system_id,
        quarter_start,
        'compliance_exposure' as entry_type,
        cast(denied_count as {{ double_type() }}) as quantity,
        'denied_decisions' as quantity_unit,
        -unblocked_count * {{ var('compliance_cost_per_unblocked_violation_usd', 250) }} as amount_usd,
        cast({{ var('compliance_cost_per_unblocked_violation_usd', 250) }} as {{ double_type() }})
            as exposure_unit_cost_usd,
        cast(denied_count as bigint) as denied_decision_count,
        cast(unblocked_count as bigint) as unblocked_violation_count
    from compliance
    where denied_count > 0

    union all

    select
        risk.ai_system_id,
        as_of_quarter.quarter_start,
        'static_credentials' as entry_type,
        cast(risk.static_credential_identity_count as {{ double_type() }}) as quantity,
        'identities' as quantity_unit,
        -risk.static_credential_identity_count * {{ var('risk_exposure_per_static_credential_usd', 1000) }}
            as amount_usd,
        cast({{ var('risk_exposure_per_static_credential_usd', 1000) }} as {{ double_type() }})
            as exposure_unit_cost_usd,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from risk
    cross join as_of_quarter
    where risk.static_credential_identity_count > 0

    union all

    select
        risk.ai_system_id,
        as_of_quarter.quarter_start,
        'secrets_past_rotation' as entry_type,
        cast(risk.secrets_past_rotation_count as {{ double_type() }}) as quantity,
        'secrets' as quantity_unit,
        -risk.secrets_past_rotation_count * {{ var('risk_exposure_per_secret_past_rotation_usd', 500) }}
            as amount_usd,
        cast({{ var('risk_exposure_per_secret_past_rotation_usd', 500) }} as {{ double_type() }})
            as exposure_unit_cost_usd,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from risk
    cross join as_of_quarter
    where risk.secrets_past_rotation_count > 0

    union all

    select
        risk.ai_system_id,
        as_of_quarter.quarter_start,
        'shadow_usage' as entry_type,
        cast(risk.shadow_usage_request_count as {{ double_type() }}) as quantity,
        'requests' as quantity_unit,
        -cast(risk.shadow_usage_spend_usd as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from risk
    cross join as_of_quarter
    where risk.system_type = 'shadow'

    union all

    select
        risk.ai_system_id,
        as_of_quarter.quarter_start,
        'denied_decisions' as entry_type,
        cast(risk.denied_decision_count as {{ double_type() }}) as quantity,
        'denied_decisions' as quantity_unit,
        cast(0 as {{ double_type() }}) as amount_usd,
        cast(null as {{ double_type() }}) as exposure_unit_cost_usd,
        cast(risk.denied_decision_count as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from risk
    cross join as_of_quarter
    where risk.denied_decision_count > 0

),

unioned as (

    select
        ai_system_id,
        quarter_start,
        'benefit' as row_type,
        entry_type,
        entry_type as benefit_type,
        quantity,
        quantity_unit,
        amount_usd,
        exposure_unit_cost_usd,
        scope_categories,
        months_covered,
        baseline_incidents_per_month,
        current_incidents_per_month,
        current_incident_count,
        baseline_mean_loss_usd,
        baseline_mean_response_hours,
        current_mean_response_hours,
        baseline_mean_restore_hours,
        current_mean_restore_hours,
        baseline_mean_affected_identities,
        current_mean_affected_identities,
        baseline_mean_affected_secrets,
        current_mean_affected_secrets,
        cast(null as bigint) as denied_decision_count,
        cast(null as bigint) as unblocked_violation_count
    from benefit_rows

    union all

    select
        ai_system_id,
        quarter_start,
        'risk_counter_entry' as row_type,
        entry_type,
        cast(null as {{ dbt.type_string() }}) as benefit_type,
        quantity,
        quantity_unit,
        amount_usd,
        exposure_unit_cost_usd,
        cast(null as {{ dbt.type_string() }}) as scope_categories,
        cast(null as {{ double_type() }}) as months_covered,
        cast(null as {{ double_type() }}) as baseline_incidents_per_month,
        cast(null as {{ double_type() }}) as current_incidents_per_month,
        cast(null as bigint) as current_incident_count,
        cast(null as {{ double_type() }}) as baseline_mean_loss_usd,
        cast(null as {{ double_type() }}) as baseline_mean_response_hours,
        cast(null as {{ double_type() }}) as current_mean_response_hours,
        cast(null as {{ double_type() }}) as baseline_mean_restore_hours,
        cast(null as {{ double_type() }}) as current_mean_restore_hours,
        cast(null as {{ double_type() }}) as baseline_mean_affected_identities,
        cast(null as {{ double_type() }}) as current_mean_affected_identities,
        cast(null as {{ double_type() }}) as baseline_mean_affected_secrets,
        cast(null as {{ double_type() }}) as current_mean_affected_secrets,
        denied_decision_count,
        unblocked_violation_count
    from counter_rows

),

final as (

    select
        {{ surrogate_key(['ai_system_id', 'quarter_start', 'row_type', 'entry_type']) }} as defensive_roi_key,
        ai_system_id,
        quarter_start,
        row_type,
        entry_type,
        benefit_type,
        cast(quantity as {{ double_type() }}) as quantity,
        quantity_unit,
        cast(cast(amount_usd as decimal(38, 6)) as {{ money_type() }}) as amount_usd,
        cast(exposure_unit_cost_usd as {{ double_type() }}) as exposure_unit_cost_usd,
        scope_categories,
        cast(months_covered as {{ double_type() }}) as months_covered,
        cast(baseline_incidents_per_month as {{ double_type() }}) as baseline_incidents_per_month,
        cast(current_incidents_per_month as {{ double_type() }}) as current_incidents_per_month,
        cast(current_incident_count as bigint) as current_incident_count,
        cast(baseline_mean_loss_usd as {{ double_type() }}) as baseline_mean_loss_usd,
        cast(baseline_mean_response_hours as {{ double_type() }}) as baseline_mean_response_hours,
        cast(current_mean_response_hours as {{ double_type() }}) as current_mean_response_hours,
        cast(baseline_mean_restore_hours as {{ double_type() }}) as baseline_mean_restore_hours,
        cast(current_mean_restore_hours as {{ double_type() }}) as current_mean_restore_hours,
        cast(baseline_mean_affected_identities as {{ double_type() }}) as baseline_mean_affected_identities,
        cast(current_mean_affected_identities as {{ double_type() }}) as current_mean_affected_identities,
        cast(baseline_mean_affected_secrets as {{ double_type() }}) as baseline_mean_affected_secrets,
        cast(current_mean_affected_secrets as {{ double_type() }}) as current_mean_affected_secrets,
        cast(denied_decision_count as bigint) as denied_decision_count,
        cast(unblocked_violation_count as bigint) as unblocked_violation_count
    from unioned

)

select * from final
