-- Risk inputs per AI system, one row per system of dim_ai_system: the exposure counts the defensive ledger
-- turns into counter-entries (docs/METHOD.md section 2), so a system is never a win in one ledger
-- while its risk sits unseen in another.
--   runtime identities   identities that belong to the system (dim_identity.ai_system_id) and non-human
--                        identities whose usage is attributed to it (the credentials it runs on)
--   static credentials   runtime identities whose credential posture is static_long_lived
--   denied decisions     policy decisions about the system that were denied
--   shadow usage         usage spend and requests of a shadow (unsanctioned) system
--   secrets past rotation  secrets tagged with the system or owned by its runtime identities, with rotation
--                        disabled or last rotated longer ago than var static_key_max_age_days
-- Lineage: ai_system_id into dim_identity, fct_policy_decisions, fct_ai_usage and int_credentials__assessed;
-- secret_arns names the secrets counted (int_credentials__assessed is not published), for `roi-ledger trace`.

with

systems as (

    select * from {{ ref('dim_ai_system') }}

),

identities as (

    select * from {{ ref('dim_identity') }}

),

usage_facts as (

    select * from {{ ref('fct_ai_usage') }}

),

decisions as (

    select * from {{ ref('fct_policy_decisions') }}

),

credentials as (

    select * from {{ ref('int_credentials__assessed') }}

),

runtime_identities as (

    select
        identity_id,
        ai_system_id
    from identities
    where ai_system_id is not null

    union

    select
        usage_facts.identity_id,
        usage_facts.ai_system_id
    from usage_facts
    inner join identities
        on usage_facts.identity_id = identities.identity_id
    where
        identities.identity_kind in ('service', 'agent', 'api_key')
        and usage_facts.ai_system_id <> 'ais-unattributed'

),

identity_risk as (

    select
        runtime_identities.ai_system_id,
        count(*) as runtime_identity_count,
        sum(case when identities.credential_posture = 'static_long_lived' then 1 else 0 end)
            as static_credential_identity_count
    from runtime_identities
    inner join identities
        on runtime_identities.identity_id = identities.identity_id
    group by runtime_identities.ai_system_id

),

secret_links as (

    select
        credential_key,
        tagged_ai_system_id as ai_system_id
    from credentials
    where credential_type = 'secret' and tagged_ai_system_id is not null

    union

    select
        credentials.credential_key,
        runtime_identities.ai_system_id
    from credentials
    inner join runtime_identities
        on credentials.identity_id = runtime_identities.identity_id
    where credentials.credential_type = 'secret'

),

secret_risk as (

    select
        secret_links.ai_system_id,
        count(*) as secret_count,
        sum(case when credentials.is_past_rotation then 1 else 0 end) as secrets_past_rotation_count,
        {{ dbt.listagg('credentials.credential_ref', "';'", 'order by credentials.credential_ref') }} as secret_arns
    from secret_links
    inner join credentials
        on secret_links.credential_key = credentials.credential_key
    group by secret_links.ai_system_id

),

decision_risk as (

    select
        ai_system_id,
        count(*) as decision_count,
        sum(case when is_allowed = false then 1 else 0 end) as denied_decision_count
    from decisions
    group by ai_system_id

),

usage_risk as (

    select
        ai_system_id,
        sum(request_count) as request_count,
        sum(cost_usd) as spend_usd
    from usage_facts
    group by ai_system_id

),

counts as (

    select
        systems.ai_system_id,
        systems.ai_system_name,
        systems.system_type,
        systems.is_sanctioned,
        systems.owner_team,
        cast(coalesce(identity_risk.runtime_identity_count, 0) as bigint) as runtime_identity_count,
        cast(coalesce(identity_risk.static_credential_identity_count, 0) as bigint)
            as static_credential_identity_count,
        cast(coalesce(decision_risk.decision_count, 0) as bigint) as decision_count,
        cast(coalesce(decision_risk.denied_decision_count, 0) as bigint) as denied_decision_count,
        cast(
            case when systems.system_type = 'shadow' then coalesce(usage_risk.request_count, 0) else 0 end
            as bigint
        ) as shadow_usage_request_count,
        cast(
            case when systems.system_type = 'shadow' then coalesce(usage_risk.spend_usd, 0) else 0 end
            as {{ money_type() }}
        ) as shadow_usage_spend_usd,
        cast(coalesce(secret_risk.secret_count, 0) as bigint) as secret_count,
        cast(coalesce(secret_risk.secrets_past_rotation_count, 0) as bigint) as secrets_past_rotation_count,
        secret_risk.secret_arns
    from systems
    left join identity_risk
        on systems.ai_system_id = identity_risk.ai_system_id
    left join secret_risk
        on systems.ai_system_id = secret_risk.ai_system_id
    left join decision_risk
        on systems.ai_system_id = decision_risk.ai_system_id
    left join usage_risk
        on systems.ai_system_id = usage_risk.ai_system_id

),

final as (

    select
        *,
        nullif(
            {{ ai_roi_ledger.regexp_replace_all(
                "case when static_credential_identity_count > 0 then 'static_credentials;' else '' end"
                ~ " || case when denied_decision_count > 0 then 'denied_decisions;' else '' end"
                ~ " || case when system_type = 'shadow' then 'shadow_usage;' else '' end"
                ~ " || case when secrets_past_rotation_count > 0 then 'secrets_past_rotation;' else '' end",
                ';$', '') }},
            ''
        ) as risk_flags,
        (
            static_credential_identity_count > 0
            or denied_decision_count > 0
            or system_type = 'shadow'
            or secrets_past_rotation_count > 0
        ) as has_risk,
        {{ spine_as_of_date() }} as as_of_date
    from counts

)

select * from final
