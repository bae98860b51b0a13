-- Reclaimed unused seats (docs/METHOD.md section 3): for each billing period of a licence that belongs
-- to an AI system (SaaS export `ai_system_id`), the seats paid for but not active in the last 30 days, valued
-- at the seat unit price: (seats_purchased - seats_active_30d) x unit price, never below zero. Counted in the
-- month the billing period starts (an annual licence's whole period value falls in its first month).

with

licences as (

    select * from {{ ref('stg_billing__saas_licences') }}

)

select
    licence_period_id,
    licence_id,
    ai_system_id,
    cast({{ dbt.date_trunc('month', 'billing_period_start') }} as date) as reclaim_month,
    billing_frequency,
    currency,
    seats_purchased,
    seats_active_30d,
    case
        when seats_purchased > seats_active_30d then seats_purchased - seats_active_30d
        else 0
    end as unused_seats,
    seat_unit_price,
    cast(
        case
            when seats_purchased > seats_active_30d then (seats_purchased - seats_active_30d) * seat_unit_price
            else 0
        end as {{ money_type() }}
    ) as reclaimable_amount,
    _source_file,
    _line
from licences
where ai_system_id is not null
