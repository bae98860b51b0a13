-- What AI providers billed outside FOCUS, per AI system x month x provider x billing scope x currency: the
-- OpenAI costs API (per project), the Anthropic cost report (per workspace, cents / 100) and Cursor's usage
-- charges (the product's usage-based spend). FOCUS is the invoice of record, so a provider's own bill counts
-- only for the months FOCUS holds no line of that provider (by ProviderName): money is never counted twice.
-- The AI system is the billing scope's marker (int_ai_system__markers: an OpenAI project, an Anthropic workspace, the
-- `product:cursor` marker); a scope no system declares (Anthropic's default workspace) stays NULL, AI spend
-- without a system. The efficiency ledger adds these costs to the systems' usage-based cost.

with

openai_costs as (

    select * from {{ ref('stg_ai__openai_costs') }}

),

anthropic_costs as (

    select * from {{ ref('stg_ai__anthropic_cost') }}

),

cursor_events as (

    select * from {{ ref('stg_ai__cursor_usage_events') }}

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

focus_providers as (

    select distinct
        billing_month,
        case
            when lower(provider_name) like '%openai%' then 'openai'
            when lower(provider_name) like '%anthropic%' then 'anthropic'
            when lower(provider_name) like '%cursor%' or lower(provider_name) like '%anysphere%' then 'cursor'
        end as provider
    from {{ ref('fct_cost_lines') }}

),

bills as (

    select
        'openai' as provider,
        'ai/openai_costs' as source_dataset,
        'openai_project' as marker_type,
        project_id as marker_value,
        cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date) as billing_month,
        currency,
        amount
    from openai_costs

    union all

    select
        'anthropic' as provider,
        'ai/anthropic_cost' as source_dataset,
        'anthropic_workspace' as marker_type,
        workspace_id as marker_value,
        cast({{ dbt.date_trunc('month', 'bucket_start_at') }} as date) as billing_month,
        currency,
        amount
    from anthropic_costs

    union all

    select
        'cursor' as provider,
        'ai/cursor_usage_events' as source_dataset,
        'ai_product' as marker_type,
        'product:cursor' as marker_value,
        cast({{ dbt.date_trunc('month', 'event_at') }} as date) as billing_month,
        currency,
        charged_amount as amount
    from cursor_events
    where charged_amount <> 0

),

outside_focus as (

    select bills.*
    from bills
    left join focus_providers
        on
            bills.provider = focus_providers.provider
            and bills.billing_month = focus_providers.billing_month
    where focus_providers.provider is null

),

final as (

    select
        markers.ai_system_id,
        outside_focus.billing_month,
        outside_focus.provider,
        outside_focus.source_dataset,
        outside_focus.marker_value as billing_scope,
        outside_focus.currency,
        count(*) as bill_record_count,
        cast(sum(outside_focus.amount) as {{ money_type() }}) as billed_cost
    from outside_focus
    left join markers
        on
            outside_focus.marker_type = markers.marker_type
            and outside_focus.marker_value = markers.marker_value
    group by
        markers.ai_system_id,
        outside_focus.billing_month,
        outside_focus.provider,
        outside_focus.source_dataset,
        outside_focus.marker_value,
        outside_focus.currency

)

select * from final
