-- Incremental (macros/increments_models.sql): a night computes again the Okta and GitHub files its staging
-- models' new batches touched, and the credential report and secrets inventory whole.

{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ observed_keys_increment_prepare(['iam/okta_system_log', 'iam/github_audit_log']) }}",
    post_hook="{{ observed_keys_increment_finish(['iam/okta_system_log', 'iam/github_audit_log']) }}"
) }}

with

okta as (

    select * from {{ observed_keys_rows('iam/okta_system_log') }}

),

github as (

    select * from {{ observed_keys_rows('iam/github_audit_log') }}

),

credential_report as (

    select * from {{ ref('stg_iam__aws_credential_report') }}

),

secrets as (

    select * from {{ ref('stg_iam__secrets_inventory') }}

),

-- Okta: the actor's login (alternateId: an email for people, the client id for apps) anchors its Okta id.
okta_keys as (

    select
        'okta_login' as key_type,
        actor_login as key_value,
        'okta_login' as anchor_key_type,
        actor_login as anchor_key_value,
        case when actor_type = 'User' then 'human' else 'service' end as kind_hint,
        'iam/okta_system_log' as source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from okta
    where actor_login is not null

    union all

    select
        'okta_id' as key_type,
        actor_id as key_value,
        case when actor_login is null then 'okta_id' else 'okta_login' end as anchor_key_type,
        coalesce(actor_login, actor_id) as anchor_key_value,
        case when actor_type = 'User' then 'human' else 'service' end as kind_hint,
        'iam/okta_system_log' as source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from okta
    where actor_id is not null

),

-- GitHub: the actor's login anchors the hashed token it used; the affected user is a login of its own.
github_keys as (

    select
        'github_login' as key_type,
        actor_login as key_value,
        'github_login' as anchor_key_type,
        actor_login as anchor_key_value,
        {{ spine_login_kind('actor_login', 'actor_is_bot') }} as kind_hint,
        'iam/github_audit_log' as source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from github
    where actor_login is not null

    union all

    select
        'github_token_hash' as key_type,
        hashed_token as key_value,
        case when actor_login is null then 'github_token_hash' else 'github_login' end as anchor_key_type,
        coalesce(actor_login, hashed_token) as anchor_key_value,
        'api_key' as kind_hint,
        'iam/github_audit_log' as source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from github
    where hashed_token is not null

    union all

    select
        'github_login' as key_type,
        user_login as key_value,
        'github_login' as anchor_key_type,
        user_login as anchor_key_value,
        {{ spine_login_kind('user_login') }} as kind_hint,
        'iam/github_audit_log' as source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from github
    where user_login is not null

),

-- AWS: the IAM user, keyed `<account>:<user>` (names repeat across accounts: every account has a
-- `<root_account>` row), anchors its ARN. A console password means a person (the root account is one too).
credential_report_users as (

    select
        *,
        {{ aws_iam_user_key('aws_account_id', 'iam_user_name') }} as iam_user_key
    from credential_report

),

credential_report_keys as (

    select
        'aws_iam_user' as key_type,
        iam_user_key as key_value,
        'aws_iam_user' as anchor_key_type,
        iam_user_key as anchor_key_value,
        case when is_root_account or password_enabled then 'human' else 'service' end as kind_hint,
        'iam/aws_credential_report' as source_dataset,
        user_created_at as first_seen_at,
        -- greatest skips NULLs on DuckDB, PostgreSQL and Spark
        coalesce(
            greatest(password_last_used_at, access_key_1_last_used_at, access_key_2_last_used_at),
            user_created_at
        ) as last_seen_at,
        _source_file,
        _line
    from credential_report_users
    where iam_user_key is not null

    union all

    select
        'aws_iam_arn' as key_type,
        iam_user_arn as key_value,
        'aws_iam_user' as anchor_key_type,
        iam_user_key as anchor_key_value,
        case when is_root_account or password_enabled then 'human' else 'service' end as kind_hint,
        'iam/aws_credential_report' as source_dataset,
        user_created_at as first_seen_at,
        user_created_at as last_seen_at,
        _source_file,
        _line
    from credential_report_users
    where iam_user_arn is not null and iam_user_key is not null

),

-- Secrets Manager: a secret tagged `owner` = an identity key is anchored to that identity.
secret_owner_tags as (

    select
        *,
        lower({{ spine_regexp_extract('tags_json', '"Key" *: *"owner" *, *"Value" *: *"([^"]+)"') }}) as owner_tag
    from secrets

),

secret_keys as (

    select
        'secret_arn' as key_type,
        secret_arn as key_value,
        case when owner_tag is null then 'secret_arn' else 'identity_ref' end as anchor_key_type,
        coalesce(owner_tag, secret_arn) as anchor_key_value,
        'api_key' as kind_hint,
        'iam/secrets_inventory' as source_dataset,
        created_at as first_seen_at,
        coalesce(last_accessed_at, last_changed_at, created_at) as last_seen_at,
        _source_file,
        _line
    from secret_owner_tags
    where secret_arn is not null

),

all_keys as (

    select * from okta_keys
    union all
    select * from github_keys
    union all
    select * from credential_report_keys
    union all
    select * from secret_keys

),

aggregated as (

    {{ observed_keys_per_file('all_keys') }}

)

select * from aggregated
