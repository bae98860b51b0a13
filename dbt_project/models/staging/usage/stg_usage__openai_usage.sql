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
        {{ surrogate_key(['bucket_start', 'project_id', 'user_id', 'api_key_id', 'model', 'batch', '_file_sha256']) }}
            as usage_row_id,
        bucket_start as bucket_start_at,
        bucket_end as bucket_end_at,
        object as result_object,
        project_id,
        user_id as openai_user_id,
        api_key_id,
        model as model_name,
        batch as is_batch,
        service_tier,
        input_tokens,
        output_tokens,
        input_cached_tokens,
        input_audio_tokens,
        output_audio_tokens,
        num_model_requests as model_request_count,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
