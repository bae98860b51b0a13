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
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

),

measured as (

    select
        *,
        {{ openai_usage_unit('usage_kind') }} as usage_unit,
        case
            when usage_kind in ('completions', 'embeddings', 'moderations')
                then coalesce(input_tokens, 0) + coalesce(output_tokens, 0)
            when usage_kind = 'images' then image_count
            when usage_kind = 'audio_speeches' then character_count
            when usage_kind = 'audio_transcriptions' then audio_seconds
            when usage_kind = 'vector_stores' then usage_bytes
            when usage_kind = 'code_interpreter_sessions' then session_count
            else tool_call_count
        end as usage_quantity

    from renamed

)

select * from measured
