-- Usage cost per source dataset, totalled straight from the staged source records, independently of the
-- attribution models: LiteLLM `spend` as exported; OpenAI token totals per model x seed model_prices
-- (input net of cached x input price + cached x cached-input price + output x output price); the AI tool
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

ai_tool_events as (

    {{ usage_events_ai_tools(usage_ai_tool_staging(), 'prices') }}

),

openai_tokens as (

    select
        model_name,
        count(*) as record_count,
        sum(input_tokens - coalesce(input_cached_tokens, 0)) as uncached_input_tokens,
        sum(coalesce(input_cached_tokens, 0)) as cached_input_tokens,
        sum(output_tokens) as output_tokens
    from openai
    group by model_name

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
        cast(record_count as bigint) as record_count,
        cast(expected_cost_usd as {{ money_type() }}) as expected_cost_usd,
        cast(unpriced_record_count as bigint) as unpriced_record_count
    from totals

)

select * from final
