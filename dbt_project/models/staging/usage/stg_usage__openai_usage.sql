{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('usage', 'openai_usage') }}",
    post_hook="{{ landing_increment_finish('usage', 'openai_usage') }}"
) }}

with

source as (

    {{ deduplicated_landing('usage', 'openai_usage') }}

),

renamed as (

    select
        {{ surrogate_key(['bucket_start', 'object', 'project_id', 'user_id', 'api_key_id', 'model', 'batch',
                          'service_tier', 'source', 'size', 'vector_store_id', 'context_level', '_file_sha256']) }}
            as usage_row_id,
        bucket_start as bucket_start_at,
        bucket_end as bucket_end_at,
        object as result_object,
        {{ openai_usage_kind('object') }} as usage_kind,
        project_id,
        user_id as openai_user_id,
        api_key_id,
        model as model_name,
        batch as is_batch,
        service_tier,
        input_tokens,
        output_tokens,
        input_cached_tokens,
        input_cache_write_tokens,
        input_audio_tokens,
        output_audio_tokens,
        num_model_requests as model_request_count,
        images as image_count,
        characters as character_count,
        seconds as audio_seconds,
        usage_bytes,
        num_sessions as session_count,
        num_requests as tool_call_count,
        source as image_source,
        size as image_size,
        vector_store_id,
        context_level,
        {{ openai_usage_unit(openai_usage_kind('object')) }} as usage_unit,
        case
            when {{ openai_usage_unit(openai_usage_kind('object')) }} = 'tokens'
                then coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
            else coalesce(images, characters, seconds, usage_bytes, num_sessions, num_requests)
        end as usage_quantity,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
