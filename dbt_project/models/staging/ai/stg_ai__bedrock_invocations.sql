{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'bedrock_invocations') }}",
    post_hook="{{ landing_increment_finish('ai', 'bedrock_invocations') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'bedrock_invocations') }}

),

renamed as (

    select
        request_id,
        invoked_at,
        account_id as aws_account_id,
        identity_arn as caller_arn,
        region as aws_region,
        inference_region,
        operation,
        model_id,
        {{ bedrock_base_model_id('model_id') }} as base_model_id,
        error_code,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(cache_read_input_tokens, 0) as cache_read_input_tokens,
        coalesce(cache_write_input_tokens, 0) as cache_write_input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        latency_ms,
        schema_version,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
