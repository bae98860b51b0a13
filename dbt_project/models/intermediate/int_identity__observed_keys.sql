-- Every identity key seen in a source, with the key it is linked to in the same record (its anchor) and
-- the kind of actor the record suggests: one row per key, anchor, kind hint, dataset and source file.
-- Resolution to identities happens in int_identity__keys.
-- Incremental (macros/increments_models.sql): a night computes again the source files its staging models' new
-- batches touched, and its small table sources whole.

{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ observed_keys_increment_prepare() }}",
    post_hook="{{ observed_keys_increment_finish() }}"
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

litellm as (

    select * from {{ observed_keys_rows('usage/litellm_spend_logs') }}

),

openai as (

    select * from {{ observed_keys_rows('usage/openai_usage') }}

),

opa as (

    select * from {{ observed_keys_rows('policy/opa_decision_logs') }}

),

changes as (

    select * from {{ observed_keys_rows('delivery/changes') }}

),

work_items as (

    select * from {{ ref('stg_delivery__work_items') }}

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

-- LiteLLM: the key's user (an email for people) anchors the key hash, so a key missing from the inventory
-- still resolves to the person who owns it; a key with no user stands alone (kind api_key).
litellm_users as (

    select
        *,
        lower(trim(coalesce(litellm_user_id, api_key_user_id))) as user_ref
    from litellm

),

-- (10 million requests and more: grouped per key, user and file first; the rows below are those groups)
litellm_groups as (

    select
        api_key_hash,
        user_ref,
        _source_file,
        count(*) as observation_count,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        min(_line) as first_line
    from litellm_users
    group by api_key_hash, user_ref, _source_file

),

litellm_aggregated as (

    select
        'litellm_key_hash' as key_type,
        api_key_hash as key_value,
        case
            when user_ref is null then 'litellm_key_hash'
            when user_ref like '%@%' then 'email'
            else 'litellm_user'
        end as anchor_key_type,
        coalesce(user_ref, api_key_hash) as anchor_key_value,
        'api_key' as kind_hint,
        'usage/litellm_spend_logs' as source_dataset,
        _source_file,
        observation_count,
        first_seen_at,
        last_seen_at,
        first_line
    from litellm_groups
    where api_key_hash is not null

    union all

    select
        case when user_ref like '%@%' then 'email' else 'litellm_user' end as key_type,
        user_ref as key_value,
        case when user_ref like '%@%' then 'email' else 'litellm_user' end as anchor_key_type,
        user_ref as anchor_key_value,
        'human' as kind_hint,
        'usage/litellm_spend_logs' as source_dataset,
        _source_file,
        cast(sum(observation_count) as {{ dbt.type_bigint() }}) as observation_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min(first_line) as first_line
    from litellm_groups
    where user_ref is not null
    group by user_ref, _source_file

),

-- OpenAI: the user id (people) anchors the api key id.
openai_keys as (

    select
        'openai_api_key_id' as key_type,
        api_key_id as key_value,
        case when openai_user_id is null then 'openai_api_key_id' else 'openai_user_id' end as anchor_key_type,
        coalesce(openai_user_id, api_key_id) as anchor_key_value,
        'api_key' as kind_hint,
        'usage/openai_usage' as source_dataset,
        bucket_start_at as first_seen_at,
        bucket_start_at as last_seen_at,
        _source_file,
        _line
    from openai
    where api_key_id is not null

    union all

    select
        'openai_user_id' as key_type,
        openai_user_id as key_value,
        'openai_user_id' as anchor_key_type,
        openai_user_id as anchor_key_value,
        'human' as kind_hint,
        'usage/openai_usage' as source_dataset,
        bucket_start_at as first_seen_at,
        bucket_start_at as last_seen_at,
        _source_file,
        _line
    from openai
    where openai_user_id is not null

),

-- OPA: input.subject is an email for people and the identity key (hum-/svc-/agt-/key-) otherwise.
opa_subjects as (

    select
        *,
        case
            when subject_ref like '%@%' then 'email'
            when {{ spine_regexp_like('subject_ref', '^(hum|svc|agt|key)-') }} then 'identity_ref'
            else 'opa_subject'
        end as subject_key_type
    from opa
    where subject_ref is not null

),

opa_keys as (

    select
        subject_key_type as key_type,
        subject_ref as key_value,
        subject_key_type as anchor_key_type,
        subject_ref as anchor_key_value,
        case
            when subject_kind in ('human', 'service', 'agent', 'api_key') then subject_kind
            when subject_ref like '%@%' or substr(subject_ref, 1, 4) = 'hum-' then 'human'
            when substr(subject_ref, 1, 4) = 'agt-' then 'agent'
            when substr(subject_ref, 1, 4) = 'key-' then 'api_key'
            else 'service'
        end as kind_hint,
        'policy/opa_decision_logs' as source_dataset,
        decided_at as first_seen_at,
        decided_at as last_seen_at,
        _source_file,
        _line
    from opa_subjects

),

-- Delivery: change authors are GitHub logins; ticket assignees a login or an email.
delivery_keys as (

    select
        'github_login' as key_type,
        author_login as key_value,
        'github_login' as anchor_key_type,
        author_login as anchor_key_value,
        {{ spine_login_kind('author_login') }} as kind_hint,
        'delivery/changes' as source_dataset,
        created_at as first_seen_at,
        created_at as last_seen_at,
        _source_file,
        _line
    from changes
    where author_login is not null

    union all

    select
        case when assignee_login like '%@%' then 'email' else 'github_login' end as key_type,
        assignee_login as key_value,
        case when assignee_login like '%@%' then 'email' else 'github_login' end as anchor_key_type,
        assignee_login as anchor_key_value,
        {{ spine_login_kind('assignee_login') }} as kind_hint,
        'delivery/work_items' as source_dataset,
        created_at as first_seen_at,
        coalesce(resolved_at, created_at) as last_seen_at,
        _source_file,
        _line
    from work_items
    where assignee_login is not null

),

all_keys as (

    select * from okta_keys
    union all
    select * from github_keys
    union all
    select * from credential_report_keys
    union all
    select * from secret_keys
    union all
    select * from openai_keys
    union all
    select * from opa_keys
    union all
    select * from delivery_keys

),

aggregated as (

    select
        key_type,
        key_value,
        anchor_key_type,
        anchor_key_value,
        kind_hint,
        source_dataset,
        _source_file,
        count(*) as observation_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min(_line) as first_line
    from all_keys
    group by
        key_type,
        key_value,
        anchor_key_type,
        anchor_key_value,
        kind_hint,
        source_dataset,
        _source_file

)

select * from aggregated
union all
select * from litellm_aggregated
