-- Every benefit claim of the three ledgers, one row per (ledger, AI system, period, benefit type): the benefit
-- rows of fct_productivity_roi (month), fct_defensive_roi (quarter; row_type benefit) and fct_efficiency_roi
-- (month; a non-zero retired_licence_spend, reclaimed_unused_seats or toil_hours_saved is a claim of that
-- benefit type). Periods are compared by quarter (`quarter_start`), the coarsest grain of the ledgers.
-- Input of the one-claim-per-benefit gate (int_roi__benefit_claim_conflicts).

with

productivity as (

    select * from {{ ref('fct_productivity_roi') }}
    where row_type = 'benefit'

),

defensive as (

    select * from {{ ref('fct_defensive_roi') }}
    where row_type = 'benefit'

),

efficiency as (

    select * from {{ ref('fct_efficiency_roi') }}

),

efficiency_claims as (

    select
        ai_system_id,
        month as period_start,
        'retired_licence_spend' as benefit_type
    from efficiency
    where retired_licence_spend <> 0

    union all

    select
        ai_system_id,
        month as period_start,
        'reclaimed_unused_seats' as benefit_type
    from efficiency
    where reclaimed_unused_seats <> 0

    union all

    select
        ai_system_id,
        month as period_start,
        'toil_hours_saved' as benefit_type
    from efficiency
    where toil_hours_saved <> 0

),

claims as (

    select
        'productivity' as ledger,
        ai_system_id,
        month_start as period_start,
        benefit_type
    from productivity

    union all

    select
        'defensive' as ledger,
        ai_system_id,
        quarter_start as period_start,
        benefit_type
    from defensive

    union all

    select
        'efficiency' as ledger,
        ai_system_id,
        period_start,
        benefit_type
    from efficiency_claims

),

final as (

    select
        ledger,
        ai_system_id,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as quarter_start,
        benefit_type,
        count(*) as claim_row_count,
        min(period_start) as first_period_start
    from claims
    group by
        ledger,
        ai_system_id,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date),
        benefit_type

)

select * from final
