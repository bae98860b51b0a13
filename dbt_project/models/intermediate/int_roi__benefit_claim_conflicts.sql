-- Violations of "one claim per benefit" (docs/METHOD.md section 2), one row per violation:
--   wrong_ledger   a benefit type claimed under a ledger other than its ledger in seed benefit_catalogue
--                  (or a benefit type the catalogue does not know)
--   double_claim   a benefit type of one AI system and quarter claimed in two or more ledgers
-- Empty when the release may go out: the blocking test tests/portfolio/assert_one_claim_per_benefit.sql
-- fails with these rows.

with

claims as (

    select * from {{ ref('int_roi__benefit_claims') }}

),

catalogue as (

    select * from {{ ref('benefit_catalogue') }}

),

wrong_ledger as (

    select
        'wrong_ledger' as conflict_type,
        claims.ai_system_id,
        claims.quarter_start,
        claims.benefit_type,
        claims.ledger as claimed_ledgers,
        catalogue.ledger as catalogue_ledger,
        'benefit ' || coalesce(claims.benefit_type, '(none)') || ' of ' || claims.ai_system_id
        || ' is claimed in the ' || claims.ledger || ' ledger but belongs to '
        || coalesce(catalogue.ledger || ' (benefit_catalogue)', 'no ledger (not in benefit_catalogue)')
            as failure_reason
    from claims
    left join catalogue
        on claims.benefit_type = catalogue.benefit_type
    where catalogue.ledger is null or catalogue.ledger <> claims.ledger

),

ledger_counts as (

    select
        ai_system_id,
        quarter_start,
        benefit_type,
        count(distinct ledger) as ledger_count,
        {{ dbt.listagg('ledger', "';'", 'order by ledger') }} as claimed_ledgers
    from claims
    group by
        ai_system_id,
        quarter_start,
        benefit_type

),

double_claim as (

    select
        'double_claim' as conflict_type,
        ledger_counts.ai_system_id,
        ledger_counts.quarter_start,
        ledger_counts.benefit_type,
        ledger_counts.claimed_ledgers,
        catalogue.ledger as catalogue_ledger,
        'benefit ' || coalesce(ledger_counts.benefit_type, '(none)') || ' of ' || ledger_counts.ai_system_id
        || ' is claimed in ' || cast(ledger_counts.ledger_count as {{ dbt.type_string() }})
        || ' ledgers (' || ledger_counts.claimed_ledgers || ') for the same quarter' as failure_reason
    from ledger_counts
    left join catalogue
        on ledger_counts.benefit_type = catalogue.benefit_type
    where ledger_counts.ledger_count > 1

),

final as (

    select * from wrong_ledger
    union all
    select * from double_claim

)

select * from final
