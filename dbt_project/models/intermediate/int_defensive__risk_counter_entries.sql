-- Defensive risk counter-entry rows per AI system x quarter (negative amounts, never netted with the benefits).
-- The entries and their prices: intermediate/_defensive__models.yml.

with

incidents as (

    select
        *,
        cast({{ dbt.date_trunc('quarter', 'started_at') }} as date) as quarter_start
    from {{ ref('stg_security__incidents') }}

),

risk as (

    select * from {{ ref('fct_ai_system_risk') }}
    where system_type <> 'unattributed'

),

decisions as (

    select * from {{ ref('fct_policy_decisions') }}
    where ai_system_id <> 'ais-unattributed'

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
        -unblocked_count * {{ var('compliance_cost_per_unblocked_violation_usd') }} as amount_usd,
        cast({{ var('compliance_cost_per_unblocked_violation_usd') }} as {{ double_type() }})
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
        -risk.static_credential_identity_count * {{ var('risk_exposure_per_static_credential_usd') }}
            as amount_usd,
        cast({{ var('risk_exposure_per_static_credential_usd') }} as {{ double_type() }})
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
        -risk.secrets_past_rotation_count * {{ var('risk_exposure_per_secret_past_rotation_usd') }}
            as amount_usd,
        cast({{ var('risk_exposure_per_secret_past_rotation_usd') }} as {{ double_type() }})
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

)

select * from counter_rows
