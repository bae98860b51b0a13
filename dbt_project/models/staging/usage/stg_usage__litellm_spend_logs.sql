{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('usage', 'litellm_spend_logs') }}",
    post_hook="{{ landing_increment_finish('usage', 'litellm_spend_logs') }}"
) }}

{#- the key and team, and the usage classes LiteLLM keeps in metadata.usage_object: cache reads (OpenAI's
    prompt_tokens_details.cached_tokens, Anthropic's cache_read_input_tokens), cache writes, reasoning tokens #}
{%- set metadata_paths = ['user_api_key_alias', 'user_api_key_user_id', 'user_api_key_team_id',
                          'user_api_key_team_alias', 'usage_object.prompt_tokens_details.cached_tokens',
                          'usage_object.cache_read_input_tokens', 'usage_object.cache_creation_input_tokens',
                          'usage_object.completion_tokens_details.reasoning_tokens'] -%}

with

source as (

    {{ deduplicated_landing('usage', 'litellm_spend_logs') }}

),

-- the metadata parsed once for the paths read from it (macros/json_get_text.sql)
parsed as (

    select
        source.*,
        {{ json_get_texts('metadata', metadata_paths) }} as _metadata_texts
    from source

),

renamed as (

    select
        request_id,
        call_type,
        api_key as api_key_hash,
        cast(spend as {{ money_type() }}) as spend_usd,
        total_tokens,
        prompt_tokens,
        completion_tokens,
        coalesce(
            {{ safe_cast(json_texts_item('_metadata_texts', metadata_paths, 5), 'bigint') }},
            {{ safe_cast(json_texts_item('_metadata_texts', metadata_paths, 4), 'bigint') }}
        ) as cached_prompt_tokens,
        {{ safe_cast(json_texts_item('_metadata_texts', metadata_paths, 6), 'bigint') }} as cache_creation_tokens,
        {{ safe_cast(json_texts_item('_metadata_texts', metadata_paths, 7), 'bigint') }} as reasoning_tokens,
        start_time as started_at,
        end_time as ended_at,
        request_duration_ms,
        model as model_name,
        model_id,
        model_group,
        custom_llm_provider as llm_provider,
        api_base,
        {{ adapter.quote('user') }} as litellm_user_id,
        {{ json_texts_item('_metadata_texts', metadata_paths, 0) }} as api_key_alias,
        {{ json_texts_item('_metadata_texts', metadata_paths, 1) }} as api_key_user_id,
        coalesce(team_id, {{ json_texts_item('_metadata_texts', metadata_paths, 2) }}) as team_id,
        {{ json_texts_item('_metadata_texts', metadata_paths, 3) }} as team_alias,
        organization_id,
        end_user,
        {{ safe_cast('cache_hit', 'boolean') }} as is_cache_hit,
        {{ normalise_list('request_tags') }} as request_tags,
        request_tags as request_tags_json,
        status as request_status,
        session_id,
        agent_id,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from parsed

)

select * from renamed
