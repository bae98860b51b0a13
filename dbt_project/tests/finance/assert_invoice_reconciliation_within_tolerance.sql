-- Provider bills that usage does not explain: rows of fct_invoice_reconciliation whose billed cost differs from
-- the cost estimated from the usage reports by more than var `invoice_variance_tolerance` of the bill (or whose
-- usage has models without a price). Returns the provider, month, billing scope, both figures and the share.
-- Warn severity: the ledgers take the billed figure either way; a variance says the price list or an export
-- is off (a price changed, an unreported project, a billing error), for finance to look at.
{{ config(severity='warn', store_failures=true,
          meta={'dagster': {'ref': {'name': 'fct_invoice_reconciliation'}}}) }}

with

reconciliation as (

    select * from {{ ref('fct_invoice_reconciliation') }}

)

select
    provider,
    billing_month,
    billing_scope,
    currency,
    estimated_cost,
    billed_cost,
    variance,
    variance_share,
    unpriced_record_count
from reconciliation
where not is_within_tolerance
