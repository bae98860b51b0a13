{%- set tolerance = var('invoice_variance_tolerance') -%}

with

estimated as (

    select * from {{ ref('int_invoice__estimated_costs') }}

),

openai_costs as (

    select * from {{ ref('stg_ai__openai_costs') }}

),

anthropic_costs as (

    select * from {{ ref('stg_ai__anthropic_cost') }}

),

cost_lines as (

    select * from {{ ref('int_cost_lines__attributed') }}

),

gateway_services as (

    select * from {{ ref('gateway_provider_services') }}

),

-- FOCUS charges of the AI gateway's cost centre, by the upstream provider (as LiteLLM names it:
-- `custom_llm_provider`) seed gateway_provider_services gives their service name; a service it does not name
-- stays its own scope (lower case), so its bill meets no usage and is flagged, never folded into another's
gateway_lines as (

    select
        coalesce(gateway_services.llm_provider, lower(cost_lines.service_name)) as billing_scope,
        cost_lines.billing_month,
        cost_lines.billing_currency as currency,
        cost_lines.billed_cost
    from cost_lines
    left join gateway_services
        on lower(trim(cost_lines.service_name)) = lower(gateway_services.service_name)
    where cost_lines.cost_center_tag = '{{ var("ai_gateway_cost_center") }}'

),

billed as (

    select
        'openai' as provider,
        'openai_project' as scope_type,
        project_id as billing_scope,
        cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date) as billing_month,
        currency,
        count(*) as cost_record_count,
        sum(amount) as billed_cost
    from openai_costs
    group by project_id, cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date), currency

    union all

    select
        'anthropic' as provider,
        'anthropic_workspace' as scope_type,
        workspace_id as billing_scope,
        cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date) as billing_month,
        currency,
        count(*) as cost_record_count,
        sum(amount) as billed_cost
    from anthropic_costs
    group by workspace_id, cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date), currency

    union all

    select
        'ai_gateway' as provider,
        'gateway_provider' as scope_type,
        billing_scope,
        billing_month,
        currency,
        count(*) as cost_record_count,
        sum(billed_cost) as billed_cost
    from gateway_lines
    group by billing_scope, billing_month, currency

    union all

    select
        'bedrock' as provider,
        'aws_iam_principal' as scope_type,
        caller_identity_id as billing_scope,
        billing_month,
        billing_currency as currency,
        count(*) as cost_record_count,
        sum(billed_cost) as billed_cost
    from cost_lines
    where iam_principal is not null and service_name = 'Amazon Bedrock'
    group by caller_identity_id, billing_month, billing_currency

),

-- both sides of a provider x month x scope x currency, either may be missing (usage never billed, or billed
-- with no usage report)
compared as (

    select
        coalesce(billed.provider, estimated.provider) as provider,
        coalesce(billed.scope_type, estimated.scope_type) as scope_type,
        coalesce(billed.billing_scope, estimated.billing_scope) as billing_scope,
        coalesce(billed.billing_month, estimated.billing_month) as billing_month,
        coalesce(billed.currency, estimated.currency) as currency,
        cast(coalesce(estimated.usage_record_count, 0) as bigint) as usage_record_count,
        cast(coalesce(estimated.unpriced_record_count, 0) as bigint) as unpriced_record_count,
        cast(coalesce(billed.cost_record_count, 0) as bigint) as cost_record_count,
        cast(coalesce(estimated.estimated_cost, 0) as {{ money_type() }}) as estimated_cost,
        cast(coalesce(billed.billed_cost, 0) as {{ money_type() }}) as billed_cost
    from billed
    full outer join estimated
        on
            billed.provider = estimated.provider
            and billed.scope_type = estimated.scope_type
            and billed.billing_month = estimated.billing_month
            and billed.currency = estimated.currency
            and coalesce(billed.billing_scope, '') = coalesce(estimated.billing_scope, '')

),

final as (

    select
        {{ surrogate_key(['provider', 'billing_month', 'billing_scope', 'currency']) }} as reconciliation_key,
        provider,
        scope_type,
        billing_scope,
        billing_month,
        currency,
        usage_record_count,
        unpriced_record_count,
        cost_record_count,
        estimated_cost,
        billed_cost,
        cast(billed_cost - estimated_cost as {{ money_type() }}) as variance,
        cast(
            cast(billed_cost - estimated_cost as {{ double_type() }})
            / nullif(cast(billed_cost as {{ double_type() }}), 0)
            as {{ double_type() }}
        ) as variance_share,
        coalesce(
            abs(billed_cost - estimated_cost) <= cast({{ tolerance }} as decimal(9, 6)) * abs(billed_cost)
            and unpriced_record_count = 0,
            false
        ) as is_within_tolerance
    from compared

)

select * from final
