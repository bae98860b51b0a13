{{ config(
    materialized='incremental',
    on_schema_change='sync_all_columns',
    pre_hook="{{ landing_increment_prepare('billing', 'focus') }}",
    post_hook="{{ landing_increment_finish('billing', 'focus') }}"
) }}

with

source as (

    {{ deduplicated_landing('billing', 'focus') }}

),

renamed as (

    select
        {{ surrogate_key(['_file_sha256', '_line']) }} as cost_line_id,
        cast(billed_cost as {{ money_type() }}) as billed_cost,
        cast(effective_cost as {{ money_type() }}) as effective_cost,
        cast(list_cost as {{ money_type() }}) as list_cost,
        cast(contracted_cost as {{ money_type() }}) as contracted_cost,
        upper(trim(billing_currency)) as billing_currency,
        billing_account_id,
        billing_account_name,
        billing_account_type,
        billing_period_start,
        billing_period_end,
        charge_category,
        charge_class,
        charge_description,
        charge_frequency,
        charge_period_start,
        charge_period_end,
        commitment_discount_id,
        commitment_discount_status,
        consumed_quantity,
        consumed_unit,
        pricing_category,
        pricing_quantity,
        pricing_unit,
        cast(list_unit_price as {{ money_type() }}) as list_unit_price,
        cast(contracted_unit_price as {{ money_type() }}) as contracted_unit_price,
        invoice_id,
        invoice_issuer_name,
        provider_name,
        publisher_name,
        region_id,
        resource_id,
        resource_name,
        resource_type,
        service_category,
        service_subcategory,
        service_name,
        sku_id,
        sku_price_id,
        sub_account_id,
        sub_account_name,
        nullif(trim({{ json_get_text('tags', 'ai_system') }}), '') as ai_system_tag,
        tags as tags_json,
        contract_applied as contract_applied_json,
        allocated_method_id,
        allocated_resource_id,
        allocated_tags as allocated_tags_json,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
