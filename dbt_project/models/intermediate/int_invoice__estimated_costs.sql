{%- set web_search_price = var('anthropic_web_search_price') -%}

with

openai_usage as (

    select * from {{ ref('stg_usage__openai_usage') }}

),

anthropic_usage as (

    select * from {{ ref('stg_ai__anthropic_usage') }}

),

litellm as (

    select * from {{ ref('stg_usage__litellm_spend_logs') }}

),

bedrock_usage as (

    select * from {{ ref('int_usage__attributed') }}
    where source_dataset = 'ai/bedrock_invocations'

),

prices as (

    select * from {{ ref('model_prices') }}

),

openai_priced as (

    select
        'openai' as provider,
        'openai_project' as scope_type,
        openai_usage.project_id as billing_scope,
        cast({{ dbt.date_trunc('month', 'openai_usage.bucket_start_at') }} as date) as billing_month,
        coalesce(prices.currency, 'USD') as currency,
        coalesce(prices.model, unit_prices.model, any_unit_prices.model) is null as is_unpriced,
        {{ spine_openai_usage_cost('openai_usage', 'prices', 'unit_prices', 'any_unit_prices') }} as estimated_cost
    from openai_usage
    left join prices
        on
            prices.provider = 'openai'
            and openai_usage.usage_unit = 'tokens'
            and openai_usage.model_name = prices.model
    {{ openai_unit_price_joins('openai_usage') }}

),

anthropic_priced as (

    select
        'anthropic' as provider,
        'anthropic_workspace' as scope_type,
        anthropic_usage.workspace_id as billing_scope,
        cast({{ dbt.date_trunc('month', 'anthropic_usage.bucket_start_at') }} as date) as billing_month,
        coalesce(prices.currency, 'USD') as currency,
        prices.model is null as is_unpriced,
        {{ spine_anthropic_usage_cost('anthropic_usage', 'prices', web_search_price) }}
            as estimated_cost
    from anthropic_usage
    left join prices
        on
            prices.provider = 'anthropic'
            and anthropic_usage.model_name = prices.model

),

-- the AI gateway's own spend, per upstream provider (its cloud charges carry the gateway cost centre)
gateway_priced as (

    select
        'ai_gateway' as provider,
        'gateway_provider' as scope_type,
        lower(litellm.llm_provider) as billing_scope,
        cast({{ dbt.date_trunc('month', 'litellm.started_at') }} as date) as billing_month,
        'USD' as currency,
        false as is_unpriced,
        litellm.spend_usd as estimated_cost
    from litellm

),

-- Bedrock calls outside the gateway, per caller (the identity of the invocation logs' IAM principal)
bedrock_priced as (

    select
        'bedrock' as provider,
        'aws_iam_principal' as scope_type,
        bedrock_usage.identity_id as billing_scope,
        cast({{ dbt.date_trunc('month', 'bedrock_usage.event_at') }} as date) as billing_month,
        bedrock_usage.cost_currency as currency,
        bedrock_usage.cost_amount is null as is_unpriced,
        bedrock_usage.cost_amount as estimated_cost
    from bedrock_usage

),

priced as (

    select * from openai_priced
    union all
    select * from anthropic_priced
    union all
    select * from gateway_priced
    union all
    select * from bedrock_priced

),

final as (

    select
        provider,
        scope_type,
        billing_scope,
        billing_month,
        currency,
        count(*) as usage_record_count,
        sum(case when is_unpriced then 1 else 0 end) as unpriced_record_count,
        cast(sum(estimated_cost) as {{ money_type() }}) as estimated_cost
    from priced
    group by
        provider,
        scope_type,
        billing_scope,
        billing_month,
        currency

)

select * from final
