{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'anthropic_usage') }}",
    post_hook="{{ landing_increment_finish('ai', 'anthropic_usage') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'anthropic_usage') }}

),

renamed as (

    select
        {{ surrogate_key([
            'starting_at',
            'api_key_id',
            'workspace_id',
            'model',
            'service_tier',
            'context_window',
            'inference_geo',
            'account_id',
            'service_account_id',
            '_file_sha256'
        ]) }}
            as usage_row_id,
        starting_at as bucket_start_at,
        ending_at as bucket_end_at,
        api_key_id,
        workspace_id,
        model as model_name,
        service_tier,
        context_window,
        inference_geo,
        uncached_input_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_input_tokens,
        coalesce(cache_creation_5m_input_tokens, 0)
        + coalesce(cache_creation_1h_input_tokens, 0) as cache_write_input_tokens,
        coalesce(cache_creation_1h_input_tokens, 0) as cache_write_1h_input_tokens,
        output_tokens,
        coalesce(web_search_requests, 0) as web_search_requests,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
