with

source as (

    {{ deduplicated_landing('billing', 'saas_licences') }}

),

renamed as (

    select
        {{ surrogate_key(['licence_id', 'billing_period_start']) }} as licence_period_id,
        licence_id,
        vendor as vendor_name,
        product as product_name,
        ai_system_id,
        sku,
        billing_period_start,
        billing_period_end,
        billing_frequency,
        seats_purchased,
        seats_assigned,
        seats_active_30d,
        cast(unit_price as {{ money_type() }}) as seat_unit_price,
        cast(amount as {{ money_type() }}) as billed_amount,
        upper(trim(currency)) as currency,
        status as licence_status,
        retired_date,
        owner_team,
        _extra as extra_columns_json,
        _source_file,
        _file_sha256,
        _line,
        _ingested_at

    from source

)

select * from renamed
