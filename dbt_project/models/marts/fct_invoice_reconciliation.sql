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
