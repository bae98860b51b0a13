-- Where usage shows an AI system marker, one row per marker, source dataset and file: LiteLLM `app:` request
-- tags, OpenAI projects, OPA `input.ai_system`, Anthropic workspaces, and the seat products whose own reports
-- show use (product:github_copilot, product:cursor, product:claude_code). int_ai_system__markers makes a
-- shadow system of every marker no inventory AI system declares.

{{ config(materialized='view') }}

with

litellm as (

    select * from {{ ref('stg_usage__litellm_spend_logs') }}

),

openai as (

    select * from {{ ref('stg_usage__openai_usage') }}

),

opa as (

    select * from {{ ref('stg_policy__opa_decision_logs') }}

),

anthropic as (

    select * from {{ ref('stg_ai__anthropic_usage') }}

),

{%- set products = [
    ('product:github_copilot', 'ai/github_copilot_usage', ref('stg_ai__github_copilot_usage'), 'usage_date'),
    ('product:github_copilot', 'ai/github_copilot_seats', ref('stg_ai__github_copilot_seats'), 'seat_created_at'),
    ('product:cursor', 'ai/cursor_daily_usage', ref('stg_ai__cursor_daily_usage'), 'usage_date'),
    ('product:cursor', 'ai/cursor_usage_events', ref('stg_ai__cursor_usage_events'), 'event_at'),
    ('product:claude_code', 'ai/claude_code_usage', ref('stg_ai__claude_code_usage'), 'activity_date'),
] %}

-- LiteLLM: one row per distinct tag list and file first, then one row per tag
litellm_tag_lists as (

    select
        request_tags,
        _source_file,
        min(started_at) as first_seen_at,
        max(started_at) as last_seen_at,
        min(_line) as first_line
    from litellm
    where request_tags is not null
    group by request_tags, _source_file

),

litellm_tags as (

    select
        {{ spine_explode_list('request_tags') }} as tag,
        _source_file,
        first_seen_at,
        last_seen_at,
        first_line
    from litellm_tag_lists

),

final as (

    select
        'litellm_tag' as marker_type,
        tag as marker_value,
        'usage/litellm_spend_logs' as source_dataset,
        _source_file,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at,
        min(first_line) as first_line
    from litellm_tags
    where substr(tag, 1, 4) = 'app:'
    group by tag, _source_file

    union all

    select
        'openai_project' as marker_type,
        project_id as marker_value,
        'usage/openai_usage' as source_dataset,
        _source_file,
        min(bucket_start_at) as first_seen_at,
        max(bucket_start_at) as last_seen_at,
        min(_line) as first_line
    from openai
    where project_id is not null
    group by project_id, _source_file

    union all

    select
        {{ spine_marker_type('ai_system_ref') }} as marker_type,
        ai_system_ref as marker_value,
        'policy/opa_decision_logs' as source_dataset,
        _source_file,
        min(decided_at) as first_seen_at,
        max(decided_at) as last_seen_at,
        min(_line) as first_line
    from opa
    where ai_system_ref is not null
    group by ai_system_ref, _source_file

    union all

    select
        'anthropic_workspace' as marker_type,
        workspace_id as marker_value,
        'ai/anthropic_usage' as source_dataset,
        _source_file,
        min(bucket_start_at) as first_seen_at,
        max(bucket_start_at) as last_seen_at,
        min(_line) as first_line
    from anthropic
    where workspace_id is not null
    group by workspace_id, _source_file
    {%- for marker, dataset, relation, seen_at in products %}

        union all

        select
            'ai_product' as marker_type,
            '{{ marker }}' as marker_value,
            '{{ dataset }}' as source_dataset,
            _source_file,
            min(cast({{ seen_at }} as {{ dbt.type_timestamp() }})) as first_seen_at,
            max(cast({{ seen_at }} as {{ dbt.type_timestamp() }})) as last_seen_at,
            min(_line) as first_line
        from {{ relation }}
        group by _source_file
    {%- endfor %}

)

select * from final
