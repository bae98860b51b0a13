-- Reclaimed unused seats (docs/METHOD.md section 3): for each billing period of a licence that belongs to an
-- AI system (SaaS export `ai_system_id`), the seats paid for but not worth keeping, valued at the seat unit
-- price and counted in the month the billing period starts (an annual licence's whole period value falls in
-- its first month). Two rules, the fairer where it can run:
--   seat_export:    the period holds a seats export of the system's product (GitHub Copilot:
--                   int_ai_seats__snapshots, every export judged on its own day, the latest on the as-of day;
--                   the period's latest export counts): the seats bought but not assigned (purchased - the
--                   seats the export lists) plus the assigned seats found reclaimable (idle beyond var
--                   seat_idle_reclaim_days; never a new joiner's or the seat of someone on leave, nor one
--                   already pending cancellation);
--   licence_counts: else the export's own counts, seats purchased - seats active in the last 30 days.
-- Never below zero.

with

licences as (

    select * from {{ ref('stg_billing__saas_licences') }}
    where ai_system_id is not null

),

snapshots as (

    select * from {{ ref('int_ai_seats__snapshots') }}

),

markers as (

    select * from {{ ref('int_ai_system__markers') }}

),

-- the AI system each seat product belongs to (its `product:` marker)
product_systems as (

    select
        {{ spine_marker_product('marker_value') }} as product,
        ai_system_id
    from markers
    where marker_type = 'ai_product'

),

exports as (

    select
        product_systems.ai_system_id,
        snapshots._source_file,
        snapshots.snapshot_date,
        count(*) as assigned_seats,
        sum(case when snapshots.is_reclaimable then 1 else 0 end) as reclaimable_seats
    from snapshots
    inner join product_systems
        on snapshots.product = product_systems.product
    group by product_systems.ai_system_id, snapshots._source_file, snapshots.snapshot_date

),

period_exports_ranked as (

    select
        licences.licence_period_id,
        exports.assigned_seats,
        exports.reclaimable_seats,
        row_number() over (
            partition by licences.licence_period_id
            order by exports.snapshot_date desc, exports._source_file desc
        ) as export_rank
    from licences
    inner join exports
        on
            licences.ai_system_id = exports.ai_system_id
            and licences.billing_period_start <= exports.snapshot_date
            and licences.billing_period_end >= exports.snapshot_date

),

counted as (

    select
        licences.*,
        case
            when period_exports.licence_period_id is not null then 'seat_export'
            else 'licence_counts'
        end as reclaim_rule,
        case
            when period_exports.licence_period_id is not null
                then
                    case
                        when licences.seats_purchased > period_exports.assigned_seats
                            then licences.seats_purchased - period_exports.assigned_seats
                        else 0
                    end
                    + period_exports.reclaimable_seats
            when licences.seats_purchased > licences.seats_active_30d
                then licences.seats_purchased - licences.seats_active_30d
            else 0
        end as unused_seats
    from licences
    left join period_exports_ranked as period_exports
        on
            licences.licence_period_id = period_exports.licence_period_id
            and period_exports.export_rank = 1

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
    reclaim_rule,
    unused_seats,
    seat_unit_price,
    cast(unused_seats * seat_unit_price as {{ money_type() }}) as reclaimable_amount,
    _source_file,
    _line
from counted
