-- The identity keys the AI tool exports show, one row per key, anchor, kind hint, dataset and file (the shape
-- of int_identity__activity_keys): Anthropic API key ids, Claude Code actors (an email, an API key's name),
-- Bedrock callers (an IAM user, or a role whose session is dropped), Cursor emails, GitHub Copilot users'
-- logins (usage and seats). A key no inventory declares becomes an unknown identity (int_identity__keys), so
-- every actor of these sources resolves to dim_identity. Each key anchors itself: these exports name one
-- actor per record. Kind hints: an email is a person, a login as spine_login_kind says, an API key an
-- api_key, an IAM user or role calling a model API a service.

-- Incremental (macros/increments_models.sql): a night computes again the AI tool usage files its staging
-- models' new batches touched (keys and markers only: no price join), and the Copilot seats whole (their
-- staging is a table rebuilt every night: it has no batches to follow).

{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ observed_keys_increment_prepare(usage_ai_tool_staging().keys() | list) }}",
    post_hook="{{ observed_keys_increment_finish(usage_ai_tool_staging().keys() | list) }}"
) }}

{%- set relations = {} -%}
{%- for dataset in usage_ai_tool_staging() -%}
    {%- do relations.update({dataset: observed_keys_rows(dataset)}) -%}
{%- endfor %}

with

usage_events as (

    {{ usage_events_ai_tools(relations, none) }}

),

seats as (

    select * from {{ ref('stg_ai__github_copilot_seats') }}

),

record_keys as (

    select
        key_type,
        key_value,
        key_type as anchor_key_type,
        key_value as anchor_key_value,
        case
            when key_type = 'email' then 'human'
            when key_type = 'github_login' then {{ spine_login_kind('key_value') }}
            when key_type in ('anthropic_api_key_id', 'api_key_ref') then 'api_key'
            else 'service'
        end as kind_hint,
        source_dataset,
        event_at as first_seen_at,
        event_at as last_seen_at,
        _source_file,
        _line
    from usage_events
    where key_value is not null

    union all

    select
        'github_login' as key_type,
        github_login as key_value,
        'github_login' as anchor_key_type,
        github_login as anchor_key_value,
        {{ spine_login_kind('github_login') }} as kind_hint,
        'ai/github_copilot_seats' as source_dataset,
        seat_created_at as first_seen_at,
        coalesce(last_activity_at, seat_created_at) as last_seen_at,
        _source_file,
        _line
    from seats
    where github_login is not null

),

final as (

    {{ observed_keys_per_file('record_keys') }}

)

select * from final
