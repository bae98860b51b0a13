-- Incremental (macros/increments_models.sql): a night computes again the usage, policy and change files its
-- staging models' new batches touched, and work items whole.

{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ observed_keys_increment_prepare(['usage/litellm_spend_logs', 'usage/openai_usage', 'policy/opa_decision_logs', 'delivery/changes']) }}",
    post_hook="{{ observed_keys_increment_finish(['usage/litellm_spend_logs', 'usage/openai_usage', 'policy/opa_decision_logs', 'delivery/changes']) }}"
) }}

with

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

    select * from openai_keys
    union all
    select * from opa_keys
    union all
    select * from delivery_keys

),

aggregated as (

    {{ observed_keys_per_file('all_keys') }}

)

select * from aggregated
union all
select * from litellm_aggregated
