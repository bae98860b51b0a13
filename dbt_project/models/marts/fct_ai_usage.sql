-- AI usage per day x identity x AI system x model x source dataset x usage unit: requests, tokens, the
-- quantity in the record's own unit (images, audio seconds, ...) and exact cost.
-- Every usage record is in exactly one row (unattributable usage under the 'unattributed' identity and the
-- 'ais-unattributed' system). Provenance: `source_files` lists the raw files of the records behind a row;
-- the records themselves are the staging rows of those files with the same day, key, system and model
-- (int_usage__attributed keeps `_source_file` / `_line` per record). `event_ids` names those records by their staging
-- natural keys (LiteLLM `request_id`, OpenAI `usage_row_id`, ...): what `roi-ledger trace` follows to the raw lines,
-- since the identity and AI system resolution that groups them is not published.

-- Incremental (macros/increments.sql): a night totals again the usage dates whose records changed.

{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    pre_hook="{{ usage_totals_increment_prepare() }}",
    post_hook="{{ usage_totals_increment_finish() }}"
) }}

with

usage_events as (

    select * from {{ usage_totals_rows() }}

),

by_file_and_method as (

    select
        usage_date,
        identity_id,
        ai_system_id,
        model_name,
        source_dataset,
        usage_unit,
        _source_file,
        attribution_method,
        priced_by,
        min(provider) as provider,
        max(case when is_identity_known then 1 else 0 end) as identity_known_flag,
        min(owner_team) as owner_team,
        min(system_type) as system_type,
        min(cost_currency) as cost_currency,
        count(*) as usage_record_count,
        sum(request_count) as request_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(usage_quantity) as usage_quantity,
        max(case when is_seat_day then 1 else 0 end) as seat_day_flag,
        sum(cost_amount) as cost_amount,
        sum(cost_usd) as cost_usd,
        min(event_at) as first_event_at,
        max(event_at) as last_event_at
    from usage_events
    group by
        usage_date,
        identity_id,
        ai_system_id,
        model_name,
        source_dataset,
        usage_unit,
        _source_file,
        attribution_method,
        priced_by

),

-- the grain's totals, its files and its attribution methods in one aggregation of the per-file rows (no join
-- back: a join of four 3.5M-row relations on the key cost more than the aggregations at the large bench scale)
totals as (

    select
        {{ surrogate_key(['usage_date', 'identity_id', 'ai_system_id', 'model_name', 'source_dataset', 'usage_unit']) }}
            as usage_key,
        usage_date,
        identity_id,
        ai_system_id,
        model_name,
        source_dataset,
        usage_unit,
        min(provider) as provider,
        max(identity_known_flag) as identity_known_flag,
        min(owner_team) as owner_team,
        min(system_type) as system_type,
        min(cost_currency) as cost_currency,
        sum(usage_record_count) as usage_record_count,
        sum(request_count) as request_count,
        sum(input_tokens) as input_tokens,
        sum(output_tokens) as output_tokens,
        sum(cached_input_tokens) as cached_input_tokens,
        sum(cache_write_tokens) as cache_write_tokens,
        sum(reasoning_tokens) as reasoning_tokens,
        sum(usage_quantity) as usage_quantity,
        max(seat_day_flag) as seat_days,
        sum(cost_amount) as cost_amount,
        sum(cost_usd) as cost_usd,
        min(first_event_at) as first_event_at,
        max(last_event_at) as last_event_at,
        {{ sorted_distinct_listagg('_source_file') }} as source_files,
        {{ sorted_distinct_listagg('attribution_method') }} as attribution_methods,
        {{ sorted_distinct_listagg('priced_by') }} as priced_by
    from by_file_and_method
    group by
        usage_date,
        identity_id,
        ai_system_id,
        model_name,
        source_dataset,
        usage_unit

),

event_lists as (

    select
        {{ surrogate_key(['usage_date', 'identity_id', 'ai_system_id', 'model_name', 'source_dataset', 'usage_unit']) }}
            as usage_key,
        {{ sorted_listagg('event_id') }} as event_ids
    from usage_events
    group by
        usage_date,
        identity_id,
        ai_system_id,
        model_name,
        source_dataset,
        usage_unit

),

final as (

    select
        totals.usage_key,
        totals.usage_date,
        totals.identity_id,
        totals.ai_system_id,
        totals.model_name,
        totals.source_dataset,
        totals.usage_unit,
        totals.provider,
        totals.owner_team,
        totals.identity_known_flag = 1 as is_identity_known,
        totals.system_type,
        coalesce(
            totals.identity_known_flag = 1
            and totals.system_type in ('registered', 'shadow')
            and totals.owner_team is not null,
            false
        ) as is_fully_attributed,
        totals.attribution_methods,
        cast(totals.usage_record_count as bigint) as usage_record_count,
        cast(totals.request_count as bigint) as request_count,
        cast(totals.input_tokens as bigint) as input_tokens,
        cast(totals.output_tokens as bigint) as output_tokens,
        cast(totals.cached_input_tokens as bigint) as cached_input_tokens,
        cast(totals.cache_write_tokens as bigint) as cache_write_tokens,
        cast(totals.reasoning_tokens as bigint) as reasoning_tokens,
        cast(totals.usage_quantity as bigint) as usage_quantity,
        cast(totals.seat_days as bigint) as seat_days,
        cast(totals.cost_amount as {{ money_type() }}) as cost_amount,
        totals.cost_currency,
        cast(totals.cost_usd as {{ money_type() }}) as cost_usd,
        totals.priced_by,
        totals.first_event_at,
        totals.last_event_at,
        totals.source_files,
        event_lists.event_ids
    from totals
    inner join event_lists
        on totals.usage_key = event_lists.usage_key

)

select * from final
