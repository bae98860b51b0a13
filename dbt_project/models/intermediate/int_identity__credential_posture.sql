-- Credential posture per identity with any credential evidence: one row per identity.
--   static_long_lived         an active access key or a secret not rotated within var static_key_max_age_days
--   short_lived_or_federated  otherwise, when the identity signs in through the identity provider (Okta login
--                             or OAuth client), acts as a GitHub App (installation tokens), or has an IAM user
--                             or secrets that are all rotated in time
-- Identities without any of this evidence (e.g. bare LiteLLM / OpenAI keys) are `unknown` in dim_identity.

with

credentials as (

    select * from {{ ref('int_credentials__assessed') }}
    where identity_id is not null

),

latest_report as (

    select * from {{ ref('int_credential_report__latest') }}

),

identity_keys as (

    select * from {{ ref('int_identity__keys') }}

),

iam_users as (

    select
        identity_keys.identity_id,
        -- MFA only when every IAM user of the identity has it: one user without MFA is the exposure
        min(case when latest_report.mfa_active then 1 else 0 end) as mfa_flag,
        max(case when latest_report.password_enabled then 1 else 0 end) as password_flag
    from latest_report
    inner join identity_keys
        on
            identity_keys.key_type = 'aws_iam_user'
            and latest_report.iam_user_key = identity_keys.key_value
    group by identity_keys.identity_id

),

federated as (

    select distinct identity_id
    from identity_keys
    where
        key_type in ('okta_login', 'okta_id')
        or (key_type = 'github_login' and key_value like '%[bot]')

),

credential_summary as (

    select
        identity_id,
        sum(case when is_active then 1 else 0 end) as active_credential_count,
        sum(case when is_static_long_lived then 1 else 0 end) as static_credential_count,
        sum(case when is_past_rotation then 1 else 0 end) as past_rotation_credential_count,
        max(case when is_active then days_since_rotation end) as key_age_days,
        min(case when is_active then last_rotated_at end) as key_last_rotated_at
    from credentials
    group by identity_id

),

identities as (

    select identity_id from credential_summary
    union
    select identity_id from iam_users
    union
    select identity_id from federated

),

final as (

    select
        identities.identity_id,
        case
            when coalesce(credential_summary.static_credential_count, 0) > 0 then 'static_long_lived'
            else 'short_lived_or_federated'
        end as credential_posture,
        cast(coalesce(credential_summary.active_credential_count, 0) as bigint) as active_credential_count,
        cast(coalesce(credential_summary.static_credential_count, 0) as bigint) as static_credential_count,
        cast(coalesce(credential_summary.past_rotation_credential_count, 0) as bigint)
            as past_rotation_credential_count,
        cast(credential_summary.key_age_days as bigint) as key_age_days,
        credential_summary.key_last_rotated_at,
        case when iam_users.identity_id is not null then iam_users.mfa_flag = 1 end as mfa_active,
        coalesce(iam_users.password_flag = 1, false) as has_console_password,
        federated.identity_id is not null as has_federated_sign_in
    from identities
    left join credential_summary
        on identities.identity_id = credential_summary.identity_id
    left join iam_users
        on identities.identity_id = iam_users.identity_id
    left join federated
        on identities.identity_id = federated.identity_id

)

select * from final
