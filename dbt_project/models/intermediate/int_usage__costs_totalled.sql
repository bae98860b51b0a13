-- Usage cost per source dataset, totalled straight from the staged source records, independently of the
-- attribution models: LiteLLM `spend` as exported; OpenAI token totals per model x seed model_prices
-- (uncached input, cache reads, cache writes and output, each at its price) and OpenAI's other units, totalled
-- per unit x model x image size x bucket width, x seed unit_prices (the model's, else any model's); the AI tool
-- sources record by record as macros/usage_events.sql prices them (each token class at its price, Cursor's
-- charge, Claude Code's estimate, seat days 0), with no identity or AI system join. The reconciliation test
-- (tests/spine/assert_usage_cost_reconciles.sql) holds fct_ai_usage to these totals.

with

litellm as (

    select * from {{ ref('stg_usage__litellm_spend_logs') }}

),

openai as (

    select * from {{ ref('stg_usage__openai_usage') }}

),

prices as (

    select * from {{ ref('model_prices') }}

),

unit_prices as (

    select * from {{ ref('unit_prices') }}
    where provider = 'openai'

),

ai_tool_events as (

    {{ usage_events_ai_tools(usage_ai_tool_staging(), 'prices') }}

),

openai_tokens as (

    select
        model_name,
        count(*) as record_count,
        sum(input_tokens - coalesce(input_cached_tokens, 0) - coalesce(input_cache_write_tokens, 0))
            as uncached_input_tokens,
        sum(coalesce(input_cached_tokens, 0)) as cached_input_tokens,
        sum(coalesce(input_cache_write_tokens, 0)) as cache_write_tokens,
        sum(coalesce(output_tokens, 0)) as output_tokens
    from openai
    where usage_unit = 'tokens'
    group by model_name

),

openai_unit_buckets as (

    select
        usage_unit,
        model_name,
        image_size,
        usage_quantity,
        {{ dbt.datediff('bucket_start_at', 'bucket_end_at', 'second') }} as bucket_seconds  -- noqa: LT05
    from openai
    where usage_unit <> 'tokens'

),

openai_units as (

    select
        usage_unit,
        model_name,
        image_size,
        bucket_seconds,
        count(*) as record_count,
        sum(usage_quantity) as usage_quantity
    from openai_unit_buckets
    group by
        usage_unit,
        model_name,
        image_size,
        bucket_seconds

),

openai_units_priced as (

    select
        openai_units.record_count,
        coalesce(model_unit_prices.unit_price, any_unit_prices.unit_price) is null as is_unpriced,
        cast(
            cast(openai_units.usage_quantity as decimal(20, 0))
            * cast(coalesce(model_unit_prices.unit_price, any_unit_prices.unit_price) as decimal(17, 12))
            as {{ money_type() }}
        ) as day_cost,
        openai_units.usage_unit = 'vector_store_bytes' and openai_units.bucket_seconds <> 86400 as is_part_day,
        openai_units.bucket_seconds
    from openai_units
    left join unit_prices as model_unit_prices
        on
            openai_units.usage_unit = model_unit_prices.usage_unit
            and coalesce(openai_units.model_name, '*') = model_unit_prices.model
            and coalesce(openai_units.image_size, '*') = model_unit_prices.variant
    left join unit_prices as any_unit_prices
        on
            openai_units.usage_unit = any_unit_prices.usage_unit
            and any_unit_prices.model = '*'
            and any_unit_prices.variant = '*'

),

totals as (

    select
        'usage/litellm_spend_logs' as source_dataset,
        count(*) as record_count,
        sum(spend_usd) as expected_cost_usd,
        0 as unpriced_record_count
    from litellm

    union all

    select
        'usage/openai_usage' as source_dataset,
        sum(openai_tokens.record_count) as record_count,
        sum(
            {{ spine_token_cost('openai_tokens.uncached_input_tokens', 'prices.input_price_per_1m') }}
            + {{ spine_token_cost('openai_tokens.cached_input_tokens', 'prices.cached_input_price_per_1m') }}
            + {{ spine_token_cost('openai_tokens.cache_write_tokens', 'prices.cache_write_price_per_1m') }}
            + {{ spine_token_cost('openai_tokens.output_tokens', 'prices.output_price_per_1m') }}
        ) as expected_cost_usd,
        sum(case when prices.model is null then openai_tokens.record_count else 0 end) as unpriced_record_count
    from openai_tokens
    left join prices
        on
            prices.provider = 'openai'
            and openai_tokens.model_name = prices.model

    union all

    select
        'usage/openai_usage' as source_dataset,
        sum(record_count) as record_count,
        sum(
            case
                when is_part_day
                    then cast(cast(day_cost * bucket_seconds / 86400 as decimal(38, 12)) as {{ money_type() }})
                else day_cost
            end
        ) as expected_cost_usd,
        sum(case when is_unpriced then record_count else 0 end) as unpriced_record_count
    from openai_units_priced

    union all

    select
        source_dataset,
        count(*) as record_count,
        sum(cost_amount) as expected_cost_usd,
        sum(case when cost_amount is null then 1 else 0 end) as unpriced_record_count
    from ai_tool_events
    group by source_dataset

),

final as (

    select
        source_dataset,
        cast(sum(record_count) as bigint) as record_count,
        cast(sum(expected_cost_usd) as {{ money_type() }}) as expected_cost_usd,
        cast(sum(unpriced_record_count) as bigint) as unpriced_record_count
    from totals
    group by source_dataset

)

select * from final
