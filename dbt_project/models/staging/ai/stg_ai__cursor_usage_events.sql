{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('ai', 'cursor_usage_events') }}",
    post_hook="{{ landing_increment_finish('ai', 'cursor_usage_events') }}"
) }}

with

source as (

    {{ deduplicated_landing('ai', 'cursor_usage_events') }}

),

renamed as (

    select
        {{ surrogate_key(['event_at', 'user_email', 'model', 'kind']) }}
            as usage_event_id,
        event_at,
        lower(trim(user_email)) as user_email,
        model as model_name,
        kind as usage_kind,
        conversation_id,
        coalesce(max_mode, false) as is_max_mode,
        requests_costs as request_units,
        coalesce(is_token_based_call, false) as is_token_based,
        is_chargeable,
        coalesce(input_tokens, 0) as input_tokens,
        coalesce(output_tokens, 0) as output_tokens,
        coalesce(cache_write_tokens, 0) as cache_write_tokens,
        coalesce(cache_read_tokens, 0) as cache_read_tokens,
        cast(token_cents as {{ money_type() }}) as token_cents,
        cast(cursor_token_fee_cents as {{ money_type() }}) as cursor_token_fee_cents,
        cast(charged_cents as {{ money_type() }}) as charged_cents,
        cast(charged_cents * 0.01 as {{ money_type() }}) as charged_amount,
        'USD' as currency,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
