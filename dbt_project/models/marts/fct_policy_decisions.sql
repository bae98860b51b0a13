-- Policy decisions, one row per OPA decision, joined to the identity that asked and the AI system it
-- concerns, with the controls the policy enforces (seed control_catalogue by policy path). No personal
-- data: the subject is replaced by its identity_id.
--   identity:  input.subject (an email for people, the identity key otherwise) through int_identity__keys.
--   AI system: input.ai_system -> registered system (id or usage marker) or shadow system; else the
--              identity's registered ai_system_id; else 'ais-unattributed'.

with

decisions as (

    select * from {{ ref('stg_policy__opa_decision_logs') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

controls as (

    select * from {{ ref('control_catalogue') }}

),

controls_by_path as (

    select
        policy_path,
        {{ dbt.listagg('control_id', "';'", 'order by control_id') }} as control_ids
    from controls
    where policy_path is not null
    group by policy_path

),

registered_systems as (

    select distinct ai_system_id
    from markers
    where system_type = 'registered'

),

typed as (

    select
        *,
        case
            when subject_ref like '%@%' then 'email'
            when {{ spine_regexp_like('subject_ref', '^(hum|svc|agt|key)-') }} then 'identity_ref'
            else 'opa_subject'
        end as subject_key_type,
        {{ spine_marker_type('ai_system_ref') }} as ai_system_marker_type
    from decisions

),

resolved as (

    select
        typed.decision_id,
        typed.decided_at,
        cast(typed.decided_at as date) as decision_date,
        coalesce(identity_keys.identity_id, 'unattributed') as identity_id,
        coalesce(system_markers.ai_system_id, registered_systems.ai_system_id, 'ais-unattributed')
            as ai_system_id,
        case
            when system_markers.ai_system_id is not null then 'ai_system_ref'
            when registered_systems.ai_system_id is not null then 'identity'
            else 'unattributed'
        end as ai_system_attribution,
        typed.ai_system_ref,
        typed.policy_path,
        typed.action,
        typed.resource,
        typed.is_allowed,
        {{ json_get_text('typed.result_json', 'reasons') }} as reasons,
        {{ json_get_text('typed.result_json', 'enforcement') }} as enforcement_mode,
        controls_by_path.control_ids,
        typed._source_file,
        typed._line
    from typed
    left join identity_keys
        on
            typed.subject_key_type = identity_keys.key_type
            and typed.subject_ref = identity_keys.key_value
    left join markers as system_markers
        on
            typed.ai_system_marker_type = system_markers.marker_type
            and typed.ai_system_ref = system_markers.marker_value
    left join registered_systems
        on identity_keys.ai_system_id = registered_systems.ai_system_id
    left join controls_by_path
        on typed.policy_path = controls_by_path.policy_path

),

final as (

    select
        decision_id,
        decided_at,
        decision_date,
        identity_id,
        ai_system_id,
        ai_system_attribution,
        ai_system_ref,
        policy_path,
        action,
        resource,
        is_allowed,
        coalesce(not is_allowed, false) as is_denied,
        reasons,
        enforcement_mode,
        control_ids,
        _source_file,
        _line
    from resolved

)

select * from final
